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
    /// How long rows are kept after they were appended, and at least until published; they can
    /// be republished until they are deleted.
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
    /// Called after the broker acknowledged a batch and before the bucket cursors move past it;
    /// throwing here behaves like the relay dying at that moment (the transaction rolls back).
    public var afterDeliveryBeforeMark: @Sendable ([UUID]) async throws -> Void

    /// Creates fault hooks.
    public init(afterDeliveryBeforeMark: @escaping @Sendable ([UUID]) async throws -> Void) {
        self.afterDeliveryBeforeMark = afterDeliveryBeforeMark
    }
}

/// Sees what a relay published, for benchmarks and diagnostics. Production code passes none.
public struct OutboxRelayObserver: Sendable {
    /// Called right after a relay transaction committed, with the ids of the events (lowercase
    /// UUID text) it moved its cursors past: delivered and recorded as published.
    public var published: @Sendable ([String]) -> Void

    /// Creates an observer.
    public init(published: @escaping @Sendable ([String]) -> Void) {
        self.published = published
    }
}

/// Publishes outbox rows to Kafka: claims them without double-claiming across instances, keeps
/// per-key order, moves past a row only after its delivery report, retries with backoff while
/// the broker is down, and deletes published rows past their retention.
///
/// Rows are immutable and spread over ``PlatformMigrations/outboxBuckets`` buckets by key hash;
/// each bucket has a cursor (`outbox_cursor`: the `(publish_xid, id)` of the last row published).
/// A relay transaction takes a transaction-level advisory lock on every bucket it can get, reads
/// those buckets' rows after their cursors in `(publish_xid, id)` order, sends them, and — only
/// after every delivery report — moves each cursor past the bucket's delivered rows and commits.
/// A bucket whose row failed stops before that row: its later rows go again on the next pass
/// (the consumers' inboxes drop what was delivered twice). Only one relay at a time publishes a
/// bucket and a bucket is only read again after its cursor committed, so each key's events reach
/// Kafka in append order. A relay that dies mid-batch loses its transaction and locks; the rows
/// go out again with whoever comes next.
///
/// **The horizon.** A row is read only once its `publish_xid` is below the reading snapshot's
/// `xmin`, the oldest transaction id still running anywhere in the cluster: then every
/// transaction that could still commit a row before the cursor has finished, and a transaction
/// that commits after a newer one is never skipped. The trade-off: a long-running *writing*
/// transaction (any database, any role, including an idle-in-transaction session or a prepared
/// transaction) holds back publishing of every row appended after it started until it ends.
/// `hall_outbox_held_back` counts the rows waiting for it, `hall_outbox_lag_seconds` grows, and
/// the relay logs the id of the transaction holding it back.
public final class OutboxRelay: Service, Sendable {
    private let client: PostgresClient
    private let schema: String
    private let producer: KafkaProducer
    private let configuration: OutboxRelayConfiguration
    private let logger: Logger
    private let gate: StartupGate?
    private let faults: OutboxRelayFaults?
    private let observer: OutboxRelayObserver?
    private let lockKey: Int32
    private let published: Counter
    private let failures: Counter
    private let backlog: Gauge
    private let heldBack: Gauge
    private let lagSeconds: Gauge

    /// Creates a relay for the outbox of `schema`.
    public init(
        client: PostgresClient, schema: String, producer: KafkaProducer, configuration: OutboxRelayConfiguration = .init(),
        logger: Logger, gate: StartupGate? = nil, faults: OutboxRelayFaults? = nil, observer: OutboxRelayObserver? = nil
    ) {
        self.client = client
        self.schema = schema
        self.producer = producer
        self.configuration = configuration
        self.logger = logger
        self.gate = gate
        self.faults = faults
        self.observer = observer
        self.lockKey = stableHash32("hall.outbox." + schema)
        let dimensions = [("schema", schema)]
        self.published = Counter(label: "hall_outbox_published_total", dimensions: dimensions)
        self.failures = Counter(label: "hall_outbox_publish_failures_total", dimensions: dimensions)
        self.backlog = Gauge(label: "hall_outbox_backlog", dimensions: dimensions)
        self.heldBack = Gauge(label: "hall_outbox_held_back", dimensions: dimensions)
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
                } else if !outcome.more {
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
        /// Rows delivered and moved past (published).
        public var published: Int
        /// Rows the cursors did not move past because their delivery, or an earlier one of the
        /// same bucket, failed; they go again on the next pass.
        public var failed: Int
        /// Whether a bucket had at least as many ready rows as one pass takes (more may wait).
        public var more: Bool
    }

