import CRdKafka
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// An idempotent Kafka producer (`acks=all`) whose sends complete only from the broker's delivery
/// report.
///
/// `send` returns once the broker has stored the record (or throws why it could not); records with
/// the same key keep their order. Run the producer as a `Service` so that a graceful shutdown
/// flushes what is in flight before the client closes.
public final class KafkaProducer: Service, Sendable {
    private let settings: [(String, String)]
    private let current: Mutex<ProducerClient>
    private let closed = Atomic<Bool>(false)
    private let logger: Logger
    private let replaceAfterTimedOutSends: Int
    private let closeTimeout: Duration
    /// Consecutive sends in which every failure was a delivery time-out and nothing was delivered.
    private let timedOutRun = Mutex<Int>(0)

    /// Creates the producer and connects in the background.
    ///
    /// - Throws: ``KafkaError/Code/configuration`` when an option is refused,
    ///   ``KafkaError/Code/unsupportedLibrary`` when the loaded librdkafka is too old.
    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        try LibRdKafka.requireSupportedVersion()
        var settings = commonSettings(configuration.client)
        settings += [
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("linger.ms", String(configuration.linger.milliseconds)),
            ("batch.num.messages", String(configuration.batchMaxMessages)),
            ("queue.buffering.max.messages", String(configuration.queueMaxMessages)),
            ("queue.buffering.max.kbytes", "1048576"),
            ("message.timeout.ms", String(configuration.messageTimeout.milliseconds)),
            ("compression.codec", configuration.compression.rawValue),
            // Topics are created by the services with their configured partitions, never by a
            // broker on first use (an empty broker would make them with its own default).
            ("allow.auto.create.topics", "false"),
        ]
        self.settings = settings
        self.logger = logger
        self.replaceAfterTimedOutSends = configuration.replaceAfterTimedOutSends
        self.closeTimeout = configuration.closeTimeout
        self.current = Mutex(try ProducerClient(settings: settings, logger: logger))
    }

    /// Publishes one record and waits for its delivery report.
    ///
    /// - Returns: where the broker stored it.
    /// - Throws: a ``KafkaError``; `isRetriable` tells whether sending again later can succeed.
    public func send(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        try await send([message])[0].get()
    }

    /// Publishes records in order and waits for all their delivery reports.
    ///
    /// Records with the same key land in the same partition in the order given. The result at
    /// index *i* is the report (or error) of `messages[i]`; the call itself does not throw.
    public func send(_ messages: [KafkaProducerMessage]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        if messages.isEmpty { return [] }
        let delivery = await send(KafkaRecordBatch(messages))
        return (0..<messages.count).map { delivery.result(at: $0) }
    }

    /// Publishes a batch's records in order and waits for all their delivery reports.
    ///
    /// Records with the same key land in the same partition in the order given; librdkafka reads
    /// keys and values from the batch's memory in place. The call itself does not throw: each
    /// record's outcome is in the returned ``KafkaBatchDelivery``.
    ///
    /// When the broker fences the idempotent producer (after an outage it may refuse its epoch)
    /// or the library reports a fatal error, the failing records are reported as retriable and
    /// the next call runs on a new librdkafka producer, so callers recover by retrying.
    public func send(_ batch: KafkaRecordBatch) async -> KafkaBatchDelivery {
        let state = DeliveryState(storage: batch.storage)
        if batch.isEmpty { return KafkaBatchDelivery(state: state) }
        let client = current.withLock { $0 }
        for index in 0..<state.count {
            if closed.load(ordering: .relaxed) {
                state.complete(index: index, failure: KafkaError(.closed, "the producer is closed"))
                continue
            }
            if let fatal = client.context.fatalError.withLock({ $0 }) {
                state.complete(index: index, failure: fatal)
                continue
            }
            var attempt = 0
            while true {
                guard let error = client.produce(record: index, of: state) else { break }
                if error.code == .queueFull, attempt < 10_000, !closed.load(ordering: .relaxed) {
                    // The local queue drains as delivery reports arrive on the poll thread.
                    attempt += 1
                    try? await Task.sleep(for: .milliseconds(1))
                    continue
                }
                state.complete(index: index, failure: error)
                break
            }
        }
        await state.allReported()
        if state.hasFatalFailure() {
            replace(client, because: "was fenced or failed fatally")
            // The records themselves can be sent again on the new producer.
            state.markFatalFailuresRetriable()
        } else if noteTimeOuts(state) {
            replace(client, because: "timed out \(replaceAfterTimedOutSends) sends in a row with nothing delivered")
        }
        return KafkaBatchDelivery(state: state)
    }

    /// Counts a send whose failures were all time-outs with nothing delivered; any delivery ends
    /// the run. Returns true when the run is long enough to replace the producer (and restarts it).
    private func noteTimeOuts(_ state: DeliveryState) -> Bool {
        let failures = state.failureCount
        let allTimedOut = failures == state.count && state.allFailures { $0.code == .messageTimedOut }
        return timedOutRun.withLock { run in
            guard allTimedOut, failures > 0 else {
                if failures < state.count { run = 0 }
                return false
            }
            run += 1
            guard replaceAfterTimedOutSends > 0, run >= replaceAfterTimedOutSends else { return false }
            run = 0
            return true
        }
    }

    /// Swaps in a new librdkafka producer; records in flight on the old one fail as retriable.
    ///
    /// librdkafka does not follow a topic made anew under the same name (a new topic id) well
    /// (librdkafka issue 4898: restart the client); a producer that starts afresh learns it cleanly.
    public func renew(because reason: String) {
        replace(current.withLock { $0 }, because: reason)
    }

    /// Swaps in a new librdkafka producer if `failed` is still the current one.
    private func replace(_ failed: ProducerClient, because reason: String) {
        do {
            let fresh = try ProducerClient(settings: settings, logger: logger)
            let replaced = current.withLock { current -> Bool in
                guard current === failed else { return false }
                current = fresh
                return true
            }
            if replaced {
                logger.warning("kafka producer replaced with a new one", metadata: ["reason": "\(reason)"])
                failed.abandon()
            }
        } catch {
            logger.error("kafka producer could not be recreated", metadata: ["error": "\(error)"])
        }
    }

    /// Whether a broker answers a metadata request within `timeout`. Used by readiness checks.
    public func isBrokerReachable(timeout: Duration = .seconds(2)) async -> Bool {
        if closed.load(ordering: .relaxed) { return false }
        // The client itself is held for the call: a replacement meanwhile must not destroy its handle.
        let client = current.withLock { $0 }
        return await runBlocking {
            let handle = client.handle
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(handle.pointer, 0, nil, &metadata, Int32(timeout.milliseconds))
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            return err == RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Looks up where `topic`'s partitions are before its first record is sent.
    ///
    /// A producer learns a topic's partitions when it first sends to it; a topic created a moment
    /// ago can take the broker most of a second to describe. Benchmarks call this so that they
    /// measure sending, not that lookup.
    ///
    /// - Returns: whether the broker described the topic within `timeout`.
    @discardableResult
    public func lookUp(topic: String, timeout: Duration = .seconds(5)) async -> Bool {
        // The client itself is held for the call: a replacement meanwhile must not destroy its handle.
        let client = current.withLock { $0 }
        return await runBlocking {
            let handle = client.handle
            guard let topicHandle = rd_kafka_topic_new(handle.pointer, topic, nil) else { return false }
            defer { rd_kafka_topic_destroy(topicHandle) }
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                var metadata: UnsafePointer<rd_kafka_metadata>?
                let err = rd_kafka_metadata(handle.pointer, 0, topicHandle, &metadata, Int32(timeout.milliseconds))
                defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
                if err == RD_KAFKA_RESP_ERR_NO_ERROR, let described = metadata?.pointee, described.topic_cnt == 1,
                    described.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR, described.topics[0].partition_cnt > 0,
                    (0..<Int(described.topics[0].partition_cnt)).allSatisfy({ described.topics[0].partitions[$0].leader >= 0 })
                {
                    return true
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }
    }

    /// Waits up to `timeout` (default: the configuration's ``KafkaProducerConfiguration/closeTimeout``)
    /// for every queued record's delivery report, then stops the client. Records still
    /// undelivered fail with ``KafkaError/Code/closed``. Safe to call twice.
    public func close(timeout: Duration? = nil) async {
        if closed.exchange(true, ordering: .acquiringAndReleasing) { return }
        let client = current.withLock { $0 }
        await client.close(timeout: timeout ?? closeTimeout)
        logger.debug("kafka producer closed")
    }

    /// Fails every record in flight at once (their senders see ``KafkaError/Code/closed``, retriable)
    /// without closing the producer. A sender that must stop soon — a relay on graceful shutdown
    /// while the broker is away — calls it rather than wait for the delivery time-out.
    public func abandonInFlight() {
        current.withLock { $0 }.abandon()
    }

    /// Runs until graceful shutdown, then flushes and closes.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}

/// One librdkafka producer handle with its callback context and poll thread.
final class ProducerClient: Sendable {
    let handle: Handle
    let context: RDKafkaCallbackContext
    private let poller: PollThread

    init(settings: [(String, String)], logger: Logger) throws {
        let conf = try makeRdKafkaConf(settings)
        let context = RDKafkaCallbackContext(logger: logger)
        installCallbacks(on: conf, context: context)
        rd_kafka_conf_set_dr_msg_cb(conf, rdKafkaDeliveryReportCallback)
        self.handle = Handle(try makeHandle(type: RD_KAFKA_PRODUCER, conf: conf))
        self.context = context
        self.poller = PollThread(name: "kafka-producer-poll", handle: handle)
        poller.start()
    }

    deinit {
        poller.stop()
        rd_kafka_destroy(handle.pointer)
    }

    /// Flushes for up to `timeout`, then fails what is left and stops polling.
    func close(timeout: Duration) async {
        let handle = self.handle
        await runBlocking {
            _ = rd_kafka_flush(handle.pointer, Int32(timeout.milliseconds))
        }
        poller.stop()
        // Whatever is still queued (including a record produced while the flush ran) fails now,
        // so that no sender waits for a report that will never come.
        rd_kafka_purge(handle.pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        await runBlocking {
            // Serve the purge's delivery reports (at most ~2 s).
            for _ in 0..<20 {
                rd_kafka_poll(handle.pointer, 100)
                if rd_kafka_outq_len(handle.pointer) == 0 { break }
            }
        }
    }

    /// Fails every queued record at once (their senders retry on the replacement).
    func abandon() {
        rd_kafka_purge(handle.pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
    }

    /// Enqueues record `index` of a batch with `rd_kafka_produceva`; nil when queued.
    ///
    /// The key and value are not copied (librdkafka reads them from the batch's memory, which
    /// `state` keeps alive until the record's delivery report); the header values are copied into
    /// a headers list of our own, the one allocation per record.
    ///
    /// The headers go as one list (`RD_KAFKA_VTYPE_HEADERS`), not one by one: when the partitioner
    /// refuses a record (its topic does not exist on the broker), librdkafka up to at least 2.8
    /// frees a list it built from single headers twice and crashes the process (librdkafka issue
    /// 4627). A list of the caller's stays the caller's on failure — destroyed here — and becomes
    /// the message's on success.
    func produce(record index: Int, of state: DeliveryState) -> KafkaError? {
        let storage = state.storage
        let record = storage.records[index]
        return withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 6) { vus -> KafkaError? in
            var count = 0
            func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                var vu = rd_kafka_vu_t()
                vu.vtype = type
                fill(&vu)
                (vus.baseAddress! + count).initialize(to: vu)
                count += 1
            }
            add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = UnsafePointer(state.topicNames[Int(record.topic)]) }
            add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = 0 }
            let value = storage.pointer(record.value)
            add(RD_KAFKA_VTYPE_VALUE) {
                $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                $0.u.mem.size = value.count
            }
            if let key = record.key.map(storage.pointer) {
                add(RD_KAFKA_VTYPE_KEY) {
                    $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                    $0.u.mem.size = key.count
                }
            }
            add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(state.slots + index) }
            var headers: OpaquePointer?
            if record.headerCount > 0 {
                let list = rd_kafka_headers_new(record.headerCount)
                for header in storage.headers[record.firstHeader..<(record.firstHeader + record.headerCount)] {
                    let bytes = header.value.map(storage.pointer)
                    rd_kafka_header_add(list, state.headerNames[Int(header.name)], -1, bytes?.baseAddress, bytes?.count ?? 0)
                }
                headers = list
                add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = list }
            }
            guard let error = rd_kafka_produceva(handle.pointer, vus.baseAddress, count) else { return nil }
            if let headers { rd_kafka_headers_destroy(headers) }
            defer { rd_kafka_error_destroy(error) }
            var mapped = kafkaError(rd_kafka_error_code(error), "producing to \(storage.topics[Int(record.topic)])")
            if rd_kafka_error_is_fatal(error) != 0 { mapped.isFatal = true }
            return mapped
        }
    }
}

