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

    @Test("loaded librdkafka is at least 2.1")
    func libraryVersion() throws {
        try LibRdKafka.requireSupportedVersion()
        #expect(LibRdKafka.version.major >= 2)
    }

    @Test("a produced record comes back to a consumer group with key, value and headers", .enabled(if: brokers != nil))
    func produceConsume() async throws {
        let brokers = try #require(Self.brokers)
        let topic = "smoke-\(UUID().uuidString.prefix(8))"
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let client = KafkaClientConfiguration(bootstrapServers: brokers, clientId: "smoke")
        try await KafkaAdminClient(configuration: client, logger: logger).createTopics([.init(name: topic, partitions: 3)])
        let producer = try KafkaProducer(configuration: .init(client: client), logger: logger)
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
}
