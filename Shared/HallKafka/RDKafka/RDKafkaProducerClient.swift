import CRdKafka
import Dispatch
import Foundation
import Logging
import Synchronization

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

    /// Whether a broker answers a metadata request within `timeout` (blocking).
    func brokerAnswers(timeout: Duration) -> Bool {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle.pointer, 0, nil, &metadata, Int32(timeout.milliseconds))
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        return err == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Asks for `topic`'s metadata until every partition has a leader or `timeout` passed (blocking).
    func describesWithLeaders(topic: String, timeout: Duration) -> Bool {
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
            // A report wakes the poll at once; the timeout only bounds an idle wait, which stop()
            // cuts short with rd_kafka_yield. A short timeout here cost an idle service 20 wake-ups a second.
            while running.load(ordering: .relaxed) {
                rd_kafka_poll(handle.pointer, 1000)
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread: interrupts its poll and waits for it to leave.
    func stop() {
        guard started.load(ordering: .relaxed), running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        rd_kafka_yield(handle.pointer)
        finished.wait()
    }
}

/// Runs a blocking C call on a Dispatch thread and resumes the caller with its result.
func runBlocking<T: Sendable>(on queue: DispatchQueue = .global(), _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        queue.async { continuation.resume(returning: body()) }
    }
}
