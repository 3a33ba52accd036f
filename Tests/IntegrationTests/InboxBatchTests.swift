import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import Synchronization
import Testing

struct PoisonStep: Error { var seq: Int }

/// Batched handlers (`EventRouter.onBatch`): a run of events of one type in a consumer transaction
/// is applied together, in order, once; a failing batch falls back to one event at a time.
@Suite("Inbox consumer: batched handlers", .enabled(if: stackAvailable))
struct InboxBatchTests {
    final class Sizes: Sendable {
        let sizes = Mutex<[Int]>([])
        func record(_ n: Int) { sizes.withLock { $0.append(n) } }
        var all: [Int] { sizes.withLock { $0 } }
    }

    static func router(schema: String, sizes: Sizes) -> EventRouter {
        var router = EventRouter()
        router.onBatch(CounterStep.self) { steps, context in
            sizes.record(steps.count)
            if let poison = steps.first(where: { $0.0.poison }) { throw PoisonStep(seq: poison.0.seq) }
            try await context.connection.query(
                """
                INSERT INTO \(unescaped: schema).effects (case_id, seq, event_id)
                SELECT * FROM unnest(\(steps.map { $0.1.caseId ?? "" })::text[], \(steps.map { $0.0.seq })::int[], \(steps.map { $0.1.id })::uuid[])
                """, logger: context.logger)
        }
        return router
    }

    static func messages(_ steps: [CounterStep], caseId: String, topic: String) throws -> [KafkaConsumerMessage] {
        try steps.enumerated().map { index, step in
            KafkaConsumerMessage(
                topic: topic, partition: 0, offset: Int64(index), key: Array(caseId.utf8),
                value: try EventEnvelope(payload: step, producer: "test", caseId: caseId).encoded(), headers: [])
        }
    }

