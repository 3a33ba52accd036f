import Foundation
import HallContracts
import HallKafka
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Relay tuning.
public struct OutboxRelayConfiguration: Sendable {
    /// Rows published per transaction.
    public var batchSize: Int = 2000
    /// Transactions this relay runs at once, each on its own share of the buckets; overlapping
    /// database and broker round trips is what makes a relay fast on few cores.
    public var concurrency: Int = 4
    /// Wait between polls when the outbox is empty (bounds publishing latency at light load).
    public var pollInterval: Duration = .milliseconds(20)
    /// How long published rows are kept before they are deleted (they can be republished until then).
    public var retention: Duration = .seconds(7 * 86_400)
    /// First wait after a failure; doubles up to ``maxBackoff``.
    public var initialBackoff: Duration = .milliseconds(100)
    /// Longest wait between attempts while the broker or database is down.
    public var maxBackoff: Duration = .seconds(5)
    /// How often published rows past their retention are deleted.
    public var cleanupInterval: Duration = .seconds(60)
    /// How often the backlog gauges are refreshed.
    public var gaugeInterval: Duration = .seconds(5)
    /// Prefix put before every topic name when publishing (`HALL_KAFKA_NAMESPACE`), or nil.
    public var topicNamespace: String?

    /// Default tuning.
    public init() {}
}

/// Points where tests inject a crash. Production code passes none.
public struct OutboxRelayFaults: Sendable {
    /// Called after the broker acknowledged a batch and before the rows are marked published;
    /// throwing here behaves like the relay dying at that moment (the transaction rolls back).
    public var afterDeliveryBeforeMark: @Sendable ([UUID]) async throws -> Void

    /// Creates fault hooks.
    public init(afterDeliveryBeforeMark: @escaping @Sendable ([UUID]) async throws -> Void) {
        self.afterDeliveryBeforeMark = afterDeliveryBeforeMark
    }
}

/// Publishes outbox rows to Kafka: claims them without double-claiming across instances, keeps
/// per-key order, marks a row published only after its delivery report, retries with backoff
/// while the broker is down, and deletes published rows past their retention.
///
/// Rows are spread over ``PlatformMigrations/outboxBuckets`` buckets by key hash. A relay
/// transaction takes a transaction-level advisory lock on every bucket it can get, publishes
/// those buckets' oldest rows in id order, marks them, and commits. Only one relay at a time
/// publishes a bucket, and a bucket's next rows are only read after its previous rows committed
/// as published, so each key's events reach Kafka in append order. A relay that dies mid-batch
/// loses its transaction and locks; the rows are published again by whoever comes next, and the
/// consumers' inboxes drop the duplicates.
public final class OutboxRelay: Service, Sendable {
    private let client: PostgresClient
    private let schema: String
    private let producer: KafkaProducer
    private let configuration: OutboxRelayConfiguration
    private let logger: Logger
    private let gate: StartupGate?
    private let faults: OutboxRelayFaults?
    private let lockKey: Int32
    private let published: Counter
    private let failures: Counter
    private let backlog: Gauge
    private let lagSeconds: Gauge

    /// Creates a relay for the outbox of `schema`.
    public init(
        client: PostgresClient, schema: String, producer: KafkaProducer, configuration: OutboxRelayConfiguration = .init(),
        logger: Logger, gate: StartupGate? = nil, faults: OutboxRelayFaults? = nil
    ) {
        self.client = client
        self.schema = schema
        self.producer = producer
        self.configuration = configuration
        self.logger = logger
        self.gate = gate
        self.faults = faults
        self.lockKey = stableHash32("hall.outbox." + schema)
        let dimensions = [("schema", schema)]
        self.published = Counter(label: "hall_outbox_published_total", dimensions: dimensions)
        self.failures = Counter(label: "hall_outbox_publish_failures_total", dimensions: dimensions)
        self.backlog = Gauge(label: "hall_outbox_backlog", dimensions: dimensions)
        self.lagSeconds = Gauge(label: "hall_outbox_lag_seconds", dimensions: dimensions)
    }

