import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import Synchronization
import Testing

@Suite("Inbox consumer against real PostgreSQL and Kafka", .enabled(if: stackAvailable), .serialized)
struct InboxConsumerTests {
    @Test("a consumer killed after its commit and before its offset commit: the redelivered events change nothing")
    func crashBeforeOffsetCommit() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let topic = try await kafka.makeTopics(["consumer-crash"], partitions: 1)[0]
            _ = try await Effects.append(cases: ["k1", "k2", "k3"], steps: 10, topic: topic, database: database)
            let producer = try kafka.producer()
            let relay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, logger: LocalStack.logger())
            while try await database.pendingOutbox() > 0 { try await relay.relayOnce() }

            let group = LocalStack.uniqueName("crash")
            let worker = try await Worker(["consume", "--schema", database.schema, "--topic", topic, "--group", group, "--crash-after-commit"])
            #expect(try await worker.waitForExit() == SIGKILL)
            let appliedBeforeCrash = try await database.effectCount()
            #expect(appliedBeforeCrash > 0)

            // The same group again: nothing was committed, so it gets every record from the start.
            var configuration = InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: group, topics: [topic]))
            configuration.batchSize = 100
            let inbox = InboxConsumer(
                configuration: configuration, client: database.client, schema: database.schema, serviceName: "test",
                handler: Effects.handler(schema: database.schema), deadLetters: producer, logger: LocalStack.logger())
            let consumer = try KafkaConsumer(configuration: configuration.kafka, logger: LocalStack.logger())
            var redelivered: [KafkaConsumerMessage] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while redelivered.count < 30, ContinuousClock.now < deadline {
                let batch = await consumer.poll(maxMessages: 100, timeout: .milliseconds(500))
                try await inbox.apply(batch)
                consumer.storeOffsets(batch)
                redelivered += batch
            }
            await consumer.close()
            #expect(redelivered.first?.offset == 0, "the crashed consumer's offsets were never committed")
            #expect(redelivered.count == 30)
            let effects = try await Effects.rows(database)
            #expect(effects.count == 30)
            #expect(Set(effects.map(\.eventId)).count == 30)
            await producer.close()
        }
    }

    @Test("poison records go to the dead-letter topic with their reason after N attempts, and later records still apply")
    func poisonMessages() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let names = try await kafka.makeTopics(["poison", "poison-dlq"], partitions: 1)
            let (topic, deadLetterTopic) = (names[0], names[1])
            let producer = try kafka.producer()
            func envelope(_ step: CounterStep, type: String? = nil, version: Int? = nil) throws -> [UInt8] {
                var envelope = try EventEnvelope(payload: step, producer: "test", caseId: "case-p")
                if let type { envelope.type = type }
                if let version { envelope.version = version }
                return try envelope.encoded()
            }
            let original = KafkaHeader(key: "x-original", string: "kept")
            let values: [[UInt8]] = [
                try envelope(CounterStep(seq: 0)),
                Array("{not json".utf8),
                try envelope(CounterStep(seq: 1), type: "nobody.knows.this"),
                try envelope(CounterStep(seq: 2), version: 9),
                try envelope(CounterStep(seq: 3, poison: true)),
                try envelope(CounterStep(seq: 4)),
            ]
            for value in values {
                _ = try await producer.send(KafkaProducerMessage(topic: topic, key: "case-p", value: value, headers: [original]))
            }
            let consumer = startConsumer(
                database: database, kafka: kafka, topic: topic, group: LocalStack.uniqueName("g"), producer: producer
            ) {
                $0.deadLetterTopic = deadLetterTopic
                $0.maxAttempts = 3
            }
            try await eventually("the good records applied") { try await database.effectCount() >= 2 }
            let dead = try await kafka.readAll(deadLetterTopic, atLeast: 4)
            consumer.cancel()
            _ = await consumer.result

            #expect(try await Effects.rows(database).map(\.seq) == [0, 4])
            #expect(dead.count == 4)
            #expect(dead.map { $0.headers.first(named: DeadLetterHeader.errorCode) } == [
                "malformed-envelope", "unknown-event", "unsupported-version", "handler-failed",
            ])
            #expect(dead.allSatisfy { $0.headers.first(named: "x-original") == "kept" }, "original headers are kept")
            #expect(dead.allSatisfy { $0.headers.first(named: DeadLetterHeader.sourceTopic) == topic })
            #expect(dead.map { $0.headers.first(named: DeadLetterHeader.sourceOffset) } == ["1", "2", "3", "4"])
            #expect(dead[3].headers.first(named: DeadLetterHeader.attempts) == "3")
            #expect(dead[3].headers.first(named: DeadLetterHeader.reason)?.contains("poison") == true)
            #expect(dead.map(\.value) == Array(values[1...4]), "the original value is kept")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox WHERE status = 'dead_lettered'") == 4)
            await producer.close()
        }
    }

    @Test("an event whose handler meets deadlocks more times than its attempts is applied once in the end, not dead-lettered")
    func deadlocksAreRetried() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let names = try await kafka.makeTopics(["deadlocked", "deadlocked-dlq"], partitions: 1)
            let topic = names[0]
            let producer = try kafka.producer()
            for seq in 0..<3 {
                let envelope = try EventEnvelope(payload: CounterStep(seq: seq), producer: "test", caseId: "case-d")
                _ = try await producer.send(KafkaProducerMessage(topic: topic, key: "case-d", value: try envelope.encoded()))
            }
            // The second step's handler is chosen as a deadlock's victim five times (PostgreSQL's
            // own error, 40P01), then goes through.
            let victimLeft = Atomic<Int>(5)
            var router = EventRouter()
            let schema = database.schema
            router.on(CounterStep.self) { step, envelope, context in
                if step.seq == 1, victimLeft.subtract(1, ordering: .relaxed).newValue >= 0 {
                    try await context.connection.run(
                        "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$", logger: context.logger)
                }
                try await context.connection.run(
                    "INSERT INTO \(unescaped: schema).effects (case_id, seq, event_id, applied_by) VALUES (\(envelope.caseId ?? ""), \(step.seq), \(envelope.id), 'x')",
                    logger: context.logger)
            }
            let consumer = startConsumer(
                database: database, kafka: kafka, topic: topic, group: LocalStack.uniqueName("g"), producer: producer, handler: router
            ) {
                $0.maxAttempts = 3
                $0.deadLetterTopic = names[1]
            }
            try await eventually("every step applied") { try await database.effectCount() >= 3 }
            consumer.cancel()
            _ = await consumer.result
            #expect(victimLeft.load(ordering: .relaxed) < 0, "the deadlocks happened")
            #expect(try await Effects.rows(database).map(\.seq).sorted() == [0, 1, 2], "each step applied once")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox WHERE status = 'dead_lettered'") == 0)
            await producer.close()
        }
    }

    @Test("a record too large for the dead-letter topic is dead-lettered cut, the cut stated in headers, and the partition moves on")
    func oversizedRecord() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let names = try await kafka.makeTopics(["huge", "huge-dlq"], partitions: 1)
            let (topic, deadLetterTopic) = (names[0], names[1])
            // As a hostile producer would: a record of 1.2 MB with 100 KB of headers and a 10 KB key, then a good one.
            let hostile = try kafka.producer(messageMaxBytes: 4_000_000)
            let huge = Array("{\"not\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 1_200_000)
            let key = [UInt8](repeating: UInt8(ascii: "k"), count: 10_000)
            let headers = (0..<10).map { KafkaHeader(key: "x-bulk-\($0)", value: [UInt8](repeating: 1, count: 10_000)) }
            _ = try await hostile.send(KafkaProducerMessage(topic: topic, key: key, value: huge, headers: headers))
            _ = try await hostile.send(KafkaProducerMessage(
                topic: topic, key: "case-h", value: try EventEnvelope(payload: CounterStep(seq: 7), producer: "test", caseId: "case-h").encoded()))
            await hostile.close()
            // The consumer's own dead-letter producer keeps the default limit of 1,000,000 bytes.
            let producer = try kafka.producer()
            let consumer = startConsumer(database: database, kafka: kafka, topic: topic, group: LocalStack.uniqueName("g"), producer: producer) {
                $0.deadLetterTopic = deadLetterTopic
            }
            try await eventually("the record after the huge one applied") { try await database.effectCount() >= 1 }
            let dead = try await kafka.readAll(deadLetterTopic, atLeast: 1)
            consumer.cancel()
            _ = await consumer.result
            #expect(dead.count == 1)
            #expect(dead[0].value.count == DeadLetterCopy.valueLimit && dead[0].value == Array(huge.prefix(DeadLetterCopy.valueLimit)))
            #expect(dead[0].headers.first(named: DeadLetterHeader.valueBytes) == String(huge.count))
            #expect(dead[0].headers.first(named: DeadLetterHeader.keyBytes) == "10000")
            #expect(dead[0].headers.first(named: DeadLetterHeader.headersDropped) == "10")
            #expect(dead[0].headers.first(named: DeadLetterHeader.errorCode) == "malformed-envelope")
            #expect(dead[0].headers.first(named: DeadLetterHeader.attempts) == "1")
            #expect(try await Effects.rows(database).map(\.seq) == [7])
            await producer.close()
        }
    }
}
