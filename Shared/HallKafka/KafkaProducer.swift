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
            ("message.max.bytes", String(configuration.messageMaxBytes)),
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
        return await runBlocking { client.brokerAnswers(timeout: timeout) }
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
        return await runBlocking { client.describesWithLeaders(topic: topic, timeout: timeout) }
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