    @Test("twenty steps of one case are applied as one batch, in order; the same records again change nothing")
    func batchApplied() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let producer = try kafka.producer()
            let sizes = Sizes()
            let inbox = InboxConsumer(
                configuration: InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: "batch", topics: ["t"])), client: database.client,
                schema: database.schema, serviceName: "test", handler: Self.router(schema: database.schema, sizes: sizes), deadLetters: producer,
                logger: LocalStack.logger())
            let batch = try Self.messages((0..<20).map { CounterStep(seq: $0) }, caseId: "case-b", topic: "t")
            try await inbox.apply(batch)
            try await inbox.apply(batch)
            let rows = try await Effects.rows(database)
            #expect(rows.map(\.seq) == Array(0..<20))
            #expect(sizes.all == [20], "one batch; the redelivery reached no handler")
            await producer.close()
        }
    }

    /// A second batchable type, for interleaved runs.
    struct CounterMark: EventPayload {
        static let eventType = "test.counter.mark"
        static let eventVersion = 1
        var seq: Int
    }

    @Test("steps and marks interleaved: one batch per run when order matters, one batch per type when the handler commutes, the marks together after the steps when only they commute; all applied once")
    func commutingHandlerGroupsTypes() async throws {
        let kafka = try LocalKafka.stack()
        for (commutes, marksCommute) in [(false, false), (true, false), (false, true)] {
            try await ScratchDatabase.with(extra: [Effects.migration]) { database in
                let producer = try kafka.producer()
                let sizes = Sizes()
                var router = Self.router(schema: database.schema, sizes: sizes)
                router.commutes = commutes
                router.onBatch(CounterMark.self, commuting: marksCommute) { marks, context in
                    sizes.record(-marks.count)
                    try await context.connection.run(
                        """
                        INSERT INTO \(unescaped: database.schema).effects (case_id, seq, event_id)
                        SELECT * FROM unnest(\(marks.map { _ in "marks" })::text[], \(marks.map { $0.0.seq })::int[], \(marks.map { $0.1.id })::uuid[])
                        """, logger: context.logger)
                }
                let inbox = InboxConsumer(
                    configuration: InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: "batch", topics: ["t"])), client: database.client,
                    schema: database.schema, serviceName: "test", handler: router, deadLetters: producer, logger: LocalStack.logger())
                let batch = try (0..<20).map { index in
                    let envelope = index % 2 == 0
                        ? try EventEnvelope(payload: CounterStep(seq: index / 2), producer: "test", caseId: "case-i")
                        : try EventEnvelope(payload: CounterMark(seq: index / 2), producer: "test", caseId: "case-i")
                    return KafkaConsumerMessage(topic: "t", partition: 0, offset: Int64(index), key: Array("case-i".utf8), value: try envelope.encoded(), headers: [])
                }
                try await inbox.apply(batch)
                try await inbox.apply(batch)
                let rows = try await Effects.rows(database)
                #expect(rows.filter { $0.caseId == "case-i" }.map(\.seq).sorted() == Array(0..<10))
                #expect(rows.filter { $0.caseId == "marks" }.map(\.seq).sorted() == Array(0..<10))
                if commutes {
                    #expect(sizes.all == [10, -10], "one batch of each type, in the order of their first appearance")
                } else if marksCommute {
                    #expect(sizes.all == [10, -10], "the marks taken out of the way, the steps form one run in their order; then the marks together")
                } else {
                    #expect(sizes.all == [1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1], "one batch per run of one")
                }
                await producer.close()
            }
        }
    }

    @Test("a small batch of many cases and partitions is one transaction; a large one is split into lanes, each case whole and in order in one of them")
    func lanes() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let producer = try kafka.producer()
            // Each step records the transaction that applied it.
            var router = EventRouter()
            router.on(CounterStep.self) { step, envelope, context in
                try await context.connection.run(
                    """
                    INSERT INTO \(unescaped: database.schema).effects (case_id, seq, event_id, applied_by)
                    VALUES (\(envelope.caseId ?? ""), \(step.seq), \(envelope.id), txid_current()::text)
                    """, logger: context.logger)
            }
            var configuration = InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: "lanes", topics: ["t"]))
            configuration.recordsPerLane = 10
            configuration.parallelism = 4
            let inbox = InboxConsumer(
                configuration: configuration, client: database.client, schema: database.schema, serviceName: "test", handler: router,
                deadLetters: producer, logger: LocalStack.logger())
            // Cases spread over three partitions, their steps interleaved as a poll returns them.
            func batch(_ prefix: String, cases: Int, steps: Int) throws -> [KafkaConsumerMessage] {
                try (0..<steps).flatMap { seq in
                    try (0..<cases).map { number in
                        let caseId = "\(prefix)-\(number)"
                        return KafkaConsumerMessage(
                            topic: "t", partition: Int32(number % 3), offset: Int64(seq * cases + number), key: Array(caseId.utf8),
                            value: try EventEnvelope(payload: CounterStep(seq: seq), producer: "test", caseId: caseId).encoded(), headers: [])
                    }
                }
            }
            try await inbox.apply(try batch("small", cases: 6, steps: 3))
            try await inbox.apply(try batch("large", cases: 40, steps: 3))
            var rows: [(caseId: String, seq: Int, appliedBy: String)] = []
            for try await (caseId, seq, appliedBy) in try await database.client.run(
                "SELECT case_id, seq, applied_by FROM \(unescaped: database.schema).effects ORDER BY id", logger: LocalStack.logger()
            ).decode((String, Int, String).self) {
                rows.append((caseId, seq, appliedBy))
            }
            let small = rows.filter { $0.caseId.hasPrefix("small-") }, large = rows.filter { $0.caseId.hasPrefix("large-") }
            #expect(small.count == 18 && large.count == 120, "every step applied once")
            #expect(Set(small.map(\.appliedBy)).count == 1, "18 records (fewer than twice 10): one transaction for six cases on three partitions")
            let transactions = Set(large.map(\.appliedBy))
            #expect(transactions.count > 1 && transactions.count <= 4, "120 records: lanes, at most the parallelism, got \(transactions.count)")
            for caseId in Set(large.map(\.caseId)) {
                let steps = large.filter { $0.caseId == caseId }
                #expect(Set(steps.map(\.appliedBy)).count == 1, "\(caseId) in one transaction")
                #expect(steps.map(\.seq) == [0, 1, 2], "\(caseId) in order")
            }
            await producer.close()
        }
    }

    @Test("a batch with a poison step falls back to one at a time: the others are applied once, the poison is dead-lettered")
    func poisonFallsBack() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let dlq = try await kafka.makeTopics(["batch-dlq"], partitions: 1)[0]
            let producer = try kafka.producer()
            let sizes = Sizes()
            var configuration = InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: "batch", topics: ["t"]))
            configuration.deadLetterTopic = dlq
            configuration.maxAttempts = 1
            let inbox = InboxConsumer(
                configuration: configuration, client: database.client, schema: database.schema, serviceName: "test",
                handler: Self.router(schema: database.schema, sizes: sizes), deadLetters: producer, logger: LocalStack.logger())
            let steps = (0..<10).map { CounterStep(seq: $0, poison: $0 == 4) }
            try await inbox.apply(try Self.messages(steps, caseId: "case-p", topic: "t"))
            let rows = try await Effects.rows(database)
            #expect(rows.map(\.seq) == [0, 1, 2, 3, 5, 6, 7, 8, 9])
            #expect(sizes.all.first == 10 && sizes.all.dropFirst().allSatisfy { $0 == 1 }, "the failed batch, then one by one")
            let dead = try await kafka.readAll(dlq, atLeast: 1)
            #expect(dead.count == 1)
            await producer.close()
        }
    }
}
