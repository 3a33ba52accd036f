import Foundation
import HallContracts
import HallKafka
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Consumer tuning.
public struct InboxConsumerConfiguration: Sendable {
    /// Kafka consumer group options (group id, topics, timeouts).
    public var kafka: KafkaConsumerConfiguration
    /// Records polled at once.
    public var batchSize: Int = 500
    /// Most transactions applied at once. A polled batch is split into lanes by a hash of the lane
    /// key (the record key, so each case's records stay together and in order, in one
    /// transaction), and the lanes apply together.
    public var parallelism: Int = 8
    /// Records a batch needs for each lane: a batch of fewer than twice this many is applied in
    /// one transaction, a larger one in one lane per this many records (at most ``parallelism``).
    public var recordsPerLane: Int = 100
    /// Attempts of a failing handler before the event is dead-lettered.
    public var maxAttempts: Int = 3
    /// Wait between two attempts of a failing handler (multiplied by the attempt number).
    public var attemptBackoff: Duration = .milliseconds(50)
    /// Longest wait between retries of a batch while the database is unavailable.
    public var maxBackoff: Duration = .seconds(5)
    /// How long one poll waits for the first record. A record ends the wait at once, and so does
    /// shutdown; the timeout only sets how often an idle consumer wakes.
    public var pollTimeout: Duration = .seconds(1)
    /// Least time between two readings of the lag gauge.
    public var lagInterval: Duration = .seconds(1)
    /// Dead-letter topic; defaults to `<group id>.dlq`.
    public var deadLetterTopic: String
    /// How a polled batch is split into transactions; `nil`: by partition and a hash of the record key.
    public var laning: ConsumerLaning?
    /// The services' keys: a record on a service's topic not signed by a service that may write
    /// there is dead-lettered (`untrusted-producer`) and never applied. The services always set it
    /// (`HALL_PRODUCER_KEYS`); `nil` checks nothing (tests of the consumer on topics of their own).
    public var producerTrust: ProducerTrust?

    /// Creates a configuration with defaults.
    public init(kafka: KafkaConsumerConfiguration) {
        self.kafka = kafka
        self.deadLetterTopic = Topic.deadLetter(forConsumerGroup: kafka.groupId).rawValue
    }
}

/// How a consumer lanes a polled batch (one transaction each, applied in parallel), when the
/// record key is not the entity its transactions contend on.
///
/// Records with the same lane key always share a lane and keep their order. By default the lane
/// key is the record key (the case id). The seal service, where every sealing of one department's
/// seal takes that seal's lock, lanes seal requests by department, so parallel lanes never wait on
/// each other's locks.
public struct ConsumerLaning: Sendable {
    /// The lane key of a record.
    public var key: @Sendable (KafkaConsumerMessage) -> String

    /// Creates a laning.
    public init(key: @escaping @Sendable (KafkaConsumerMessage) -> String) {
        self.key = key
    }
}

/// An idempotent consumer: each event's effect and the record of its id commit in one transaction,
/// so a redelivered event changes nothing; an event that cannot be applied goes to the dead-letter
/// topic with the reason and its original key, value and headers, and the partition moves on.
///
/// A polled batch is applied in one transaction (a large one in a few lanes, see ``apply(_:)``),
/// each partition's records in order. If any handler fails, the transaction's records are applied
/// again event by event behind savepoints, each failing event retried up to `maxAttempts` times
/// before it is dead-lettered. Offsets are stored only after the commit.
public final class InboxConsumer: Service, Sendable {
    private let configuration: InboxConsumerConfiguration
    private let client: PostgresClient
    private let schema: String
    private let serviceName: String
    private let handler: any EventHandler
    private let deadLetters: KafkaProducer
    private let logger: Logger
    private let gate: StartupGate?
    private let outbox: Outbox
    private let applied: Counter
    private let duplicates: Counter
    private let ignored: Counter
    private let deadLettered: Counter
    private let handlerErrors: Counter
    private let lag: Gauge

    /// The consumer group id.
    public var groupId: String { configuration.kafka.groupId }

