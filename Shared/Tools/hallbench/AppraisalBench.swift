import AsyncHTTPClient
import Foundation
import HallCalendar
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import Logging
import PostgresNIO

/// The appraisal benchmark (`hallbench --appraisal`), on the release-built `appraisal` executable
/// (``ServiceProcess``) with a schema and a Kafka namespace of its own:
///
/// 1. **Ingestion**: `--appraisal-events` events — acceptances, refusals and correction notices on
///    the namespace's `hall.intake.events`, completions on `hall.coordinator.events`, in the
///    proportions of a hall's day — through the executable's consumer (inbox, facts); prints
///    events/s from the first applied to the last.
/// 2. **A year's statistics**: the facts of `--appraisal-year-cases` cases of one year (a county
///    hall's million by default) are generated in the schema in bulk — the one thing the benchmark
///    writes, as the events would take too long to produce — the service recounts them into its
///    daily roll-ups (the time is printed), then the centre's year statistics and the year's figures
///    by department and month are asked over HTTP five times each; prints the median and worst.
extension HallBench {
    static let appraisalSecret = String(repeating: "a", count: 40)

    func appraisalBenchmark(adminURL: String) async throws {
        try await withServiceUnderBench(
            "appraisal", adminURL: adminURL, pgbenchTransactions: appraisalPgbenchTransactions, secret: Self.appraisalSecret
        ) { bench in
            try await appraisalIngestion(bench)
            try await appraisalYear(bench)
        }
    }