/// The librdkafka handle pointer.
///
/// `@unchecked Sendable`: librdkafka handles are thread-safe for the calls we make on them, and
/// the pointer itself never changes; it is destroyed only in the owner's `deinit`.
struct Handle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

/// The outcome of sending a ``KafkaRecordBatch``: one result per record, in the batch's order.
public struct KafkaBatchDelivery: Sendable {
    let state: DeliveryState

    /// Number of records.
    public var count: Int { state.count }

    /// Number of records the broker acknowledged.
    public var deliveredCount: Int { state.count - state.failureCount }

    /// The error of record `index`, or nil when the broker acknowledged it.
    public func error(at index: Int) -> KafkaError? {
        precondition(index >= 0 && index < state.count, "no such record")
        return state.failure(at: index)
    }

    /// For each topic and partition written to, the lowest and highest offsets the broker gave
    /// records of this batch.
    public func offsetRanges() -> [String: [Int32: ClosedRange<Int64>]] {
        var byTopic: [Int32: [Int32: ClosedRange<Int64>]] = [:]
        // The failures are looked up (a lock each) only when there are some.
        let anyFailed = state.failureCount > 0
        for index in 0..<state.count where !anyFailed || state.failure(at: index) == nil {
            let slot = state.slots[index]
            let topic = state.storage.records[index].topic
            let known = byTopic[topic]?[slot.partition]
            byTopic[topic, default: [:]][slot.partition] = min(known?.lowerBound ?? slot.offset, slot.offset)...max(known?.upperBound ?? slot.offset, slot.offset)
        }
        return Dictionary(uniqueKeysWithValues: byTopic.map { (state.storage.topics[Int($0.key)], $0.value) })
    }

