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
    /// Transactions this relay runs at once while draining a backlog, each on its own share of
    /// the buckets; overlapping database and broker round trips is what makes a relay fast on
    /// few cores. While it keeps up, one transaction polls every bucket.
    public var concurrency: Int = 4
    /// Wait before the next poll after a pass that published something (more is likely to follow).
    public var pollInterval: Duration = .milliseconds(20)
    /// Longest wait after a pass that found nothing: a transaction of this process that appends
    /// to the outbox wakes the relay when it commits (``OutboxWakeups``), so this only bounds the
    /// latency of rows appended otherwise (another process, or rows a pass found held back).
    public var idlePollInterval: Duration = .seconds(1)
    /// Longest wait while nothing is appended: each pass that finds nothing doubles the wait from
    /// ``idlePollInterval`` up to this (never below it), and a pass that publishes starts again from
    /// ``idlePollInterval``. An idle service then costs a database round trip every few seconds
    /// instead of every second; rows of this process are published at their commit regardless.
    public var idlePollMax: Duration = .seconds(10)
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
    /// Signs every record sent (``RecordSignatureHeader``); the services always set it
    /// (`HALL_SIGNING_KEY`), so consumers can tell their records from forged ones.
    public var signer: RecordSigner?

    /// Default tuning.
    public init() {}
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
    private let observer: OutboxRelayObserver?
    private let health: PublishingHealth?
    private let topicKeeper: TopicKeeper?
    private let lockKey: Int32
    private let published: Counter
    private let failures: Counter
    private let backlog: Gauge
    private let heldBack: Gauge
    private let lagSeconds: Gauge
    /// Whether worker 0's last pass found a full batch: the other workers publish while it does.
    private let backlogSeen = Atomic<Bool>(false)
    /// Wakes worker 0 when a transaction that appended to this schema's outbox commits.
    private let wakeup: Wakeup
    /// Wakes the other workers when worker 0 finds a backlog.
    private let backlogWakeup = Wakeup()

    /// Creates a relay for the outbox of `schema`.
    public init(
        client: PostgresClient, schema: String, producer: KafkaProducer, configuration: OutboxRelayConfiguration = .init(),
        logger: Logger, gate: StartupGate? = nil, observer: OutboxRelayObserver? = nil,
        health: PublishingHealth? = nil, topicKeeper: TopicKeeper? = nil
    ) {
        self.client = client
        self.schema = schema
        self.wakeup = OutboxWakeups.wakeup(for: schema)
        self.producer = producer
        self.configuration = configuration
        self.logger = logger
        self.gate = gate
        self.observer = observer
        self.health = health
        self.topicKeeper = topicKeeper
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
                group.addTask { await self.publishLoop(worker: worker, share: share) }
            }
            group.addTask { await self.maintenanceLoop() }
        }
        logger.debug("outbox relay stopped")
    }

    /// One publishing loop.
    ///
    /// While the outbox keeps up, worker 0 alone polls, every bucket in one pass: one read and
    /// one send per poll interval instead of one per worker, which at a steady few thousand
    /// events a second halves the relay's database round trips and the broker's produce requests
    /// several times over. Once a pass finds a full batch waiting (a backlog), every worker
    /// publishes its own share of the buckets, in parallel, until its share is drained.
    private func publishLoop(worker: Int, share: Int) async {
        var backoff = configuration.initialBackoff
        var ownBacklog = false
        let longestIdle = max(configuration.idlePollInterval, configuration.idlePollMax)
        var idle = configuration.idlePollInterval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let backlog = backlogSeen.load(ordering: .relaxed)
                if worker > 0, !backlog, !ownBacklog {
                    // Worker 0 wakes the others when it finds a backlog.
                    try await waitUnlessShuttingDown(backlogWakeup, upTo: longestIdle)
                    continue
                }
                let alone = worker == 0 && !backlog
                let outcome = try await relayOnce(
                    maxBuckets: alone ? PlatformMigrations.outboxBuckets : share, startingAt: worker * share)
                ownBacklog = outcome.more
                if worker == 0 {
                    backlogSeen.store(outcome.more, ordering: .relaxed)
                    if outcome.more { backlogWakeup.notify() }
                }
                backoff = configuration.initialBackoff
                if outcome.failed > 0 {
                    health?.failed(outcome.failure ?? "not delivered")
                } else {
                    // A pass that left nothing undelivered (an empty one too) ends a failing spell.
                    health?.delivered()
                }
                if outcome.failed > 0 {
                    try await sleepUnlessShuttingDown(backoff)
                } else if outcome.published > 0 || outcome.more {
                    idle = configuration.idlePollInterval
                    // Right after publishing, poll again soon (a backlog: at once).
                    if !outcome.more { try await waitUnlessShuttingDown(wakeup, upTo: configuration.pollInterval) }
                } else {
                    // Idle: wait for a commit that appended, or the fallback poll, longer each time.
                    // Woken by a commit, the next pass may find its rows held back at the horizon by
                    // another transaction for a moment: look again soon, then less and less often.
                    let waitStarted = ContinuousClock.now
                    try await waitUnlessShuttingDown(wakeup, upTo: idle)
                    idle = ContinuousClock.now - waitStarted < idle ? configuration.pollInterval : min(idle * 2, longestIdle)
                }
            } catch is CancellationError {
                break
            } catch {
                health?.failed("\(error)")
                logger.warning("outbox relay failed; retrying", metadata: [LogKey.error: "\(error)", "backoff": "\(backoff)"])
                try? await sleepUnlessShuttingDown(backoff)
                backoff = min(backoff * 2, configuration.maxBackoff)
            }
        }
    }

    /// Refreshes the backlog gauges and deletes expired rows on their intervals, beside the
    /// publishing loops (counting a large backlog never delays a pass).
    private func maintenanceLoop() async {
        var nextCleanup = ContinuousClock.now
        var nextGauge = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let now = ContinuousClock.now
            do {
                if now >= nextGauge {
                    nextGauge = now + configuration.gaugeInterval
                    try await refreshGauges()
                }
                if now >= nextCleanup {
                    nextCleanup = now + configuration.cleanupInterval
                    try await deleteExpired()
                }
            } catch is CancellationError {
                break
            } catch {
                logger.warning("outbox gauges or retention failed; retrying on the next interval", metadata: [LogKey.error: "\(error)"])
            }
            do {
                try await sleepUnlessShuttingDown(min(nextGauge, nextCleanup) - ContinuousClock.now)
            } catch {
                break
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
        /// The first delivery error of the pass, when rows failed.
        public var failure: String?

        /// Creates an outcome.
        public init(published: Int, failed: Int, more: Bool, failure: String? = nil) {
            self.published = published
            self.failed = failed
            self.more = more
            self.failure = failure
        }
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
            //
            // The same statement sets the transaction's settings for the read (evaluated first: the
            // candidates are lateral to them). The outbox is a queue, so its statistics are often
            // stale (a burst of appends before autovacuum analyzes it). Without them the planner
            // reads and sorts a bucket's whole backlog instead of walking outbox_position for its
            // first rows in order: measured 250 ms instead of 17 ms for 5,000 rows of a
            // 300,000-row backlog. And the commit need not wait for its WAL flush: a cursor move
            // lost in a server crash only sends those rows again (the rows themselves were
            // committed durably by the transactions that appended them), and consumers drop repeats.
            let locked = try await (connection.run(
                """
                SELECT candidates.b
                FROM (SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true),
                             set_config('synchronous_commit', 'off', true)) AS settings
                CROSS JOIN LATERAL (SELECT (s + \(offset)) % \(count) AS b FROM generate_series(0, \(count - 1)) AS s) AS candidates
                WHERE pg_try_advisory_xact_lock(\(lockKey), candidates.b) LIMIT \(Int32(maxBuckets))
                """,
                logger: logger
            ) as HallRows).decode(Int32.self).collectAll()
            if locked.isEmpty { return Outcome(published: 0, failed: 0, more: false) }
            let perBucket = max(1, configuration.batchSize / locked.count)

            // Nothing in this transaction writes before the deliveries are in, so it has no
            // transaction id of its own and holds no other relay's horizon back while it sends.
            let readStarted = ContinuousClock.now
            let batch = try await readBatch(buckets: locked.map { Int16($0) }, perBucket: perBucket, on: connection)
            if batch.records.isEmpty { return Outcome(published: 0, failed: 0, more: false) }

            let sendStarted = ContinuousClock.now
            let delivery = await sendBoundedOnShutdown(batch.records)
            let sendTime = ContinuousClock.now - sendStarted
            if sendTime > .milliseconds(500) {
                logger.notice("slow delivery from the broker", metadata: ["rows": "\(batch.records.count)", "duration": "\(sendTime)"])
            }

            // Each bucket's cursor moves past its rows up to the first that failed.
            var advanced: [Int16: (xid: Int64, id: Int64, through: Int)] = [:]
            var stopped: [Int16: KafkaError] = [:]
            var delivered = 0
            for index in 0..<delivery.count {
                let bucket = batch.buckets[index]
                if stopped[bucket] != nil { continue }
                if let error = delivery.error(at: index) {
                    stopped[bucket] = error
                } else {
                    advanced[bucket] = (batch.xids[index], batch.ids[index], index)
                    delivered += 1
                }
            }
            let touched = Set(advanced.keys).union(stopped.keys).sorted()
            let reasons = touched.map { bucket in stopped[bucket].map { "\($0)" } ?? "" }
            let markStarted = ContinuousClock.now
            try await connection.run(
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
            topicKeeper?.noteDelivered(delivery.offsetRuns())
            let failed = batch.records.count - delivered
            let reason = stopped.values.first.map { "\($0)" }
            if stopped.values.contains(where: { $0.code == .unknownTopic }) { topicKeeper?.checkSoon() }
            if failed > 0 {
                let reason = reason ?? "unknown"
                logger.warning(
                    "outbox rows not delivered; their buckets stop before them and retry",
                    metadata: ["rows": "\(failed)", "buckets": "\(stopped.count)", LogKey.error: "\(reason)"])
                failures.increment(by: failed)
            }
            published.increment(by: delivered)
            logger.debug("outbox relay pass", metadata: [
"rows": "\(batch.records.count)", "buckets": "\(locked.count)",
                "read": "\(sendStarted - readStarted)", "send": "\(sendTime)", "mark": "\(ContinuousClock.now - markStarted)",
            ])
            if observer != nil {
                for (index, bucket) in batch.buckets.enumerated() where index <= advanced[bucket]?.through ?? -1 {
                    publishedIds.append(batch.records.header(EventHeader.eventId, at: index) ?? "")
                }
            }
            return Outcome(published: delivered, failed: failed, more: batch.full, failure: reason)
        }
        if let observer, !publishedIds.isEmpty { observer.published(publishedIds) }
        return outcome
    }

    /// How long a send in flight may still wait for its delivery reports once graceful shutdown
    /// has begun; then its records are failed (and go again after the restart), so a stop while
    /// the broker is away is not held up by the delivery time-out.
    static let shutdownGrace: Duration = .seconds(2)

    /// Sends `records`; on graceful shutdown, waits at most ``shutdownGrace`` more.
    private func sendBoundedOnShutdown(_ records: KafkaRecordBatch) async -> KafkaBatchDelivery {
        let finished = Finished()
        defer { finished.flag.store(true, ordering: .releasing) }
        return await withGracefulShutdownHandler { [producer] in
            await producer.send(records)
        } onGracefulShutdown: { [producer] in
            let grace = Self.shutdownGrace.components
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(grace.seconds))) {
                if !finished.flag.load(ordering: .acquiring) { producer.abandonInFlight() }
            }
        }
    }

    /// Set once a send returned.
    private final class Finished: Sendable {
        let flag = Atomic<Bool>(false)
    }

    /// Rows read for one pass, in send order, with where each came from.
    private struct Batch {
        var records = KafkaRecordBatch(reservingBytes: 64 * 1024)
        var buckets: [Int16] = []
        var xids: [Int64] = []
        var ids: [Int64] = []
        /// Whether some bucket gave as many rows as asked for.
        var full = false
    }

    /// The values of the ``EventHeader/contentType`` header, shared by every record.
    private static let contentTypeJSON = Array(EventHeader.contentTypeJSON.utf8)

    /// Reads up to `perBucket` ready rows of each of `buckets` after its cursor, and builds the records.
    ///
    /// Each bucket's rows come back as one row of arrays, one per column (`array_agg` over the
    /// bucket's rows in `outbox_position` order): a few large values instead of thousands of
    /// rows cost PostgreSQL and the client far less per event. Each array is copied whole into
    /// the record batch and the records point into it (see ``PostgresBinaryArray``), so building
    /// a record copies nothing. Ids come as text from PostgreSQL, which writes UUIDs in
    /// lowercase as the headers want them.
    private func readBatch(buckets: [Int16], perBucket: Int, on connection: PostgresConnection) async throws -> Batch {
        var batch = Batch()
        batch.buckets.reserveCapacity(perBucket * buckets.count)
        batch.xids.reserveCapacity(perBucket * buckets.count)
        batch.ids.reserveCapacity(perBucket * buckets.count)
        let rows = try await connection.run(
            """
            SELECT c.bucket, a.n, a.xids, a.ids, a.topics, a.keys, a.payloads, a.event_ids, a.types, a.versions,
                   a.producers, a.correlations, a.causations
            FROM \(unescaped: schema).outbox_cursor AS c
            CROSS JOIN LATERAL (
                SELECT count(*)::integer AS n, array_agg(o.publish_xid::text::bigint) AS xids, array_agg(o.id) AS ids,
                       array_agg(o.topic) AS topics, array_agg(o.key) AS keys, array_agg(o.payload) AS payloads,
                       array_agg(o.event_id::text) AS event_ids, array_agg(o.event_type) AS types,
                       array_agg(o.event_version::text) AS versions, array_agg(o.producer) AS producers,
                       array_agg(o.correlation_id::text) AS correlations, array_agg(o.causation_id::text) AS causations
                FROM (
                    SELECT * FROM \(unescaped: schema).outbox AS r
                    WHERE r.bucket = c.bucket AND (r.publish_xid, r.id) > (c.last_xid, c.last_id)
                      AND r.publish_xid < pg_snapshot_xmin(pg_current_snapshot())
                    ORDER BY r.publish_xid, r.id
                    LIMIT \(Int64(perBucket))
                ) AS o
            ) AS a
            WHERE c.bucket = ANY(\(buckets)::smallint[]) AND a.n > 0
            """, logger: logger)
        let header = (
            eventId: batch.records.headerName(EventHeader.eventId), eventType: batch.records.headerName(EventHeader.eventType),
            eventVersion: batch.records.headerName(EventHeader.eventVersion), producer: batch.records.headerName(EventHeader.producer),
            contentType: batch.records.headerName(EventHeader.contentType),
            correlationId: batch.records.headerName(EventHeader.correlationId), causationId: batch.records.headerName(EventHeader.causationId),
            signer: batch.records.headerName(RecordSignatureHeader.signer), signature: batch.records.headerName(RecordSignatureHeader.signature)
        )
        let contentType = batch.records.store(Self.contentTypeJSON)
        let signerIdentity = configuration.signer.map { batch.records.store(Array($0.identity.utf8)) }
        var topics: [(name: [UInt8], id: KafkaRecordBatch.TopicID)] = []
        for try await row in rows {
            var cells = row.makeIterator()
            func next() throws -> ByteBuffer {
                guard let cell = cells.next(), let bytes = cell.bytes else {
                    throw HallError(.internalError, "outbox read: a column is missing", words: "读取发件箱：缺少一列")
                }
                return bytes
            }
            var bucketCell = try next()
            var countCell = try next()
            guard let bucket = bucketCell.readInteger(as: Int16.self), let count = countCell.readInteger(as: Int32.self).map(Int.init) else {
                throw HallError(.internalError, "outbox read: bad bucket or count", words: "读取发件箱：分桶或计数有误")
            }
            let xids = try PostgresBinaryArray.int64s(try next(), count: count)
            let ids = try PostgresBinaryArray.int64s(try next(), count: count)

            // Topics: one name per distinct value, with the namespace put before it.
            let topicColumn = try next()
            let topicSpans = try PostgresBinaryArray.elements(topicColumn, count: count)
            var topicIds: [KafkaRecordBatch.TopicID] = []
            topicIds.reserveCapacity(count)
            topicColumn.withUnsafeReadableBytes { raw in
                for span in topicSpans {
                    let name = UnsafeRawBufferPointer(rebasing: raw[span.map { $0.offset..<($0.offset + $0.count) } ?? 0..<0])
                    if let known = topics.last(where: { $0.name.elementsEqual(name) }) {
                        topicIds.append(known.id)
                    } else {
                        let topic = String(decoding: name, as: UTF8.self)
                        let id = batch.records.topic(configuration.topicNamespace.map { "\($0).\(topic)" } ?? topic)
                        topics.append((Array(name), id))
                        topicIds.append(id)
                    }
                }
            }
            /// The column's array, stored whole in the batch, and where each element is in it.
            func stored() throws -> [KafkaRecordBatch.Bytes?] {
                let column = try next()
                let spans = try PostgresBinaryArray.elements(column, count: count)
                let whole = column.withUnsafeReadableBytes { batch.records.store($0) }
                return spans.map { $0.map { whole.slice($0.offset, $0.count) } }
            }
            let keys = try stored()
            // Payloads: stored whole like the others, and each signed where it lies.
            let payloadColumn = try next()
            let payloadSpans = try PostgresBinaryArray.elements(payloadColumn, count: count)
            let payloadsWhole = payloadColumn.withUnsafeReadableBytes { batch.records.store($0) }
            let payloads = payloadSpans.map { $0.map { payloadsWhole.slice($0.offset, $0.count) } }
            var signatures: [KafkaRecordBatch.Bytes?] = []
            if let signer = configuration.signer {
                signatures.reserveCapacity(count)
                payloadColumn.withUnsafeReadableBytes { raw in
                    for span in payloadSpans {
                        let value = UnsafeRawBufferPointer(rebasing: raw[span.map { $0.offset..<($0.offset + $0.count) } ?? 0..<0])
                        signatures.append(batch.records.store(Array(signer.signature(of: value).utf8)))
                    }
                }
            }
            let eventIds = try stored(), types = try stored()
            let versions = try stored(), producers = try stored(), correlations = try stored(), causations = try stored()

            // A bucket's rows come in index order; should they not, they are put in order here.
            var order = Array(0..<count)
            if (1..<max(1, count)).contains(where: { (xids[$0], ids[$0]) <= (xids[$0 - 1], ids[$0 - 1]) }) {
                order.sort { (xids[$0], ids[$0]) < (xids[$1], ids[$1]) }
            }
            for index in order {
                guard let value = payloads[index] else { throw HallError(.internalError, "outbox read: a row without payload", words: "读取发件箱：有一行没有事件内容") }
                batch.records.append(topic: topicIds[index], key: keys[index], value: value)
                batch.records.appendHeader(header.eventId, value: eventIds[index])
                batch.records.appendHeader(header.eventType, value: types[index])
                batch.records.appendHeader(header.eventVersion, value: versions[index])
                batch.records.appendHeader(header.producer, value: producers[index])
                batch.records.appendHeader(header.contentType, value: contentType)
                if let correlation = correlations[index] { batch.records.appendHeader(header.correlationId, value: correlation) }
                if let causation = causations[index] { batch.records.appendHeader(header.causationId, value: causation) }
                if let signerIdentity, index < signatures.count {
                    batch.records.appendHeader(header.signer, value: signerIdentity)
                    batch.records.appendHeader(header.signature, value: signatures[index])
                }
                batch.buckets.append(bucket)
                batch.xids.append(xids[index])
                batch.ids.append(ids[index])
            }
            if count >= perBucket { batch.full = true }
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
                try await (connection.run(
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
                ) as HallRows).decode(Int64.self).collectAll().first ?? 0
            }
            total += Int(deleted)
            if deleted < 10000 { break }
        }
        if total > 0 { logger.info("outbox rows past retention deleted", metadata: ["rows": "\(total)"]) }
    }

    private func refreshGauges() async throws {
        // Held back: committed rows after their cursor that wait for an older transaction to end.
        // The oldest running transaction is the smallest id in the snapshot's in-progress list;
        // with none listed nothing runs, and rows still held wait for nothing but a new id.
        let row = try await client.run(
            """
            SELECT count(*)::bigint, min(created_at),
                   count(*) FILTER (WHERE publish_xid >= pg_snapshot_xmin(pg_current_snapshot()))::bigint,
                   min(created_at) FILTER (WHERE publish_xid >= pg_snapshot_xmin(pg_current_snapshot())),
                   (SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x)
            FROM \(unescaped: schema).outbox_pending
            """,
            logger: logger
        ).decode((Int64, Date?, Int64, Date?, Int64?).self).collectAll().first
        guard let row else { return }
        backlog.record(Int(row.0))
        lagSeconds.record(row.1.map { max(0, Date().timeIntervalSince($0)) } ?? 0)
        heldBack.record(Int(row.2))
        guard row.2 > 0 else { return }
        guard let oldest = row.4 else {
            // Nothing runs, yet rows wait: rows appended before the horizon rule of platform
            // migration 5 can wait for a transaction id that nobody takes. Take one.
            try await client.run("SELECT pg_current_xact_id()", logger: logger)
            logger.notice("outbox rows waited at the horizon with no transaction running; advanced it", metadata: ["rows": "\(row.2)"])
            return
        }
        if let waiting = row.3, Date().timeIntervalSince(waiting) > 10 {
            logger.warning(
                "outbox publishing held back by a long-running transaction (pg_stat_activity where backend_xid = oldest.running.xid)",
                metadata: ["rows": "\(row.2)", "oldest.running.xid": "\(oldest)", "waiting.since": "\(waiting)"])
        }
    }
}

/// Waits for a wake-up or `timeout`, returning early (by throwing `CancellationError`) on graceful shutdown.
func waitUnlessShuttingDown(_ wakeup: Wakeup, upTo timeout: Duration) async throws {
    try await cancelWhenGracefulShutdown {
        await wakeup.wait(upTo: timeout)
        try Task.checkCancellation()
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
