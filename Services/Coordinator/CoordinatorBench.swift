import Foundation
import HallCalendar
import HallContracts
import HallKafka
import HallKit
import Logging
import PostgresNIO

/// `coordinator bench [--cases N] [--due N] [--timers N]`: against the local stack (`HALL_ADMIN_DATABASE_URL`,
/// `HALL_KAFKA_BROKERS`), on a fresh schema and topic:
///
/// 1. **Routing**: N `intake.application.accepted` events (joint items, a lead and two participants)
///    are produced to a topic, then the coordinator's real consumer (inbox, lanes, outbox) turns
///    them into cases, three tasks each, ledger entries, timers and `coordinator.task.assigned`
///    events. Prints cases/s from the first routed case to the last.
/// 2. **Timers**: at least `--timers` pending timers (the routed cases' plus filler cases' timers),
///    of which `--due` are made due at once; prints how long firing them all took (alert recorded once
///    plus its event in the outbox, in the same transactions).
enum CoordinatorBench {
    static func run(_ arguments: [String]) async -> Int32 {
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else { return fallback }
            return value
        }
        let caseCount = option("--cases", 20_000)
        let dueCount = option("--due", 10_000)
        let timerCount = option("--timers", 100_000)
        var logger = Logger(label: "hall.coordinator.bench")
        logger.logLevel = .warning
        do {
            let environment = EnvironmentReader()
            let url = try environment.raw("HALL_ADMIN_DATABASE_URL") ?? environment.require("HALL_DATABASE_URL")
            let brokers = try environment.require("HALL_KAFKA_BROKERS", hint: "host:port").split(separator: ",").map(String.init)
            let tag = UInt32.random(in: 0...UInt32.max)
            let schema = "coordbench_\(tag)"
            let database = try DatabaseConfiguration(url: url, key: "HALL_ADMIN_DATABASE_URL", schema: schema, poolSize: 12)
            let client = PostgresClient(configuration: database.clientConfiguration(), backgroundLogger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                try await Migrator.migrate(PlatformMigrations.all + CoordinatorMigrations.all, schema: schema, client: client, logger: logger)
                let store = CoordinatorStore(client: client, schema: schema, clock: CaseClock(calendar: try WorkingCalendar.bundled()), logger: logger)

                // 1. Routing through Kafka and the inbox consumer.
                let kafka = KafkaClientConfiguration(bootstrapServers: brokers, clientId: "coordinator-bench")
                let topic = "coordbench-\(tag)"
                try await KafkaAdminClient(configuration: kafka, logger: logger).createTopics([KafkaTopicSpecification(name: topic, partitions: 6)])
                let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: kafka), logger: logger)
                let acceptedAt = Date()
                let due = CaseClock(calendar: try WorkingCalendar.bundled()).calendar.dueDate(acceptedAt: acceptedAt, workingDays: 20)
                var messages: [KafkaProducerMessage] = []
                for n in 0..<caseCount {
                    let caseId = UUID().uuidString.lowercased()
                    let accepted = ApplicationAccepted(
                        receiptCode: "B\(tag)-\(n)", noticeNumber: String(format: "2026-%06d", n % 1_000_000), itemCode: "JOINT-001", itemVersion: 1,
                        itemName: "建设工程联合审批", kind: "joint", leadDepartmentId: "d-build", participantDepartmentIds: ["d-fire", "d-env"],
                        acceptedAt: acceptedAt, dueDate: due.date.description, dueDateProvisional: due.isProvisional, promisedLimitDays: 20,
                        legalLimitDays: 20, notCounted: ["expert-review"], channel: "window", greenChannel: false, applicantKind: "organisation",
                        applicantName: "某建设公司", promisedMaterials: [], clerkId: "clerk-1", windowId: "w-01",
                        materials: [.init(materialId: "plan", name: "设计方案", form: "original", copies: 1)])
                    let envelope = try EventEnvelope(payload: accepted, producer: "intake", caseId: caseId)
                    messages.append(KafkaProducerMessage(topic: topic, key: caseId, value: try envelope.encoded()))
                }
                for chunk in stride(from: 0, to: messages.count, by: 5_000) {
                    for result in await producer.send(Array(messages[chunk..<min(chunk + 5_000, messages.count)])) { _ = try result.get() }
                }
                var consumerKafka = KafkaConsumerConfiguration(client: kafka, groupId: "coordbench-\(tag)", topics: [topic])
                consumerKafka.sessionTimeout = .seconds(6)
                consumerKafka.heartbeatInterval = .seconds(1)
                let consumer = InboxConsumer(
                    configuration: InboxConsumerConfiguration(kafka: consumerKafka), client: client, schema: schema, serviceName: "coordinator",
                    handler: CoordinatorConsumer.router(store: store), deadLetters: producer, logger: logger)
                let consuming = Task { try await consumer.run() }
                func count(_ sql: String) async throws -> Int {
                    Int(try await client.run(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int64.self).collectAll().first ?? 0)
                }
                var first: (ContinuousClock.Instant, Int)?
                var routed = 0
                let deadline = ContinuousClock.now + .seconds(600)
                while routed < caseCount, ContinuousClock.now < deadline {
                    routed = try await count("SELECT count(*) FROM \(schema).cases")
                    if first == nil, routed > 0 { first = (ContinuousClock.now, routed) }
                    try await Task.sleep(for: .milliseconds(100))
                }
                consuming.cancel()
                _ = await consuming.result
                await producer.close()
                guard let first, routed >= caseCount else { throw HallError(.internalError, "only \(routed) of \(caseCount) cases were routed") }
                let seconds = Double((ContinuousClock.now - first.0).components.attoseconds) / 1e18 + Double((ContinuousClock.now - first.0).components.seconds)
                let tasks = try await count("SELECT count(*) FROM \(schema).tasks")
                let assigned = try await count("SELECT count(*) FROM \(schema).outbox WHERE event_type = 'coordinator.task.assigned'")
                print(
                    String(
                        format: "coordinator bench: routing %d accepted cases → %d tasks, %d task events in the outbox: %.0f cases/s",
                        caseCount, tasks, assigned, Double(routed - first.1) / max(seconds, 0.001)))

