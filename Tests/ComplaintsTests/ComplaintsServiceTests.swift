import Foundation
import HallContracts
import PostgresNIO
import HallKafka
import HallKit
import HallServiceHarness
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import Testing

@testable import complaints

@Suite("complaints: routes over a repository in memory")
struct ComplaintsRouteTests {
    @Test("the OpenAPI document lists exactly the routes the service serves")
    func openAPIMatchesRoutes() throws {
        let router = Router(context: HallRequestContext.self)
        ComplaintsService.addRoutes(to: router, repository: try MemoryComplaintsRepository())
        #expect(servedRoutes(router) == documentedRoutes(ComplaintsOpenAPI.document))
    }

    @Test("GET /v1/targets answers the repository's windows and departments, to anyone")
    func targets() async throws {
        let stored = ComplaintTargets(
            windows: [DirectoryWindow(windowId: "w-01", name: "综合窗口一", kind: "comprehensive", departmentIds: ["d-market", "d-tax"])],
            departments: [DirectoryDepartment(departmentId: "d-market", name: "市场监督管理局", centre: false)])
        let router = Router(context: HallRequestContext.self)
        router.addRoutes(ComplaintTargetsController(repository: try MemoryComplaintsRepository(stored: stored)).routes)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/v1/targets", method: .get) { response in
                #expect(response.status == .ok)
                let answered = try JSONDecoder().decode(ComplaintTargets.self, from: response.body)
                #expect(answered == stored)
            }
        }
    }
}


/// The complaint routes in process over the memory repository: filing, tracking, the queues and
/// every refusal, with the auth middleware of the real service.
@Suite("complaints: filing and handling over a repository in memory")
struct ComplaintHandlingRouteTests {
    static let secret = String(repeating: "c", count: 40)
    static let targets = ComplaintTargets(
        windows: [DirectoryWindow(windowId: "w-01", name: "综合窗口一", kind: "comprehensive", departmentIds: ["d-market"])],
        departments: [
            DirectoryDepartment(departmentId: "d-market", name: "市场监督管理局", centre: false),
            DirectoryDepartment(departmentId: "d-tax", name: "税务局", centre: false),
        ])
    static let staff: [String: MemoryComplaintsRepository.StaffMember] = [
        "s-li": .init(name: "李娜", departmentId: "d-market", windowId: "w-01"),
        "s-zhou": .init(name: "周强", departmentId: "d-market", windowId: "w-01"),
        "s-tax": .init(name: "钱进", departmentId: "d-tax", windowId: "w-09"),
    ]

