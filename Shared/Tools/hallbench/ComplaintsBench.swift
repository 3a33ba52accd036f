import AsyncHTTPClient
import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import NIOCore
import PostgresNIO

/// The complaints benchmark (`hallbench --complaints`), on the release-built `complaints`
/// executable (``ServiceProcess``) with a schema and a Kafka namespace of its own. The directory
/// (8 departments, 16 windows, 64 staff) comes as intake's events on the namespace's intake topic;
/// then `--complaints-requests` complaints are filed over HTTP by `--complaints-clients` keep-alive
/// clients as the public files them online — named and anonymous, about windows, departments and
/// staff, of every category — after a warm-up of 500. Each filing is a transaction of the complaint,
/// its first step, its two deadline timers and its event in the outbox; the count in the schema is
/// checked against the answers.
extension HallBench {
    static let complaintsSecret = String(repeating: "p", count: 40)

    func complaintsBenchmark(adminURL: String) async throws {
        try await withServiceUnderBench(
            "complaints", adminURL: adminURL, pgbenchTransactions: complaintsPgbenchTransactions, secret: Self.complaintsSecret,
            clients: complaintsClients
        ) { bench in
            let departments = (0..<8).map { "d-\($0)" }
            let windows = (0..<16).map { "w-\($0)" }
            let staff = (0..<64).map { "s-\($0)" }
            let kafka = try LocalKafka.stack()
            let producer = try kafka.producer(messageTimeout: .seconds(60))
            let topic = "\(bench.namespace).\(Topic.intakeEvents.rawValue)"
            var directory: [KafkaProducerMessage] = []
            func event(_ payload: some EventPayload, key: String) throws {
                directory.append(
                    KafkaProducerMessage(topic: topic, key: key, value: try EventEnvelope(payload: payload, producer: "intake", caseId: nil).encoded()))
            }
            for id in departments {
                try event(DepartmentChanged(departmentId: id, name: "部门\(id)", active: true, chiefRepresentative: nil, substitute: nil), key: id)
            }
            for (n, id) in windows.enumerated() {
                try event(WindowChanged(windowId: id, name: "窗口\(n)", kind: .comprehensive, departmentIds: [departments[n % 8]], active: true), key: id)
            }
            for (n, id) in staff.enumerated() {
                try event(
                    StaffChanged(staffId: id, name: "工作人员\(n)", departmentId: departments[n % 8], windowId: windows[n % 16], qualified: true, active: true),
                    key: id)
            }
            for result in await producer.sendSigned(directory) { _ = try result.get() }
            await producer.close()

            let url = "\(bench.service.base)/v1/complaints"
            let categories = ComplaintCategory.allCases.map(\.rawValue)
            @Sendable func filing(_ index: Int) -> HTTPClientRequest {
                let (kind, target): (String, String) =
                    switch index % 3 {
                    case 0: ("staff", staff[index % staff.count])
                    case 1: ("window", windows[index % windows.count])
                    default: ("department", departments[index % departments.count])
                    }
                let who = index % 4 == 0 ? #""anonymous":true"# : #""complainantName":"王敏","complainantContact":"1390000\#(String(format: "%04d", index % 10_000))""#
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: """
                    {"category":"\(categories[index % categories.count])","targetKind":"\(kind)","targetId":"\(target)",\(who),\
                    "content":"第\(index)号投诉：窗口工作人员未一次告知所需材料，办事群众往返三次。"}
                    """))
                return request
            }
            // The directory arrives through the executable's consumer: file until it is known.
            let ready = ContinuousClock.now + .seconds(60)
            while try await Self.send(bench.http, filing(0)).0 != 201 {
                guard ContinuousClock.now < ready else { throw BenchError("the complaints service never learned the directory") }
                try await Task.sleep(for: .milliseconds(200))
            }
            _ = try await Self.load(bench.http, clients: complaintsClients, count: 500) { filing($0) }
            let measured = try await Self.load(bench.http, clients: complaintsClients, count: complaintsRequests) { filing($0) }
            let created = measured.statuses[201, default: 0]
            guard created == complaintsRequests, measured.failures == 0 else {
                throw BenchError("complaints: answers \(measured.statuses), \(measured.failures) failed")
            }
            let stored = try await bench.database.run(
                "SELECT count(*)::bigint FROM \(unescaped: bench.schema).complaints", logger: bench.logger
            ).decode(Int64.self).collectAll().first ?? 0
            guard stored == Int64(complaintsRequests + 501) else { throw BenchError("complaints: \(stored) stored, \(complaintsRequests + 501) answered") }
            let rate = Double(created) / measured.seconds
            let (p50, p99, worst) = measured.percentiles
            print(String(
                format: "complaints: filing online (%d clients, %d × POST /v1/complaints after 500 warm-up): %.0f filed/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                complaintsClients, complaintsRequests, rate, p50, p99, worst)
                + " — goal ≥ 500/s \(rate >= 500 ? "✔" : "✘"), p99 ≤ 50 ms \(p99 <= 50 ? "✔" : "✘")")
        }
    }
}