    /// Creates a consumer; it joins its group when run.
    ///
    /// - Parameters:
    ///   - deadLetters: producer used for the dead-letter topic (the service's shared producer).
    public init(
        configuration: InboxConsumerConfiguration, client: PostgresClient, schema: String, serviceName: String,
        handler: any EventHandler, deadLetters: KafkaProducer, logger: Logger, gate: StartupGate? = nil
    ) {
        self.configuration = configuration
        self.client = client
        self.schema = schema
        self.serviceName = serviceName
        self.handler = handler
        self.deadLetters = deadLetters
        self.gate = gate
        self.outbox = Outbox(schema: schema)
        var logger = logger
        logger[metadataKey: LogKey.consumerGroup] = "\(configuration.kafka.groupId)"
        self.logger = logger
        let dimensions = [("group", configuration.kafka.groupId)]
        applied = Counter(label: "hall_consumer_events_total", dimensions: dimensions + [("outcome", "applied")])
        duplicates = Counter(label: "hall_consumer_events_total", dimensions: dimensions + [("outcome", "duplicate")])
        ignored = Counter(label: "hall_consumer_events_total", dimensions: dimensions + [("outcome", "ignored")])
        deadLettered = Counter(label: "hall_consumer_dead_lettered_total", dimensions: dimensions)
        handlerErrors = Counter(label: "hall_consumer_handler_errors_total", dimensions: dimensions)
        lag = Gauge(label: "hall_consumer_lag", dimensions: dimensions)
    }

