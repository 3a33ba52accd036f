import Foundation
import HallContracts
import HallKit
import Hummingbird
import HummingbirdTesting
import Testing

@testable import coordinator

/// The coordinator's HTTP API in process, over the records in memory (no database, no broker):
/// who may read and act on which task and case, what each refusal says, and that a refusal is
/// recorded where the department finds it.
@Suite("coordinator: routes over a repository in memory")
struct CoordinatorRouteTests {
    static let secret = String(repeating: "c", count: 40)

    static func task(_ id: String, department: String, caseId: String = "case-1", priority: Bool = false, subDeadline: String = "2026-12-20")
        -> TaskView
    {
        TaskView(
            taskId: id, caseId: caseId, receiptCode: "R-\(caseId)", itemCode: "JNT-001", itemName: "开办餐饮店", departmentId: department, role: "lead",
            state: "open", round: 1, subDeadline: subDeadline, caseDueDate: "2026-12-24", caseState: "in-progress", clockSuspended: false,
            applicantName: "李四", materials: [], claimedBy: nil, opinion: nil, reasons: [], supplements: [], officerId: nil, countersignedBy: nil,
            countersignCapacity: nil, priority: priority)
    }

    static func caseView(_ id: String, lead: String, departments: [String]) -> CaseView {
        CaseView(
            caseId: id, receiptCode: "R-\(id)", noticeNumber: "N-\(id)", itemCode: "JNT-001", itemName: "开办餐饮店", kind: "joint",
            leadDepartmentId: lead, departments: departments, state: "in-progress", acceptedAt: Date(), initialDueDate: "2026-12-24",
            dueDate: "2026-12-24", dueDateProvisional: false, clockSuspended: false, suspensionCategory: nil, awaitingSupplement: false,
            suspendedWorkingDays: 0, extensionWorkingDays: 0, outcome: nil, decidedAt: nil, completedAt: nil, onTime: nil, bundleId: nil, tasks: [],
            ledger: [], decisions: [], reviews: [], alerts: [])
    }

    /// A joint case of d-market (lead) and d-tax, one task each, a green-channel task of d-market, and a public view.
    static func repository() async -> MemoryCoordinatorRepository {
        let repository = MemoryCoordinatorRepository(countersigners: ["d-market": ["s-zhang"], "d-tax": ["s-qian"]])
        await repository.put(task("t-market", department: "d-market", subDeadline: "2026-12-18"))
        await repository.put(task("t-tax", department: "d-tax"))
        await repository.put(task("t-urgent", department: "d-market", caseId: "case-2", priority: true, subDeadline: "2026-12-30"))
        await repository.put(caseView("case-1", lead: "d-market", departments: ["d-market", "d-tax"]))
        await repository.put(
            PublicCaseView(
                receiptCode: "R-case-1", itemName: "开办餐饮店", status: "in-progress", dueDate: "2026-12-24", dueDateProvisional: false,
                clockSuspended: false, awaitingSupplement: false, supplements: [], outcome: nil, completedAt: nil, onTime: nil,
                departments: [.init(departmentId: "d-market", status: "in-progress")], dueDateHistory: [], bundleId: nil),
            noticeNumber: "N-case-1")
        return repository
    }

