import CRdKafka
import Logging
import Synchronization

/// One librdkafka consumer handle with its callback context: every C call a ``KafkaConsumer``
/// makes. The blocking ones (`poll`, `commit`, `close`) are called off the concurrency pool.
final class ConsumerClient: Sendable {
    private let handle: Handle
    private let context: RDKafkaCallbackContext
    private let closed = Atomic<Bool>(false)
    private let logger: Logger

    /// Creates the handle and subscribes to `topics`.
    init(settings: [(String, String)], topics: [String], logger: Logger) throws {
        let conf = try makeRdKafkaConf(settings)
        let context = RDKafkaCallbackContext(logger: logger)
        installCallbacks(on: conf, context: context)
        let raw = try makeHandle(type: RD_KAFKA_CONSUMER, conf: conf)
        self.handle = Handle(raw)
        self.context = context
        self.logger = logger
        rd_kafka_poll_set_consumer(raw)

        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        let err = rd_kafka_subscribe(raw, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw kafkaError(err, "subscribing to \(topics.joined(separator: ","))")
        }
    }

    deinit {
        // rd_kafka_destroy closes the consumer if close() was not called (committing stored offsets);
        // after close() — finished or given up — it must not try again.
        if closed.load(ordering: .acquiring) {
            rd_kafka_destroy_flags(handle.pointer, Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
        } else {
            rd_kafka_destroy(handle.pointer)
        }
    }

    /// Whether ``close(timeout:)`` was asked for.
    var isClosed: Bool { closed.load(ordering: .relaxed) }

    /// Marks the consumer closed; false when it already was.
    func markClosed() -> Bool { !closed.exchange(true, ordering: .acquiringAndReleasing) }

    /// Cuts short a waiting ``poll(maxMessages:timeout:)`` (or the next one), which returns what it has.
    func wake() {
        // The handle's queue is forwarded to the group's queue (rd_kafka_poll_set_consumer), which
        // the yield reaches.
        rd_kafka_yield(handle.pointer)
    }

    /// Polls up to `maxMessages` records, waiting up to `timeout` for the first (blocking).
    func poll(maxMessages: Int, timeout: Duration) -> [KafkaConsumerMessage] {
        var messages: [KafkaConsumerMessage] = []
        if isClosed { return messages }
        var wait = Int32(timeout.milliseconds)
        while messages.count < maxMessages {
            guard let raw = rd_kafka_consumer_poll(handle.pointer, wait) else { break }
            defer { rd_kafka_message_destroy(raw) }
            wait = 0
            let message = raw.pointee
            if message.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if message.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    logger.warning("kafka consumer error", metadata: ["error": "\(kafkaError(message.err, "consume"))"])
                }
                continue
            }
            messages.append(copyMessage(raw))
        }
        return messages
    }

    /// Stores the next offset of each partition (committed in the background); the error when
    /// librdkafka refused them.
    func store(_ next: [PartitionKey: Int64]) -> KafkaError? {
        let list = rd_kafka_topic_partition_list_new(Int32(next.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (key, offset) in next {
            let entry = rd_kafka_topic_partition_list_add(list, key.topic, key.partition)
            entry?.pointee.offset = offset
        }
        let err = rd_kafka_offsets_store(handle.pointer, list)
        return err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : kafkaError(err, "store offsets")
    }

    /// Commits the stored offsets and waits for the broker (blocking); nil when done or nothing to commit.
    func commit() -> KafkaError? {
        let err = rd_kafka_commit(handle.pointer, nil, 0)
        return err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET ? nil : kafkaError(err, "commit")
    }

    /// Records not consumed on the assigned partitions (cached watermarks).
    func lag() -> Int64 {
        var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle.pointer, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment else { return 0 }
        defer { rd_kafka_topic_partition_list_destroy(assignment) }
        rd_kafka_position(handle.pointer, assignment)
        var total: Int64 = 0
        for index in 0..<Int(assignment.pointee.cnt) {
            let entry = assignment.pointee.elems[index]
            var low: Int64 = 0
            var high: Int64 = 0
            guard rd_kafka_get_watermark_offsets(handle.pointer, entry.topic, entry.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                high >= 0
            else { continue }
            let position = entry.offset >= 0 ? entry.offset : low
            total += max(0, high - position)
        }
        return total
    }

    /// The assigned partitions.
    func assignment() -> [(topic: String, partition: Int32)] {
        var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle.pointer, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment
        else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(assignment) }
        return (0..<Int(assignment.pointee.cnt)).map {
            let entry = assignment.pointee.elems[$0]
            return (String(cString: entry.topic), entry.partition)
        }
    }

    /// Leaves the group, serving the close's events for up to `timeout` (blocking).
    func close(timeout: Duration) {
        guard let events = rd_kafka_queue_new(handle.pointer) else { return }
        defer { rd_kafka_queue_destroy(events) }
        if let error = rd_kafka_consumer_close_queue(handle.pointer, events) {
            logger.warning("kafka consumer close", metadata: ["error": "\(String(cString: rd_kafka_error_string(error)))"])
            rd_kafka_error_destroy(error)
            return
        }
        let deadline = ContinuousClock.now + timeout
        while rd_kafka_consumer_closed(handle.pointer) == 0 {
            guard ContinuousClock.now < deadline else {
                logger.warning("kafka consumer did not close within \(timeout); stopping without leaving the group")
                return
            }
            // Serves the rebalance and commit events of the close.
            if let event = rd_kafka_queue_poll(events, 100) { rd_kafka_event_destroy(event) }
        }
    }
}

/// A topic's partition, as a dictionary key.
struct PartitionKey: Hashable {
    var topic: String
    var partition: Int32
}

/// Copies a librdkafka message into Swift memory (the C message is destroyed right after).
private func copyMessage(_ raw: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerMessage {
    let message = raw.pointee
    let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
    let value = message.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.len)) } ?? []
    let key = message.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.key_len)) }
    var headers: [KafkaHeader] = []
    var headerList: OpaquePointer?
    if rd_kafka_message_headers(raw, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
        var index = 0
        while true {
            var name: UnsafePointer<CChar>?
            var valuePointer: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_all(headerList, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR else { break }
            headers.append(
                KafkaHeader(
                    key: name.map { String(cString: $0) } ?? "",
                    value: valuePointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
            index += 1
        }
    }
    var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
    let timestamp = rd_kafka_message_timestamp(raw, &timestampType)
    return KafkaConsumerMessage(
        topic: topic, partition: message.partition, offset: message.offset, key: key, value: value,
        headers: headers, timestampMilliseconds: timestamp >= 0 ? timestamp : nil)
}