    /// One pass: claim up to `maxBuckets` free buckets, trying them from `startingAt` on, publish
    /// the ready rows after their cursors (at most ``OutboxRelayConfiguration/batchSize`` in all),
    /// and move the cursors past what was delivered. (Each worker of a relay starts at its own
    /// share, so together they look at every bucket on every pass.)
    @discardableResult
    public func relayOnce(maxBuckets: Int = PlatformMigrations.outboxBuckets, startingAt start: Int = 0) async throws -> Outcome {
        let count = Int32(PlatformMigrations.outboxBuckets)
        let offset = Int32(start % PlatformMigrations.outboxBuckets)
        var publishedIds: [String] = []
        let outcome = try await client.transaction(logger: logger) { connection -> Outcome in
            // The locks are taken in a statement of their own: the next statement's snapshot is
            // then taken after the locks, so it sees the cursor the previous holder committed.
            let locked = try await (connection.query(
                """
                SELECT b FROM (SELECT (s + \(offset)) % \(count) AS b FROM generate_series(0, \(count - 1)) AS s) AS candidates
                WHERE pg_try_advisory_xact_lock(\(lockKey), b) LIMIT \(Int32(maxBuckets))
                """,
                logger: logger
            ) as PostgresRowSequence).decode(Int32.self).collectAll()
            if locked.isEmpty { return Outcome(published: 0, failed: 0, more: false) }
            let perBucket = max(1, configuration.batchSize / locked.count)

            // Nothing in this transaction writes before the deliveries are in, so it has no
            // transaction id of its own and holds no other relay's horizon back while it sends.
            let readStarted = ContinuousClock.now
            // The outbox is a queue, so its statistics are often stale (a burst of appends before
            // autovacuum analyzes it). Without them the planner reads and sorts a bucket's whole
            // backlog instead of walking outbox_position for its first rows in order: measured
            // 250 ms instead of 17 ms for 5,000 rows of a 300,000-row backlog. And the commit need
            // not wait for its WAL flush: a cursor move lost in a server crash only sends those
            // rows again (the rows themselves were committed durably by the transactions that
            // appended them), and consumers drop repeats.
            try await connection.query(
                """
                SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true),
                       set_config('synchronous_commit', 'off', true)
                """, logger: logger)
            let batch = try await readBatch(buckets: locked.map { Int16($0) }, perBucket: perBucket, on: connection)
            if batch.messages.isEmpty { return Outcome(published: 0, failed: 0, more: false) }

            let sendStarted = ContinuousClock.now
            let results = await producer.send(batch.messages)
            let sendTime = ContinuousClock.now - sendStarted
            if sendTime > .milliseconds(500) {
                logger.notice("slow delivery from the broker", metadata: ["rows": "\(batch.messages.count)", "duration": "\(sendTime)"])
            }
            if let faults {
                try await faults.afterDeliveryBeforeMark(batch.messages.compactMap { message in
                    message.headers.first(named: EventHeader.eventId).flatMap(UUID.init(uuidString:))
                })
            }

            // Each bucket's cursor moves past its rows up to the first that failed.
            var advanced: [Int16: (xid: Int64, id: Int64, through: Int)] = [:]
            var stopped: [Int16: KafkaError] = [:]
            var delivered = 0
            for (index, result) in results.enumerated() {
                let bucket = batch.buckets[index]
                if stopped[bucket] != nil { continue }
                switch result {
                case .success:
                    advanced[bucket] = (batch.xids[index], batch.ids[index], index)
                    delivered += 1
                case .failure(let error):
                    stopped[bucket] = error
                }
            }
            let touched = Set(advanced.keys).union(stopped.keys).sorted()
            let reasons = touched.map { bucket in stopped[bucket].map { "\($0)" } ?? "" }
            let markStarted = ContinuousClock.now
            try await connection.query(
                """
                UPDATE \(unescaped: schema).outbox_cursor AS c
                SET last_xid = CASE WHEN n.id < 0 THEN c.last_xid ELSE n.xid::text::xid8 END,
                    last_id = CASE WHEN n.id < 0 THEN c.last_id ELSE n.id END,
                    advanced_at = CASE WHEN n.id < 0 THEN c.advanced_at ELSE clock_timestamp() END,
                    failures = CASE WHEN n.reason = '' THEN 0 ELSE c.failures + 1 END,
                    last_error = CASE WHEN n.reason = '' THEN c.last_error ELSE n.reason END
                FROM unnest(\(touched)::smallint[], \(touched.map { advanced[$0]?.xid ?? -1 })::bigint[],
                            \(touched.map { advanced[$0]?.id ?? -1 })::bigint[], \(reasons)::text[]) AS n(bucket, xid, id, reason)
                WHERE c.bucket = n.bucket
                """, logger: logger)
            let failed = batch.messages.count - delivered
            if failed > 0 {
                let reason = stopped.values.first.map { "\($0)" } ?? "unknown"
                logger.warning(
                    "outbox rows not delivered; their buckets stop before them and retry",
                    metadata: ["rows": "\(failed)", "buckets": "\(stopped.count)", LogKey.error: "\(reason)"])
                failures.increment(by: failed)
            }
            published.increment(by: delivered)
            logger.debug("outbox relay pass", metadata: [
                "rows": "\(batch.messages.count)", "buckets": "\(locked.count)",
                "read": "\(sendStarted - readStarted)", "send": "\(sendTime)", "mark": "\(ContinuousClock.now - markStarted)",
            ])
            if observer != nil {
                for (index, bucket) in batch.buckets.enumerated() where index <= advanced[bucket]?.through ?? -1 {
                    publishedIds.append(batch.messages[index].headers.first(named: EventHeader.eventId) ?? "")
                }
            }
            return Outcome(published: delivered, failed: failed, more: batch.full)
        }
        if let observer, !publishedIds.isEmpty { observer.published(publishedIds) }
        return outcome
    }

