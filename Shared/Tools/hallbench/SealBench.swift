import AsyncHTTPClient
import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKafka
import HallKit
import HallLocalStack
import Logging
import NIOCore
import PostgresNIO

/// The seal benchmark (`hallbench --seal`), on the release-built `seal` executable
/// (``ServiceProcess``) with a schema and a Kafka namespace of its own. The directory comes as
/// intake's events on the namespace's intake topic; seals are registered over HTTP; then:
///
/// 1. `--seal-departments` × `--seal-per-department` documents sealed over HTTP from `--seal-clients`
///    keep-alive clients, each department's chief representative asking for its own;
/// 2. `--seal-single` documents on one seal (gap-free serials under contention);
/// 3. `--seal-kafka` requests on the namespace's `hall.seal.requests`, applied by the executable's
///    consumer (counted in its register);
/// 4. the answers of one seal verified here, hash and Ed25519 signature under the published public
///    key, as a department system or the public checks them (on every core);
/// 5. the operator's re-verification of that seal's whole register over HTTP.
extension HallBench {
    static let sealSecret = String(repeating: "s", count: 40)

    func sealBenchmark(adminURL: String) async throws {
        let masterKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try await withServiceUnderBench(
            "seal", adminURL: adminURL, pgbenchTransactions: sealPgbenchTransactions, secret: Self.sealSecret,
            extra: ["HALL_SEAL_MASTER_KEY": masterKey], clients: sealClients
        ) { bench in
            try await sealRuns(
                service: bench.service, http: bench.http, namespace: bench.namespace, schema: bench.schema, client: bench.database, logger: bench.logger)
        }
    }

