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
        ]
        self.settings = settings
        self.logger = logger
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
    ///
    /// When the broker fences the idempotent producer (after an outage it may refuse its epoch)
    /// or the library reports a fatal error, the failing records are reported as retriable and
    /// the next call runs on a new librdkafka producer, so callers recover by retrying.
    public func send(_ messages: [KafkaProducerMessage]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        if messages.isEmpty { return [] }
        let client = current.withLock { $0 }
        let batch = DeliveryBatch(count: messages.count)
        for (index, message) in messages.enumerated() {
            if closed.load(ordering: .relaxed) {
                batch.complete(index: index, with: .failure(KafkaError(.closed, "the producer is closed")))
                continue
            }
            if let fatal = client.context.fatalError.withLock({ $0 }) {
                batch.complete(index: index, with: .failure(fatal))
                continue
            }
            let ticket = Unmanaged.passRetained(DeliveryTicket(batch: batch, index: index))
            var attempt = 0
            while true {
                let error = client.produce(message, opaque: ticket.toOpaque())
                guard let error else { break }
                if error.code == .queueFull, attempt < 10_000, !closed.load(ordering: .relaxed) {
                    // The local queue drains as delivery reports arrive on the poll thread.
                    attempt += 1
                    try? await Task.sleep(for: .milliseconds(1))
                    continue
                }
                ticket.release()
                batch.complete(index: index, with: .failure(error))
                break
            }
        }
        let results = await batch.results()
        if results.contains(where: { if case .failure(let error) = $0 { return error.isFatal } else { return false } }) {
            replace(client)
        }
        return results.map { result in
            guard case .failure(var error) = result, error.isFatal else { return result }
            // The records themselves can be sent again on the new producer.
            error.isRetriable = true
            return .failure(error)
        }
    }

    /// Swaps in a new librdkafka producer if `failed` is still the current one.
    private func replace(_ failed: ProducerClient) {
        do {
            let fresh = try ProducerClient(settings: settings, logger: logger)
            let replaced = current.withLock { current -> Bool in
                guard current === failed else { return false }
                current = fresh
                return true
            }
            if replaced {
                logger.warning("kafka producer was fenced or failed fatally; replaced it with a new one")
                failed.abandon()
            }
        } catch {
            logger.error("kafka producer could not be recreated", metadata: ["error": "\(error)"])
        }
    }

    /// Whether a broker answers a metadata request within `timeout`. Used by readiness checks.
    public func isBrokerReachable(timeout: Duration = .seconds(2)) async -> Bool {
        if closed.load(ordering: .relaxed) { return false }
        let handle = current.withLock { $0 }.handle
        return await runBlocking {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(handle.pointer, 0, nil, &metadata, Int32(timeout.milliseconds))
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            return err == RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Waits up to `timeout` for every queued record's delivery report, then stops the client.
    /// Records still undelivered fail with ``KafkaError/Code/closed``. Safe to call twice.
    public func close(timeout: Duration = .seconds(10)) async {
        if closed.exchange(true, ordering: .acquiringAndReleasing) { return }
        let client = current.withLock { $0 }
        await client.close(timeout: timeout)
        logger.debug("kafka producer closed")
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

    /// Enqueues one record with `rd_kafka_produceva`; nil when queued.
    func produce(_ message: KafkaProducerMessage, opaque: UnsafeMutableRawPointer) -> KafkaError? {
        // The topic and header names (NUL-terminated) and the header values are laid out in one
        // scratch buffer, on the stack when small. librdkafka copies them, the value and the key
        // during the call (RD_KAFKA_MSG_F_COPY, rd_kafka_header_add), so enqueueing a record
        // allocates nothing here, whatever its header count.
        var size = message.topic.utf8.count + 1
        for header in message.headers { size += header.key.utf8.count + 1 + (header.value?.count ?? 0) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { scratch -> KafkaError? in
            withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 5 + message.headers.count) { vus -> KafkaError? in
                message.value.withUnsafeBytes { valueBuffer -> KafkaError? in
                    (message.key ?? []).withUnsafeBytes { keyBuffer -> KafkaError? in
                        var used = 0
                        /// Copies `bytes` (and a NUL when `terminated`) into the scratch buffer.
                        func place(_ bytes: some Sequence<UInt8>, terminated: Bool) -> UnsafeRawPointer {
                            let start = scratch.baseAddress! + used
                            for byte in bytes {
                                scratch[used] = byte
                                used += 1
                            }
                            if terminated {
                                scratch[used] = 0
                                used += 1
                            }
                            return UnsafeRawPointer(start)
                        }
                        var count = 0
                        func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                            var vu = rd_kafka_vu_t()
                            vu.vtype = type
                            fill(&vu)
                            (vus.baseAddress! + count).initialize(to: vu)
                            count += 1
                        }

                        let topic = place(message.topic.utf8, terminated: true)
                        add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topic.assumingMemoryBound(to: CChar.self) }
                        add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                        add(RD_KAFKA_VTYPE_VALUE) {
                            $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: valueBuffer.baseAddress)
                            $0.u.mem.size = valueBuffer.count
                        }
                        if message.key != nil {
                            add(RD_KAFKA_VTYPE_KEY) {
                                $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: keyBuffer.baseAddress)
                                $0.u.mem.size = keyBuffer.count
                            }
                        }
                        add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque }
                        for header in message.headers {
                            let name = place(header.key.utf8, terminated: true)
                            let value = header.value ?? []
                            let bytes = place(value, terminated: false)
                            add(RD_KAFKA_VTYPE_HEADER) {
                                $0.u.header.name = name.assumingMemoryBound(to: CChar.self)
                                $0.u.header.val = bytes
                                $0.u.header.size = value.count
                            }
                        }

                        guard let error = rd_kafka_produceva(handle.pointer, vus.baseAddress, count) else { return nil }
                        defer { rd_kafka_error_destroy(error) }
                        var mapped = kafkaError(rd_kafka_error_code(error), "producing to \(message.topic)")
                        if rd_kafka_error_is_fatal(error) != 0 { mapped.isFatal = true }
                        return mapped
                    }
                }
            }
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