    /// The delivery report (or error) of record `index`.
    public func result(at index: Int) -> Result<KafkaDeliveryReport, KafkaError> {
        if let error = error(at: index) { return .failure(error) }
        let slot = state.slots[index]
        let topic = state.storage.topics[Int(state.storage.records[index].topic)]
        return .success(KafkaDeliveryReport(topic: topic, partition: slot.partition, offset: slot.offset))
    }
}

/// Collects the delivery reports of one `send` call and resumes the caller when all are in.
///
/// Each record's librdkafka opaque points at its slot; the delivery report callback (on the poll
/// thread) writes the partition and offset there, or records the error, and counts down. The
/// count starts one above the record count: the sender holds that one until it waits, so the
/// last report always finds the continuation to resume. The sender keeps this object (and so
/// the batch's memory, which librdkafka reads in place) alive until then.
final class DeliveryState: @unchecked Sendable {
    struct Slot {
        var owner: Unmanaged<DeliveryState>
        var index: Int
        var partition: Int32 = -1
        var offset: Int64 = -1
    }

    let storage: KafkaRecordBatch.Storage
    let count: Int
    let slots: UnsafeMutablePointer<Slot>
    /// NUL-terminated copies of the batch's topic and header names.
    let topicNames: [UnsafeMutablePointer<CChar>]
    let headerNames: [UnsafeMutablePointer<CChar>]
    private let remaining: Atomic<Int>
    private let failures = Mutex<[Int: KafkaError]>([:])
    private let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)

    init(storage: KafkaRecordBatch.Storage) {
        self.storage = storage
        self.count = storage.records.count
        self.slots = UnsafeMutablePointer<Slot>.allocate(capacity: max(1, count))
        self.topicNames = storage.topics.map { strdup($0)! }
        self.headerNames = storage.headerNames.map { strdup($0)! }
        self.remaining = Atomic(count + 1)
        let owner = Unmanaged.passUnretained(self)
        for index in 0..<count { (slots + index).initialize(to: Slot(owner: owner, index: index)) }
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
        for name in topicNames { free(name) }
        for name in headerNames { free(name) }
    }

    /// Records a failure of record `index` and counts it as reported.
    func complete(index: Int, failure: KafkaError) {
        failures.withLock { $0[index] = failure }
        countDown()
    }

    /// Counts one report; the last one resumes the sender.
    func countDown() {
        guard remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        let continuation = waiter.withLock { waiter -> CheckedContinuation<Void, Never>? in
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume()
    }

    /// Returns once every record has its report.
    func allReported() async {
        await withCheckedContinuation { continuation in
            waiter.withLock { $0 = continuation }
            countDown()
        }
    }

    var failureCount: Int { failures.withLock { $0.count } }

    func failure(at index: Int) -> KafkaError? { failures.withLock { $0[index] } }

    func hasFatalFailure() -> Bool { failures.withLock { $0.values.contains { $0.isFatal } } }

    /// Whether every recorded failure satisfies `predicate`.
    func allFailures(_ predicate: (KafkaError) -> Bool) -> Bool { failures.withLock { $0.values.allSatisfy(predicate) } }

    func markFatalFailuresRetriable() {
        failures.withLock { failures in
            for (index, error) in failures where error.isFatal { failures[index]?.isRetriable = true }
        }
    }
}