    private func sealRuns(
        service: ServiceProcess, http: HTTPClient, namespace: String, schema: String, client: PostgresClient, logger: Logger
    ) async throws {
        let authority = try await LocalStack.issuer()
        let departments = (0..<sealDepartments).map { "d-\($0)" }
        let window = "w-1"

        // The directory, as intake publishes it.
        let kafka = try LocalKafka.stack()
        let producer = try kafka.producer(messageTimeout: .seconds(60))
        let intakeTopic = "\(namespace).\(Topic.intakeEvents.rawValue)"
        var directory: [KafkaProducerMessage] = []
        func event(_ payload: some EventPayload, key: String) throws {
            directory.append(
                KafkaProducerMessage(topic: intakeTopic, key: key, value: try EventEnvelope(payload: payload, producer: "intake", caseId: nil).encoded()))
        }
        try event(WindowChanged(windowId: window, name: "综合窗口", kind: .comprehensive, departmentIds: departments, active: true), key: window)
        for id in departments {
            try event(
                DepartmentChanged(departmentId: id, name: id, active: true, chiefRepresentative: .init(staffId: "chief-\(id)", name: "首席代表"), substitute: nil),
                key: id)
            try event(StaffChanged(staffId: "chief-\(id)", name: "首席代表", departmentId: id, windowId: window, qualified: true, active: true), key: "chief-\(id)")
        }
        for result in await producer.sendSigned(directory) { _ = try result.get() }

        // A seal per department, registered by the centre once the directory has arrived.
        let admin = try await authority.issue(HallClaims(subject: "admin-1", roles: [.centreAdmin], department: nil, ttl: 6 * 3600))
        var sealIds: [String: String] = [:]
        let deadline = ContinuousClock.now + .seconds(60)
        for id in departments {
            let registration = """
                {"departmentId":"\(id)","name":"\(id) 行政审批专用章","code":"SC-\(id)","custodianStaffId":"chief-\(id)",\
                "validFrom":"2026-01-01T00:00:00.000Z","validUntil":"2099-01-01T00:00:00.000Z"}
                """
            while true {
                let (status, body) = try await Self.send(http, Self.post("\(service.base)/v1/seals", token: admin, registration))
                if status == 201 {
                    sealIds[id] = try JSONDecoder().decode(SealAnswer.self, from: Data(body.utf8)).sealId
                    break
                }
                guard status == 400, ContinuousClock.now < deadline else { throw BenchError("registering the seal of \(id): \(status) \(body)") }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        var tokens: [String: String] = [:]
        for id in departments {
            tokens[id] = try await authority.issue(
                HallClaims(subject: "chief-\(id)", roles: [.chiefRepresentative], department: id, window: window, ttl: 6 * 3600))
        }
        let chiefs = tokens
        let url = "\(service.base)/v1/seal-requests"
        @Sendable func request(_ department: String, _ caseId: String) -> HTTPClientRequest {
            let hash = Hex.encode(SHA256.hash(data: Array("\(caseId)-\(department)".utf8)))
            return Self.post(
                url, token: chiefs[department] ?? "",
                #"{"documentKind":"approval-decision","documentHash":"\#(hash)","caseId":"\#(caseId)","departmentId":"\#(department)","windowId":"\#(window)"}"#)
        }
        func report(_ what: String, _ result: LoadResult) throws {
            let created = result.statuses[201, default: 0]
            guard created == result.latencies.count, result.failures == 0 else {
                throw BenchError("\(what): answers \(result.statuses), \(result.failures) failed")
            }
            let (p50, p99, _) = result.percentiles
            print(String(format: "seal: %@: %d imprints, %.0f imprints/s, p50 %.1f ms, p99 %.1f ms", what, created, Double(created) / result.seconds, p50, p99))
        }

        // 1. Across the departments.
        let perDepartment = sealPerDepartment
        let count = departments.count * perDepartment
        let across = try await Self.load(http, clients: sealClients, count: count, keepBodies: true) { index in
            request(departments[index % departments.count], "A-\(index / departments.count)")
        }
        try report("across \(departments.count) departments over HTTP, \(sealClients) clients", across)

        // 2. One seal under contention.
        let single = try await Self.load(http, clients: sealClients, count: sealSingle, keepBodies: true) { index in request(departments[0], "S-\(index)") }
        try report("one seal over HTTP, \(sealClients) clients", single)

        // 3. Over Kafka, the way intake and the coordinator ask.
        if sealKafka > 0 {
            let requestsTopic = "\(namespace).\(Topic.sealRequests.rawValue)"
            var messages: [KafkaProducerMessage] = []
            messages.reserveCapacity(sealKafka)
            for n in 0..<sealKafka {
                let department = departments[n % departments.count]
                let caseId = "K-\(n)"
                let payload = SealDocumentRequested(
                    documentKind: .approvalDecision, documentHash: Hex.encode(SHA256.hash(data: Array("\(caseId)-\(department)".utf8))), caseId: caseId,
                    departmentId: department, requestedBy: "chief-\(department)", windowId: window)
                messages.append(
                    KafkaProducerMessage(
                        topic: requestsTopic, key: caseId, value: try EventEnvelope(payload: payload, producer: "coordinator", caseId: caseId).encoded()))
            }
            func imprints() async throws -> Int {
                Int(try await client.run("SELECT count(*) FROM \(unescaped: schema).imprints", logger: logger).collect().first?.decode(Int64.self) ?? 0)
            }
            let before = try await imprints()
            for chunk in stride(from: 0, to: messages.count, by: 5_000) {
                for result in await producer.sendSigned(Array(messages[chunk..<min(chunk + 5_000, messages.count)])) { _ = try result.get() }
            }
            var first: (ContinuousClock.Instant, Int)?
            var sealed = 0
            let until = ContinuousClock.now + .seconds(300)
            while sealed < sealKafka, ContinuousClock.now < until {
                sealed = try await imprints() - before
                if first == nil, sealed > 0 { first = (ContinuousClock.now, sealed) }
                try await Task.sleep(for: .milliseconds(50))
            }
            guard let first, sealed >= sealKafka else { throw BenchError("over Kafka: only \(sealed) of \(sealKafka) sealed in 300 s") }
            print(
                String(
                    format: "seal: requested over Kafka across %d departments (the executable's consumer): %d imprints, %.0f imprints/s",
                    departments.count, sealed, Double(sealed - first.1) / max(seconds(since: first.0), 0.001)))
        }
        await producer.close()

        // 4. The answers of one seal verified as the public does: hash and signature, every core.
        let sealed = (across.bodies + single.bodies).compactMap { try? EventEnvelope.decoder().decode(DocumentSealed.self, from: Data($0.1.utf8)) }
            .filter { $0.departmentId == departments[0] }.compactMap(Imprint.init)
        let (_, sealBody) = try await Self.send(http, HTTPClientRequest(url: "\(service.base)/v1/seals/\(sealIds[departments[0]]!)"))
        let publicKey = try Curve25519.Signing.PublicKey(
            rawRepresentation: Data(base64Encoded: try JSONDecoder().decode(SealAnswer.self, from: Data(sealBody.utf8)).publicKey) ?? Data())
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let rounds = 3
        let start = ContinuousClock.now
        let valid = try await withThrowingTaskGroup(of: Int.self) { workers in
            for core in 0..<cores {
                workers.addTask {
                    var count = 0
                    for _ in 0..<rounds {
                        for index in stride(from: core, to: sealed.count, by: cores) where sealed[index].check(publicKey: publicKey) == .valid { count += 1 }
                    }
                    return count
                }
            }
            return try await workers.reduce(0, +)
        }
        guard valid == sealed.count * rounds else { throw BenchError("\(sealed.count * rounds - valid) of the seal's answers did not verify") }
        print(
            String(
                format: "seal: %d verifications of published imprints (hash + Ed25519) on %d cores: %.0f verifications/s",
                valid, cores, Double(valid) / seconds(since: start)))

        // 5. The operator re-verifies the whole register.
        let operatorToken = try await authority.issue(HallClaims(subject: "ops-1", roles: [.operator], department: nil, ttl: 3600))
        let registerStart = ContinuousClock.now
        let (status, body) = try await Self.send(
            http, Self.post("\(service.base)/v1/seals/\(sealIds[departments[0]]!)/verify-register", token: operatorToken, "{}"))
        let registerSeconds = seconds(since: registerStart)
        guard status == 200, let report = try? JSONDecoder().decode(RegisterAnswer.self, from: Data(body.utf8)) else {
            throw BenchError("verify-register: \(status) \(body)")
        }
        print(
            String(
                format: "seal: verify-register over HTTP of %d imprints (read + chain + signatures): %.3f s, %.0f imprints/s, intact=%@",
                report.checked, registerSeconds, Double(report.checked) / registerSeconds, report.intact ? "yes" : "no"))
    }
}

/// The members of a seal answer the benchmark reads.
private struct SealAnswer: Decodable {
    var sealId: String
    var publicKey: String
}

/// The members of a register report the benchmark reads.
private struct RegisterAnswer: Decodable {
    var intact: Bool
    var checked: Int
}
