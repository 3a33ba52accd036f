import Foundation
import HallContracts
import HallKafka
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Keeps a service's topics on the broker: creates the missing ones with the configured
/// partitions at start-up, looks again every ``interval`` and whenever the relay meets an unknown
/// topic (``checkSoon()``), and — when one of the service's *own* topics has vanished, i.e. the
/// broker lost its data — queues everything the outbox still holds for that topic again, so that
/// the consumers (whose inboxes drop what they already applied) miss nothing the lost broker held.
///
/// Topics are never left to a broker's auto-creation: an empty broker would create them on first
/// use with its own partition count and without the dead-letter topics.
public final class TopicKeeper: Service, Sendable {
    /// A topic the service publishes to: its name on the broker and in the outbox (without namespace).
    public struct OwnTopic: Sendable, Hashable {
        /// The topic's name on the broker (namespace included).
        public var brokerName: String
        /// The name outbox rows carry.
        public var outboxName: String

        /// Creates the pair.
        public init(brokerName: String, outboxName: String) {
            self.brokerName = brokerName
            self.outboxName = outboxName
        }
    }

    private let producer: KafkaProducer
    private let admin: KafkaAdminClient
    private let partitions: Int
    private let ownTopics: [OwnTopic]
    private let otherTopics: [String]
    private let client: PostgresClient
    private let schema: String
    private let serviceName: String
    private let retention: Duration
    private let interval: Duration
    private let logger: Logger
    private let gate: StartupGate?
    private let wake: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation

    /// Creates a keeper.
    ///
    /// - Parameters:
    ///   - ownTopics: topics the service publishes to (a loss of one is republished).
    ///   - otherTopics: topics it reads or dead-letters to (recreated only; their owners republish).
    ///   - retention: how far back the outbox is queued again after a loss (the outbox retention).
    public init(
        producer: KafkaProducer, admin: KafkaAdminClient, partitions: Int, ownTopics: [OwnTopic], otherTopics: [String],
        client: PostgresClient, schema: String, serviceName: String, retention: Duration, interval: Duration = .seconds(10),
        logger: Logger, gate: StartupGate? = nil
    ) {
        self.producer = producer
        self.admin = admin
        self.partitions = partitions
        self.ownTopics = ownTopics
        self.otherTopics = Array(Set(otherTopics).subtracting(ownTopics.map(\.brokerName))).sorted()
        self.client = client
        self.schema = schema
        self.serviceName = serviceName
        self.retention = retention
        self.interval = interval
        self.logger = logger
        self.gate = gate
        (wake, wakeContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Every topic the keeper looks after, as named on the broker.
    public var topics: [String] { ownTopics.map(\.brokerName) + otherTopics }

    /// Creates every topic (an existing one is left alone). Called once at start-up.
    public func createAll() async throws {
        try await admin.createTopics(topics.map { KafkaTopicSpecification(name: $0, partitions: Int32(partitions)) })
    }

    /// Asks for a check as soon as possible (the relay calls it on an unknown-topic error).
    public func checkSoon() { wakeContinuation.yield() }

    /// Looks for missing topics, recreates them and republishes what a lost own topic held.
    ///
    /// - Returns: the topics recreated; empty when all were there or no broker answered.
    @discardableResult
    public func check() async throws -> [String] {
        guard let existing = await producer.existingTopics() else { return [] }
        let missing = topics.filter { existing[$0] == nil }
        if missing.isEmpty { return [] }
        logger.warning("topics missing on the broker; creating them", metadata: ["topics": "\(missing.joined(separator: ","))"])
        try await admin.createTopics(missing.map { KafkaTopicSpecification(name: $0, partitions: Int32(partitions)) })
        let lost = ownTopics.filter { missing.contains($0.brokerName) }
        if !lost.isEmpty { try await republishLost(lost) }
        return missing
    }

    /// Queues again what the outbox holds for `lost` topics, once across the service's instances:
    /// an instance that finds the loss recorded by another in the last minute leaves it.
    private func republishLost(_ lost: [OwnTopic]) async throws {
        let now = Date()
        let from = now.addingTimeInterval(-Double(retention.components.seconds))
        let outbox = Outbox(schema: schema)
        try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(stableHash32("hall.topic-loss." + schema)))", logger: logger)
            let names = lost.map(\.outboxName)
            let recent = try await (connection.query(
                """
                SELECT DISTINCT topic FROM \(unescaped: schema).outbox_topic_loss
                WHERE topic = ANY(\(names)::text[]) AND detected_at > now() - interval '1 minute'
                """, logger: logger) as PostgresRowSequence).decode(String.self).collectAll()
            let topics = names.filter { !recent.contains($0) }
            if topics.isEmpty { return }
            let rows = try await outbox.republish(
                from: from, to: now.addingTimeInterval(1), topics: topics, requestedBy: "\(serviceName): topic lost on the broker",
                producer: serviceName, auditTopic: Topic(rawValue: topics[0]), on: connection, logger: logger)
            try await connection.query(
                """
                INSERT INTO \(unescaped: schema).outbox_topic_loss (topic, detected_by, republished)
                SELECT t, \(serviceName), \(rows) FROM unnest(\(topics)::text[]) AS t
                """, logger: logger)
            logger.warning(
                "the broker lost topics of this service; everything the outbox still holds for them is queued again",
                metadata: ["topics": "\(topics.joined(separator: ","))", "rows": "\(rows)"])
        }
    }

    /// Checks every ``interval``, and at once after ``checkSoon()``, until graceful shutdown.
    public func run() async throws {
        if let gate { await cancelWhenGracefulShutdown { await gate.wait() } }
        await cancelWhenGracefulShutdown { [self] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [self] in
                    for await _ in wake { await checkLogging() }
                }
                group.addTask { [self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        if Task.isCancelled { break }
                        await checkLogging()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        wakeContinuation.finish()
    }

    private func checkLogging() async {
        do {
            try await check()
        } catch {
            logger.warning("checking the broker's topics failed; trying again later", metadata: [LogKey.error: "\(error)"])
        }
    }
}
