import Foundation
import HallContracts
import HallLocalStack
import Testing

/// The five executables together, driven only through their HTTP APIs: what the applicant sees in
/// tracking and what the public sees in seal verification at the end of a case's whole life.
@Suite("The whole hall: five executables together", .enabled(if: LocalStack.isAvailable), .serialized)
struct HallFlowTests {
    /// Tracking of `receipt` as the applicant asks for it.
    static func tracking(_ hall: Hall, _ receipt: String, idNumber: String) async throws -> Hall.Answer {
        try await hall.call("intake", .GET, "/v1/cases/\(receipt)?idNumber=\(idNumber)")
    }

    /// The department's open task of `caseId`, once the coordinator has assigned it.
    static func openTask(_ hall: Hall, _ department: String, caseId: String) async throws -> JSONValue {
        let officer = try await hall.officer(department)
        let tasks = try await hall.eventually("the task at \(department)", { try await hall.call("coordinator", .GET, "/v1/tasks?state=open", token: officer) }) {
            $0.json.arrayValue?.contains { $0["caseId"]?.stringValue?.lowercased() == caseId } == true
        }
        return try #require(tasks.json.arrayValue?.first { $0["caseId"]?.stringValue?.lowercased() == caseId })
    }

    /// A committed case: accepted at the window, assigned to its department, decided by the officer,
    /// countersigned by the chief representative, sealed, completed, handed over.
    static func committedCase(_ hall: Hall, idNumber: String, key: String, during: (() async throws -> Void)? = nil) async throws {
        let clerk = try await hall.clerk
        let accepted = try await hall.call("intake", .POST, "/v1/applications", token: clerk, Hall.application("MKT-001", idNumber: idNumber, key: key))
        #expect(accepted.status == 201, "\(accepted)")
        #expect(accepted.json["outcome"] == "accepted")
        let receipt = try #require(accepted.json["receiptCode"]?.stringValue)
        let caseId = try #require(accepted.json["caseId"]?.stringValue).lowercased()

        // The department sees its task.
        let officer = try await hall.officer("d-market")
        let task = try await openTask(hall, "d-market", caseId: caseId)
        #expect(task["departmentId"] == "d-market")
        let taskId = try #require(task["taskId"]?.stringValue)
        try await during?()

        let opinion = try await hall.call("coordinator", .POST, "/v1/tasks/\(taskId)/opinion", token: officer, ["opinion": "approve"])
        #expect((200..<300).contains(opinion.status), "\(opinion)")
        let countersigned = try await hall.call("coordinator", .POST, "/v1/tasks/\(taskId)/countersign", token: try await hall.chief("d-market"))
        #expect((200..<300).contains(countersigned.status), "\(countersigned)")

        // The decision is sealed and the case is ready at the window, completed on time. The notice's
        // imprint (hall.seal.events) and the completion (hall.coordinator.events) come on different
        // topics: after a restart intake may apply them in either order.
        let ready = try await hall.eventually("the case ready at the window", timeout: .seconds(60), { try await tracking(hall, receipt, idNumber: idNumber) }) {
            $0.json["status"] == "ready" && $0.json["documents"]?.arrayValue?.first { $0["kind"] == "acceptance-notice" }?["sealed"] == true
        }
        #expect(ready.json["completion"]?["outcome"] == "approved")
        #expect(ready.json["completion"]?["onTime"] == true)
        let documents = ready.json["documents"]?.arrayValue ?? []
        let notice = try #require(documents.first { $0["kind"] == "acceptance-notice" })
        #expect(notice["sealed"] == true)

        // The public verifies the acceptance notice's imprint and the published decision's.
        let noticeImprint = try #require(notice["imprintId"]?.stringValue).lowercased()
        let verified = try await hall.call("seal", .GET, "/v1/imprints/\(noticeImprint)")
        #expect(verified.status == 200 && verified.json["valid"] == true, "\(verified)")
        let decisions = try await hall.call("intake", .GET, "/v1/decisions")
        // The public list names no applicant fully and no receipt: this hall has one such decision.
        let published = decisions.json["decisions"]?.arrayValue?.filter { $0["itemCode"] == "MKT-001" } ?? []
        #expect(published.count == 1, "\(decisions)")
        let decision = try #require(published.first, "the decision is published: \(decisions)")
        #expect(decision["departmentId"] == "d-market" && decision["decision"] == "approved" && decision["applicant"] == "张*")
        let decisionImprint = try #require(decision["imprintId"]?.stringValue).lowercased()
        // Verification tells the case: its receipt code, item, final due date, and that the decision was sealed on time.
        let decisionVerified = try await hall.eventually("the decision's verification tells its completed case", {
            try await hall.call("seal", .GET, "/v1/imprints/\(decisionImprint)")
        }) { $0.json["case"]?["dueDateFinal"] == true }
        #expect(decisionVerified.json["valid"] == true && decisionVerified.json["departmentId"] == "d-market", "\(decisionVerified)")
        #expect(decisionVerified.json["case"]?["receiptCode"] == .string(receipt) && decisionVerified.json["case"]?["itemCode"] == "MKT-001")
        #expect(decisionVerified.json["case"]?["onTime"] == true && decisionVerified.json["case"]?["dueDate"] == ready.json["completion"]?["dueDate"])
        let noticeCase = try await hall.call("seal", .GET, "/v1/imprints/\(noticeImprint)").json["case"]
        #expect(noticeCase?["receiptCode"] == .string(receipt) && noticeCase?["onTime"] == nil, "a notice is not a decision: \(String(describing: noticeCase))")
        // Completion time = the last seal's time (Art 31).
        #expect(ready.json["completion"]?["completedAt"] == decisionVerified.json["sealedAt"])

        // Handed over at the window.
        let handedOver = try await hall.call("intake", .POST, "/v1/applications/\(receipt)/handover", token: clerk)
        #expect(handedOver.status == 200, "\(handedOver)")
        let issued = try await tracking(hall, receipt, idNumber: idNumber)
        #expect(issued.json["status"] == "issued")
        #expect(issued.json["handover"]?["collectedBy"] != nil)
    }