    /// Rows read for one pass, in send order, with where each came from.
    private struct Batch {
        var messages: [KafkaProducerMessage] = []
        var buckets: [Int16] = []
        var xids: [Int64] = []
        var ids: [Int64] = []
        /// Whether some bucket gave as many rows as asked for.
        var full = false
    }

    /// The values of the ``EventHeader/contentType`` header, shared by every record.
    private static let contentTypeJSON = Array(EventHeader.contentTypeJSON.utf8)

    /// Reads up to `perBucket` ready rows of each of `buckets` after its cursor, and builds the records.
    private func readBatch(buckets: [Int16], perBucket: Int, on connection: PostgresConnection) async throws -> Batch {
        var batch = Batch()
        batch.messages.reserveCapacity(perBucket * buckets.count)
        var perBucketCount = [Int](repeating: 0, count: PlatformMigrations.outboxBuckets)
        var destinations: [ByteBuffer: String] = [:]
        // Text columns are taken as raw bytes (no String validation and copy); ids as text from
        // PostgreSQL, which writes UUIDs in lowercase as the headers want them.
        let rows = try await connection.query(
            """
            SELECT o.bucket, o.publish_xid::text::bigint, o.id, o.topic, o.key, o.payload, o.event_id::text, o.event_type,
                   o.event_version::text, o.producer, o.correlation_id::text, o.causation_id::text
            FROM \(unescaped: schema).outbox_cursor AS c
            CROSS JOIN LATERAL (
                SELECT * FROM \(unescaped: schema).outbox AS r
                WHERE r.bucket = c.bucket AND (r.publish_xid, r.id) > (c.last_xid, c.last_id)
                  AND r.publish_xid < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY r.publish_xid, r.id
                LIMIT \(Int64(perBucket))
            ) AS o
            WHERE c.bucket = ANY(\(buckets)::smallint[])
            """, logger: logger)
        // Each bucket's rows come in its index order; sorting them in PostgreSQL (ORDER BY) would
        // cost as much as reading them, so the order is checked here and restored if need be.
        var last = [(xid: Int64, id: Int64)](repeating: (-1, -1), count: PlatformMigrations.outboxBuckets)
        var inOrder = true
        for try await row in rows {
            let cells = PostgresRandomAccessRow(row)
            let bucket = try cells[0].decode(Int16.self)
            let topicBytes = try cells[3].decode(ByteBuffer.self)
            let destination: String
            if let known = destinations[topicBytes] {
                destination = known
            } else {
                let topic = String(buffer: topicBytes)
                destination = configuration.topicNamespace.map { "\($0).\(topic)" } ?? topic
                destinations[topicBytes] = destination
            }
            var headers = [
                KafkaHeader(key: EventHeader.eventId, value: cells[6].bytes.map { Array($0.readableBytesView) }),
                KafkaHeader(key: EventHeader.eventType, value: cells[7].bytes.map { Array($0.readableBytesView) }),
                KafkaHeader(key: EventHeader.eventVersion, value: cells[8].bytes.map { Array($0.readableBytesView) }),
                KafkaHeader(key: EventHeader.producer, value: cells[9].bytes.map { Array($0.readableBytesView) }),
                KafkaHeader(key: EventHeader.contentType, value: Self.contentTypeJSON),
            ]
            if let correlation = cells[10].bytes { headers.append(KafkaHeader(key: EventHeader.correlationId, value: Array(correlation.readableBytesView))) }
            if let causation = cells[11].bytes { headers.append(KafkaHeader(key: EventHeader.causationId, value: Array(causation.readableBytesView))) }
            batch.messages.append(KafkaProducerMessage(
                topic: destination, key: cells[4].bytes.map { Array($0.readableBytesView) },
                value: cells[5].bytes.map { Array($0.readableBytesView) } ?? [], headers: headers))
            let position = (xid: try cells[1].decode(Int64.self), id: try cells[2].decode(Int64.self))
            if position <= last[Int(bucket)] { inOrder = false }
            last[Int(bucket)] = position
            batch.buckets.append(bucket)
            batch.xids.append(position.xid)
            batch.ids.append(position.id)
            perBucketCount[Int(bucket)] += 1
            if perBucketCount[Int(bucket)] >= perBucket { batch.full = true }
        }
        if !inOrder {
            let order = batch.messages.indices.sorted {
                (batch.buckets[$0], batch.xids[$0], batch.ids[$0]) < (batch.buckets[$1], batch.xids[$1], batch.ids[$1])
            }
            batch.messages = order.map { batch.messages[$0] }
            batch.buckets = order.map { batch.buckets[$0] }
            batch.xids = order.map { batch.xids[$0] }
            batch.ids = order.map { batch.ids[$0] }
        }
        return batch
    }

