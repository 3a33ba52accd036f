import CRdKafka
import Logging

/// A short-lived librdkafka client handle for the admin operations of ``KafkaAdminClient``: every
/// call here blocks and runs off the concurrency pool.
struct AdminHandle {
    let pointer: OpaquePointer

    /// Runs `body` on a blocking thread with a fresh client handle (empty metadata cache, no topic
    /// auto-creation) that is destroyed afterwards; nil when the handle cannot be made.
    static func withShortLived<T: Sendable>(
        _ configuration: KafkaClientConfiguration, logger: Logger, _ body: @escaping @Sendable (AdminHandle) -> T?
    ) async -> T? {
        guard let conf = try? makeRdKafkaConf(commonSettings(configuration) + [("allow.auto.create.topics", "false")]) else { return nil }
        let context = RDKafkaCallbackContext(logger: logger)
        installCallbacks(on: conf, context: context)
        guard let handle = try? Handle(makeHandle(type: RD_KAFKA_PRODUCER, conf: conf)) else { return nil }
        return await runBlocking {
            defer { withExtendedLifetime(context) { rd_kafka_destroy(handle.pointer) } }
            return body(AdminHandle(pointer: handle.pointer))
        }
    }

    /// Sends CreateTopics on a handle of its own and waits for the result.
    static func createTopics(
        _ topics: [KafkaTopicSpecification], configuration: KafkaClientConfiguration, logger: Logger, timeout: Duration
    ) async throws -> [String] {
        let conf = try makeRdKafkaConf(commonSettings(configuration))
        let context = RDKafkaCallbackContext(logger: logger)
        installCallbacks(on: conf, context: context)
        let handle = Handle(try makeHandle(type: RD_KAFKA_PRODUCER, conf: conf))
        let timeoutMs = Int32(timeout.milliseconds)
        let outcome: Result<[String], KafkaError> = await runBlocking {
            defer { withExtendedLifetime(context) { rd_kafka_destroy(handle.pointer) } }
            return createTopicsBlocking(handle.pointer, topics, timeoutMs: timeoutMs)
        }
        return try outcome.get()
    }

    /// The partition count of each of `names` the broker holds; nil when it did not answer.
    func partitionCounts(of names: [String], timeout: Duration) -> [String: Int]? {
        let handle = pointer
        let timeoutMs = Int32(timeout.milliseconds)
        var topics: [String: Int] = [:]
        for name in names {
            guard let topic = rd_kafka_topic_new(handle, name, nil) else { return nil }
            defer { rd_kafka_topic_destroy(topic) }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(handle, 0, topic, &metadata, timeoutMs)
            defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let described = metadata?.pointee else { return nil }
            if described.topic_cnt == 1, described.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR {
                topics[name] = Int(described.topics[0].partition_cnt)
            }
        }
        return topics
    }

    /// The high watermark of each given partition the broker holds; nil when it did not answer.
    func highWatermarks(of partitions: [String: [Int32]], timeout: Duration) -> [String: [Int32: Int64]]? {
        let handle = pointer
        let timeoutMs = Int32(timeout.milliseconds)
        var marks: [String: [Int32: Int64]] = [:]
        for (topic, numbers) in partitions.sorted(by: { $0.key < $1.key }) {
            for partition in numbers.sorted() {
                var low: Int64 = -1
                var high: Int64 = -1
                let err = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, timeoutMs)
                switch err {
                case RD_KAFKA_RESP_ERR_NO_ERROR: marks[topic, default: [:]][partition] = high
                case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC: continue
                default: return nil
                }
            }
        }
        return marks
    }
}

/// Sends CreateTopics and waits for its result event. Runs on a Dispatch thread.
private func createTopicsBlocking(_ handle: OpaquePointer, _ topics: [KafkaTopicSpecification], timeoutMs: Int32) -> Result<[String], KafkaError> {
    var errorBuffer = [CChar](repeating: 0, count: 512)
    var newTopics: [OpaquePointer?] = []
    defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
    for topic in topics {
        guard let newTopic = rd_kafka_NewTopic_new(topic.name, topic.partitions, topic.replicationFactor, &errorBuffer, errorBuffer.count) else {
            return .failure(KafkaError(.admin, "topic \(topic.name): \(string(from: errorBuffer))"))
        }
        newTopics.append(newTopic)
    }
    guard let resultQueue = rd_kafka_queue_new(handle) else {
        return .failure(KafkaError(.admin, "rd_kafka_queue_new failed"))
    }
    defer { rd_kafka_queue_destroy(resultQueue) }
    let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
    defer { rd_kafka_AdminOptions_destroy(options) }
    rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &errorBuffer, errorBuffer.count)
    rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMs, &errorBuffer, errorBuffer.count)
    newTopics.withUnsafeMutableBufferPointer { buffer in
        rd_kafka_CreateTopics(handle, buffer.baseAddress, buffer.count, options, resultQueue)
    }
    guard let event = rd_kafka_queue_poll(resultQueue, timeoutMs + 1000) else {
        return .failure(KafkaError(.timedOut, "no broker answered CreateTopics in time", isRetriable: true))
    }
    defer { rd_kafka_event_destroy(event) }
    let eventError = rd_kafka_event_error(event)
    if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
        return .failure(kafkaError(eventError, "CreateTopics"))
    }
    guard let result = rd_kafka_event_CreateTopics_result(event) else {
        return .failure(KafkaError(.admin, "unexpected admin event"))
    }
    var count = 0
    guard let topicResults = rd_kafka_CreateTopics_result_topics(result, &count) else { return .success([]) }
    var created: [String] = []
    for index in 0..<count {
        let topicResult = topicResults[index]
        let err = rd_kafka_topic_result_error(topicResult)
        let name = String(cString: rd_kafka_topic_result_name(topicResult))
        if err == RD_KAFKA_RESP_ERR_NO_ERROR { created.append(name) }
        if err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS { continue }
        let detail = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? ""
        var error = kafkaError(err, "creating topic \(name) \(detail)")
        error.code = .admin
        return .failure(error)
    }
    return .success(created)
}