    static func app(_ repository: MemoryComplaintsRepository) async -> some ApplicationProtocol {
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: await TokenAuthority(secret: secret)))
        ComplaintsService.addRoutes(to: router, repository: repository)
        return Application(router: router)
    }

    static func headers(_ subject: String? = nil, _ roles: [Role] = [], department: String? = nil) async throws -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let subject {
            let token = try await TokenAuthority(secret: secret).issue(HallClaims(subject: subject, roles: roles, department: department, ttl: 600))
            fields[.authorization] = "Bearer \(token)"
        }
        return fields
    }

    static func body(_ object: [String: JSONValue]) throws -> ByteBuffer {
        ByteBuffer(bytes: try EventEnvelope.encoder().encode(JSONValue.object(object)))
    }

    static func json(_ response: TestResponse) -> JSONValue { (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null }

    static let filing: [String: JSONValue] = [
        "category": "attitude", "targetKind": "staff", "targetId": "s-li", "complainantName": "王敏", "complainantContact": "13900000000",
        "content": "综合窗口一的工作人员态度生硬，未一次告知所需材料",
    ]

    @Test("anyone files online and follows the complaint with its tracking code; the centre's handler sees it without the complainant, reads it in full (the read recorded), and takes it to closed; the staff member complained about never sees it")
    func lifecycle() async throws {
        let repository = try MemoryComplaintsRepository(stored: Self.targets, staff: Self.staff)
        let handler = try await Self.headers("h-zhao", [.complaintsHandler])
        let accused = try await Self.headers("s-li", [.complaintsHandler])
        let inspector = try await Self.headers("i-qian", [.disciplineInspector])
        try await (await Self.app(repository)).test(.router) { client in
            let filed = try await client.execute(uri: "/v1/complaints", method: .post, headers: try await Self.headers(), body: try Self.body(Self.filing)) {
                #expect($0.status == .created)
                return Self.json($0)
            }
            #expect(filed["queue"] == "centre" && filed["status"] == "filed")
            let code = try #require(filed["trackingCode"]?.stringValue)
            let id = try #require(filed["complaintId"]?.stringValue)

            try await client.execute(uri: "/v1/complaints", method: .get, headers: handler) {
                let line = Self.json($0).arrayValue?.first
                #expect(line?["complaintId"]?.stringValue == id && line?["channel"] == "online" && line?["targetName"] == "李娜")
                #expect(line?["complainant"] == nil, "the queue shows no complainant")
            }
            try await client.execute(uri: "/v1/complaints", method: .get, headers: accused) { #expect(Self.json($0).arrayValue?.isEmpty == true) }
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: accused) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: inspector) { #expect($0.status == .forbidden) }
            // Until a handler takes the complaint, none sees who complains; the first to act is assigned.
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: handler) {
                #expect(Self.json($0)["complainant"] == nil && Self.json($0)["content"] != nil)
            }
            #expect(try await repository.identityReads(complaintId: nil).isEmpty)
            try await client.execute(uri: "/v1/complaints/\(id)/acceptance", method: .post, headers: handler, body: try Self.body(["accepted": true])) {
                #expect(Self.json($0)["handlers"] == ["h-zhao"] && Self.json($0)["complainant"]?["name"] == "王敏")
            }
            let colleague = try await Self.headers("h-qian", [.complaintsHandler])
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: colleague) { #expect(Self.json($0)["complainant"] == nil) }
            try await client.execute(uri: "/v1/complaints/\(id)/conclusion", method: .post, headers: colleague,
                                     body: try Self.body(["finding": "unsubstantiated", "findings": "x"])) { #expect($0.status == .forbidden, "not assigned") }
            try await client.execute(uri: "/v1/complaints/\(id)/handlers", method: .post, headers: colleague, body: try Self.body(["handlerId": "h-qian"])) {
                #expect($0.status == .forbidden, "only an assigned handler adds one")
            }
            try await client.execute(uri: "/v1/complaints/\(id)/handlers", method: .post, headers: handler, body: try Self.body(["handlerId": "s-li"])) {
                #expect($0.status == .forbidden && Self.json($0)["field"] == "handlerId", "never the staff member it is about")
            }
            try await client.execute(uri: "/v1/complaints/\(id)/handlers", method: .post, headers: handler, body: try Self.body(["handlerId": "h-qian"])) {
                #expect(Self.json($0)["handlers"] == ["h-zhao", "h-qian"])
            }
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: colleague) { #expect(Self.json($0)["complainant"]?["name"] == "王敏") }
            #expect(try await repository.identityReads(complaintId: nil).map(\.readerId) == ["h-qian", "h-zhao"])

            for (path, body) in [
                ("conclusion", ["finding": "substantiated", "findings": "经调取录像，态度生硬属实"] as [String: JSONValue]),
                ("sanction-decision", ["sanctions": [["kind": "efficiency-warning", "subjectKind": "staff", "subjectId": "s-li", "reason": "态度生硬属实"]]]),
                ("reply", ["reply": "已对当事窗口人员效能告诫并责令整改，感谢监督"]), ("close", [:]),
            ] {
                try await client.execute(uri: "/v1/complaints/\(id)/\(path)", method: .post, headers: handler, body: try Self.body(body)) {
                    #expect($0.status == .ok, "\(path): \(Self.json($0))")
                }
            }
            try await client.execute(uri: "/v1/complaints/track/\(code)", method: .get) {
                let tracked = Self.json($0)
                #expect(tracked["status"] == "closed" && tracked["finding"] == "substantiated")
                #expect(tracked["reply"] == "已对当事窗口人员效能告诫并责令整改，感谢监督")
                #expect(tracked["complainant"] == nil && tracked["findings"] == nil, "the complainant sees the outcome and the reply, not the file")
            }
            try await client.execute(uri: "/v1/complaints/\(id)/reply", method: .post, headers: handler, body: try Self.body(["reply": "再次答复"])) {
                #expect($0.status == .conflict)
            }
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: handler) {
                #expect(Self.json($0)["steps"]?.arrayValue?.compactMap { $0["step"]?.stringValue } == ["file", "accept", "assign", "conclude", "decide-sanctions", "reply", "close"])
            }
            // One event per step (and one per sanction), keyed by the complaint, none carrying the complainant or the reply.
            let events = await repository.events
            #expect(events.map(\.envelope.type) == [ComplaintFiled.eventType] + Array(repeating: ComplaintProgressed.eventType, count: 3)
                + [SanctionDecided.eventType] + Array(repeating: ComplaintProgressed.eventType, count: 2))
            #expect(Set(events.map(\.key)) == [id.lowercased()])
            let steps = try events.filter { $0.envelope.type == ComplaintProgressed.eventType }.map { try $0.envelope.payload(as: ComplaintProgressed.self) }
            #expect(steps.map(\.step) == [.accept, .conclude, .decideSanctions, .reply, .close])
            #expect(steps.map(\.finding) == [nil, .substantiated, nil, nil, nil])
            let sanction = try #require(events.first { $0.envelope.type == SanctionDecided.eventType }).envelope.payload(as: SanctionDecided.self)
            #expect(sanction.kind == .efficiencyWarning && sanction.subjectId == "s-li" && sanction.departmentId == "d-market")
            #expect(steps.allSatisfy { $0.targetKind == .staff && $0.targetId == "s-li" && $0.actorId == "h-zhao" })
            for event in events {
                let text = String(decoding: try event.envelope.encoded(), as: UTF8.self)
                #expect(!text.contains("王敏") && !text.contains("13900000000") && !text.contains("效能告诫"), "\(text)")
            }
        }
    }

    @Test("a discipline complaint recorded at the discipline room goes to the inspectors, not to the centre; an anonymous one shows no complainant")
    func disciplineQueue() async throws {
        let repository = try MemoryComplaintsRepository(stored: Self.targets)
        let inspector = try await Self.headers("i-qian", [.disciplineInspector])
        let handler = try await Self.headers("h-zhao", [.complaintsHandler])
        var filing = Self.filing
        (filing["category"], filing["targetKind"], filing["targetId"], filing["anonymous"]) = ("discipline-or-law", "department", "d-market", true)
        (filing["complainantName"], filing["complainantContact"]) = (nil, nil)
        let discipline = filing
        try await (await Self.app(repository)).test(.router) { client in
            let filed = try await client.execute(uri: "/v1/complaints", method: .post, headers: inspector, body: try Self.body(discipline)) { Self.json($0) }
            #expect(filed["queue"] == "discipline")
            let id = try #require(filed["complaintId"]?.stringValue)
            try await client.execute(uri: "/v1/complaints", method: .get, headers: handler) { #expect(Self.json($0).arrayValue?.isEmpty == true) }
            try await client.execute(uri: "/v1/complaints/\(id)/acceptance", method: .post, headers: handler, body: try Self.body(["accepted": true])) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: inspector) {
                #expect(Self.json($0)["summary"]?["channel"] == "discipline-room" && Self.json($0)["summary"]?["anonymous"] == true)
                #expect(Self.json($0)["complainant"] == nil && Self.json($0)["recordedBy"] == "i-qian")
            }
            #expect(try await repository.identityReads(complaintId: nil).isEmpty)
        }
    }

    @Test("a receipt code must be one intake answered; the complaint is linked to its case; the centre lists who read the complainant's identity")
    func receiptCodeAndReads() async throws {
        let repository = try MemoryComplaintsRepository(stored: Self.targets, staff: Self.staff, cases: ["RABC2345678": "c-1", "RREFUSED234": nil])
        let handler = try await Self.headers("h-zhao", [.complaintsHandler])
        let admin = try await Self.headers("admin-sun", [.centreAdmin])
        try await (await Self.app(repository)).test(.router) { client in
            var unknown = Self.filing
            unknown["receiptCode"] = "RNOSUCHCODE"
            try await client.execute(uri: "/v1/complaints", method: .post, headers: try await Self.headers(), body: try Self.body(unknown)) {
                #expect($0.status == .badRequest && Self.json($0)["field"] == "receiptCode")
            }
            var linked = Self.filing
            linked["receiptCode"] = "RABC2345678"
            let id = try await client.execute(uri: "/v1/complaints", method: .post, headers: try await Self.headers(), body: try Self.body(linked)) {
                Self.json($0)["complaintId"]?.stringValue ?? ""
            }
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: handler) {
                #expect(Self.json($0)["caseId"] == "c-1" && Self.json($0)["receiptCode"] == "RABC2345678")
            }
            try await client.execute(uri: "/v1/complaints/\(id)/acceptance", method: .post, headers: handler, body: try Self.body(["accepted": true])) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/identity-reads?complaintId=\(id)", method: .get, headers: handler) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/identity-reads?complaintId=\(id)", method: .get, headers: admin) {
                let reads = Self.json($0).arrayValue ?? []
                #expect(reads.count == 1 && reads.allSatisfy { $0["readerId"] == "h-zhao" && $0["complaintId"]?.stringValue == id }, "the acceptance's answer; not the read before it")
            }
            try await client.execute(uri: "/v1/identity-reads?complaintId=nope", method: .get, headers: admin) {
                #expect($0.status == .badRequest && Self.json($0)["field"] == "complaintId")
            }
        }
    }

    @Test("ten failed tracking look-ups from one client and even the right code is refused with 429 for a while")
    func trackingGuessesLimited() async throws {
        let repository = try MemoryComplaintsRepository(stored: Self.targets, staff: Self.staff)
        try await (await Self.app(repository)).test(.router) { client in
            let code = try await client.execute(uri: "/v1/complaints", method: .post, headers: try await Self.headers(), body: try Self.body(Self.filing)) {
                Self.json($0)["trackingCode"]?.stringValue ?? ""
            }
            try await client.execute(uri: "/v1/complaints/track/\(code)", method: .get) { #expect($0.status == .ok) }
            for guess in 0..<10 {
                try await client.execute(uri: "/v1/complaints/track/T\(String(repeating: "2", count: 11))\(guess + 2)", method: .get) {
                    #expect($0.status == .notFound)
                }
            }
            try await client.execute(uri: "/v1/complaints/track/\(code)", method: .get) {
                #expect($0.status == .tooManyRequests)
                #expect(Self.json($0)["type"]?.stringValue?.hasSuffix("too-many-requests") == true)
            }
        }
    }

    @Test("bad filings and steps are refused naming the field and the rule, and change nothing")
    func refusals() async throws {
        let repository = try MemoryComplaintsRepository(stored: Self.targets)
        let handler = try await Self.headers("h-zhao", [.complaintsHandler])
        let officer = try await Self.headers("s-wu", [.departmentOfficer])
        try await (await Self.app(repository)).test(.router) { client in
            for (change, field) in [
                (["targetId": JSONValue.string("w-99")], "targetId"), (["category": "rudeness"], "category"), (["content": ""], "content"),
                (["complainantName": .null], "complainantName"), (["targetKind": "room"], "targetKind"),
            ] {
                let body = Self.filing.merging(change) { $1 }.filter { $0.value != .null }
                try await client.execute(uri: "/v1/complaints", method: .post, headers: try await Self.headers(), body: try Self.body(body)) {
                    #expect($0.status == .badRequest, "\(change)")
                    #expect(Self.json($0)["field"]?.stringValue == field, "\(change): \(Self.json($0))")
                }
            }
            var staffFiling = Self.filing
            staffFiling["targetKind"] = "department"
            staffFiling["targetId"] = "d-market"
            try await client.execute(uri: "/v1/complaints", method: .post, headers: officer, body: try Self.body(staffFiling)) {
                #expect($0.status == .forbidden, "a department officer does not record complaints")
            }
            try await client.execute(uri: "/v1/complaints", method: .get, headers: handler) { #expect(Self.json($0).arrayValue?.isEmpty == true) }
            let id = try await client.execute(uri: "/v1/complaints", method: .post, headers: try await Self.headers(), body: try Self.body(staffFiling)) {
                Self.json($0)["complaintId"]?.stringValue ?? ""
            }
            try await client.execute(uri: "/v1/complaints/\(id)/conclusion", method: .post, headers: handler,
                                     body: try Self.body(["finding": "substantiated", "findings": "属实"])) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/v1/complaints/\(id)/acceptance", method: .post, headers: handler, body: try Self.body(["accepted": false])) {
                #expect($0.status == .badRequest && Self.json($0)["field"] == "reason")
            }
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: handler) { #expect(Self.json($0)["summary"]?["status"] == "filed") }
            try await client.execute(uri: "/v1/complaints/track/TNOTACODE", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/complaints", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/complaints", method: .get, headers: officer) { #expect($0.status == .forbidden) }
        }
    }
}

@Suite("complaints against the real database and broker", .enabled(if: LocalStack.isAvailable))
struct ComplaintsServiceTests {
    @Test("the service learns the directory from intake's events: active windows and departments are offered, a closed window is not")
    func directoryFromEvents() async throws {
        try await ServiceHarness.run(.complaints, definition: { ComplaintsService.definition(try ComplaintsSettings(environment: $0)) }) { service in
            let client = service.client
            let market = DepartmentChanged(departmentId: "d-market", name: "市场监督管理局", active: true, chiefRepresentative: nil, substitute: nil)
            let open = WindowChanged(windowId: "w-01", name: "综合窗口一", kind: .comprehensive, departmentIds: ["d-market"], active: true)
            let closed = WindowChanged(windowId: "w-02", name: "综合窗口二", kind: .comprehensive, departmentIds: ["d-market"], active: false)
            try await service.publish(.intakeEvents, [
                ("d-market", try intakeEvent(market)), ("w-01", try intakeEvent(open)), ("w-02", try intakeEvent(closed)),
            ])
            var targets = ComplaintTargets(windows: [], departments: [])
            try await ServiceHarness.eventually("the directory applied") {
                targets = try await client.execute(uri: "/v1/targets", method: .get) { try JSONDecoder().decode(ComplaintTargets.self, from: $0.body) }
                return !targets.windows.isEmpty && !targets.departments.isEmpty
            }
            #expect(targets.windows.map(\.windowId) == ["w-01"], "the closed window is not offered")
            #expect(targets.departments == [DirectoryDepartment(departmentId: "d-market", name: "市场监督管理局", centre: false)])
        }
    }

    @Test("a complaint about a staff member, filed and handled through the service on the real database: steps and identity reads are kept, the accused never sees it, another queue cannot act")
    func handledOnTheDatabase() async throws {
        try await ServiceHarness.run(.complaints, definition: { ComplaintsService.definition(try ComplaintsSettings(environment: $0)) }) { service in
            let client = service.client
            let staff = StaffChanged(staffId: "s-li", name: "李娜", departmentId: "d-market", windowId: "w-01", qualified: true, active: true)
            try await service.publish(.intakeEvents, [("s-li", try intakeEvent(staff))])
            let authority = try await LocalStack.issuer()
            func headers(_ subject: String?, _ roles: [Role]) async throws -> HTTPFields {
                var fields: HTTPFields = [.contentType: "application/json"]
                if let subject { fields[.authorization] = "Bearer \(try await authority.issue(HallClaims(subject: subject, roles: roles, department: nil, ttl: 600)))" }
                return fields
            }
            // The case intake accepted (its golden fixture): a complaint may name its receipt code.
            let fixture = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appending(path: "ContractsTests/Fixtures/intake.application.accepted.v1.json")
            let accepted = try EventEnvelope.decode(from: Array(try Data(contentsOf: fixture)))
            try await service.publish(.intakeEvents, [(accepted.caseId ?? "case", accepted)])
            let receipt = try #require(try accepted.payload(as: ApplicationAccepted.self).receiptCode)
            var body = ComplaintHandlingRouteTests.filing
            body["receiptCode"] = .string(receipt)
            var filed = JSONValue.null
            try await ServiceHarness.eventually("the staff member and the case known") {
                filed = try await client.execute(
                    uri: "/v1/complaints", method: .post, headers: try await headers("clerk-1", [.clerk]), body: try ComplaintHandlingRouteTests.body(body)
                ) { ComplaintHandlingRouteTests.json($0) }
                return filed["complaintId"] != nil
            }
            let id = try #require(filed["complaintId"]?.stringValue)
            let handler = try await headers("h-zhao", [.complaintsHandler])
            try await client.execute(uri: "/v1/complaints/\(id)", method: .get, headers: try await headers("s-li", [.complaintsHandler])) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/v1/complaints/\(id)/acceptance", method: .post, headers: try await headers("i-qian", [.disciplineInspector]),
                body: try ComplaintHandlingRouteTests.body(["accepted": true])
            ) { #expect($0.status == .forbidden) }
            let record = try await client.execute(
                uri: "/v1/complaints/\(id)/acceptance", method: .post, headers: handler, body: try ComplaintHandlingRouteTests.body(["accepted": true])
            ) { ComplaintHandlingRouteTests.json($0) }
            #expect(record["summary"]?["status"] == "investigating" && record["summary"]?["channel"] == "desk" && record["recordedBy"] == "clerk-1")
            #expect(record["complainant"]?["contact"] == "13900000000")
            #expect(record["caseId"]?.stringValue == accepted.caseId?.lowercased() && record["receiptCode"] == .string(receipt))
            try await client.execute(
                uri: "/v1/complaints/\(id)/acceptance", method: .post, headers: handler, body: try ComplaintHandlingRouteTests.body(["accepted": true])
            ) { #expect($0.status == .conflict) }
            let code = try #require(filed["trackingCode"]?.stringValue)
            try await client.execute(uri: "/v1/complaints/track/\(code)", method: .get) {
                #expect(ComplaintHandlingRouteTests.json($0)["status"] == "investigating" && ComplaintHandlingRouteTests.json($0)["targetName"] == "李娜")
            }
            func count(_ query: PostgresQuery) async throws -> Int64 {
                try await service.database.client.query(query).decode(Int64.self).collectAll().first ?? -1
            }
            let complaint = try #require(UUID(uuidString: id))
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).complaint_steps WHERE complaint_id = \(complaint)") == 2)
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).identity_reads WHERE reader_id = 'h-zhao'") == 1)
            try await client.execute(uri: "/v1/identity-reads?complaintId=\(id)", method: .get, headers: try await headers("admin-sun", [.centreAdmin])) {
                #expect(ComplaintHandlingRouteTests.json($0).arrayValue?.compactMap { $0["readerId"]?.stringValue } == ["h-zhao"])
            }
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox WHERE key = \(id.lowercased())") == 2)
            // A refused step wrote nothing, not even an event.
            #expect(try await count(
                "SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox WHERE event_type = 'complaints.complaint.progressed'") == 1)
        }
    }

    @Test("passed to a department, sanctioned, rated and reviewed on the real database; the bad steps are refused naming the field and change nothing; two substantiated complaints propose a removal; the service's own timers flag a missed deadline")
    func followUpOnTheDatabase() async throws {
        try await ServiceHarness.run(
            .complaints, extra: ["HALL_COMPLAINTS_TIMER_INTERVAL_MS": "50", "HALL_COMPLAINTS_TIMER_IDLE_MAX_MS": "200"],
            definition: { ComplaintsService.definition(try ComplaintsSettings(environment: $0)) }
        ) { service in
            let client = service.client
            try await service.publish(.intakeEvents, [
                ("d-market", try intakeEvent(DepartmentChanged(departmentId: "d-market", name: "市场监督管理局", active: true, chiefRepresentative: nil, substitute: nil))),
                ("d-tax", try intakeEvent(DepartmentChanged(departmentId: "d-tax", name: "税务局", active: true, chiefRepresentative: nil, substitute: nil))),
                ("s-li", try intakeEvent(StaffChanged(staffId: "s-li", name: "李娜", departmentId: "d-market", windowId: "w-01", qualified: true, active: true))),
                ("s-tax", try intakeEvent(StaffChanged(staffId: "s-tax", name: "钱进", departmentId: "d-tax", windowId: "w-09", qualified: true, active: true))),
            ])
            let authority = try await LocalStack.issuer()
            func headers(_ subject: String?, _ roles: [Role], department: String? = nil) async throws -> HTTPFields {
                var fields: HTTPFields = [.contentType: "application/json"]
                if let subject {
                    fields[.authorization] = "Bearer \(try await authority.issue(HallClaims(subject: subject, roles: roles, department: department, ttl: 600)))"
                }
                return fields
            }
            func post(_ uri: String, _ headers: HTTPFields, _ body: [String: JSONValue] = [:]) async throws -> (HTTPResponse.Status, JSONValue) {
                try await client.execute(uri: uri, method: .post, headers: headers, body: try ComplaintHandlingRouteTests.body(body)) {
                    ($0.status, ComplaintHandlingRouteTests.json($0))
                }
            }
            func count(_ query: PostgresQuery) async throws -> Int64 {
                try await service.database.client.query(query).decode(Int64.self).collectAll().first ?? -1
            }
            let public_: HTTPFields = [.contentType: "application/json"]
            var filed: [(id: String, code: String)] = []
            try await ServiceHarness.eventually("the directory known") {
                let (status, body) = try await post("/v1/complaints", public_, ComplaintHandlingRouteTests.filing)
                if status == .created { filed.append((body["complaintId"]?.stringValue ?? "", body["trackingCode"]?.stringValue ?? "")) }
                return status == .created
            }
            for _ in 0..<2 {
                let (_, more) = try await post("/v1/complaints", public_, ComplaintHandlingRouteTests.filing)
                filed.append((more["complaintId"]?.stringValue ?? "", more["trackingCode"]?.stringValue ?? ""))
            }
            let (id, code) = filed[0]
            let handler = try await headers("h-zhao", [.complaintsHandler])
            let market = try await headers("o-ma", [.departmentOfficer], department: "d-market")

            // The service's own timers flag a missed acceptance: the due day is moved into the past.
            try await service.database.client.query(
                "UPDATE \(unescaped: service.schema).complaint_timers SET fire_at = now() - interval '1 second' WHERE complaint_id = \(try #require(UUID(uuidString: id)))")
            try await ServiceHarness.eventually("the overdue flag raised") {
                try await client.execute(uri: "/v1/complaints", method: .get, headers: handler) {
                    ComplaintHandlingRouteTests.json($0).arrayValue?.first { $0["complaintId"]?.stringValue == id }?["overdue"] == true
                }
            }
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox WHERE event_type = 'complaints.complaint.deadline-flagged'") == 2)

            for complaint in [id, filed[1].id] { _ = try await post("/v1/complaints/\(complaint)/acceptance", handler, ["accepted": true]) }
            let (inspector, _) = try await post(
                "/v1/complaints/\(id)/referral", try await headers("i-qian", [.disciplineInspector]), ["departmentId": "d-market", "instructions": "x"])
            #expect(inspector == .forbidden, "a handler of another queue")
            let (referred, _) = try await post("/v1/complaints/\(id)/referral", handler, ["departmentId": "d-market", "instructions": "请调取当日录像核查"])
            #expect(referred == .ok)
            let (otherDepartment, _) = try await post("/v1/referrals/\(id)/findings", try await headers("o-tax", [.departmentOfficer], department: "d-tax"), ["findings": "x"])
            #expect(otherDepartment == .forbidden)
            try await client.execute(uri: "/v1/referrals/\(id)", method: .get, headers: market) {
                #expect(ComplaintHandlingRouteTests.json($0)["complainant"] == nil && ComplaintHandlingRouteTests.json($0)["content"] != nil)
            }
            let (returned, view) = try await post("/v1/referrals/\(id)/findings", market, ["findings": "录像显示态度生硬"])
            #expect(returned == .ok && view["status"] == "investigating")

            for complaint in [id, filed[1].id] {
                let (concluded, _) = try await post("/v1/complaints/\(complaint)/conclusion", handler, ["finding": "substantiated", "findings": "态度生硬属实"])
                #expect(concluded == .ok)
            }
            // An unsubstantiated complaint takes no sanction.
            _ = try await post("/v1/complaints/\(filed[2].id)/acceptance", handler, ["accepted": true])
            _ = try await post("/v1/complaints/\(filed[2].id)/conclusion", handler, ["finding": "unsubstantiated", "findings": "录像显示接待规范"])
            let (cleared, clearedProblem) = try await post("/v1/complaints/\(filed[2].id)/sanction-decision", handler, [
                "sanctions": [["kind": "efficiency-warning", "subjectKind": "staff", "subjectId": "s-li", "reason": "x"]],
            ])
            #expect(cleared == .conflict && clearedProblem["field"] == "sanctions")
            let before = try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox")
            let refusals: [(String, [String: JSONValue], HTTPResponse.Status, String?)] = [
                ("conclusion", ["finding": "substantiated", "findings": "again"], .conflict, "finding"),
                ("sanction-decision", ["sanctions": [["kind": "efficiency-warning", "subjectKind": "staff", "subjectId": "s-tax", "reason": "x"]]], .badRequest, "sanctions[0].subjectId"),
                ("sanction-decision", ["sanctions": []], .badRequest, "note"),
                ("reply", ["reply": "已处理"], .conflict, "sanctions"),
                ("close", [:], .conflict, nil),
            ]
            for (path, body, status, field) in refusals {
                let (answered, problem) = try await post("/v1/complaints/\(id)/\(path)", handler, body)
                #expect(answered == status && problem["field"]?.stringValue == field, "\(path): \(problem)")
            }
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox") == before, "a refused step changes nothing")
            let (decided, record) = try await post("/v1/complaints/\(id)/sanction-decision", handler, [
                "sanctions": [["kind": "efficiency-warning", "subjectKind": "staff", "subjectId": "s-li", "reason": "态度生硬属实"]],
            ])
            #expect(decided == .ok && record["sanctions"]?.arrayValue?.first?["departmentId"] == "d-market")
            for (path, body) in [("reply", ["reply": "已效能告诫"] as [String: JSONValue]), ("close", [:])] {
                let (status, _) = try await post("/v1/complaints/\(id)/\(path)", handler, body)
                #expect(status == .ok)
            }
            let (afterClose, _) = try await post("/v1/complaints/\(id)/reply", handler, ["reply": "again"])
            #expect(afterClose == .conflict, "a reply after closing")
            let (rated, _) = try await post("/v1/complaints/track/\(code)/rating", public_, ["rating": "satisfied"])
            let (review, tracking) = try await post("/v1/complaints/track/\(code)/review", public_, ["reason": "希望对窗口负责人一并处理"])
            #expect(rated == .ok && review == .ok && tracking["status"] == "under-review" && tracking["rating"] == "satisfied")

            // Two substantiated complaints about 李娜: her removal is proposed; the centre removes her.
            let admin = try await headers("admin-sun", [.centreAdmin])
            let proposals = try await client.execute(uri: "/v1/removal-proposals", method: .get, headers: admin) { ComplaintHandlingRouteTests.json($0).arrayValue ?? [] }
            #expect(proposals.count == 1 && proposals.first?["complaintIds"]?.arrayValue?.count == 2)
            let proposal = try #require(proposals.first?["proposalId"]?.stringValue)
            let (removed, _) = try await post("/v1/removal-proposals/\(proposal)/decision", admin, ["remove": true, "reason": "一年内两次查实投诉"])
            #expect(removed == .ok)
            try await client.execute(uri: "/v1/sanctions?subjectId=s-li", method: .get, headers: handler) {
                #expect(ComplaintHandlingRouteTests.json($0).arrayValue?.compactMap { $0["kind"]?.stringValue } == ["removal", "efficiency-warning"])
            }
            for (type, expected) in [
                ("complaints.sanction.decided", 2), ("complaints.removal.proposed", 1), ("complaints.complaint.rated", 1),
            ] as [(String, Int64)] {
                #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox WHERE event_type = \(type)") == expected, "\(type)")
            }
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).identity_reads WHERE reader_id = 'o-ma'") == 0, "not released")
        }
    }

    @Test("complaints filed together are stored together, each with its own answer: one naming an unknown window fails alone, every other is kept with its step, timers and event")
    func filedTogether() async throws {
        try await ServiceHarness.run(.complaints, definition: { ComplaintsService.definition(try ComplaintsSettings(environment: $0)) }) { service in
            let client = service.client
            try await service.publish(.intakeEvents, [
                ("w-01", try intakeEvent(WindowChanged(windowId: "w-01", name: "综合窗口一", kind: .comprehensive, departmentIds: ["d-market"], active: true)))
            ])
            var filing = ComplaintHandlingRouteTests.filing
            (filing["targetKind"], filing["targetId"]) = ("window", "w-01")
            try await ServiceHarness.eventually("the window known") {
                try await client.execute(uri: "/v1/targets", method: .get) { ComplaintHandlingRouteTests.json($0)["windows"]?.arrayValue?.isEmpty == false }
            }
            // Each filing on its own connection, as forty devices would send them: the test
            // client's one connection would hand them to the server one after another.
            let port = try #require(client.port)
            let statuses = try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status, JSONValue).self) { group in
                for index in 0..<40 {
                    var body = filing
                    if index == 17 { body["targetId"] = "w-99" }
                    if index % 2 == 0 { (body["anonymous"], body["complainantName"], body["complainantContact"]) = (true, nil, nil) }
                    let request = try ComplaintHandlingRouteTests.body(body.filter { $0.value != .null })
                    group.addTask {
                        try await TestClient.withClient(host: "localhost", port: port, configuration: .init(timeout: .seconds(60))) { device in
                            let response = try await device.execute(.init(
                                "/v1/complaints", method: .post, authority: "localhost", headers: [.contentType: "application/json"], body: request))
                            let json = (try? JSONValue.parse(Array((response.body ?? ByteBuffer()).readableBytesView))) ?? .null
                            return (index, response.status, json)
                        }
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = ($1.1, $1.2) }
            }
            #expect(statuses[17]?.0 == .badRequest && statuses[17]?.1["field"] == "targetId")
            #expect(statuses.filter { $0.key != 17 }.allSatisfy { $0.value.0 == .created })
            let codes = Set(statuses.values.compactMap { $0.1["trackingCode"]?.stringValue })
            #expect(codes.count == 39)
            func count(_ query: PostgresQuery) async throws -> Int64 {
                try await service.database.client.query(query).decode(Int64.self).collectAll().first ?? -1
            }
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).complaints WHERE target_department_ids = '{d-market}'") == 39)
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).complaints WHERE anonymous AND complainant_name IS NULL") == 20)
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).complaint_steps") == 39)
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).complaint_timers") == 78)
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox WHERE event_type = 'complaints.complaint.filed'") == 39)
            let anyCode = try #require(codes.first)
            try await client.execute(uri: "/v1/complaints/track/\(anyCode)", method: .get) {
                #expect(ComplaintHandlingRouteTests.json($0)["targetName"] == "综合窗口一" && ComplaintHandlingRouteTests.json($0)["dueDate"] != nil)
            }
        }
    }
}