    /// Joins the group and applies records until graceful shutdown, then commits and leaves.
    public func run() async throws {
        if let gate { await cancelWhenGracefulShutdown { await gate.wait() } }
        if Task.isShuttingDownGracefully || Task.isCancelled { return }
        let consumer = try KafkaConsumer(configuration: configuration.kafka, logger: logger)
        do {
            try await withTaskCancellationOrGracefulShutdownHandler {
                try await consume(consumer)
            } onCancelOrGracefulShutdown: {
                consumer.wake()
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        logger.debug("consumer stopped")
    }

    /// Polls and applies until shutdown; a shutdown ends a waiting poll at once (see `run`).
    private func consume(_ consumer: KafkaConsumer) async throws {
        // The lag gauge asks librdkafka's main thread for the assignment: once a second is enough
        // for a gauge, and an idle consumer then wakes that thread once a second, not at every poll.
        var lagRecorded = ContinuousClock.now - configuration.lagInterval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let batch = await consumer.poll(maxMessages: configuration.batchSize, timeout: configuration.pollTimeout)
            if !batch.isEmpty {
                guard try await applyWithRetry(batch) else { break }
                consumer.storeOffsets(batch)
            }
            let now = ContinuousClock.now
            if now - lagRecorded >= configuration.lagInterval {
                lagRecorded = now
                lag.record(consumer.lag())
            }
        }
    }

    /// Applies a batch, retrying with backoff while the database or dead-letter topic is
    /// unavailable. Returns false when shutdown came first (offsets must not be stored).
    private func applyWithRetry(_ batch: [KafkaConsumerMessage]) async throws -> Bool {
        var backoff = Duration.milliseconds(100)
        while true {
            do {
                try await apply(batch)
                return true
            } catch {
                logger.warning("applying a batch failed; retrying", metadata: [LogKey.error: "\(errorDescription(error))", "records": "\(batch.count)"])
                if Task.isShuttingDownGracefully || Task.isCancelled { return false }
                try? await sleepUnlessShuttingDown(backoff)
                backoff = min(backoff * 2, configuration.maxBackoff)
            }
        }
    }

    /// Applies a polled batch: one lane for every `recordsPerLane` records, at most `parallelism`;
    /// each lane's records (a share of the lane keys, from every partition) in one transaction, in
    /// order, the lanes at once. Returns when every transaction committed; throws if any failed
    /// (the caller retries the whole batch: committed parts are then skipped as duplicates).
    ///
    /// A transaction's commit and its per-transaction statements cost as much for one record as for
    /// a hundred, and a lane adds a transaction: a small batch is applied whole, and lanes are added
    /// only for a batch large enough to keep each of them busy.
    public func apply(_ batch: [KafkaConsumerMessage]) async throws {
        let lanes = max(1, min(configuration.parallelism, batch.count / max(1, configuration.recordsPerLane)))
        guard lanes > 1 else { return try await applyInOneTransaction(batch) }
        var parts = [[KafkaConsumerMessage]](repeating: [], count: lanes)
        for message in batch {
            let laneKey = configuration.laning?.key(message) ?? message.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
            parts[Int(stableHash32(laneKey).magnitude % UInt32(lanes))].append(message)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for part in parts where !part.isEmpty {
                group.addTask { try await self.applyInOneTransaction(part) }
            }
            try await group.waitForAll()
        }
    }

    /// Applies records in one transaction: fast path, or event by event when something fails.
    private func applyInOneTransaction(_ batch: [KafkaConsumerMessage]) async throws {
        let items = batch.map(classify)
        let allHandleable = items.allSatisfy {
            if case .handle = $0.disposition { return true }
            if case .ignore = $0.disposition { return true }
            return false
        }
        if allHandleable {
            do {
                try await applyFast(items)
                return
            } catch let error as HandlerFailure {
                logger.debug("a handler failed; applying the batch event by event", metadata: [LogKey.error: "\(errorDescription(error.underlying))"])
            }
        }
        try await applyCarefully(items)
    }

    // MARK: Classification

    private enum Disposition {
        case handle(EventEnvelope)
        case ignore(EventEnvelope)
        case deadLetter(id: UUID, type: String?, code: DeadLetterErrorCode, reason: String)
    }

    private struct Item {
        var message: KafkaConsumerMessage
        var disposition: Disposition
    }

    private func classify(_ message: KafkaConsumerMessage) -> Item {
        let envelope: EventEnvelope
        do {
            envelope = try EventEnvelope.decode(from: message.value)
        } catch {
            return Item(
                message: message,
                disposition: .deadLetter(
                    id: derivedEventId(message), type: message.headers.first(named: EventHeader.eventType),
                    code: .malformedEnvelope, reason: "\(error)"))
        }
        let acceptance = handler.acceptance(type: envelope.type, version: envelope.version)
        // A record this consumer passes over changes nothing, so its signature (an Ed25519
        // verification, the dearest step of reading a record) is not checked; every other record's is,
        // before it is applied or dead-lettered.
        if acceptance != .ignore, let reason = configuration.producerTrust?.distrust(message) {
            return Item(message: message, disposition: .deadLetter(id: envelope.id, type: envelope.type, code: .untrustedProducer, reason: reason))
        }
        switch acceptance {
        case .handle: return Item(message: message, disposition: .handle(envelope))
        case .ignore: return Item(message: message, disposition: .ignore(envelope))
        case .unknownType:
            return Item(
                message: message,
                disposition: .deadLetter(id: envelope.id, type: envelope.type, code: .unknownEvent, reason: "unknown event type '\(envelope.type)'"))
        case .unsupportedVersion:
            return Item(
                message: message,
                disposition: .deadLetter(
                    id: envelope.id, type: envelope.type, code: .unsupportedVersion,
                    reason: "version \(envelope.version) of '\(envelope.type)' is not supported by this consumer"))
        }
    }

    // MARK: Fast path

    private struct HandlerFailure: Error { var underlying: any Error }

    private func applyFast(_ items: [Item]) async throws {
        let handleable = items.compactMap { item -> (KafkaConsumerMessage, EventEnvelope)? in
            if case .handle(let envelope) = item.disposition { return (item.message, envelope) }
            return nil
        }
        let ignoredCount = items.count - handleable.count
        let (appliedCount, duplicateCount) = try await client.transaction(logger: logger) { connection -> (Int, Int) in
            let claimed = try await claim(handleable, on: connection)
            var seen = Set<UUID>()
            var count = 0
            // Consecutive events of a batchable type go to the handler together, in order.
            var run: [EventEnvelope] = []
            var runMessages: [KafkaConsumerMessage] = []
            var freshRecords = handleable.filter { claimed.contains($0.1.id) && seen.insert($0.1.id).inserted }
            freshRecords = groupedByType(freshRecords)
            let fresh = freshRecords.map(\.1)
            for (index, envelope) in fresh.enumerated() {
                let batchable = handler.isBatchable(type: envelope.type, version: envelope.version)
                if batchable {
                    run.append(envelope)
                    runMessages.append(freshRecords[index].0)
                }
                let next = index + 1 < fresh.count ? fresh[index + 1] : nil
                let runEnds = next.map { $0.type != envelope.type || $0.version != envelope.version } ?? true
                do {
                    if !batchable {
                        try await handler.handle(envelope, context: context(for: envelope, freshRecords[index].0, connection: connection))
                        count += 1
                    } else if runEnds {
                        var batchContext = context(for: run[0], runMessages[0], connection: connection)
                        if run.count == 1 {
                            try await handler.handle(run[0], context: batchContext)
                        } else {
                            for (envelope, message) in zip(run, runMessages) { batchContext.records[envelope.id] = Self.signedRecord(message) }
                            try await handler.handleBatch(run, context: batchContext)
                        }
                        count += run.count
                        run.removeAll(keepingCapacity: true)
                        runMessages.removeAll(keepingCapacity: true)
                    }
                } catch {
                    throw HandlerFailure(underlying: error)
                }
            }
            return (count, handleable.count - count)
        }
        applied.increment(by: appliedCount)
        duplicates.increment(by: duplicateCount)
        ignored.increment(by: ignoredCount)
    }

    /// The events rearranged so that each batchable type's that commute are consecutive — every
    /// batchable type's for an order-independent handler (``EventHandler/commutes``), those of the
    /// types that commute with the rest otherwise (``EventHandler/commutes(type:version:)``): first
    /// the others in their order, then each such type's in the order of its first appearance, each
    /// keeping its own order.
    private func groupedByType(_ records: [(KafkaConsumerMessage, EventEnvelope)]) -> [(KafkaConsumerMessage, EventEnvelope)] {
        var single: [(KafkaConsumerMessage, EventEnvelope)] = []
        var groups: [String: [(KafkaConsumerMessage, EventEnvelope)]] = [:]
        var order: [String] = []
        for record in records {
            let (type, version) = (record.1.type, record.1.version)
            guard handler.isBatchable(type: type, version: version), handler.commutes || handler.commutes(type: type, version: version) else {
                single.append(record)
                continue
            }
            let key = "\(record.1.type)#\(record.1.version)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(record)
        }
        return single + order.flatMap { groups[$0] ?? [] }
    }

    /// Records events as applied (in the caller's transaction); returns the ids that were new.
    private func claim(_ events: [(KafkaConsumerMessage, EventEnvelope)], on connection: PostgresConnection) async throws -> Set<UUID> {
        if events.isEmpty { return [] }
        let rows = try await connection.run(
            """
            INSERT INTO \(unescaped: schema).inbox (consumer_group, event_id, event_type, source_topic, source_partition, source_offset, status)
            SELECT \(groupId), e.id, e.type, e.topic, e.partition, e.offset, 'applied'
            FROM unnest(\(events.map { $0.1.id })::uuid[], \(events.map { $0.1.type })::text[], \(events.map { $0.0.topic })::text[],
                        \(events.map { Int($0.0.partition) })::int[], \(events.map { $0.0.offset })::bigint[])
                AS e(id, type, topic, partition, "offset")
            ON CONFLICT DO NOTHING
            RETURNING event_id
            """, logger: logger)
        var claimed = Set<UUID>()
        for try await id in rows.decode(UUID.self) { claimed.insert(id) }
        return claimed
    }

    // MARK: Careful path

    private func applyCarefully(_ items: [Item]) async throws {
        var counts = (applied: 0, duplicate: 0, ignored: 0, deadLettered: 0)
        try await client.transaction(logger: logger) { connection in
            counts = (0, 0, 0, 0)
            for item in items {
                switch item.disposition {
                case .ignore:
                    counts.ignored += 1
                case .deadLetter(let id, let type, let code, let reason):
                    // One attempt: the record was read once and could not be taken as an event.
                    if try await recordDeadLetter(item.message, id: id, type: type, code: code, reason: reason, attempts: 1, on: connection) {
                        counts.deadLettered += 1
                    } else {
                        counts.duplicate += 1
                    }
                case .handle(let envelope):
                    switch try await applyOne(item.message, envelope, on: connection) {
                    case .applied: counts.applied += 1
                    case .duplicate: counts.duplicate += 1
                    case .deadLettered: counts.deadLettered += 1
                    }
                }
            }
        }
        applied.increment(by: counts.applied)
        duplicates.increment(by: counts.duplicate)
        ignored.increment(by: counts.ignored)
        deadLettered.increment(by: counts.deadLettered)
    }

    private enum OneOutcome { case applied, duplicate, deadLettered }

    private func applyOne(_ message: KafkaConsumerMessage, _ envelope: EventEnvelope, on connection: PostgresConnection) async throws -> OneOutcome {
        var attempts = 0
        while true {
            try await connection.run("SAVEPOINT hall_event", logger: logger)
            let claimed = try await claim([(message, envelope)], on: connection)
            if claimed.isEmpty {
                try await connection.run("RELEASE SAVEPOINT hall_event", logger: logger)
                return .duplicate
            }
            do {
                var alone = context(for: envelope, message, connection: connection)
                alone.isolated = true
                try await handler.handle(envelope, context: alone)
                try await connection.run("RELEASE SAVEPOINT hall_event", logger: logger)
                return .applied
            } catch {
                // A deadlock or a lost connection is no fault of the event: the whole transaction
                // is rolled back (releasing what it holds) and the batch applied again, rather than
                // the event retried behind its savepoint while the transaction keeps its locks, and
                // dead-lettered if that fails three times.
                if isTransientDatabaseError(error) { throw error }
                try await connection.run("ROLLBACK TO SAVEPOINT hall_event", logger: logger)
                try await connection.run("RELEASE SAVEPOINT hall_event", logger: logger)
                attempts += 1
                handlerErrors.increment()
                let contractError = error as? ContractError
                eventLogger(envelope).warning(
                    "event handler failed", metadata: [LogKey.error: "\(errorDescription(error))", "attempt": "\(attempts)"])
                if contractError != nil || attempts >= configuration.maxAttempts {
                    let code = contractError?.code.deadLetterErrorCode ?? .handlerFailed
                    _ = try await recordDeadLetter(
                        message, id: envelope.id, type: envelope.type, code: code, reason: errorDescription(error), attempts: attempts, on: connection)
                    return .deadLettered
                }
                try await Task.sleep(for: configuration.attemptBackoff * attempts)
            }
        }
    }

    /// Sends the record to the dead-letter topic (waiting for the broker's acknowledgement) and
    /// records it in the inbox, unless it was already recorded. Returns whether it was new.
    private func recordDeadLetter(
        _ message: KafkaConsumerMessage, id: UUID, type: String?, code: DeadLetterErrorCode, reason: String, attempts: Int,
        on connection: PostgresConnection
    ) async throws -> Bool {
        let inserted = try await connection.run(
            """
            INSERT INTO \(unescaped: schema).inbox (consumer_group, event_id, event_type, source_topic, source_partition, source_offset, status, reason)
            VALUES (\(groupId), \(id), \(type), \(message.topic), \(Int(message.partition)), \(message.offset), 'dead_lettered', \(reason))
            ON CONFLICT DO NOTHING
            RETURNING 1
            """, logger: logger
        ).collect()
        if inserted.isEmpty { return false }
        let reasons = DeadLetterHeader.headers(
            reason: String(reason.prefix(2000)), errorCode: code, sourceTopic: message.topic, sourcePartition: Int(message.partition),
            sourceOffset: message.offset, consumerGroup: groupId, attempts: attempts, failedAt: Date())
        _ = try await deadLetters.send(DeadLetterCopy.record(of: message, topic: configuration.deadLetterTopic, reasons: reasons))
        logger.error(
            "event dead-lettered",
            metadata: [
                LogKey.eventId: "\(id)", LogKey.eventType: "\(type ?? "?")", "dlq.code": "\(code.rawValue)", LogKey.error: "\(reason)",
                LogKey.kafkaTopic: "\(message.topic)", LogKey.kafkaPartition: "\(message.partition)", LogKey.kafkaOffset: "\(message.offset)",
            ])
        return true
    }

    private func context(for envelope: EventEnvelope, _ message: KafkaConsumerMessage? = nil, connection: PostgresConnection) -> HandlerContext {
        HandlerContext(
            connection: connection, schema: schema, logger: eventLogger(envelope), outbox: outbox, serviceName: serviceName, event: envelope,
            record: message.flatMap(Self.signedRecord))
    }

    /// The record's signature headers and value, when it has them.
    private static func signedRecord(_ message: KafkaConsumerMessage) -> SignedRecord? {
        RecordSignature.headers(of: message).map { SignedRecord(signer: $0.signer, signature: $0.signature, value: message.value) }
    }

    private func eventLogger(_ envelope: EventEnvelope) -> Logger {
        var logger = self.logger
        logger[metadataKey: LogKey.eventId] = "\(envelope.id)"
        logger[metadataKey: LogKey.eventType] = "\(envelope.type)"
        if let caseId = envelope.caseId { logger[metadataKey: LogKey.caseId] = "\(caseId)" }
        if let correlation = envelope.correlationId { logger[metadataKey: LogKey.correlationId] = "\(correlation)" }
        return logger
    }
}

/// A stable id for a record that has none of its own (malformed envelope): derived from where it
/// was read, so a redelivery of the same record maps to the same inbox row.
func derivedEventId(_ message: KafkaConsumerMessage) -> UUID {
    let text = "\(message.topic)/\(message.partition)/\(message.offset)"
    var first: UInt64 = 0xcbf2_9ce4_8422_2325
    var second: UInt64 = 0x8422_2325_cbf2_9ce4
    for byte in text.utf8 {
        first = (first ^ UInt64(byte)) &* 0x100_0000_01b3
        second = (second ^ UInt64(byte)) &* 0x100_0000_01b3 &+ 0x9e37_79b9
    }
    var bytes: [UInt8] = withUnsafeBytes(of: first.bigEndian, Array.init) + withUnsafeBytes(of: second.bigEndian, Array.init)
    bytes[6] = (bytes[6] & 0x0f) | 0x80  // version 8: custom
    bytes[8] = (bytes[8] & 0x3f) | 0x80  // RFC 4122 variant
    return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                       bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
}
