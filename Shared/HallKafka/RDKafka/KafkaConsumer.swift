import CRdKafka
import Dispatch
import Logging
import Synchronization

/// A consumer-group member with manual offset storage.
///
/// Poll batches with ``poll(maxMessages:timeout:)``, apply their effect, then call
/// ``storeOffsets(_:)``: only stored offsets are committed to the group (in the background every
/// `commitInterval`, and on ``close()``). A record whose offset was never stored is delivered again
/// to whichever member owns its partition next — consumers must be idempotent.
public final class KafkaConsumer: Sendable {
    private let handle: Handle
    private let context: RDKafkaCallbackContext
    /// Serial queue for the blocking calls (poll, close): never the Swift concurrency pool.
    private let queue: DispatchQueue
    private let closed = Atomic<Bool>(false)
    private let logger: Logger
    /// The group id, for logs and metrics.
    public let groupId: String

    /// Creates the member and subscribes to the configured topics.
    ///
    /// - Throws: ``KafkaError/Code/configuration`` for a refused option,
    ///   ``KafkaError/Code/unsupportedLibrary`` when the loaded librdkafka is too old.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws {
        try LibRdKafka.requireSupportedVersion()
        var settings = commonSettings(configuration.client)
        settings += [
            ("group.id", configuration.groupId),
            ("enable.auto.commit", "true"),
            ("enable.auto.offset.store", "false"),
            ("auto.commit.interval.ms", String(configuration.commitInterval.milliseconds)),
            ("auto.offset.reset", configuration.offsetReset.rawValue),
            ("session.timeout.ms", String(configuration.sessionTimeout.milliseconds)),
            ("heartbeat.interval.ms", String(configuration.heartbeatInterval.milliseconds)),
            ("max.poll.interval.ms", String(configuration.maxPollInterval.milliseconds)),
            ("fetch.wait.max.ms", String(configuration.fetchWaitMax.milliseconds)),
            ("enable.partition.eof", "false"),
        ]
        let conf = try makeRdKafkaConf(settings)
        let context = RDKafkaCallbackContext(logger: logger)
        installCallbacks(on: conf, context: context)
        let raw = try makeHandle(type: RD_KAFKA_CONSUMER, conf: conf)
        self.handle = Handle(raw)
        self.context = context
        self.logger = logger
        self.groupId = configuration.groupId
        self.queue = DispatchQueue(label: "kafka-consumer.\(configuration.groupId)")
        rd_kafka_poll_set_consumer(raw)

        let list = rd_kafka_topic_partition_list_new(Int32(configuration.topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in configuration.topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        let err = rd_kafka_subscribe(raw, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw kafkaError(err, "subscribing to \(configuration.topics.joined(separator: ","))")
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

    /// Waits up to `timeout` for the first record, then takes whatever else is already fetched, up
    /// to `maxMessages`. Returns an empty array when nothing arrived or the consumer is closed.
    ///
    /// Per-partition order is preserved in the returned array.
    public func poll(maxMessages: Int, timeout: Duration) async -> [KafkaConsumerMessage] {
        if closed.load(ordering: .relaxed) { return [] }
        let handle = self.handle
        let logger = self.logger
        let timeoutMs = Int32(timeout.milliseconds)
        return await runBlocking(on: queue) { [self] in
            var messages: [KafkaConsumerMessage] = []
            if closed.load(ordering: .relaxed) { return messages }
            var wait = timeoutMs
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
    }

    /// Marks these records as processed: their partitions' next offsets are stored and will be
    /// committed to the group. Records of partitions this member no longer owns are ignored.
    public func storeOffsets(_ messages: some Sequence<KafkaConsumerMessage>) {
        var next: [PartitionKey: Int64] = [:]
        for message in messages {
            let key = PartitionKey(topic: message.topic, partition: message.partition)
            next[key] = max(next[key] ?? -1, message.offset + 1)
        }
        if next.isEmpty || closed.load(ordering: .relaxed) { return }
        let list = rd_kafka_topic_partition_list_new(Int32(next.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (key, offset) in next {
            let entry = rd_kafka_topic_partition_list_add(list, key.topic, key.partition)
            entry?.pointee.offset = offset
        }
        let err = rd_kafka_offsets_store(handle.pointer, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.debug("kafka offsets not stored (partition revoked?)", metadata: ["error": "\(kafkaError(err, "store offsets"))"])
        }
    }

    /// Commits the stored offsets now and waits for the broker's answer.
    public func commitStoredOffsets() async throws {
        if closed.load(ordering: .relaxed) { return }
        let handle = self.handle
        let err = await runBlocking(on: queue) { rd_kafka_commit(handle.pointer, nil, 0) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw kafkaError(err, "commit")
        }
    }

    /// Records not yet consumed on this member's partitions: sum of (high watermark − position).
    /// Uses cached watermarks (no network round trip); 0 before the first fetch.
    public func lag() -> Int64 {
        if closed.load(ordering: .relaxed) { return 0 }
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

    /// The partitions currently assigned to this member, as `topic/partition` pairs.
    public func assignment() -> [(topic: String, partition: Int32)] {
        var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard !closed.load(ordering: .relaxed),
            rd_kafka_assignment(handle.pointer, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment
        else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(assignment) }
        return (0..<Int(assignment.pointee.cnt)).map {
            let entry = assignment.pointee.elems[$0]
            return (String(cString: entry.topic), entry.partition)
        }
    }

    /// Leaves the group: commits the stored offsets and hands the partitions back. Safe to call twice.
    ///
    /// Closing commits the stored offsets and leaves the group. While the broker is away that can
    /// take as long as a request time-out, so it is given `timeout` (3 s by default): past it the
    /// consumer stops without leaving the group (the group notices after its session time-out,
    /// and offsets not committed are read again — the inbox drops the repeats).
    public func close(timeout: Duration = .seconds(3)) async {
        if closed.exchange(true, ordering: .acquiringAndReleasing) { return }
        let handle = self.handle
        let logger = self.logger
        await runBlocking(on: queue) {
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
}

private struct PartitionKey: Hashable {
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