/// librdkafka's delivery report callback, called on the poll thread once per record.
func rdKafkaDeliveryReportCallback(handle: OpaquePointer?, message: UnsafePointer<rd_kafka_message_t>?, opaque: UnsafeMutableRawPointer?) {
    guard let message, let slotPointer = message.pointee._private else { return }
    let slot = slotPointer.assumingMemoryBound(to: DeliveryState.Slot.self)
    let owner = slot.pointee.owner.takeUnretainedValue()
    let err = message.pointee.err
    if err == RD_KAFKA_RESP_ERR_NO_ERROR {
        slot.pointee.partition = message.pointee.partition
        slot.pointee.offset = message.pointee.offset
        owner.countDown()
    } else {
        var error = kafkaError(err, "delivery")
        if err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT {
            error = KafkaError(.closed, "the producer closed before delivery", isRetriable: true)
        }
        owner.complete(index: slot.pointee.index, failure: error)
    }
}

/// A dedicated thread that serves a handle's callbacks with `rd_kafka_poll` (a blocking call that
/// must not run on the Swift concurrency pool).
final class PollThread: Sendable {
    private let handle: Handle
    private let name: String
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    init(name: String, handle: Handle) {
        self.name = name
        self.handle = handle
    }

    func start() {
        started.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) {
                rd_kafka_poll(handle.pointer, 50)
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread and waits for it to leave its last poll (at most ~50 ms).
    func stop() {
        guard started.load(ordering: .relaxed), running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }
}

/// Runs a blocking C call on a Dispatch thread and resumes the caller with its result.
func runBlocking<T: Sendable>(on queue: DispatchQueue = .global(), _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        queue.async { continuation.resume(returning: body()) }
    }
}
