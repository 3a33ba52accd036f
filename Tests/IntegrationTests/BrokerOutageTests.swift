import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import Testing

@Suite("Broker outages (a broker of the test's own)", .enabled(if: stackAvailable && LocalStack.tansuBinary != nil), .serialized)
struct BrokerOutageTests {
    @Test("broker frozen for 30 s: appends keep succeeding, readiness stays 200 and says publishing is degraded, the relay catches up, nothing is lost")
    func frozenBroker() async throws {
        let broker = try await LocalBroker.start()
        defer { broker.stop() }
        let kafka = LocalKafka(brokers: [broker.address])
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let topic = try await kafka.makeTopics(["outage"])[0]
            let producer = try kafka.producer(messageTimeout: .seconds(5))
            var relayConfiguration = OutboxRelayConfiguration()
            relayConfiguration.maxBackoff = .seconds(1)
            let publishing = PublishingHealth(schema: database.schema, failingAfter: .seconds(2))
            let relay = Task {
                try await OutboxRelay(
                    client: database.client, schema: database.schema, producer: producer, configuration: relayConfiguration,
                    logger: LocalStack.logger(), health: publishing
                ).run()
            }
            let gate = StartupGate()
            gate.open()
            let health = HealthRoutes(client: database.client, producer: producer, gate: gate, publishing: publishing)

            var ids = try await Effects.append(cases: ["before"], steps: 10, topic: topic, database: database)
            try await eventually("first events published") { try await database.pendingOutbox() == 0 }
            #expect(await health.readiness(logger: LocalStack.logger()).status == "ready")

            broker.pause()
            let frozenAt = ContinuousClock.now
            for round in 0..<6 {
                ids += try await Effects.append(cases: ["during-\(round)"], steps: 5, topic: topic, database: database)
                try await Task.sleep(for: .seconds(2))
            }
            // The service still does its work (its writes queue in the outbox): a load balancer
            // keeps it, and the report says what is wrong. Deliveries fail after the producer's
            // message timeout (5 s); on a machine busy with the whole suite their reports can come
            // late, so the report is awaited, and the broker stays frozen until it has been read
            // (at least 30 s in all).
            var report = await health.readiness(logger: LocalStack.logger())
            try await eventually("publishing reported failing while the broker is frozen", timeout: .seconds(75)) {
                report = await health.readiness(logger: LocalStack.logger())
                return report.checks["publishing"] == "failing"
            }
            #expect(report.status == "degraded")
            #expect(report.checks["broker"] == "unreachable")
            #expect(report.checks["database"] == "ok")
            #expect(report.checks["publishing"] == "failing")
            #expect(report.publishing?.lastError != nil)
            #expect(try await database.pendingOutbox() > 0)
            try await Task.sleep(until: frozenAt + .seconds(30))
            broker.resume()

            try await eventually("the relay catches up", timeout: .seconds(90)) { try await database.pendingOutbox() == 0 }
            try await eventually("ready again") { await health.readiness(logger: LocalStack.logger()).status == "ready" }
            relay.cancel()
            _ = await relay.result
            let records = try await kafka.readAll(topic, atLeast: ids.count)
            let delivered = Set(records.compactMap { $0.headers.first(named: EventHeader.eventId) })
            #expect(delivered == Set(ids.map { $0.uuidString.lowercased() }), "every appended event reached the broker")
            await producer.close()
        }
    }

    @Test(
        "broker restarted empty under a running relay: the topic comes back with the configured partitions, the relay publishes again without a restart, and what the broker lost is queued again by itself — also when another service recreated the topic first",
        arguments: [false, true])
    func restartedEmptyHealsItself(recreatedByAnother: Bool) async throws {
        let broker = try await LocalBroker.start()
        defer { broker.stop() }
        let kafka = LocalKafka(brokers: [broker.address])
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let logger = LocalStack.logger()
            let topic = LocalStack.uniqueName("lost")
            var producerConfiguration = KafkaProducerConfiguration(client: kafka.client("relay"))
            producerConfiguration.messageTimeout = .seconds(4)
            let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
            let keeper = TopicKeeper(
                producer: producer, admin: KafkaAdminClient(configuration: kafka.client("admin"), logger: logger), partitions: 5,
                publishedTopics: [.init(brokerName: topic, outboxName: topic)], otherTopics: [], client: database.client, schema: database.schema,
                serviceName: "test", retention: .seconds(3600), interval: .seconds(1), logger: logger)
            try await keeper.createAll()
            let publishing = PublishingHealth(schema: database.schema, failingAfter: .seconds(1))
            var relayConfiguration = OutboxRelayConfiguration()
            relayConfiguration.maxBackoff = .seconds(1)
            let relay = OutboxRelay(
                client: database.client, schema: database.schema, producer: producer, configuration: relayConfiguration, logger: logger,
                health: publishing, topicKeeper: keeper)
            let running = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await relay.run() }
                    group.addTask { try await keeper.run() }
                    try await group.waitForAll()
                }
            }

            let first = try await Effects.append(cases: ["x", "y"], steps: 10, topic: topic, database: database)
            try await eventually("first wave published") { try await database.pendingOutbox() == 0 }

            // The broker loses everything; the service goes on writing.
            try await broker.restartEmpty()
            if recreatedByAnother {
                // Another service that reads or writes the topic finds it missing first.
                try await kafka.createTopics([topic], partitions: 5)
            }
            let second = try await Effects.append(cases: ["x", "y"], steps: 5, topic: topic, database: database)
            try await eventually("everything published again", timeout: .seconds(120), interval: .seconds(1)) {
                let losses = try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox_topic_loss")
                return try await database.pendingOutbox() == 0 && losses == 1
            }
            let topics = await KafkaAdminClient(configuration: kafka.client("check"), logger: logger).topics(named: [topic])
            #expect(topics?[topic] == 5, "recreated with the configured partitions, not the broker's default")
            let records = try await kafka.readAll(topic, atLeast: 30)
            let ids = Set(records.compactMap { $0.headers.first(named: EventHeader.eventId) })
            #expect(ids.isSuperset(of: (first + second).map { $0.uuidString.lowercased() }), "the lost wave is on the new broker again, with the new one")
            try await eventually("publishing counts as working again") { publishing.status.ok }
            running.cancel()
            _ = await running.result
            await producer.close()
        }
    }

    @Test(
        "the broker lost its records while the service was stopped: the next instance sees the broker holding less than was delivered and queues it again — also when another service recreated the topic first",
        arguments: [false, true])
    func lostWhileStopped(recreatedByAnother: Bool) async throws {
        let broker = try await LocalBroker.start()
        defer { broker.stop() }
        let kafka = LocalKafka(brokers: [broker.address])
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let logger = LocalStack.logger()
            let topic = LocalStack.uniqueName("lost")
            /// One instance of the service: a producer, its topic keeper and its relay.
            func instance() throws -> (KafkaProducer, TopicKeeper, OutboxRelay) {
                var producerConfiguration = KafkaProducerConfiguration(client: kafka.client("relay"))
                producerConfiguration.messageTimeout = .seconds(4)
                let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
                let keeper = TopicKeeper(
                    producer: producer, admin: KafkaAdminClient(configuration: kafka.client("admin"), logger: logger), partitions: 3,
                    publishedTopics: [.init(brokerName: topic, outboxName: topic)], otherTopics: [], client: database.client,
                    schema: database.schema, serviceName: "test", retention: .seconds(3600), interval: .seconds(1), logger: logger)
                let relay = OutboxRelay(
                    client: database.client, schema: database.schema, producer: producer, configuration: OutboxRelayConfiguration(),
                    logger: logger, topicKeeper: keeper)
                return (producer, keeper, relay)
            }
            func start(_ keeper: TopicKeeper, _ relay: OutboxRelay) -> Task<Void, any Error> {
                Task {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await relay.run() }
                        group.addTask { try await keeper.run() }
                        try await group.waitForAll()
                    }
                }
            }

            let (firstProducer, firstKeeper, firstRelay) = try instance()
            try await firstKeeper.createAll()
            let running = start(firstKeeper, firstRelay)
            let events = try await Effects.append(cases: ["x", "y", "z"], steps: 10, topic: topic, database: database)
            try await eventually("published, and the offsets delivered stored") {
                let stored = try await database.count("SELECT coalesce(sum(highest + 1), 0)::bigint FROM \(database.schema).outbox_topic_offsets")
                return try await database.pendingOutbox() == 0 && stored == 30
            }
            running.cancel()
            _ = await running.result
            await firstProducer.close()

            // While no instance runs, the broker loses everything.
            try await broker.restartEmpty()
            if recreatedByAnother { try await kafka.createTopics([topic], partitions: 3) }

            let (producer, keeper, relay) = try instance()
            try await keeper.createAll()
            let restarted = start(keeper, relay)
            try await eventually("the loss seen and everything queued again", timeout: .seconds(60), interval: .seconds(1)) {
                let losses = try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox_topic_loss")
                return try await database.pendingOutbox() == 0 && losses == 1
            }
            let records = try await kafka.readAll(topic, atLeast: 30)
            let ids = Set(records.compactMap { $0.headers.first(named: EventHeader.eventId) })
            #expect(ids.isSuperset(of: events.map { $0.uuidString.lowercased() }), "every event is on the new broker again")
            restarted.cancel()
            _ = await restarted.result
            await producer.close()
        }
    }

    @Test("two relay batches whose delivery reports arrive in the other order are no loss; offsets handed out again after the broker lost the topic are")
    func reportsOutOfOrderAreNoLoss() async throws {
        let broker = try await LocalBroker.start()
        defer { broker.stop() }
        let kafka = LocalKafka(brokers: [broker.address])
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let logger = LocalStack.logger()
            let topic = LocalStack.uniqueName("order")
            let producer = try kafka.producer(messageTimeout: .seconds(5))
            let keeper = TopicKeeper(
                producer: producer, admin: KafkaAdminClient(configuration: kafka.client("admin"), logger: logger), partitions: 3,
                publishedTopics: [.init(brokerName: topic, outboxName: topic)], otherTopics: [], client: database.client,
                schema: database.schema, serviceName: "test", retention: .seconds(3600), interval: .seconds(3600), logger: logger)
            try await keeper.createAll()
            func send(_ count: Int) async throws -> (partition: Int32, offsets: ClosedRange<Int64>) {
                let reports = try await producer.send((0..<count).map { _ in KafkaProducerMessage(topic: topic, key: Array("k".utf8), value: [1]) }).map { try $0.get() }
                return (reports[0].partition, reports.map(\.offset).min()!...reports.map(\.offset).max()!)
            }
            let first = try await send(10)
            let second = try await send(10)
            // Two concurrent batches: the later one's reports are noted first.
            keeper.noteDelivered([topic: [second.partition: [second.offsets]]])
            keeper.noteDelivered([topic: [first.partition: [first.offsets]]])
            #expect(try await keeper.check() == [], "the broker's log goes on past both batches: nothing was lost")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox_topic_loss") == 0)

            // The broker loses the topic; it is made anew and hands out the same offsets again.
            try await broker.restartEmpty()
            try await kafka.createTopics([topic], partitions: 3)
            let producerAfter = try kafka.producer(messageTimeout: .seconds(5))
            let again = try await producerAfter.send((0..<3).map { _ in KafkaProducerMessage(topic: topic, key: Array("k".utf8), value: [1]) }).map { try $0.get() }
            keeper.noteDelivered([topic: [again[0].partition: [again.map(\.offset).min()!...again.map(\.offset).max()!]]])
            #expect(try await keeper.check() == [topic], "offsets handed out a second time: the topic lost its records")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox_topic_loss") == 1)
            await producerAfter.close()
            await producer.close()
        }
    }

    @Test("broker restarted empty: republishing the range brings the consumer to the state it would have had")
    func restartedEmpty() async throws {
        let broker = try await LocalBroker.start()
        defer { broker.stop() }
        let kafka = LocalKafka(brokers: [broker.address])
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let topic = try await kafka.makeTopics(["restart"])[0]
            let group = LocalStack.uniqueName("g")
            let started = Date()
            var producer = try kafka.producer(messageTimeout: .seconds(5))
            let relay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, logger: LocalStack.logger())

            // The consumer applies the first wave; a second wave is published while it is down.
            _ = try await Effects.append(cases: ["x", "y"], steps: 10, topic: topic, database: database)
            while try await database.pendingOutbox() > 0 { try await relay.relayOnce() }
            var consumer = startConsumer(database: database, kafka: kafka, topic: topic, group: group, producer: producer)
            try await eventually("first wave applied") { try await database.effectCount() >= 20 }
            consumer.cancel()
            _ = await consumer.result
            _ = try await Effects.append(cases: ["x", "y"], steps: 5, topic: topic, database: database)
            while try await database.pendingOutbox() > 0 { try await relay.relayOnce() }
            #expect(try await database.effectCount() == 20)

            // The broker loses everything.
            await producer.close()
            try await broker.restartEmpty()
            try await kafka.createTopics([topic])
            let queued = try await Outbox(schema: database.schema).republish(
                from: started, to: Date().addingTimeInterval(1), requestedBy: "test", producer: "test", auditTopic: Topic(rawValue: topic),
                client: database.client, logger: LocalStack.logger())
            #expect(queued == 30)
            producer = try kafka.producer(messageTimeout: .seconds(5))
            let newRelay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, logger: LocalStack.logger())
            while try await database.pendingOutbox() > 0 { try await newRelay.relayOnce() }

            consumer = startConsumer(database: database, kafka: kafka, topic: topic, group: group, producer: producer)
            try await eventually("second wave applied") { try await database.effectCount() >= 30 }
            try await Task.sleep(for: .seconds(2))
            consumer.cancel()
            _ = await consumer.result
            let effects = try await Effects.rows(database)
            #expect(effects.count == 30)
            #expect(Set(effects.map(\.eventId)).count == 30)
            for caseId in ["x", "y"] {
                #expect(effects.filter { $0.caseId == caseId }.map(\.seq) == Array(0..<10) + Array(0..<5))
            }
            await producer.close()
        }
    }
}
