import Foundation
import HallKafka
import Logging
import Testing

/// Talks to the real broker named by HALL_KAFKA_BROKERS (the local stack's Tansu).
@Suite("Kafka client against the real broker")
struct KafkaClientTests {
    static var brokers: [String]? {
        ProcessInfo.processInfo.environment["HALL_KAFKA_BROKERS"].map { $0.split(separator: ",").map(String.init) }
    }

    /// A fresh topic of `partitions` partitions on the broker, and a producer.
    static func setUp(prefix: String, partitions: Int32) async throws -> (String, KafkaClientConfiguration, Logger, KafkaProducer) {
        let brokers = try #require(Self.brokers)
        let topic = "\(prefix)-\(UUID().uuidString.prefix(8))"
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let client = KafkaClientConfiguration(bootstrapServers: brokers, clientId: "smoke")
        try await KafkaAdminClient(configuration: client, logger: logger).createTopics([.init(name: topic, partitions: partitions)])
        return (topic, client, logger, try KafkaProducer(configuration: .init(client: client), logger: logger))
    }

    @Test("loaded librdkafka is at least 2.1")
    func libraryVersion() throws {
        try LibRdKafka.requireSupportedVersion()
        #expect(LibRdKafka.version.major >= 2)
    }

    @Test("a produced record comes back to a consumer group with key, value and headers", .enabled(if: brokers != nil))
    func produceConsume() async throws {
        let (topic, client, logger, producer) = try await Self.setUp(prefix: "smoke", partitions: 3)
        let messages = (0..<50).map {
            KafkaProducerMessage(topic: topic, key: "case-\($0 % 5)", value: Array("v\($0)".utf8), headers: [KafkaHeader(key: "h", string: "x\($0)")])
        }
        let reports = await producer.send(messages)
        for report in reports { _ = try report.get() }

        var config = KafkaConsumerConfiguration(client: client, groupId: "g-\(UUID().uuidString.prefix(8))", topics: [topic])
        config.maxPollInterval = .seconds(10)
        let consumer = try KafkaConsumer(configuration: config, logger: logger)
        var received: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while received.count < 50, ContinuousClock.now < deadline {
            let batch = await consumer.poll(maxMessages: 100, timeout: .milliseconds(500))
            received += batch
            consumer.storeOffsets(batch)
        }
        await consumer.close()
        await producer.close()
        #expect(received.count == 50)
        let byKey = Dictionary(grouping: received, by: { $0.keyString ?? "" })
        for (_, records) in byKey {
            let values = records.map { Int(String(decoding: $0.value.dropFirst(), as: UTF8.self))! }
            #expect(values == values.sorted())
        }
        #expect(received.first?.headers.first(named: "h") != nil)
    }

    @Test("records with headers for a topic the broker does not have fail (and are never auto-created), again and again, without stopping the process", .enabled(if: brokers != nil))
    func missingTopic() async throws {
        let (_, client, logger, _) = try await Self.setUp(prefix: "unused", partitions: 1)
        var configuration = KafkaProducerConfiguration(client: client)
        configuration.messageTimeout = .seconds(3)
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        let missing = "missing-\(UUID().uuidString.prefix(8))"
        // The first send learns that the topic does not exist; later ones are refused at once by
        // librdkafka's partitioner — the path that once freed the headers twice.
        for round in 0..<3 {
            let reports = await producer.send((0..<5).map {
                KafkaProducerMessage(topic: missing, key: "k\($0)", value: Array("v".utf8), headers: [KafkaHeader(key: "h", string: "x\(round)")])
            })
            #expect(reports.allSatisfy { if case .failure = $0 { true } else { false } }, "round \(round): nothing delivered")
        }
        let topics = await KafkaAdminClient(configuration: client, logger: logger).topics(named: [missing])
        #expect(topics != nil && topics?[missing] == nil, "the producer did not make the broker create the topic")
        await producer.close()
    }

    @Test("a batch of records pointing into one stored block arrives byte for byte; after close every record fails as closed", .enabled(if: brokers != nil))
    func recordBatch() async throws {
        let (topic, client, logger, producer) = try await Self.setUp(prefix: "batch", partitions: 2)
        #expect(await producer.lookUp(topic: topic), "a topic just created is described with a leader for each partition")

        var batch = KafkaRecordBatch(reservingBytes: 16)
        let topicId = batch.topic(topic)
        let seq = batch.headerName("seq")
        let empty = batch.headerName("empty")
        let text = (0..<20).map { "key-\($0 % 3)|value-\($0)" }
        for (index, line) in text.enumerated() {
            let stored = batch.store(Array(line.utf8))
            let bar = Array(line.utf8).firstIndex(of: UInt8(ascii: "|"))!
            batch.append(topic: topicId, key: index == 19 ? nil : stored.slice(0, bar), value: stored.slice(bar + 1, stored.count - bar - 1))
            batch.appendHeader(seq, value: stored.slice(bar + 7, stored.count - bar - 7))
            if index == 0 { batch.appendHeader(empty, value: nil) }
        }
        let delivery = await producer.send(batch)
        #expect(delivery.count == 20)
        #expect(delivery.deliveredCount == 20)
        for index in 0..<20 {
            let report = try delivery.result(at: index).get()
            #expect(report.topic == topic)
            #expect(report.partition >= 0 && report.offset >= 0)
        }

        var config = KafkaConsumerConfiguration(client: client, groupId: "g-\(UUID().uuidString.prefix(8))", topics: [topic])
        config.maxPollInterval = .seconds(10)
        let consumer = try KafkaConsumer(configuration: config, logger: logger)
        var received: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while received.count < 20, ContinuousClock.now < deadline {
            received += await consumer.poll(maxMessages: 100, timeout: .milliseconds(500))
        }
        await consumer.close()
        let byValue = Dictionary(uniqueKeysWithValues: received.map { (String(decoding: $0.value, as: UTF8.self), $0) })
        #expect(byValue.count == 20)
        for index in 0..<20 {
            let record = try #require(byValue["value-\(index)"])
            #expect(record.keyString == (index == 19 ? nil : "key-\(index % 3)"))
            #expect(record.headers.first(named: "seq") == "\(index)")
        }
        #expect(byValue["value-0"]?.headers.contains { $0.key == "empty" } == true)

        await producer.close()
        let afterClose = await producer.send(KafkaRecordBatch([KafkaProducerMessage(topic: topic, key: "k", value: [1]), KafkaProducerMessage(topic: topic, key: "k", value: [2])]))
        #expect(afterClose.deliveredCount == 0)
        #expect(afterClose.error(at: 0)?.code == .closed && afterClose.error(at: 1)?.code == .closed)
    }
}