/// Collects the delivery reports of one `send` call and resumes the caller when all are in.
final class DeliveryBatch: Sendable {
    private struct State {
        var results: [Result<KafkaDeliveryReport, KafkaError>?]
        var remaining: Int
        var continuation: CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count, continuation: nil))
    }

    func complete(index: Int, with result: Result<KafkaDeliveryReport, KafkaError>) {
        let finished: (CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>, [Result<KafkaDeliveryReport, KafkaError>])? =
            state.withLock { state in
                state.results[index] = result
                state.remaining -= 1
                guard state.remaining == 0, let continuation = state.continuation else { return nil }
                state.continuation = nil
                return (continuation, state.results.map { $0! })
            }
        if let (continuation, results) = finished { continuation.resume(returning: results) }
    }

    func results() async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await withCheckedContinuation { continuation in
            let ready: [Result<KafkaDeliveryReport, KafkaError>]? = state.withLock { state in
                if state.remaining == 0 { return state.results.map { $0! } }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// What librdkafka carries as a record's opaque: the batch and the record's index in it.
final class DeliveryTicket: Sendable {
    let batch: DeliveryBatch
    let index: Int
    init(batch: DeliveryBatch, index: Int) {
        self.batch = batch
        self.index = index
    }
}

/// librdkafka's delivery report callback, called on the poll thread once per record.
func rdKafkaDeliveryReportCallback(handle: OpaquePointer?, message: UnsafePointer<rd_kafka_message_t>?, opaque: UnsafeMutableRawPointer?) {
    guard let message, let ticketPointer = message.pointee._private else { return }
    let ticket = Unmanaged<DeliveryTicket>.fromOpaque(ticketPointer).takeRetainedValue()
    let err = message.pointee.err
    if err == RD_KAFKA_RESP_ERR_NO_ERROR {
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        ticket.batch.complete(
            index: ticket.index,
            with: .success(KafkaDeliveryReport(topic: topic, partition: message.pointee.partition, offset: message.pointee.offset)))
    } else {
        var error = kafkaError(err, "delivery")
        if err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT {
            error = KafkaError(.closed, "the producer closed before delivery", isRetriable: true)
        }
        ticket.batch.complete(index: ticket.index, with: .failure(error))
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
