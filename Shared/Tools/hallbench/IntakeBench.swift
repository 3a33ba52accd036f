import ArgumentParser
import AsyncHTTPClient
import Foundation
import HallKit
import HallLocalStack
import NIOCore

/// The intake HTTP benchmark (`hallbench --intake`): the intake service on a fresh schema, seeded
/// over HTTP like `IntakeAPITests.seed`, then acceptance throughput and guide reads from 32
/// concurrent keep-alive clients.
///
/// The service runs as the release-built `intake` executable (``ServiceProcess``), configured as the
/// integration tests configure it in process.
extension HallBench {
    static let intakeSecret = String(repeating: "b", count: 40)

    func intakeBenchmark(adminURL: String) async throws {
        // The database's own ceiling in the same run, before the service starts.
        if intakePgbenchTransactions > 0 {
            let pgbench = try runPgbench(adminURL: adminURL, transactionsPerClient: intakePgbenchTransactions)
            print(String(format: "pgbench -N (8 clients × %d transactions, scale 10): %.0f TPS", intakePgbenchTransactions, pgbench))
        }

        let schema = LocalStack.uniqueName("benchintake")
        let service = try ServiceProcess.start("intake", adminURL: adminURL, schema: schema, secret: Self.intakeSecret)
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(32, intakeClients))
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let base = service.base
        do {
            try await service.waitUntilReady(client)
            let authority = try await LocalStack.issuer()
            let admin = try await authority.issue(HallClaims(subject: "admin-1", roles: [.centreAdmin], department: nil, ttl: 6 * 3600))
            let clerk = try await authority.issue(HallClaims(subject: "clerk-1", roles: [.clerk], department: nil, window: "w-01", ttl: 6 * 3600))
            try await seedIntake(client, base: base, admin: admin)
            try await acceptance(client, base: base, clerk: clerk)
            try await guideReads(client, base: base)
            try await pageReads(client, base: base, clerk: clerk, adminURL: adminURL, schema: schema, service: service)
        } catch {
            try? await client.shutdown()
            service.stop()
            _ = try? shell(["psql", adminURL, "-qc", "DROP SCHEMA IF EXISTS \(schema) CASCADE"])
            throw error
        }
        try await client.shutdown()
        service.stop()
        _ = try shell(["psql", adminURL, "-qc", "DROP SCHEMA IF EXISTS \(schema) CASCADE"])
    }

    // MARK: - Seeding (as IntakeAPITests.seed)

    private func seedIntake(_ client: HTTPClient, base: String, admin: String) async throws {
        let steps: [(String, String, UInt)] = [
            ("/v1/departments", #"{"id":"d-market","name":"县市场监督管理局"}"#, 200),
            ("/v1/departments", #"{"id":"d-tax","name":"县税务局"}"#, 200),
            ("/v1/windows", #"{"id":"w-01","name":"综合窗口1","kind":"comprehensive","departmentIds":["d-market"]}"#, 200),
            ("/v1/windows", #"{"id":"w-tax","name":"税务窗口","kind":"department","departmentIds":["d-tax"]}"#, 200),
            ("/v1/staff", #"{"id":"clerk-1","name":"李四","departmentId":"d-market","windowId":"w-01","qualified":true}"#, 200),
            ("/v1/items", """
                {"code":"MKT-001","name":"个体工商户登记","kind":"committed","leadDepartmentId":"d-market","legalLimitDays":15,
                 "promisedLimitDays":5,"materials":[
                   {"id":"application-form","name":"登记申请书","form":"original","copies":1,"requirement":"required","toleratedGap":false},
                   {"id":"identity-card","name":"身份证","form":"original-and-copy","copies":1,"requirement":"required","toleratedGap":false},
                   {"id":"premises-proof","name":"经营场所证明","form":"copy","copies":2,"requirement":"required","toleratedGap":true}],
                 "formTemplate":"个体工商户登记申请书","notCounted":["inspection"],"delegatedToCentre":true,"toleratedGapAllowed":true,
                 "effectiveFrom":"2026-01-01","approvalReference":"县审改办〔2025〕9号"}
                """, 201),
        ]
        for (path, json, expected) in steps {
            let (status, body) = try await Self.send(client, Self.post("\(base)\(path)", token: admin, json))
            guard status == expected else { throw ValidationError("seeding \(path): HTTP \(status), expected \(expected): \(body)") }
        }
    }

    // MARK: - Acceptance and reads

    private func acceptance(_ client: HTTPClient, base: String, clerk: String) async throws {
        let run = UUID().uuidString.prefix(8).lowercased()
        // Valid resident identity numbers (GB 11643 check character), one per sequence number.
        let ids = (0..<1000).map { residentNumber("11010519491231" + String(format: "%03d", $0)) }
        let url = "\(base)/v1/applications"
        let body: @Sendable (String, Int) -> String = { key, index in
            """
            {"itemCode":"MKT-001","applicant":{"kind":"person","name":"张三","idNumber":"\(ids[index % ids.count])","contact":"13800000000"},
             "materials":[{"materialId":"application-form","form":"original","copies":1,"legalForm":true},
             {"materialId":"identity-card","form":"original-and-copy","copies":1,"legalForm":true},
             {"materialId":"premises-proof","form":"copy","copies":2,"legalForm":true}],"channel":"window","idempotencyKey":"\(key)"}
            """
        }
        let warmUp = try await Self.load(client, clients: intakeClients, count: 500) { index in
            Self.post(url, token: clerk, body("bench-\(run)-warm-\(index)", index))
        }
        if warmUp.statuses.keys.contains(where: { $0 != 201 }) {
            print("intake acceptance warm-up answers: \(describe(warmUp.statuses))")
        }
        let measured = try await Self.load(client, clients: intakeClients, count: intakeRequests) { index in
            Self.post(url, token: clerk, body("bench-\(run)-\(index)", index))
        }
        let accepted = measured.statuses[201] ?? 0
        let rate = Double(accepted) / measured.seconds
        let (p50, p99, worst) = measured.percentiles
        print(String(
            format: "intake acceptance (%d clients, %d × POST /v1/applications after 500 warm-up): %.0f accepted/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
            intakeClients, intakeRequests, rate, p50, p99, worst) + " — goal ≥ 1,500/s \(mark(rate >= 1500)), p99 ≤ 50 ms \(mark(p99 <= 50))")
        let others = measured.statuses.filter { $0.key != 201 }
        if !others.isEmpty || measured.failures > 0 {
            print("  answers other than 201: \(describe(others))\(measured.failures > 0 ? ", \(measured.failures) transport failures" : "")")
        }
    }

    private func guideReads(_ client: HTTPClient, base: String) async throws {
        let url = "\(base)/v1/items/MKT-001"
        _ = try await Self.load(client, clients: intakeClients, count: 500) { _ in HTTPClientRequest(url: url) }
        let measured = try await Self.load(client, clients: intakeClients, count: intakeReads) { _ in HTTPClientRequest(url: url) }
        let ok = measured.statuses[200] ?? 0
        let rate = Double(ok) / measured.seconds
        let (p50, p99, worst) = measured.percentiles
        print(String(
            format: "intake guide reads (%d clients, %d × GET /v1/items/MKT-001): %.0f reads/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
            intakeClients, intakeReads, rate, p50, p99, worst) + " — goal ≥ 10,000/s \(mark(rate >= 10_000))")
        let others = measured.statuses.filter { $0.key != 200 }
        if !others.isEmpty || measured.failures > 0 {
            print("  answers other than 200: \(describe(others))\(measured.failures > 0 ? ", \(measured.failures) transport failures" : "")")
        }
    }

    /// The public pages beside their JSON: the guide page and the case-status page (the receipt
    /// code and identity number posted), each with the JSON endpoint that answers the same.
    private func pageReads(_ client: HTTPClient, base: String, clerk: String, adminURL: String, schema: String, service: ServiceProcess) async throws {
        let idNumber = residentNumber("11010519491231999")
        let (status, body) = try await Self.send(client, Self.post("\(base)/v1/applications", token: clerk, """
            {"itemCode":"MKT-001","applicant":{"kind":"person","name":"张三","idNumber":"\(idNumber)","contact":"13800000000"},
             "materials":[{"materialId":"application-form","form":"original","copies":1,"legalForm":true},
             {"materialId":"identity-card","form":"original-and-copy","copies":1,"legalForm":true},
             {"materialId":"premises-proof","form":"copy","copies":2,"legalForm":true}],"channel":"window","idempotencyKey":"bench-pages"}
            """))
        guard status == 201 || status == 200,
            let receipt = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["receiptCode"] as? String
        else { throw ValidationError("the case for the status pages: HTTP \(status): \(body)") }
        let form = "receiptCode=\(receipt)&idNumber=\(idNumber)"
        // Cases of their own for the look-ups of a different case each time (nothing kept serves
        // them): more than a run can look up, so that no case is looked up twice.
        let others = try await Self.acceptedCases(client, base: base, clerk: clerk, count: intakeCases, idNumber: idNumber)
        // The look-ups are measured alone: once the acceptances' events have left the outbox, and
        // with the tables' statistics taken, as autovacuum soon does after such a burst.
        let settled = ContinuousClock.now + .seconds(120)
        while try shell(["psql", adminURL, "-Atc", "SELECT count(*) FROM \(schema).outbox_pending"]).trimmingCharacters(in: .whitespacesAndNewlines) != "0",
            ContinuousClock.now < settled
        {
            try await Task.sleep(for: .milliseconds(500))
        }
        _ = try shell(["psql", adminURL, "-qc", "ANALYZE"])
        let each = others.map { WrkRequest(method: "POST", path: "/track", form: "receiptCode=\($0)&idNumber=\(idNumber)") }
        let eachJSON = others.map { WrkRequest(path: "/v1/cases/\($0)?idNumber=\(idNumber)") }
        let runs: [(name: String, route: String, goal: Bool, requests: [WrkRequest])] = [
            ("guide page", "GET /guides/MKT-001", true, [WrkRequest(path: "/guides/MKT-001")]),
            ("guide JSON", "GET /v1/items/MKT-001", false, [WrkRequest(path: "/v1/items/MKT-001")]),
            ("case-status page", "POST /track", true, [WrkRequest(method: "POST", path: "/track", form: form)]),
            ("case-status JSON", "GET /v1/cases/{code}?idNumber=", false, [WrkRequest(path: "/v1/cases/\(receipt)?idNumber=\(idNumber)")]),
            ("case-status page, a different case each time", "POST /track", true, each),
            ("case-status JSON, a different case each time", "GET /v1/cases/{code}?idNumber=", false, eachJSON),
        ]
        // The service's database backends (application_name `hall-<schema>`), for the CPU a look-up takes.
        let backends = {
            try shell(["psql", adminURL, "-At", "-c", "SELECT pid FROM pg_stat_activity WHERE application_name = 'hall-\(schema)'"])
                .split(whereSeparator: \.isNewline).compactMap { Int32($0) }
        }
        for run in runs {
            let serviceBefore = Self.cpuTicks(service.pid)
            let backendsBefore = Dictionary(try backends().map { ($0, Self.cpuTicks($0)) }) { first, _ in first }
            let measured = try wrk(base: base, clients: intakeClients, seconds: intakePageSeconds, run.requests)
            // A backend opened during the run counts from 0; one that ended meanwhile is left out.
            let after = try backends()
            let backendTicks = after.reduce(0) { total, pid in total + max(0, Self.cpuTicks(pid) - (backendsBefore[pid] ?? 0)) }
            let milliseconds = 1000 / Double(sysconf(Int32(_SC_CLK_TCK))) / Double(max(1, measured.requests))
            let goal = run.goal ? " — goal ≥ 5,000/s \(mark(measured.rate >= 5_000)), p99 ≤ 20 ms \(mark(measured.p99 <= 20))" : ""
            print(String(
                format: "intake %@ (wrk, %d clients, %d s × %@): %.0f/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                run.name, intakeClients, intakePageSeconds, run.route, measured.rate, measured.p50, measured.p99, measured.worst) + goal)
            print(String(
                format: "  CPU a look-up: the service %.3f ms, its PostgreSQL backends (%d) %.3f ms",
                Double(Self.cpuTicks(service.pid) - serviceBefore) * milliseconds, after.count, Double(backendTicks) * milliseconds))
            if measured.failed > 0 { print("  \(measured.failed) of \(measured.requests) answered with an error or failed") }
            if run.requests.count > 1, measured.requests > run.requests.count {
                print("  \(measured.requests) look-ups of \(run.requests.count) cases: some looked up twice (raise --intake-cases)")
            }
        }
    }

    /// `count` applications accepted for the applicant `idNumber`, their receipt codes.
    static func acceptedCases(_ client: HTTPClient, base: String, clerk: String, count: Int, idNumber: String) async throws -> [String] {
        let run = UUID().uuidString.prefix(8).lowercased()
        return try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var codes: [String] = []
                    for index in stride(from: worker, to: count, by: 16) {
                        let (status, body) = try await Self.send(client, Self.post("\(base)/v1/applications", token: clerk, """
                            {"itemCode":"MKT-001","applicant":{"kind":"person","name":"张三","idNumber":"\(idNumber)","contact":"13800000000"},
                             "materials":[{"materialId":"application-form","form":"original","copies":1,"legalForm":true},
                             {"materialId":"identity-card","form":"original-and-copy","copies":1,"legalForm":true},
                             {"materialId":"premises-proof","form":"copy","copies":2,"legalForm":true}],"channel":"window","idempotencyKey":"bench-pages-\(run)-\(index)"}
                            """))
                        guard status == 201 || status == 200,
                            let receipt = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["receiptCode"] as? String
                        else { throw ValidationError("a case for the status pages: HTTP \(status): \(body)") }
                        codes.append(receipt)
                    }
                    return codes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    // MARK: - Load generation


    private func mark(_ met: Bool) -> String { met ? "✔" : "✘" }

    private func describe(_ statuses: [UInt: Int]) -> String {
        statuses.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", ")
    }

    /// A resident identity number: 17 digits and the GB 11643 check character.
    private func residentNumber(_ body17: String) -> String {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body17, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return body17 + String(Array("10X98765432")[sum % 11])
    }
}