    static func app(_ repository: MemoryCoordinatorRepository) async -> some ApplicationProtocol {
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: await TokenAuthority(secret: secret)))
        CoordinatorService.addRoutes(to: router, repository: repository)
        return Application(router: router)
    }

    static func headers(_ subject: String, _ roles: [Role], department: String? = nil, requestId: String? = nil) async throws -> HTTPFields {
        let token = try await TokenAuthority(secret: secret).issue(HallClaims(subject: subject, roles: roles, department: department, ttl: 600))
        var fields: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        if let requestId { fields[.xRequestID] = requestId }
        return fields
    }

    static func body(_ object: [String: JSONValue]) throws -> ByteBuffer {
        ByteBuffer(bytes: try EventEnvelope.encoder().encode(JSONValue.object(object)))
    }

    static func json(_ response: TestResponse) -> JSONValue { (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null }

    static func ids(_ response: TestResponse) -> [String] { json(response).arrayValue?.compactMap { $0["taskId"]?.stringValue } ?? [] }

    @Test("a department's worklist holds only its own tasks; the centre sees every department's; a bad filter names the field")
    func worklist() async throws {
        let officer = try await Self.headers("s-wang", [.departmentOfficer], department: "d-market")
        let admin = try await Self.headers("admin-zhao", [.centreAdmin])
        try await (await Self.app(await Self.repository())).test(.router) { client in
            try await client.execute(uri: "/v1/tasks", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/tasks", method: .get, headers: officer) {
                #expect($0.status == .ok)
                #expect(Set(Self.ids($0)) == ["t-urgent", "t-market"])
            }
            try await client.execute(uri: "/v1/tasks?departmentId=d-tax", method: .get, headers: officer) {
                #expect($0.status == .forbidden)
                #expect(Self.json($0)["field"] == "departmentId")
            }
            try await client.execute(uri: "/v1/tasks/t-tax", method: .get, headers: officer) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/tasks?state=pending", method: .get, headers: officer) {
                #expect($0.status == .badRequest)
                #expect(Self.json($0)["field"] == "state")
            }
            try await client.execute(uri: "/v1/tasks", method: .get, headers: admin) { #expect(Set(Self.ids($0)) == ["t-market", "t-tax", "t-urgent"]) }
            try await client.execute(uri: "/v1/tasks?departmentId=d-tax", method: .get, headers: admin) { #expect(Self.ids($0) == ["t-tax"]) }
        }
    }

    @Test("an opinion on another department's task is refused as department-mismatch, changes nothing, and is listed in that department's rejections under the request id")
    func foreignOpinion() async throws {
        let repository = await Self.repository()
        let taxOfficer = try await Self.headers("s-li", [.departmentOfficer], department: "d-tax", requestId: "req-foreign-1")
        let taxViewer = try await Self.headers("s-li", [.departmentOfficer], department: "d-tax")
        let marketOfficer = try await Self.headers("s-wang", [.departmentOfficer], department: "d-market")
        try await (await Self.app(repository)).test(.router) { client in
            try await client.execute(uri: "/v1/tasks/t-market/opinion", method: .post, headers: taxOfficer, body: try Self.body(["opinion": "approve"])) {
                #expect($0.status == .forbidden)
                #expect(Self.json($0)["type"]?.stringValue?.hasSuffix("coordinator/department-mismatch") == true)
                #expect(Self.json($0)["field"] == "departmentId")
            }
            try await client.execute(uri: "/v1/tasks/t-market", method: .get, headers: marketOfficer) { #expect(Self.json($0)["state"] == "open") }
            try await client.execute(uri: "/v1/rejections", method: .get, headers: taxViewer) {
                let rows = Self.json($0).arrayValue ?? []
                #expect(rows.count == 1)
                #expect(rows.first?["commandId"] == "req-foreign-1")
                #expect(rows.first?["commandType"] == "http:POST /v1/tasks/{taskId}/opinion")
                #expect(rows.first?["reason"] == "department-mismatch")
            }
            try await client.execute(uri: "/v1/rejections", method: .get, headers: marketOfficer) { #expect(Self.json($0).arrayValue?.isEmpty == true) }
        }
    }

    @Test("an opinion: the body's rules name the field, the right roles only, once; a chief representative's countersignature follows it")
    func opinionAndCountersign() async throws {
        let officer = try await Self.headers("s-wang", [.departmentOfficer], department: "d-market")
        let handler = try await Self.headers("s-wang", [.complaintsHandler], department: "d-market")
        let chief = try await Self.headers("s-zhang", [.chiefRepresentative], department: "d-market")
        let pretender = try await Self.headers("s-wang", [.chiefRepresentative], department: "d-market")
        try await (await Self.app(await Self.repository())).test(.router) { client in
            try await client.execute(uri: "/v1/tasks/t-market/opinion", method: .post, headers: handler, body: try Self.body(["opinion": "approve"])) {
                #expect($0.status == .forbidden, "a complaints handler gives no opinion on a task")
            }
            try await client.execute(uri: "/v1/tasks/t-market/opinion", method: .post, headers: officer, body: try Self.body(["opinion": "deny"])) {
                #expect($0.status == .badRequest)
                #expect(Self.json($0)["field"] == "reasons")
            }
            try await client.execute(uri: "/v1/tasks/t-market/opinion", method: .post, headers: officer, body: try Self.body(["opinion": "maybe"])) {
                #expect($0.status == .badRequest)
                #expect(Self.json($0)["field"] == "opinion")
            }
            try await client.execute(uri: "/v1/tasks/t-market/countersign", method: .post, headers: chief) {
                #expect($0.status == .conflict, "nothing to countersign before an opinion")
            }
            try await client.execute(uri: "/v1/tasks/t-market/opinion", method: .post, headers: officer, body: try Self.body(["opinion": "approve"])) {
                #expect($0.status == .created)
                #expect(Self.json($0)["state"] == "opinion-given" && Self.json($0)["officerId"] == "s-wang")
            }
            try await client.execute(uri: "/v1/tasks/t-market/opinion", method: .post, headers: officer, body: try Self.body(["opinion": "deny", "reasons": ["晚了"]])) {
                #expect($0.status == .conflict)
                #expect(Self.json($0)["type"]?.stringValue?.hasSuffix("duplicate-opinion") == true)
            }
            try await client.execute(uri: "/v1/tasks/t-market/countersign", method: .post, headers: officer) {
                #expect($0.status == .forbidden, "an officer's token does not countersign")
            }
            try await client.execute(uri: "/v1/tasks/t-market/countersign", method: .post, headers: pretender) {
                #expect($0.status == .forbidden, "a token claiming the role is checked against the directory")
                #expect(Self.json($0)["type"]?.stringValue?.hasSuffix("not-countersigner") == true)
            }
            try await client.execute(uri: "/v1/tasks/t-market/countersign", method: .post, headers: chief) {
                #expect($0.status == .ok)
                #expect(Self.json($0)["state"] == "countersigned" && Self.json($0)["countersignedBy"] == "s-zhang")
            }
        }
    }

    @Test("a case: read only by its departments; the clock's rules — extension by the lead only and within the law, a joint review convened by the hall centre, not by a department")
    func caseCommands() async throws {
        let taxOfficer = try await Self.headers("s-li", [.departmentOfficer], department: "d-tax")
        let marketOfficer = try await Self.headers("s-wang", [.departmentOfficer], department: "d-market")
        let stranger = try await Self.headers("s-ma", [.departmentOfficer], department: "d-housing")
        let chief = try await Self.headers("s-zhang", [.chiefRepresentative], department: "d-market")
        let extensionBody: @Sendable (Int64) throws -> ByteBuffer = { days in
            try Self.body(["workingDays": .int(days), "reason": "需现场核查", "approvedBy": "局长王某"])
        }
        try await (await Self.app(await Self.repository())).test(.router) { client in
            try await client.execute(uri: "/v1/cases/case-1", method: .get, headers: stranger) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/cases/case-1", method: .get, headers: taxOfficer) {
                #expect($0.status == .ok)
                #expect(Self.json($0)["leadDepartmentId"] == "d-market")
            }
            try await client.execute(uri: "/v1/cases/case-9", method: .get, headers: taxOfficer) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/cases/case-1/extensions", method: .post, headers: taxOfficer, body: try extensionBody(5)) {
                #expect($0.status == .forbidden)
                #expect(Self.json($0)["type"]?.stringValue?.hasSuffix("not-permitted") == true)
            }
            try await client.execute(uri: "/v1/cases/case-1/extensions", method: .post, headers: marketOfficer, body: try extensionBody(16)) {
                #expect($0.status == .unprocessableContent)
                #expect(Self.json($0)["field"] == "workingDays")
            }
            try await client.execute(uri: "/v1/cases/case-1/suspensions", method: .post, headers: stranger, body: try Self.body(["category": "expert-review", "reason": "专家评审", "noticeReference": "通知 1 号"])) {
                #expect($0.status == .forbidden)
                #expect(Self.json($0)["type"]?.stringValue?.hasSuffix("department-mismatch") == true)
            }
            let review: [String: JSONValue] = ["meetingAt": "2026-12-10T02:00:00.000Z", "place": "三楼会议室", "departmentIds": ["d-market", "d-tax"]]
            let centre = try await Self.headers("admin-zhao", [.centreAdmin])
            for department in [marketOfficer, chief] {
                try await client.execute(uri: "/v1/cases/case-1/reviews", method: .post, headers: department, body: try Self.body(review)) {
                    #expect($0.status == .forbidden && Self.json($0)["field"] == "roles")
                }
            }
            try await client.execute(uri: "/v1/cases/case-1/reviews", method: .post, headers: centre, body: try Self.body(review.merging(["place": " "]) { $1 })) {
                #expect($0.status == .badRequest)
                #expect(Self.json($0)["field"] == "place")
            }
            try await client.execute(uri: "/v1/cases/case-1/reviews", method: .post, headers: centre, body: try Self.body(review)) {
                #expect($0.status == .created)
                #expect(UUID(uuidString: Self.json($0)["reviewId"]?.stringValue ?? "") != nil)
            }
        }
    }

    @Test("the public finds a case only with its receipt code and the acceptance notice's number, and sees no staff")
    func publicTracking() async throws {
        try await (await Self.app(await Self.repository())).test(.router) { client in
            try await client.execute(uri: "/v1/public/cases/R-case-1", method: .get) {
                #expect($0.status == .badRequest)
                #expect(Self.json($0)["field"] == "noticeNumber")
            }
            try await client.execute(uri: "/v1/public/cases/R-case-1?noticeNumber=N-guess", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/public/cases/R-case-1?noticeNumber=N-case-1", method: .get) {
                #expect($0.status == .ok)
                #expect(Self.json($0)["dueDate"] == "2026-12-24")
                #expect(!String(buffer: $0.body).contains("s-wang"))
            }
        }
    }
}