                // 2. Timers: top up to `timerCount` pending, make `dueCount` due at once, fire them.
                let pending = try await count("SELECT count(*) FROM \(schema).timers")
                if pending < timerCount {
                    try await client.run(
                        PostgresQuery(
                            unsafeSQL: """
                                INSERT INTO \(schema).timers (case_id, subject, kind, fire_at)
                                SELECT c.case_id, 'filler-' || g, 'warning', now() + interval '30 days'
                                FROM (SELECT case_id, row_number() OVER () AS r FROM \(schema).cases) c
                                JOIN generate_series(1, \(timerCount - pending)) g ON (g % \(max(1, routed))) + 1 = c.r
                                """), logger: logger)
                }
                try await client.run(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE \(schema).timers SET fire_at = now() - interval '1 second'
                            WHERE timer_id IN (SELECT timer_id FROM \(schema).timers WHERE subject = 'case' OR subject NOT LIKE 'filler-%'
                                               ORDER BY timer_id LIMIT \(dueCount))
                            """), logger: logger)
                let total = try await count("SELECT count(*) FROM \(schema).timers")
                let start = ContinuousClock.now
                var fired = 0
                while fired < dueCount {
                    let batch = try await store.fireDueTimers()
                    if batch == 0 { break }
                    fired += batch
                }
                let elapsed = ContinuousClock.now - start
                let timerSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let alerts = try await count("SELECT count(*) FROM \(schema).alerts")
                print(
                    String(
                        format: "coordinator bench: %d pending timers, %d due at once: fired %d (alerts %d) in %.2f s (%.0f timers/s)",
                        total, dueCount, fired, alerts, timerSeconds, Double(fired) / max(timerSeconds, 0.001)))
                try await client.run("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: logger)
                return 0
            }
        } catch {
            FileHandle.standardError.write(Data("coordinator bench: \(error)\n".utf8))
            return 1
        }
    }
}