    /// Publishes until graceful shutdown; the batches in flight finish first.
    public func run() async throws {
        if let gate { await cancelWhenGracefulShutdown { await gate.wait() } }
        let share = max(1, (PlatformMigrations.outboxBuckets + configuration.concurrency - 1) / configuration.concurrency)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<max(1, configuration.concurrency) {
                group.addTask { await self.publishLoop(worker: worker, maxBuckets: share) }
            }
        }
        logger.debug("outbox relay stopped")
    }

    /// One publishing loop; worker 0 also refreshes the gauges and deletes expired rows.
    private func publishLoop(worker: Int, maxBuckets: Int) async {
        var backoff = configuration.initialBackoff
        var nextCleanup = ContinuousClock.now
        var nextGauge = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let now = ContinuousClock.now
                if worker == 0, now >= nextGauge {
                    try await refreshGauges()
                    nextGauge = now + configuration.gaugeInterval
                }
                if worker == 0, now >= nextCleanup {
                    try await deleteExpired()
                    nextCleanup = now + configuration.cleanupInterval
                }
                let outcome = try await relayOnce(maxBuckets: maxBuckets, startingAt: worker * maxBuckets)
                backoff = configuration.initialBackoff
                if outcome.failed > 0 {
                    try await sleepUnlessShuttingDown(backoff)
                } else if outcome.published < configuration.batchSize {
                    try await sleepUnlessShuttingDown(configuration.pollInterval)
                }
            } catch is CancellationError {
                break
            } catch {
                logger.warning("outbox relay failed; retrying", metadata: [LogKey.error: "\(error)", "backoff": "\(backoff)"])
                try? await sleepUnlessShuttingDown(backoff)
                backoff = min(backoff * 2, configuration.maxBackoff)
            }
        }
    }

    /// What one relay pass did.
    public struct Outcome: Sendable, Equatable {
        /// Rows delivered and marked published.
        public var published: Int
        /// Rows whose delivery failed (left pending for the next pass).
        public var failed: Int
    }

    /// One pass: claim up to `maxBuckets` free buckets, trying them from `startingAt` on, publish
    /// their oldest pending rows, mark the delivered ones. (Each worker of a relay starts at its
    /// own share, so together they look at every bucket on every pass.)
    @discardableResult
    public func relayOnce(maxBuckets: Int = PlatformMigrations.outboxBuckets, startingAt start: Int = 0) async throws -> Outcome {
        let count = Int32(PlatformMigrations.outboxBuckets)
        let offset = Int32(start % PlatformMigrations.outboxBuckets)
        return try await client.transaction(logger: logger) { connection in
            let buckets = try await (connection.query(
                """
                SELECT b FROM (SELECT (s + \(offset)) % \(count) AS b FROM generate_series(0, \(count - 1)) AS s) AS candidates
                WHERE pg_try_advisory_xact_lock(\(lockKey), b) LIMIT \(Int32(maxBuckets))
                """,
                logger: logger
            ) as PostgresRowSequence).decode(Int32.self).collectAll()
            if buckets.isEmpty { return Outcome(published: 0, failed: 0) }

            var ids: [Int64] = []
            var eventIds: [UUID] = []
            var keys: [String] = []
            var messages: [KafkaProducerMessage] = []
            let rows = try await connection.query(
                """
                SELECT id, event_id, event_type, event_version, producer, correlation_id, causation_id, topic, key, payload
                FROM \(unescaped: schema).outbox
                WHERE published_at IS NULL AND bucket = ANY(\(buckets.map { Int16($0) })::smallint[])
                ORDER BY id LIMIT \(configuration.batchSize)
                """, logger: logger)
            for try await (id, eventId, type, version, producer, correlation, causation, topic, key, payload) in rows.decode(
                (Int64, UUID, String, Int, String, UUID?, UUID?, String, String, String).self)
            {
                var headers = [
                    KafkaHeader(key: EventHeader.eventId, string: eventId.uuidString.lowercased()),
                    KafkaHeader(key: EventHeader.eventType, string: type),
                    KafkaHeader(key: EventHeader.eventVersion, string: String(version)),
                    KafkaHeader(key: EventHeader.producer, string: producer),
                    KafkaHeader(key: EventHeader.contentType, string: EventHeader.contentTypeJSON),
                ]
                if let correlation { headers.append(KafkaHeader(key: EventHeader.correlationId, string: correlation.uuidString.lowercased())) }
                if let causation { headers.append(KafkaHeader(key: EventHeader.causationId, string: causation.uuidString.lowercased())) }
                ids.append(id)
                eventIds.append(eventId)
                keys.append(key)
                let destination = configuration.topicNamespace.map { "\($0).\(topic)" } ?? topic
                messages.append(KafkaProducerMessage(topic: destination, key: key, value: Array(payload.utf8), headers: headers))
            }
            if messages.isEmpty { return Outcome(published: 0, failed: 0) }

            let sendStarted = ContinuousClock.now
            let results = await producer.send(messages)
            let sendTime = ContinuousClock.now - sendStarted
            if sendTime > .milliseconds(500) {
                logger.notice("slow delivery from the broker", metadata: ["rows": "\(messages.count)", "duration": "\(sendTime)"])
            }
            try await faults?.afterDeliveryBeforeMark(eventIds)

            // A key whose row failed keeps its later rows pending too, so it is retried in order.
            var blockedKeys = Set<String>()
            var delivered: [Int64] = []
            var failed: [Int64] = []
            var firstError: KafkaError?
            for (index, result) in results.enumerated() {
                switch result {
                case .success where !blockedKeys.contains(keys[index]):
                    delivered.append(ids[index])
                case .success:
                    failed.append(ids[index])
                case .failure(let error):
                    firstError = firstError ?? error
                    blockedKeys.insert(keys[index])
                    failed.append(ids[index])
                }
            }
            if !delivered.isEmpty {
                try await connection.query(
                    "UPDATE \(unescaped: schema).outbox SET published_at = clock_timestamp() WHERE id = ANY(\(delivered)::bigint[])",
                    logger: logger)
            }
            if !failed.isEmpty {
                let reason = firstError.map { "\($0)" } ?? "an earlier event of the same key failed"
                try await connection.query(
                    "UPDATE \(unescaped: schema).outbox SET attempts = attempts + 1, last_error = \(reason) WHERE id = ANY(\(failed)::bigint[])",
                    logger: logger)
                logger.warning("outbox rows not delivered; will retry", metadata: ["rows": "\(failed.count)", LogKey.error: "\(reason)"])
                failures.increment(by: failed.count)
            }
            published.increment(by: delivered.count)
            return Outcome(published: delivered.count, failed: failed.count)
        }
    }

    /// Deletes published rows older than the retention, in chunks.
    public func deleteExpired() async throws {
        let seconds = Double(configuration.retention.components.seconds)
        var total = 0
        while true {
            let deleted = try await client.withConnection { connection in
                try await (connection.query(
                    """
                    WITH gone AS (
                        DELETE FROM \(unescaped: schema).outbox WHERE id IN (
                            SELECT id FROM \(unescaped: schema).outbox
                            WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => \(seconds))
                            LIMIT 10000)
                        RETURNING 1)
                    SELECT count(*)::bigint FROM gone
                    """, logger: logger
                ) as PostgresRowSequence).decode(Int64.self).collectAll().first ?? 0
            }
            total += Int(deleted)
            if deleted < 10000 { break }
        }
        if total > 0 { logger.info("outbox rows past retention deleted", metadata: ["rows": "\(total)"]) }
    }

    private func refreshGauges() async throws {
        let row = try await (client.query(
            "SELECT count(*)::bigint, min(created_at) FROM \(unescaped: schema).outbox WHERE published_at IS NULL",
            logger: logger
        ) as PostgresRowSequence).decode((Int64, Date?).self).collectAll().first
        let count = Int(row?.0 ?? 0)
        let oldest = row?.1
        backlog.record(count)
        lagSeconds.record(oldest.map { max(0, Date().timeIntervalSince($0)) } ?? 0)
    }
}

/// Sleeps, returning early (by throwing `CancellationError`) on graceful shutdown.
func sleepUnlessShuttingDown(_ duration: Duration) async throws {
    try await cancelWhenGracefulShutdown {
        try await Task.sleep(for: duration)
    }
}

/// A stable 32-bit hash (FNV-1a) for advisory lock keys.
func stableHash32(_ text: String) -> Int32 {
    var hash: UInt32 = 0x811c_9dc5
    for byte in text.utf8 {
        hash ^= UInt32(byte)
        hash = hash &* 0x0100_0193
    }
    return Int32(bitPattern: hash)
}