    private func appraisalIngestion(_ bench: ServiceUnderBench) async throws {
        let kafka = try LocalKafka.stack()
        let producer = try kafka.producer(messageTimeout: .seconds(60))
        let intake = "\(bench.namespace).\(Topic.intakeEvents.rawValue)"
        let coordinator = "\(bench.namespace).\(Topic.coordinatorEvents.rawValue)"
        await producer.lookUp(topic: intake)
        await producer.lookUp(topic: coordinator)
        let calendar = try WorkingCalendar.bundled()
        let acceptedAt = Date().addingTimeInterval(-86_400 * 3)
        let due = calendar.dueDate(acceptedAt: acceptedAt, workingDays: 5)
        var messages: [KafkaProducerMessage] = []
        messages.reserveCapacity(appraisalEvents)
        var n = 0
        while messages.count < appraisalEvents {
            let caseId = UUID().uuidString.lowercased()
            let item = "ITEM-\(n % 60)", staff = "clerk-\(n % 40)", window = "w-\(n % 12)", department = "d-\(n % 12)"
            switch n % 10 {
            case 0:
                let refused = ApplicationRefused(
                    receiptCode: "R\(n)", itemCode: item, reasonCode: .notInForce, reason: "事项已停止办理", competentAuthority: "县政务服务中心",
                    refusedAt: acceptedAt, clerkId: staff, windowId: window)
                messages.append(KafkaProducerMessage(topic: intake, key: caseId, value: try EventEnvelope(payload: refused, producer: "intake", caseId: caseId).encoded()))
            default:
                let accepted = ApplicationAccepted(
                    receiptCode: "R\(n)", noticeNumber: String(format: "2026-%06d", n % 1_000_000), itemCode: item, itemVersion: 1, itemName: "事项",
                    kind: .committed, leadDepartmentId: department, participantDepartmentIds: [], acceptedAt: acceptedAt, dueDate: due.date.hallDate,
                    dueDateProvisional: false, promisedLimitDays: 5, legalLimitDays: 20, notCounted: [], channel: n % 3 == 0 ? .online : .window,
                    greenChannel: false, applicantKind: .person, applicantName: "张三", promisedMaterials: [], clerkId: staff, windowId: window)
                messages.append(KafkaProducerMessage(topic: intake, key: caseId, value: try EventEnvelope(payload: accepted, producer: "intake", caseId: caseId).encoded()))
                if messages.count < appraisalEvents {
                    let completed = CaseCompleted(
                        receiptCode: "R\(n)", itemCode: item, leadDepartmentId: department, departmentIds: [department], outcome: .approved,
                        acceptedAt: acceptedAt, completedAt: acceptedAt.addingTimeInterval(Double(n % 5) * 86_400 + 3_600), dueDate: due.date.hallDate,
                        onTime: n % 7 != 0, imprintIds: [UUID().uuidString.lowercased()], suspendedWorkingDays: 0, extensionWorkingDays: 0, bundleId: nil)
                    messages.append(
                        KafkaProducerMessage(topic: coordinator, key: caseId, value: try EventEnvelope(payload: completed, producer: "coordinator", caseId: caseId).encoded()))
                }
            }
            n += 1
        }
        for chunk in stride(from: 0, to: messages.count, by: 5_000) {
            for result in await producer.sendSigned(Array(messages[chunk..<min(chunk + 5_000, messages.count)])) { _ = try result.get() }
        }
        await producer.close()
        func applied() async throws -> Int {
            Int(try await bench.database.run("SELECT count(*) FROM \(unescaped: bench.schema).inbox", logger: bench.logger).collect().first?.decode(Int64.self) ?? 0)
        }
        var first: (ContinuousClock.Instant, Int)?
        var done = 0
        var last = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            done = try await applied()
            last = ContinuousClock.now
            if first == nil, done > 0 { first = (last, done) }
            if done >= appraisalEvents { break }
            // Counting the inbox is a scan of it: looked at four times a second, not to take the consumer's share of the machine.
            try await Task.sleep(for: .milliseconds(250))
        }
        guard let first, done >= appraisalEvents else { throw BenchError("only \(done) of \(appraisalEvents) events were applied in 600 s") }
        let rate = Double(done - first.1) / max(seconds(last - first.0), 0.001)
        print(String(format: "appraisal: %d events (acceptances, refusals, completions) into the figures through the executable's consumer: %.0f events/s", done, rate)
            + " — goal ≥ 3,000/s \(rate >= 3_000 ? "✔" : "✘")")
    }

    private func appraisalYear(_ bench: ServiceUnderBench) async throws {
        let cases = appraisalYearCases
        let generated = ContinuousClock.now
        // A year of a county hall: 60 items, 12 departments, 40 clerks at 12 windows; a tenth refused, a case a ratings in fifteen.
        try await bench.database.run(
            """
            INSERT INTO \(unescaped: bench.schema).desk_outcomes (event_id, outcome, receipt_code, item_code, department_id, staff_id, window_id, day)
            SELECT gen_random_uuid(), CASE WHEN g % 10 = 0 THEN 'refused' ELSE 'accepted' END, 'Y' || g, 'ITEM-' || (g % 60),
                   'd-' || (g % 12), 'clerk-' || (g % 40), 'w-' || (g % 12), DATE '2025-01-01' + (g % 365)
            FROM generate_series(1, \(cases)::int) g
            """, logger: bench.logger)
        try await bench.database.run(
            """
            INSERT INTO \(unescaped: bench.schema).case_facts
                (case_id, receipt_code, item_code, department_id, staff_id, window_id, accepted_at, completed_at, completed_day, outcome, on_time,
                 handling_days, channel, due_date)
            SELECT 'y-' || g, 'Y' || g, 'ITEM-' || (g % 60), 'd-' || (g % 12), 'clerk-' || (g % 40), 'w-' || (g % 12),
                   TIMESTAMPTZ '2025-01-01 09:00+08' + (g % 365) * interval '1 day',
                   CASE WHEN g % 50 = 0 THEN NULL ELSE TIMESTAMPTZ '2025-01-01 16:00+08' + ((g % 365) + g % 6) * interval '1 day' END,
                   CASE WHEN g % 50 = 0 THEN NULL ELSE DATE '2025-01-01' + ((g % 365) + g % 6) END,
                   CASE WHEN g % 50 = 0 THEN NULL ELSE 'approved' END, CASE WHEN g % 50 = 0 THEN NULL ELSE g % 9 <> 0 END,
                   CASE WHEN g % 50 = 0 THEN NULL ELSE g % 6 END, CASE WHEN g % 3 = 0 THEN 'online' ELSE 'window' END,
                   DATE '2025-01-01' + (g % 365) + 5
            FROM generate_series(1, \(cases)::int) g WHERE g % 10 <> 0
            """, logger: bench.logger)
        try await bench.database.run(
            """
            INSERT INTO \(unescaped: bench.schema).ratings (rating_id, case_id, receipt_code, level, channel, client, rated_at, day)
            SELECT gen_random_uuid(), 'y-' || g, 'Y' || g,
                   (ARRAY['very-satisfied', 'satisfied', 'basically-satisfied', 'dissatisfied', 'very-dissatisfied'])[1 + g % 5], 'sms', 'bench',
                   TIMESTAMPTZ '2025-01-02 10:00+08' + (g % 365) * interval '1 day', DATE '2025-01-02' + (g % 365)
            FROM generate_series(1, \(cases)::int) g WHERE g % 15 = 1
            """, logger: bench.logger)
        // One task per case, its opinion 1–48 hours after the assignment.
        try await bench.database.run(
            """
            INSERT INTO \(unescaped: bench.schema).task_assignments (event_id, task_id, department_id, assigned_at)
            SELECT gen_random_uuid(), 't-' || g, 'd-' || (g % 12), TIMESTAMPTZ '2025-01-01 10:00+08' + (g % 365) * interval '1 day'
            FROM generate_series(1, \(cases)::int) g WHERE g % 10 <> 0
            """, logger: bench.logger)
        try await bench.database.run(
            """
            INSERT INTO \(unescaped: bench.schema).task_opinions (event_id, task_id, department_id, recorded_at)
            SELECT gen_random_uuid(), 't-' || g, 'd-' || (g % 12), TIMESTAMPTZ '2025-01-01 10:00+08' + (g % 365) * interval '1 day' + (1 + g % 48) * interval '1 hour'
            FROM generate_series(1, \(cases)::int) g WHERE g % 10 <> 0
            """, logger: bench.logger)
        try await bench.database.run(
            """
            ANALYZE \(unescaped: bench.schema).desk_outcomes, \(unescaped: bench.schema).case_facts, \(unescaped: bench.schema).ratings,
                    \(unescaped: bench.schema).task_assignments, \(unescaped: bench.schema).task_opinions
            """, logger: bench.logger)
        print(String(format: "appraisal: a year of %d cases (with a task and its opinion each) generated in %.0f s", cases, seconds(since: generated)))
        // The service recounts the marked days into its daily roll-ups in the background.
        let recounting = ContinuousClock.now
        while try await bench.database.run("SELECT count(*) FROM \(unescaped: bench.schema).figure_dirty", logger: bench.logger).collect().first?
            .decode(Int64.self) ?? 0 > 0
        {
            guard seconds(since: recounting) < 600 else { throw BenchError("the year was not recounted into the roll-ups in 600 s") }
            try await Task.sleep(for: .milliseconds(200))
        }
        print(String(format: "appraisal: the year's days recounted into the daily roll-ups by the service in %.1f s", seconds(since: recounting)))
        let token = try await LocalStack.issuer().issue(HallClaims(subject: "admin-1", roles: [.centreAdmin], department: nil, ttl: 3600))
        for (what, path) in [
            ("the year's statistics", "/v1/statistics?from=2025-01-01&to=2025-12-31"),
            ("the year's figures by department and month", "/v1/figures?by=department&period=month&from=2025-01-01&to=2025-12-31"),
        ] {
            var timings: [Double] = []
            for _ in 0..<5 {
                var request = HTTPClientRequest(url: "\(bench.service.base)\(path)")
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                let start = ContinuousClock.now
                let (status, _) = try await Self.send(bench.http, request)
                guard status == 200 else { throw BenchError("\(path): HTTP \(status)") }
                timings.append(seconds(since: start) * 1000)
            }
            timings.sort()
            print(String(format: "appraisal: %@ over %d cases: median %.0f ms, worst %.0f ms", what, cases, timings[2], timings[4])
                + " — goal ≤ 200 ms \(timings[2] <= 200 ? "✔" : "✘")")
        }
    }
}