    @Test("a committed case: accepted, assigned, decided, countersigned, sealed, completed on time and handed over; tracking and public verification show it")
    func committed() async throws {
        try await Hall.run { hall in
            try await Self.committedCase(hall, idNumber: Hall.idNumber(1), key: "e2e-\(hall.tag)-1")
        }
    }

    @Test("the same case with each service killed (SIGKILL) and restarted while the case is under way still completes, once", arguments: ["intake", "coordinator", "seal"])
    func killedMidFlow(service: String) async throws {
        try await Hall.run { hall in
            try await Self.committedCase(hall, idNumber: Hall.idNumber(2), key: "e2e-\(hall.tag)-kill") {
                let process = hall.services[service]!
                process.kill()
                try process.restart()
                try await process.waitUntilReady(hall.http)
            }
        }
    }

    @Test("a joint case: the lead and the participant each decide and countersign; the case completes once both decisions are sealed")
    func joint() async throws {
        try await Hall.run { hall in
            let clerk = try await hall.clerk
            let idNumber = Hall.idNumber(3)
            let accepted = try await hall.call("intake", .POST, "/v1/applications", token: clerk, Hall.application("JNT-001", idNumber: idNumber, key: "e2e-\(hall.tag)-joint"))
            #expect(accepted.status == 201 && accepted.json["outcome"] == "accepted", "\(accepted)")
            let receipt = try #require(accepted.json["receiptCode"]?.stringValue)
            let caseId = try #require(accepted.json["caseId"]?.stringValue).lowercased()
            for department in ["d-market", "d-tax"] {
                let officer = try await hall.officer(department)
                let task = try await Self.openTask(hall, department, caseId: caseId)
                #expect(task["role"] == (department == "d-market" ? "lead" : "participant"))
                let taskId = try #require(task["taskId"]?.stringValue)
                let tracking = try await Self.tracking(hall, receipt, idNumber: idNumber)
                #expect(tracking.json["status"] == "accepted", "not ready before every department decided: \(tracking)")
                let opinion = try await hall.call("coordinator", .POST, "/v1/tasks/\(taskId)/opinion", token: officer, ["opinion": "approve"])
                #expect((200..<300).contains(opinion.status), "\(opinion)")
                let countersigned = try await hall.call("coordinator", .POST, "/v1/tasks/\(taskId)/countersign", token: try await hall.chief(department))
                #expect((200..<300).contains(countersigned.status), "\(countersigned)")
            }
            let ready = try await hall.eventually("the joint case ready", timeout: .seconds(60), { try await Self.tracking(hall, receipt, idNumber: idNumber) }) {
                $0.json["status"] == "ready"
            }
            #expect(ready.json["completion"]?["outcome"] == "approved" && ready.json["completion"]?["onTime"] == true)
            let departments = ready.json["departments"]?.arrayValue ?? []
            #expect(Set(departments.compactMap { $0["departmentId"]?.stringValue }) == ["d-market", "d-tax"])
            #expect(departments.allSatisfy { $0["status"] == "completed" }, "\(departments)")

            // The applicant sees each department's decision under its own seal; the public list shows both.
            let sealed = try await hall.eventually("both decisions sealed in tracking", { try await Self.tracking(hall, receipt, idNumber: idNumber) }) {
                ($0.json["documents"]?.arrayValue ?? []).filter { $0["kind"] == "approval-decision" && $0["sealed"] == true }.count == 2
            }
            let decisions = (sealed.json["documents"]?.arrayValue ?? []).filter { $0["kind"] == "approval-decision" }
            #expect(Set(decisions.compactMap { $0["departmentId"]?.stringValue }) == ["d-market", "d-tax"], "\(sealed)")
            for decision in decisions {
                let imprint = try #require(decision["imprintId"]?.stringValue).lowercased()
                let verified = try await hall.call("seal", .GET, "/v1/imprints/\(imprint)")
                #expect(verified.json["valid"] == true && verified.json["departmentId"] == decision["departmentId"], "\(verified)")
            }
            let published = try await hall.call("intake", .GET, "/v1/decisions?itemCode=JNT-001")
            #expect(
                Set((published.json["decisions"]?.arrayValue ?? []).compactMap { $0["departmentId"]?.stringValue }) == ["d-market", "d-tax"],
                "\(published)")
        }
    }

    @Test("an immediate item decided on the spot by the clerk: the decision is sealed under the department's seal by the authorised clerk, and the case is ready at once")
    func immediate() async throws {
        try await Hall.run { hall in
            let clerk = try await hall.clerk
            let idNumber = Hall.idNumber(4)
            let accepted = try await hall.call("intake", .POST, "/v1/applications", token: clerk, Hall.application("IMM-001", idNumber: idNumber, key: "e2e-\(hall.tag)-imm"))
            #expect(accepted.status == 201, "\(accepted)")
            let receipt = try #require(accepted.json["receiptCode"]?.stringValue)
            let decided = try await hall.call("intake", .POST, "/v1/applications/\(receipt)/decision", token: clerk, ["decision": "approve"])
            #expect(decided.status == 200, "\(decided)")
            let ready = try await hall.eventually("the immediate case ready", { try await Self.tracking(hall, receipt, idNumber: idNumber) }) {
                $0.json["status"] == "ready"
            }
            #expect(ready.json["completion"]?["outcome"] == "approved")
            let decision = try #require(ready.json["documents"]?.arrayValue?.first { $0["kind"] == "approval-decision" }, "\(ready)")
            #expect(decision["sealed"] == true && decision["departmentId"] == "d-market")
            let verified = try await hall.call("seal", .GET, "/v1/imprints/\(try #require(decision["imprintId"]?.stringValue).lowercased())")
            #expect(verified.json["valid"] == true && verified.json["imprint"]?["requestedBy"] == .string(Hall.clerk), "\(verified)")
        }
    }

    @Test("an application for an item the hall does not handle is refused on the spot with the competent authority, under a sealed refusal notice")
    func refusal() async throws {
        try await Hall.run { hall in
            let clerk = try await hall.clerk
            let idNumber = Hall.idNumber(5)
            var body = Hall.application("NOT-IN-HALL", idNumber: idNumber, key: "e2e-\(hall.tag)-refused")
            if case .object(var fields) = body {
                fields["competentAuthority"] = "县自然资源局"
                body = .object(fields)
            }
            let refused = try await hall.call("intake", .POST, "/v1/applications", token: clerk, body)
            #expect((200..<300).contains(refused.status) && refused.json["outcome"] == "refused", "\(refused)")
            let receipt = try #require(refused.json["receiptCode"]?.stringValue)
            let tracking = try await hall.eventually("the refusal notice sealed", { try await Self.tracking(hall, receipt, idNumber: idNumber) }) {
                $0.json["documents"]?.arrayValue?.contains { $0["kind"] == "refusal-notice" && $0["sealed"] == true } == true
            }
            #expect(tracking.json["status"] == "refused" && tracking.json["competentAuthority"] == "县自然资源局", "\(tracking)")
        }
    }

    @Test("a department asks for a supplement: the applicant sees what is needed, the clerk records the delivery, the task comes back and the case completes")
    func supplement() async throws {
        try await Hall.run { hall in
            let clerk = try await hall.clerk
            let idNumber = Hall.idNumber(6)
            let accepted = try await hall.call("intake", .POST, "/v1/applications", token: clerk, Hall.application("MKT-001", idNumber: idNumber, key: "e2e-\(hall.tag)-supp"))
            let receipt = try #require(accepted.json["receiptCode"]?.stringValue)
            let caseId = try #require(accepted.json["caseId"]?.stringValue).lowercased()
            let officer = try await hall.officer("d-market")
            let taskId = try #require(try await Self.openTask(hall, "d-market", caseId: caseId)["taskId"]?.stringValue)
            let asked = try await hall.call(
                "coordinator", .POST, "/v1/tasks/\(taskId)/opinion", token: officer,
                ["opinion": "needs-supplement", "supplements": [["material": "site-plan", "needed": "经营场所平面图，标明面积"]]])
            #expect((200..<300).contains(asked.status), "\(asked)")
            // As every opinion, it goes out once the chief representative countersigned it.
            let countersignedAsk = try await hall.call("coordinator", .POST, "/v1/tasks/\(taskId)/countersign", token: try await hall.chief("d-market"))
            #expect((200..<300).contains(countersignedAsk.status), "\(countersignedAsk)")
            let awaiting = try await hall.eventually("the supplement asked of the applicant", { try await Self.tracking(hall, receipt, idNumber: idNumber) }) {
                $0.json["status"] == "awaiting-supplement"
            }
            #expect(awaiting.json["supplements"]?.arrayValue?.first?["needed"] == "经营场所平面图，标明面积", "\(awaiting)")
            let delivered = try await hall.call("intake", .POST, "/v1/applications/\(receipt)/supplements", token: clerk, ["materials": ["site-plan"]])
            #expect(delivered.status == 200, "\(delivered)")
            try await hall.eventually("the task open again", { try await hall.call("coordinator", .GET, "/v1/tasks/\(taskId)", token: officer) }) {
                $0.json["state"] == "open"
            }
            let opinion = try await hall.call("coordinator", .POST, "/v1/tasks/\(taskId)/opinion", token: officer, ["opinion": "approve"])
            #expect((200..<300).contains(opinion.status), "\(opinion)")
            let countersigned = try await hall.call("coordinator", .POST, "/v1/tasks/\(taskId)/countersign", token: try await hall.chief("d-market"))
            #expect((200..<300).contains(countersigned.status), "\(countersigned)")
            let ready = try await hall.eventually("the case ready", timeout: .seconds(60), { try await Self.tracking(hall, receipt, idNumber: idNumber) }) {
                $0.json["status"] == "ready"
            }
            #expect(ready.json["completion"]?["outcome"] == "approved")
            #expect(ready.json["supplements"]?.arrayValue?.first?["suppliedAt"] != nil, "\(ready)")
        }
    }

    /// Approves and countersigns every task of `caseIds` in every department, once each appears.
    static func approveEveryTask(_ hall: Hall, cases caseIds: Set<String>, expected: Int) async throws {
        var decided = Set<String>()
        let deadline = ContinuousClock.now + .seconds(60)
        while decided.count < expected {
            guard ContinuousClock.now < deadline else { throw ServiceProcessError("only \(decided.count) of \(expected) tasks appeared") }
            for department in Hall.departments.map(\.id) {
                let officer = try await hall.officer(department)
                let open = try await hall.call("coordinator", .GET, "/v1/tasks?state=open", token: officer)
                for task in open.json.arrayValue ?? [] {
                    guard let caseId = task["caseId"]?.stringValue?.lowercased(), caseIds.contains(caseId),
                        let taskId = task["taskId"]?.stringValue, !decided.contains(taskId)
                    else { continue }
                    let opinion = try await hall.call("coordinator", .POST, "/v1/tasks/\(taskId)/opinion", token: officer, ["opinion": "approve"])
                    #expect((200..<300).contains(opinion.status), "\(opinion)")
                    let countersigned = try await hall.call("coordinator", .POST, "/v1/tasks/\(taskId)/countersign", token: try await hall.chief(department))
                    #expect((200..<300).contains(countersigned.status), "\(countersigned)")
                    decided.insert(taskId)
                }
            }
            if decided.count < expected { try await Task.sleep(for: .milliseconds(200)) }
        }
    }

    @Test("a bundle (一件事): two applications accepted together, every department decides, the bundle is ready as one and handed over together")
    func bundle() async throws {
        try await Hall.run { hall in
            let clerk = try await hall.clerk
            let idNumber = Hall.idNumber(7)
            func member(_ item: String) -> JSONValue {
                guard case .object(let application) = Hall.application(item, idNumber: idNumber, key: "unused") else { return .null }
                return ["itemCode": .string(item), "materials": application["materials"] ?? .null]
            }
            let body: JSONValue = [
                "applicant": ["kind": "person", "name": "张三", "idNumber": .string(idNumber), "contact": "13800000000"],
                "channel": "window", "idempotencyKey": .string("e2e-\(hall.tag)-bundle"), "applications": [member("MKT-001"), member("JNT-001")],
            ]
            let accepted = try await hall.call("intake", .POST, "/v1/bundles", token: clerk, body)
            #expect(accepted.status == 201 && accepted.json["outcome"] == "accepted", "\(accepted)")
            let bundleId = try #require(accepted.json["bundleId"]?.stringValue)
            let caseIds = Set((accepted.json["applications"]?.arrayValue ?? []).compactMap { $0["application"]?["caseId"]?.stringValue?.lowercased() })
            #expect(caseIds.count == 2)
            try await Self.approveEveryTask(hall, cases: caseIds, expected: 3)
            let ready = try await hall.eventually("the bundle ready", timeout: .seconds(60), {
                try await hall.call("intake", .GET, "/v1/bundles/\(bundleId)?idNumber=\(idNumber)")
            }) { $0.json["status"] == "ready" }
            #expect(ready.json["cases"]?.arrayValue?.count == 2, "\(ready)")
            let handedOver = try await hall.call("intake", .POST, "/v1/bundles/\(bundleId)/handover", token: clerk)
            #expect(handedOver.status == 200, "\(handedOver)")
            let issued = try await hall.call("intake", .GET, "/v1/bundles/\(bundleId)?idNumber=\(idNumber)")
            #expect(issued.json["status"] == "issued", "\(issued)")
        }
    }
}
