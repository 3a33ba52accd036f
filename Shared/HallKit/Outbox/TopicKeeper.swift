import Foundation
import HallContracts
import HallKafka
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Keeps a service's topics on the broker: creates the missing ones with the configured
/// partitions at start-up, looks again every ``interval`` and whenever the relay meets an unknown
/// topic (``checkSoon()``), and — when a topic the service publishes to has lost records it
/// delivered (the topic is missing, or the broker hands out offsets in a partition that are not
/// above those it gave before: the topic was made anew, by this service or another) — queues
/// everything the outbox still holds for that topic again, so that the consumers (whose inboxes
/// drop what they already applied) miss nothing the lost broker held.
///
/// Topics are never left to a broker's auto-creation: an empty broker would create them on first
/// use with its own partition count and without the dead-letter topics.
///
/// The offsets delivered are also kept in the service's schema (`outbox_topic_offsets`, written
/// every check): an instance that starts after the broker lost records while no instance ran
/// finds the broker holding less than was delivered, and republishes likewise.
public final class TopicKeeper: Service, Sendable {
    /// A topic the service publishes to (its own, or another's it sends requests to): its name on
    /// the broker and in the outbox (without namespace).
    public struct PublishedTopic: Sendable, Hashable {
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
    private let publishedTopics: [PublishedTopic]
    private let otherTopics: [String]
    /// What the relay delivered, and which topics were found to have lost records.
    private struct Delivered {
        /// Per topic published to (broker name), per partition: the highest offset delivered.
        var highest: [String: [Int32: Int64]] = [:]
        /// Topics whose partitions handed out an offset a second time.
        var reset: Set<String> = []
        /// Per topic and partition, the offsets known to have been handed out: those this instance
        /// was given, and everything up to the highest that earlier instances stored.
        var given: [String: [Int32: OffsetSet]] = [:]
        /// What `outbox_topic_offsets` holds (as last read or written).
        var stored: [String: [Int32: Int64]] = [:]
    }

