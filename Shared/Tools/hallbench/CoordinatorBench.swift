import AsyncHTTPClient
import Foundation
import HallCalendar
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import Logging
import PostgresNIO

/// The coordinator benchmark (`hallbench --coordinator`), on the release-built `coordinator`
/// executable (``ServiceProcess``) with a schema and a Kafka namespace of its own:
///
/// 1. **Routing**: `--cases` `intake.application.accepted` events (joint items, a lead and two
///    participants) are produced to the namespace's `hall.intake.events`; the coordinator's consumer
///    (inbox, lanes, outbox) turns each into a case, three tasks, a ledger entry, timers and
///    `coordinator.task.assigned` events. Prints cases/s from the first routed case to the last.
/// 2. **Timers**: at least `--timers` pending timers (the routed cases' own, topped up with filler
///    warnings 30 days out), of which `--due` are made due at once; prints how long the service's
///    timer loop (looking every 50 ms here) takes to fire them all, each alert recorded once with its
///    event in the same transaction.
///
/// The benchmark reads the service's schema only to count what it did, and writes to it only to
/// add the filler timers and to move the due ones' time: the two things no API offers.
extension HallBench {
    static let coordinatorSecret = String(repeating: "c", count: 40)

    func coordinatorBenchmark(adminURL: String) async throws {
        try await withServiceUnderBench(
            "coordinator", adminURL: adminURL, pgbenchTransactions: coordinatorPgbenchTransactions, secret: Self.coordinatorSecret,
            extra: ["HALL_COORDINATOR_TIMER_INTERVAL_MS": "50", "HALL_COORDINATOR_TIMER_IDLE_MAX_MS": "50"]
        ) { bench in
            try await coordinatorRuns(schema: bench.schema, namespace: bench.namespace, client: bench.database, logger: bench.logger)
        }
    }

    private func coordinatorRuns(schema: String, namespace: String, client: PostgresClient, logger: Logger) async throws {
        func count(_ query: PostgresQuery) async throws -> Int {
            Int(try await client.run(query, logger: logger).collect().first?.decode(Int64.self) ?? 0)
        }

        // 1. Routing: accepted applications on the namespace's intake topic.
        let kafka = try LocalKafka.stack()
        let producer = try kafka.producer(messageTimeout: .seconds(60))
        let topic = "\(namespace).\(Topic.intakeEvents.rawValue)"
        await producer.lookUp(topic: topic)
        let acceptedAt = Date()
        let due = try WorkingCalendar.bundled().dueDate(acceptedAt: acceptedAt, workingDays: 20)
        var messages: [KafkaProducerMessage] = []
        messages.reserveCapacity(cases)
        for n in 0..<cases {
            let caseId = UUID().uuidString.lowercased()
            let accepted = ApplicationAccepted(
                receiptCode: "B\(n)", noticeNumber: String(format: "2026-%06d", n % 1_000_000), itemCode: "JOINT-001", itemVersion: 1,
                itemName: "建设工程联合审批", kind: .joint, leadDepartmentId: "d-build", participantDepartmentIds: ["d-fire", "d-env"],
                acceptedAt: acceptedAt, dueDate: due.date.hallDate, dueDateProvisional: due.isProvisional, promisedLimitDays: 20,
                legalLimitDays: 20, notCounted: [.expertReview], channel: .window, greenChannel: false, applicantKind: .organisation,
                applicantName: "某建设公司", promisedMaterials: [], clerkId: "clerk-1", windowId: "w-01",
                materials: [.init(materialId: "plan", name: "设计方案", form: .original, copies: 1)])
            let envelope = try EventEnvelope(payload: accepted, producer: "intake", caseId: caseId)
            messages.append(KafkaProducerMessage(topic: topic, key: caseId, value: try envelope.encoded()))
        }
        for chunk in stride(from: 0, to: messages.count, by: 5_000) {
            for result in await producer.sendSigned(Array(messages[chunk..<min(chunk + 5_000, messages.count)])) { _ = try result.get() }
        }
        await producer.close()

        var first: (ContinuousClock.Instant, Int)?
        var routed = 0
        let deadline = ContinuousClock.now + .seconds(600)
        while routed < cases, ContinuousClock.now < deadline {
            routed = try await count("SELECT count(*) FROM \(unescaped: schema).cases")
            if first == nil, routed > 0 { first = (ContinuousClock.now, routed) }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let first, routed >= cases else { throw BenchError("only \(routed) of \(cases) cases were routed in 600 s") }
        let routingSeconds = seconds(since: first.0)
        let tasks = try await count("SELECT count(*) FROM \(unescaped: schema).tasks")
        let assigned = try await count("SELECT count(*) FROM \(unescaped: schema).outbox WHERE event_type = 'coordinator.task.assigned'")
        print(
            String(
                format: "coordinator: routing %d accepted cases → %d tasks, %d task events in the outbox: %.0f cases/s",
                cases, tasks, assigned, Double(routed - first.1) / max(routingSeconds, 0.001)))

        // 2. Timers: top up to `timers` pending, make `due` of them due at once, let the service fire them.
        let pending = try await count("SELECT count(*) FROM \(unescaped: schema).timers")
        if pending < timers {
            try await client.run(
                """
                INSERT INTO \(unescaped: schema).timers (case_id, subject, kind, fire_at)
                SELECT c.case_id, 'filler-' || g, 'warning', now() + interval '30 days'
                FROM (SELECT case_id, row_number() OVER () AS r FROM \(unescaped: schema).cases) c
                JOIN generate_series(1, \(timers - pending)) g ON (g % \(max(1, routed))) + 1 = c.r
                """, logger: logger)
        }
        let total = try await count("SELECT count(*) FROM \(unescaped: schema).timers")
        let alertsBefore = try await count("SELECT count(*) FROM \(unescaped: schema).alerts")
        try await client.run(
            """
            UPDATE \(unescaped: schema).timers SET fire_at = now() - interval '1 second'
            WHERE timer_id IN (SELECT timer_id FROM \(unescaped: schema).timers WHERE subject NOT LIKE 'filler-%'
                               ORDER BY timer_id LIMIT \(dueCount))
            """, logger: logger)
        let start = ContinuousClock.now
        var left = dueCount
        while left > 0, ContinuousClock.now < start + .seconds(120) {
            left = try await count("SELECT count(*) FROM \(unescaped: schema).timers WHERE fire_at <= now()")
            if left > 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        let timerSeconds = seconds(since: start)
        guard left == 0 else { throw BenchError("\(left) of \(dueCount) due timers were still pending after 120 s") }
        let alerts = try await count("SELECT count(*) FROM \(unescaped: schema).alerts") - alertsBefore
        print(
            String(
                format: "coordinator: %d pending timers, %d due at once: all fired (%d alerts) in %.2f s (%.0f timers/s)",
                total, dueCount, alerts, timerSeconds, Double(dueCount) / max(timerSeconds, 0.001)))
    }
}