    /// Deletes rows the relay has published (behind their bucket's cursor) that were appended
    /// longer than the retention ago, in chunks. Rows not yet published are kept however old.
    public func deleteExpired() async throws {
        let seconds = Double(configuration.retention.components.seconds)
        var total = 0
        while true {
            let deleted = try await client.withConnection { connection in
                try await (connection.query(
                    """
                    WITH gone AS (
                        DELETE FROM \(unescaped: schema).outbox WHERE id IN (
                            SELECT o.id FROM \(unescaped: schema).outbox AS o
                            JOIN \(unescaped: schema).outbox_cursor AS c ON c.bucket = o.bucket
                            WHERE o.created_at < now() - make_interval(secs => \(seconds))
                              AND (o.publish_xid, o.id) <= (c.last_xid, c.last_id)
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
        // Held back: committed rows after their cursor that wait for an older transaction to end.
        let row = try await (client.query(
            """
            SELECT count(*)::bigint, min(created_at),
                   count(*) FILTER (WHERE publish_xid >= pg_snapshot_xmin(pg_current_snapshot()))::bigint,
                   min(created_at) FILTER (WHERE publish_xid >= pg_snapshot_xmin(pg_current_snapshot())),
                   pg_snapshot_xmin(pg_current_snapshot())::text
            FROM \(unescaped: schema).outbox_pending
            """,
            logger: logger
        ) as PostgresRowSequence).decode((Int64, Date?, Int64, Date?, String).self).collectAll().first
        guard let row else { return }
        backlog.record(Int(row.0))
        lagSeconds.record(row.1.map { max(0, Date().timeIntervalSince($0)) } ?? 0)
        heldBack.record(Int(row.2))
        if let waiting = row.3, Date().timeIntervalSince(waiting) > 10 {
            logger.warning(
                "outbox publishing held back by a long-running transaction (see pg_stat_activity where backend_xid is set)",
                metadata: ["rows": "\(row.2)", "oldest.running.xid": "\(row.4)", "waiting.since": "\(waiting)"])
        }
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