    private let delivered = Mutex(Delivered())
    /// Whether a check is under way.
    private let checking = Atomic<Bool>(false)
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
    ///   - publishedTopics: topics the service's outbox publishes to (a loss of one is republished).
    ///   - otherTopics: topics it reads or dead-letters to (recreated only; their publishers republish).
    ///   - retention: how far back the outbox is queued again after a loss (the outbox retention).
    public init(
        producer: KafkaProducer, admin: KafkaAdminClient, partitions: Int, publishedTopics: [PublishedTopic], otherTopics: [String],
        client: PostgresClient, schema: String, serviceName: String, retention: Duration, interval: Duration = .seconds(10),
        logger: Logger, gate: StartupGate? = nil
    ) {
        self.producer = producer
        self.admin = admin
        self.partitions = partitions
        self.publishedTopics = publishedTopics
        self.otherTopics = Array(Set(otherTopics).subtracting(publishedTopics.map(\.brokerName))).sorted()
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
    public var topics: [String] { publishedTopics.map(\.brokerName) + otherTopics }

    /// Records what a relay pass delivered: per topic (broker name) and partition, the runs of
    /// offsets the broker gave. A partition hands out each offset once in its life, so an offset
    /// given a second time means the partition is new: the records before it are lost, and a
    /// check follows. (Comparing with the highest offset alone is not enough: the relay's
    /// concurrent batches share partitions, and their delivery reports arrive in any order.)
    public func noteDelivered(_ offsets: [String: [Int32: [ClosedRange<Int64>]]]) {
        if offsets.isEmpty { return }
        let reset = delivered.withLock { delivered -> Bool in
            var reset = false
            for (topic, partitions) in offsets {
                for (partition, runs) in partitions {
                    for run in runs where delivered.given[topic, default: [:]][partition, default: OffsetSet()].insert(run) {
                        delivered.reset.insert(topic)
                        reset = true
                    }
                    if let upper = runs.last?.upperBound {
                        delivered.highest[topic, default: [:]][partition] = max(delivered.highest[topic]?[partition] ?? -1, upper)
                    }
                }
            }
            return reset
        }
        if reset { checkSoon() }
    }

    /// Creates every topic (an existing one is left alone), then compares what earlier instances
    /// delivered with what the broker holds. Called once at start-up.
    public func createAll() async throws {
        let created = try await admin.createTopics(topics.map { KafkaTopicSpecification(name: $0, partitions: Int32(partitions)) })
        await recoverDelivered(created: created)
    }

    /// Reads the offsets delivered before this instance started; a published topic the broker
    /// did not hold (`created`), or whose partitions now end at or below an offset delivered
    /// before, lost records while no instance watched, and is checked (and republished) at once.
    private func recoverDelivered(created: [String]) async {
        let published = publishedTopics.map(\.brokerName)
        do {
            let rows = try await client.run(
                "SELECT topic, partition, highest FROM \(unescaped: schema).outbox_topic_offsets WHERE topic = ANY(\(published)::text[])",
                logger: logger
            ).decode((String, Int32, Int64).self).collectAll()
            if rows.isEmpty { return }
            var stored: [String: [Int32: Int64]] = [:]
            for (topic, partition, highest) in rows { stored[topic, default: [:]][partition] = highest }
            var lost = Set(created).intersection(stored.keys)
            let asked = stored.filter { !lost.contains($0.key) }.mapValues { Array($0.keys) }
            guard let marks = await admin.highWatermarks(of: asked) else {
                logger.warning("could not compare the offsets delivered before start-up with the broker's; the next checks will")
                return
            }
            for (topic, partitions) in stored where !lost.contains(topic) {
                // The next offset the partition hands out must be above the highest delivered.
                if partitions.contains(where: { partition, highest in (marks[topic]?[partition] ?? -1) <= highest }) { lost.insert(topic) }
            }
            delivered.withLock { delivered in
                delivered.stored = stored
                for (topic, partitions) in stored {
                    for (partition, highest) in partitions {
                        delivered.highest[topic, default: [:]][partition] = max(delivered.highest[topic]?[partition] ?? -1, highest)
                        if !lost.contains(topic) { _ = delivered.given[topic, default: [:]][partition, default: OffsetSet()].insert(0...highest) }
                    }
                }
                delivered.reset.formUnion(lost)
            }
            if !lost.isEmpty {
                logger.warning(
                    "the broker holds fewer records than this service delivered before it started",
                    metadata: ["topics": "\(lost.sorted().joined(separator: ","))"])
                checkSoon()
            }
        } catch {
            logger.warning("reading the offsets delivered before start-up failed", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// Writes the offsets delivered since the last write (each instance its own; a topic found
    /// lost has its rows removed with the loss record).
    private func storeDelivered() async {
        let changed = delivered.withLock { delivered -> [(String, Int32, Int64)] in
            var changed: [(String, Int32, Int64)] = []
            for (topic, partitions) in delivered.highest {
                for (partition, highest) in partitions where delivered.stored[topic]?[partition] != highest {
                    changed.append((topic, partition, highest))
                }
            }
            return changed
        }
        if changed.isEmpty { return }
        do {
            try await client.run(
                """
                INSERT INTO \(unescaped: schema).outbox_topic_offsets (topic, partition, highest)
                SELECT * FROM unnest(\(changed.map(\.0))::text[], \(changed.map { Int($0.1) })::int[], \(changed.map(\.2))::bigint[])
                ON CONFLICT (topic, partition) DO UPDATE SET highest = EXCLUDED.highest, updated_at = clock_timestamp()
                """, logger: logger)
            delivered.withLock { delivered in
                for (topic, partition, highest) in changed { delivered.stored[topic, default: [:]][partition] = highest }
            }
        } catch {
            logger.warning("storing the offsets delivered failed; trying again at the next check", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// Asks for a check as soon as possible (the relay calls it on an unknown-topic error).
    public func checkSoon() { wakeContinuation.yield() }

    /// Looks for missing topics and recreates them, and republishes what a topic published to lost.
    ///
    /// - Returns: the topics found to have lost records delivered to them (republished).
    @discardableResult
    public func check() async throws -> [String] {
        guard let existing = await admin.topics(named: topics) else { return [] }
        let absent = topics.filter { existing[$0] == nil }
        // Missing: what the broker really did not have (creating a topic that exists is a no-op,
        // and a topic created a moment ago can still be absent from metadata).
        var missing: [String] = []
        if !absent.isEmpty {
            missing = try await admin.createTopics(absent.map { KafkaTopicSpecification(name: $0, partitions: Int32(partitions)) })
        }
        if !missing.isEmpty {
            logger.warning("topics were missing on the broker; created them", metadata: ["topics": "\(missing.joined(separator: ","))"])
            // The producer knew these topics under their old ids: it starts afresh.
            producer.renew(because: "topics made anew on the broker")
        }
        // Lost: a topic delivered to that is missing now, or whose offsets started again.
        let lost = delivered.withLock { delivered -> [PublishedTopic] in
            let lost = publishedTopics.filter { topic in
                delivered.reset.contains(topic.brokerName) || (missing.contains(topic.brokerName) && delivered.highest[topic.brokerName] != nil)
            }
            for topic in lost {
                delivered.reset.remove(topic.brokerName)
                // A topic made anew starts again from offset 0: forget what it had (its stored
                // rows go with the loss record).
                delivered.highest[topic.brokerName] = nil
                delivered.stored[topic.brokerName] = nil
                delivered.given[topic.brokerName] = nil
            }
            return lost
        }
        if lost.isEmpty { return [] }
        if missing.isEmpty { producer.renew(because: "topics made anew on the broker") }
        do {
            try await republishLost(lost)
        } catch {
            // Try again on the next check.
            delivered.withLock { delivered in delivered.reset.formUnion(lost.map(\.brokerName)) }
            throw error
        }
        return lost.map(\.brokerName)
    }

    /// Queues again what the outbox holds for `lost` topics, once across the service's instances:
    /// an instance that finds the loss recorded by another in the last minute leaves it.
    private func republishLost(_ lost: [PublishedTopic]) async throws {
        let now = Date()
        let from = now.addingTimeInterval(-Double(retention.components.seconds))
        let outbox = Outbox(schema: schema)
        try await client.transaction(logger: logger) { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(\(stableHash32("hall.topic-loss." + schema)))", logger: logger)
            let names = lost.map(\.outboxName)
            let recent = try await connection.run(
                """
                SELECT DISTINCT topic FROM \(unescaped: schema).outbox_topic_loss
                WHERE topic = ANY(\(names)::text[]) AND detected_at > now() - interval '1 minute'
                """, logger: logger
            ).decode(String.self).collectAll()
            let topics = names.filter { !recent.contains($0) }
            try await connection.run(
                "DELETE FROM \(unescaped: schema).outbox_topic_offsets WHERE topic = ANY(\(lost.map(\.brokerName))::text[])", logger: logger)
            if topics.isEmpty { return }
            let rows = try await outbox.republish(
                from: from, to: now.addingTimeInterval(1), topics: topics, requestedBy: "\(serviceName): topic lost on the broker",
                producer: serviceName, auditTopic: Topic(rawValue: topics[0]), on: connection, logger: logger)
            try await connection.run(
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
        await storeDelivered()
    }

    /// Runs a check unless one is under way (the periodic check and a wake-up could otherwise
    /// race, creating topics and replacing the producer twice); the next trigger comes soon enough.
    private func checkLogging() async {
        guard !checking.exchange(true, ordering: .acquiringAndReleasing) else { return }
        defer { checking.store(false, ordering: .releasing) }
        do {
            try await check()
        } catch {
            logger.warning("checking the broker's topics failed; trying again later", metadata: [LogKey.error: "\(error)"])
        }
        await storeDelivered()
    }
}

/// Offsets of one partition as ascending, disjoint runs. Holds at most ``limit`` runs: past it the
/// two lowest merge, counting the old gap between them as handed out (to another producer — it
/// can only come back to this one if the partition starts again).
struct OffsetSet: Sendable {
    private(set) var runs: [ClosedRange<Int64>] = []
    static let limit = 256

    /// Adds `run`; true when some of its offsets were already in the set.
    mutating func insert(_ run: ClosedRange<Int64>) -> Bool {
        // The first run that ends at or after the new run's start less one (adjacent runs merge).
        var low = 0
        var high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].upperBound < run.lowerBound - 1 { low = middle + 1 } else { high = middle }
        }
        var merged = run
        var overlapped = false
        var end = low
        while end < runs.count, runs[end].lowerBound <= run.upperBound + 1 {
            if runs[end].overlaps(run) { overlapped = true }
            merged = min(merged.lowerBound, runs[end].lowerBound)...max(merged.upperBound, runs[end].upperBound)
            end += 1
        }
        runs.replaceSubrange(low..<end, with: [merged])
        if runs.count > Self.limit {
            runs.replaceSubrange(0..<2, with: [runs[0].lowerBound...runs[1].upperBound])
        }
        return overlapped
    }
}
