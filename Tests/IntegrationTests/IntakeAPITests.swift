import Foundation
import HallCalendar
import HallContracts
import HallKafka
import HallKit
import HallServiceHarness
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import intake

/// A valid resident identity number with its GB 11643 check character.
func residentId(_ body17: String) -> String {
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    let sum = zip(body17, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
    return body17 + String(Array("10X98765432")[sum % 11])
}

@Suite("intake over HTTP against the real database", .enabled(if: stackAvailable), .serialized)
struct IntakeAPITests {
    static let secret = String(repeating: "i", count: 40)

    /// Runs the intake service in process on a fresh schema and hands `body` a client and tokens.
    /// The test's Kafka namespace is its schema name: topics `<schema>.hall.…`, groups `<schema>.hall.intake`.
    func withIntake(_ body: @escaping @Sendable (any TestClientProtocol, Tokens, ScratchDatabase) async throws -> Void) async throws {
        let tokens = try await Tokens()
        try await ServiceHarness.run(
            .intake, extra: ["HALL_JWT_SECRET": Self.secret, "HALL_KAFKA_PARTITIONS": "2"],
            definition: { IntakeService.definition(try IntakeSettings(environment: $0)) }
        ) { service in
            try await body(service.client, tokens, service.database)
        }
    }

    struct Tokens: Sendable {
        let admin: String
        let clerk: String
        let otherClerk: String
        /// clerk-1 signed in without a window.
        let windowless: String
        /// Minted by the local identity provider, as a hall's would.
        init() async throws {
            let authority = try await LocalStack.issuer()
            admin = try await authority.issue(HallClaims(subject: "admin-1", roles: [.centreAdmin], department: nil, ttl: 3600))
            clerk = try await authority.issue(HallClaims(subject: "clerk-1", roles: [.clerk], department: nil, window: "w-01", ttl: 3600))
            otherClerk = try await authority.issue(HallClaims(subject: "clerk-2", roles: [.clerk], department: nil, window: "w-tax", ttl: 3600))
            windowless = try await authority.issue(HallClaims(subject: "clerk-1", roles: [.clerk], department: nil, ttl: 3600))
        }
    }

    func post(_ client: any TestClientProtocol, _ uri: String, token: String, _ json: String) async throws -> (HTTPResponse.Status, JSONValue) {
        try await client.execute(
            uri: uri, method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
            body: ByteBuffer(string: json)
        ) { response in
            (response.status, (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null)
        }
    }

    func get(_ client: any TestClientProtocol, _ uri: String, token: String? = nil) async throws -> (HTTPResponse.Status, JSONValue) {
        try await client.execute(uri: uri, method: .get, headers: token.map { [.authorization: "Bearer \($0)"] } ?? [:]) { response in
            (response.status, (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null)
        }
    }

    /// Departments, windows, staff and the item MKT-001 (effective 2026-01-01, promised 5 days).
    func seed(_ client: any TestClientProtocol, _ tokens: Tokens) async throws {
        for json in [
            #"{"id":"d-market","name":"县市场监督管理局"}"#, #"{"id":"d-tax","name":"县税务局"}"#,
        ] {
            #expect(try await post(client, "/v1/departments", token: tokens.admin, json).0 == .ok)
        }
        #expect(try await post(client, "/v1/windows", token: tokens.admin, #"{"id":"w-01","name":"综合窗口1","kind":"comprehensive","departmentIds":["d-market"]}"#).0 == .ok)
        #expect(try await post(client, "/v1/windows", token: tokens.admin, #"{"id":"w-tax","name":"税务窗口","kind":"department","departmentIds":["d-tax"]}"#).0 == .ok)
        #expect(try await post(client, "/v1/staff", token: tokens.admin, #"{"id":"clerk-1","name":"李四","departmentId":"d-market","windowId":"w-01","qualified":true}"#).0 == .ok)
        #expect(try await post(client, "/v1/staff", token: tokens.admin, #"{"id":"clerk-2","name":"王五","departmentId":"d-tax","windowId":"w-tax","qualified":true}"#).0 == .ok)
        let (status, item) = try await post(client, "/v1/items", token: tokens.admin, """
            {"code":"MKT-001","name":"个体工商户登记","kind":"committed","leadDepartmentId":"d-market","legalLimitDays":15,
             "promisedLimitDays":5,"materials":[
               {"id":"application-form","name":"登记申请书","form":"original","copies":1,"requirement":"required","toleratedGap":false},
               {"id":"identity-card","name":"身份证","form":"original-and-copy","copies":1,"requirement":"required","toleratedGap":false},
               {"id":"premises-proof","name":"经营场所证明","form":"copy","copies":2,"requirement":"required","toleratedGap":true}],
             "formTemplate":"个体工商户登记申请书","notCounted":["inspection"],"delegatedToCentre":true,"toleratedGapAllowed":true,
             "effectiveFrom":"2026-01-01","approvalReference":"县审改办〔2025〕9号"}
            """)
        #expect(status == .created)
        #expect(item["version"] == .int(1))
    }

    func application(key: String, materials: String, itemCode: String = "MKT-001", extra: String = "") -> String {
        """
        {"itemCode":"\(itemCode)","applicant":{"kind":"person","name":"张三","idNumber":"\(residentId("11010519491231002"))","contact":"13800000000"},
         "materials":[\(materials)],"channel":"window","idempotencyKey":"\(key)"\(extra)}
        """
    }

    let allMaterials = """
        {"materialId":"application-form","form":"original","copies":1,"legalForm":true},
        {"materialId":"identity-card","form":"original-and-copy","copies":1,"legalForm":true},
        {"materialId":"premises-proof","form":"copy","copies":2,"legalForm":true}
        """

    @Test("accept: notice number sequential per year, due date from the official calendar, event in the outbox; a repeated key gives the same answer")
    func accept() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            // A clerk signed in without a window is refused, naming the claim.
            let (windowless, noWindow) = try await post(client, "/v1/applications", token: tokens.windowless, application(key: "a-0", materials: allMaterials))
            #expect(windowless == .forbidden && noWindow["field"] == "window", "\(noWindow)")
            let (status, first) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "a-1", materials: allMaterials))
            #expect(status == .created)
            #expect(first["outcome"] == "accepted")
            let year = LocalDate.inHall(Date()).year
            #expect(first["noticeNumber"] == .string(String(format: "%04d-000001", year)))
            let expected = try WorkingCalendar.bundled().dueDate(acceptedAt: Date(), workingDays: 5)
            #expect(first["dueDate"] == .string(expected.date.description))
            #expect(first["dueDateProvisional"] == .bool(expected.isProvisional))

            let (againStatus, again) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "a-1", materials: allMaterials))
            #expect(again == first, "same idempotency key, same answer")
            #expect(againStatus == .created, "and the same status, as the API document says")
            let (_, second) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "a-2", materials: allMaterials))
            #expect(second["noticeNumber"] == .string(String(format: "%04d-000002", year)))
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications") == 2)
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).outbox WHERE event_type = 'intake.application.accepted'") == 2)
            // The case id is written as the events write it (lower case), so a client can join the two.
            let acceptedEvents = try await database.outboxEnvelopes(ApplicationAccepted.eventType, key: nil)
            let answeredId = try #require(first["caseId"]?.stringValue)
            #expect(answeredId == answeredId.lowercased() && acceptedEvents.contains { $0.caseId == answeredId }, "\(answeredId)")

            // Each acceptance notice is kept and sent to the department's seal by its hash.
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).outbox WHERE event_type = 'seal.document.requested' AND topic = 'hall.seal.requests'") == 2)
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).notices WHERE sha256 = encode(sha256(convert_to(text, 'UTF8')), 'hex') AND department_id = 'd-market'") == 2)

            // The applicant follows the case with the receipt code and their identity number only.
            let receipt = first["receiptCode"]!.stringValue!
            let (found, status2) = try await get(client, "/v1/cases/\(receipt)?idNumber=\(residentId("11010519491231002"))")
            #expect(found == .ok)
            #expect(status2["status"] == "accepted")
            #expect(status2["dueDate"] == first["dueDate"])
            #expect(try await get(client, "/v1/cases/\(receipt)?idNumber=\(residentId("11010519800101001"))").0 == .notFound)
        }
    }

    @Test("concurrent repeats of one key: one case, one notice number, one set of events, the same answer for all")
    func concurrentRepeats() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let store = IntakeStore(client: database.client, schema: database.schema, calendar: try WorkingCalendar.bundled(), logger: LocalStack.logger())
            let clerk = Clerk(staffId: "clerk-1", windowId: "w-01")
            for (key, materials) in [("c-accept", allMaterials), ("c-correct", #"{"materialId":"application-form","form":"original","copies":1,"legalForm":true}"#)] {
                let submission = try JSONDecoder.intake.decode(ApplicationSubmission.self, from: Data(application(key: key, materials: materials).utf8))
                let answers = try await withThrowingTaskGroup(of: ApplicationResponse.self) { group in
                    for _ in 0..<12 { group.addTask { try await store.submit(submission, clerk: clerk) } }
                    var all: [ApplicationResponse] = []
                    for try await answer in group { all.append(answer) }
                    return all
                }
                #expect(answers.count == 12)
                #expect(Set(answers.map(\.caseId)).count == 1, "\(key): one case")
                // As the clerk receives them (times on the wire have milliseconds).
                let wire = try answers.map { String(decoding: try JSONEncoder.intake.encode($0), as: UTF8.self) }
                #expect(Set(wire).count == 1, "\(key): the same answer")
                let caseId = answers[0].caseId.uuidString.lowercased()
                #expect(try await database.count(
                    "SELECT count(*)::bigint FROM \(database.schema).applications WHERE idempotency_key = '\(key)'") == 1)
                #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox WHERE key = '\(caseId)'")
                    == (key == "c-accept" ? 2 : 1), "\(key): the accepted event and the seal request, or the correction notice")
            }
            // The stored acceptance kept its number; a later acceptance gets a higher one.
            let stored = try #require(try await database.client.query(
                "SELECT notice_number FROM \(unescaped: database.schema).applications WHERE idempotency_key = 'c-accept'", logger: LocalStack.logger()
            ).decode(String.self).collectAll().first)
            let next = try await store.submit(
                try JSONDecoder.intake.decode(ApplicationSubmission.self, from: Data(application(key: "c-next", materials: allMaterials).utf8)), clerk: clerk)
            #expect(try #require(next.noticeNumber) > stored)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).notices WHERE kind = 'acceptance-notice'") == 2)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).notices WHERE kind = 'correction-notice'") == 1,
                "one correction notice kept for the repeated key")
        }
    }

    @Test("one-time notification lists everything; the resubmission is checked against that list only")
    func correctionAndResubmission() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let partial = #"{"materialId":"identity-card","form":"copy","copies":1,"legalForm":true}"#
            let (status, notice) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "c-1", materials: partial))
            #expect(status == .ok)
            #expect(notice["outcome"] == "correction-required")
            let corrections = notice["corrections"]
            #expect(corrections?[0]?["materialId"] == "application-form")
            #expect(corrections?[1]?["problem"] == "wrong-form")
            #expect(corrections?[2]?["materialId"] == "premises-proof")
            let receipt = notice["receiptCode"]!.stringValue!

            // The notice is a numbered, dated document kept with the case, printable, and not sent to a seal (Art 36).
            let number = try #require(notice["correctionNoticeNumber"]?.stringValue)
            #expect(number.wholeMatch(of: /\d{4}-G\d{6}/) != nil, "\(number)")
            let idNumber = residentId("11010519491231002")
            let documents = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1["documents"]?.arrayValue ?? []
            let kept = try #require(documents.first { $0["kind"] == "correction-notice" }, "\(documents)")
            #expect(kept["number"] == .string(number) && kept["sealed"] == .bool(false) && kept["issuedAt"]?.stringValue != nil)
            let printed = try await client.execute(uri: "/v1/cases/\(receipt)/documents/correction-notice?idNumber=\(idNumber)", method: .get) { response in
                (response.status, response.headers[.contentType], String(buffer: response.body))
            }
            #expect(printed.0 == .ok && printed.1?.hasPrefix("text/plain") == true)
            #expect(printed.2.contains("一次性告知通知书") && printed.2.contains(number) && printed.2.contains("issued-at: "))
            for material in ["application-form", "identity-card", "premises-proof"] { #expect(printed.2.contains(material), "every correction: \(material)") }
            #expect(try await get(client, "/v1/cases/\(receipt)/documents/correction-notice?idNumber=\(residentId("11010519491231003"))").0 == .notFound)
            let (badKind, kindProblem) = try await get(client, "/v1/cases/\(receipt)/documents/receipt?idNumber=\(idNumber)")
            #expect(badKind == .badRequest && kindProblem["field"] == "kind")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox WHERE topic LIKE '%seal.requests'") == 0)

            // Asking for something not on the notice is refused by the system and recorded.
            let (refusedStatus, problem) = try await post(
                client, "/v1/applications/\(receipt)/resubmission", token: tokens.clerk,
                #"{"materials":[],"additionalDemands":["bank-statement"]}"#)
            #expect(refusedStatus == .conflict)
            #expect(problem["field"] == "additionalDemands")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).refused_demands") == 1)

            // Fixing part of the list leaves the rest open; fixing the rest accepts the case.
            let (_, stillOpen) = try await post(
                client, "/v1/applications/\(receipt)/resubmission", token: tokens.clerk,
                #"{"materials":[{"materialId":"application-form","form":"original","copies":1,"legalForm":true}]}"#)
            #expect(stillOpen["outcome"] == "correction-required")
            #expect(stillOpen["corrections"].flatMap { if case .array(let list) = $0 { list.count } else { nil } } == 2)
            let (_, accepted) = try await post(
                client, "/v1/applications/\(receipt)/resubmission", token: tokens.clerk, "{\"materials\":[\(allMaterials)]}")
            #expect(accepted["outcome"] == "accepted")
            #expect(accepted["receiptCode"] == .string(receipt))
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).outbox WHERE event_type = 'intake.application.correction-notified'") == 2)
            let kinds = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1["documents"]?.arrayValue?.compactMap { $0["kind"]?.stringValue }
            #expect(kinds == ["correction-notice", "acceptance-notice"], "the notice stays with the case after acceptance")
        }
    }

    @Test("refusals name the reason and the competent authority")
    func refusals() async throws {
        try await withIntake { client, tokens, _ in
            try await seed(client, tokens)
            let (_, notCompetent) = try await post(
                client, "/v1/applications", token: tokens.clerk, application(key: "r-1", materials: allMaterials, extra: #","departmentId":"d-tax""#))
            #expect(notCompetent["outcome"] == "refused")
            #expect(notCompetent["refusal"]?["reasonCode"] == "not-competent")
            #expect(notCompetent["refusal"]?["competentAuthority"] == "县市场监督管理局")

            // The hall centre issues the refusal of an item the hall does not know (under its seal).
            try await seedCentre(client, tokens)

            let (_, unknown) = try await post(
                client, "/v1/applications", token: tokens.clerk,
                application(key: "r-2", materials: "", itemCode: "NOPE-9", extra: #","competentAuthority":"县公安局""#))
            #expect(unknown["refusal"]?["reasonCode"] == "unknown-item")
            #expect(unknown["refusal"]?["competentAuthority"] == "县公安局")

            let (status, problem) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "r-3", materials: "", itemCode: "NOPE-9"))
            #expect(status == .badRequest)
            #expect(problem["field"] == "itemCode")
        }
    }

    @Test("bad input: a problem naming the field, and nothing stored")
    func badInput() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let badId = application(key: "b-1", materials: allMaterials).replacingOccurrences(of: residentId("11010519491231002"), with: "110105194912310021")
            var (status, problem) = try await post(client, "/v1/applications", token: tokens.clerk, badId)
            #expect(status == .badRequest)
            #expect(problem["field"] == "applicant.idNumber")
            (status, problem) = try await post(
                client, "/v1/applications", token: tokens.clerk,
                application(key: "b-2", materials: allMaterials + #",{"materialId":"marriage","form":"copy","copies":1,"legalForm":true}"#))
            #expect(problem["field"] == "materials[3].materialId")
            (status, problem) = try await post(client, "/v1/applications", token: tokens.clerk, #"{"itemCode":"MKT-001","applicant":{"kind":"person"}}"#)
            #expect(status == .badRequest)
            #expect(problem["field"] == "applicant.name")
            // Invalid UTF-8.
            try await client.execute(
                uri: "/v1/applications", method: .post, headers: [.authorization: "Bearer \(tokens.clerk)", .contentType: "application/json"],
                body: ByteBuffer(bytes: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D])
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            let huge = String(repeating: "x", count: 2 << 20)
            (status, _) = try await post(client, "/v1/applications", token: tokens.clerk, "{\"itemCode\":\"\(huge)\"}")
            #expect(status == .contentTooLarge)
            // A clerk of another window cannot take this item.
            (status, _) = try await post(client, "/v1/applications", token: tokens.otherClerk, application(key: "b-3", materials: allMaterials))
            #expect(status == .forbidden)
            // Only admins change the catalogue.
            (status, _) = try await post(client, "/v1/departments", token: tokens.clerk, #"{"id":"d-x","name":"x"}"#)
            #expect(status == .forbidden)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications") == 0)
        }
    }

    @Test("the directory records each department's head (Art 22), who approves extensions, and its document code; the centre reads them back; a bad head or a code another department uses is refused naming the field")
    func departmentHeads() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let market = #"{"id":"d-market","name":"县市场监督管理局","head":{"id":"p-market-head","name":"王建国","title":"副局长"},"documentCode":"县市监许"}"#
            var (status, answer) = try await post(client, "/v1/departments", token: tokens.admin, market)
            #expect(status == .ok && answer["head"]?["personId"] == "p-market-head" && answer["documentCode"] == "县市监许", "\(answer)")
            let published = try await database.outboxEnvelopes(DepartmentChanged.eventType, key: "d-market").last?.payload(as: DepartmentChanged.self)
            #expect(published?.head == DepartmentHead(personId: "p-market-head", name: "王建国", title: "副局长") && published?.documentCode == "县市监许")
            for (bad, field) in [
                (#"{"id":"d-tax","name":"县税务局","documentCode":"县市监许"}"#, "documentCode"),
                (#"{"id":"d-tax","name":"县税务局","documentCode":"县 税"}"#, "documentCode"),
                (#"{"id":"d-tax","name":"县税务局","head":{"id":"P 1","name":"x","title":"局长"}}"#, "head.id"),
                (#"{"id":"d-tax","name":"县税务局","head":{"id":"p-tax-head","name":"x","title":""}}"#, "head.title"),
            ] {
                (status, answer) = try await post(client, "/v1/departments", token: tokens.admin, bad)
                #expect(status == .badRequest && answer["field"] == .string(field), "\(field): \(answer)")
            }
            #expect(try await get(client, "/v1/departments", token: tokens.clerk).0 == .forbidden)
            let (listed, list) = try await get(client, "/v1/departments", token: tokens.admin)
            let departments = list["departments"]?.arrayValue ?? []
            #expect(listed == .ok && departments.compactMap { $0["departmentId"]?.stringValue } == ["d-market", "d-tax"], "\(list)")
            #expect(departments.first?["head"]?["title"] == "副局长" && departments.first?["documentCode"] == "县市监许")
            #expect(departments.last?["head"] == .null && departments.last?["documentCode"] == .null, "d-tax kept its record: the refused saves changed nothing")
        }
    }

    @Test("the centre registers a department's system with its public key, announced to the hall; a bad key, a service's name, an id not starting with a letter, an unknown department are refused naming the field; only a centre admin registers")
    func departmentSystems() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let system = HallSigners.departmentSystem("mkt-approvals")
            let body = #"{"id":"mkt-approvals","departmentId":"d-market","name":"市场监管审批系统","publicKey":"\#(system.publicKey)"}"#
            #expect(try await post(client, "/v1/department-systems", token: tokens.clerk, body).0 == .forbidden)
            var (status, answer) = try await post(client, "/v1/department-systems", token: tokens.admin, body)
            #expect(status == .ok)
            #expect(answer["publicKey"] == .string(system.publicKey) && answer["active"] == true && answer["keyAlgorithm"] == "Ed25519")
            for (bad, field) in [
                (body.replacingOccurrences(of: system.publicKey, with: "AAAA"), "publicKey"),
                (body.replacingOccurrences(of: "mkt-approvals", with: "coordinator"), "id"),
                // The id is the producer of the system's commands, which starts with a letter.
                (body.replacingOccurrences(of: "mkt-approvals", with: "9-approvals"), "id"),
                (body.replacingOccurrences(of: "d-market", with: "d-nowhere"), "departmentId"),
            ] {
                (status, answer) = try await post(client, "/v1/department-systems", token: tokens.admin, bad)
                #expect(status == .badRequest && answer["field"] == .string(field), "\(field): \(answer)")
            }
            // Withdrawn: the same id, inactive.
            (status, answer) = try await post(
                client, "/v1/department-systems", token: tokens.admin, body.replacingOccurrences(of: "}", with: #","active":false}"#))
            #expect(status == .ok && answer["active"] == false)
            let listed = try await get(client, "/v1/department-systems", token: tokens.admin).1
            #expect(listed["systems"]?.arrayValue?.map { $0["systemId"] } == ["mkt-approvals"])
            let events = try await database.outboxPayloads(DepartmentSystemChanged.self, key: "mkt-approvals")
            #expect(events.map(\.active) == [true, false] && events.allSatisfy { $0.publicKey == system.publicKey && $0.departmentId == "d-market" })
        }
    }

    @Test("public guides and the calendar answer without login; a new version applies from its date")
    func guidesAndCalendar() async throws {
        try await withIntake { client, tokens, _ in
            try await seed(client, tokens)
            let (listStatus, list) = try await get(client, "/v1/items?q=%E4%B8%AA%E4%BD%93")
            #expect(listStatus == .ok)
            #expect(list["items"]?[0]?["code"] == "MKT-001")
            // A NUL character, which PostgreSQL cannot store, is refused naming the parameter.
            let (nulStatus, nul) = try await get(client, "/v1/items?q=%00")
            #expect(nulStatus == .badRequest && nul["field"] == "q")
            let (_, guide) = try await get(client, "/v1/items/MKT-001")
            #expect(guide["materials"]?[2]?["copies"] == .int(2))
            #expect(try await get(client, "/v1/items/MKT-001/form").0 == .ok)

            // Accepted on Friday 13 Feb 2026 with 5 working days: Sat 14 Feb is an adjusted working
            // day, the Spring Festival runs 15–23 Feb, so the fifth working day is Fri 27 Feb.
            let (_, due) = try await get(client, "/v1/calendar/due-date?itemCode=MKT-001&acceptedAt=2026-02-13T10:00:00%2B08:00")
            #expect(due["dueDate"] == "2026-02-27")
            #expect(due["provisional"] == .bool(false))
            let (_, late) = try await get(client, "/v1/calendar/due-date?itemCode=MKT-001&acceptedAt=2026-12-30T10:00:00%2B08:00")
            #expect(late["provisional"] == .bool(true), "2027's schedule is not published yet")
            let (_, days) = try await get(client, "/v1/calendar/working-days?from=2026-09-30&to=2026-10-12")
            #expect(days["workingDays"] == .int(4), "1 Oct – 7 Oct off, Sat 10 Oct worked: 8, 9, 10, 12 Oct")
            #expect(try await get(client, "/v1/calendar/working-days?from=2026-13-01&to=2026-10-12").0 == .badRequest)

            // A new version effective later does not change today's guide.
            let (status, v2) = try await post(client, "/v1/items", token: tokens.admin, """
                {"code":"MKT-001","name":"个体工商户登记（新）","kind":"committed","leadDepartmentId":"d-market","legalLimitDays":15,
                 "promisedLimitDays":3,"materials":[{"id":"application-form","name":"登记申请书","form":"original","copies":1,"requirement":"required","toleratedGap":false}],
                 "delegatedToCentre":true,"toleratedGapAllowed":false,"effectiveFrom":"2099-01-01","approvalReference":"县审改办〔2026〕1号"}
                """)
            #expect(status == .created)
            #expect(v2["version"] == .int(2))
            #expect(try await get(client, "/v1/items/MKT-001").1["version"] == .int(1))
            #expect(try await get(client, "/v1/items/MKT-001?on=2099-01-02").1["version"] == .int(2))

            // A front end holding a guide revalidates it: 304 without a body while the version is
            // the same, a different tag for another version.
            func guideTag(_ uri: String, ifNoneMatch: String? = nil) async throws -> (HTTPResponse.Status, String?, Int) {
                var headers = HTTPFields()
                if let ifNoneMatch { headers[.ifNoneMatch] = ifNoneMatch }
                return try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, $0.headers[.eTag], $0.body.readableBytes) }
            }
            let (_, tag, _) = try await guideTag("/v1/items/MKT-001")
            let current = try #require(tag)
            let (revalidated, sameTag, bodyBytes) = try await guideTag("/v1/items/MKT-001", ifNoneMatch: "\"other\", W/\(current)")
            #expect(revalidated == .notModified && sameTag == current && bodyBytes == 0)
            #expect(try await guideTag("/v1/items/MKT-001", ifNoneMatch: "\"other\"").0 == .ok)
            let (laterStatus, laterTag, _) = try await guideTag("/v1/items/MKT-001?on=2099-01-02", ifNoneMatch: current)
            #expect(laterStatus == .ok && laterTag != nil && laterTag != current, "version 2 is another guide")
        }
    }

    @Test("the OpenAPI document lists exactly the routes the service serves")
    func openAPIMatchesRoutes() async throws {
        let router = Router(context: HallRequestContext.self)
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", username: "x", password: nil, database: nil, tls: .disable))
        let store = IntakeStore(client: client, schema: "intake", calendar: try WorkingCalendar.bundled(), logger: LocalStack.logger())
        IntakeService.addRoutes(to: router, store: store, calendar: try WorkingCalendar.bundled())
        #expect(servedRoutes(router) == documentedRoutes(IntakeOpenAPI.document))
    }

    @Test("immediate item: an authorised clerk decides, the seal makes it ready, the fee is the catalogue's, the result is handed over and published")
    func immediateItemToIssuance() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            #expect(try await post(client, "/v1/items", token: tokens.admin, """
                {"code":"IMM-001","name":"食品经营许可证补办","kind":"immediate","leadDepartmentId":"d-market","legalLimitDays":0,
                 "promisedLimitDays":0,"fee":{"amountCents":1000,"basis":"县发改委〔2024〕3号"},
                 "materials":[{"id":"application-form","name":"补办申请书","form":"original","copies":1,"requirement":"required","toleratedGap":false}],
                 "delegatedToCentre":true,"toleratedGapAllowed":false,"effectiveFrom":"2026-01-01","approvalReference":"县审改办〔2025〕9号"}
                """).0 == .created)
            let material = #"{"materialId":"application-form","form":"original","copies":1,"legalForm":true}"#
            let (_, accepted) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "imm-1", materials: material, itemCode: "IMM-001"))
            #expect(accepted["outcome"] == "accepted")
            #expect(accepted["dueDate"] == .string(LocalDate.inHall(Date()).description), "decided on the spot: due the same day")
            let receipt = accepted["receiptCode"]!.stringValue!

            // Only staff authorised for the item may decide it on the spot.
            #expect(try await post(client, "/v1/applications/\(receipt)/decision", token: tokens.clerk, #"{"decision":"approve"}"#).0 == .forbidden)
            #expect(try await post(client, "/v1/staff", token: tokens.admin,
                #"{"id":"clerk-1","name":"李四","departmentId":"d-market","windowId":"w-01","qualified":true,"immediateItems":["IMM-001"]}"#).0 == .ok)
            #expect(try await post(client, "/v1/applications/\(receipt)/decision", token: tokens.clerk, #"{"decision":"deny"}"#).1["field"] == "reasons")
            // A decision is sealed at a hall window (Art 30): without one it is not issued at all.
            let (windowless, noWindow) = try await post(client, "/v1/applications/\(receipt)/decision", token: tokens.windowless, #"{"decision":"approve"}"#)
            #expect(windowless == .forbidden && noWindow["field"] == "window")
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).notices WHERE kind IN ('approval-decision', 'denial-decision')") == 0)
            #expect(try await post(client, "/v1/applications/\(receipt)/decision", token: tokens.clerk, #"{"decision":"approve"}"#).0 == .ok)
            #expect(try await post(client, "/v1/applications/\(receipt)/handover", token: tokens.clerk, "{}").0 == .conflict, "not sealed yet")

            // The department's seal is applied (the seal service's event arrives on hall.seal.events).
            let rows = try await database.client.query(
                "SELECT case_id, sha256 FROM \(unescaped: database.schema).notices WHERE kind = 'approval-decision'", logger: LocalStack.logger()
            ).decode((UUID, String).self).collectAll()
            let (caseId, hash) = try #require(rows.first)
            let seal = TestSeal(departmentId: "d-market")
            let sealed = try seal.sealed(.approvalDecision, documentHash: hash, caseId: caseId.uuidString.lowercased(), requestedBy: "clerk-1")
            let imprintId = sealed.imprintId
            let producer = try LocalKafka.stack().producer()
            // Forged imprints of this very decision first: signed by a key the seal service never registered, and by a
            // genuine seal of another department relabelled. Neither makes the case ready.
            let (stranger, other) = (TestSeal(departmentId: "d-market"), TestSeal(departmentId: "d-tax"))
            var relabelled = try other.sealed(.approvalDecision, documentHash: hash, caseId: caseId.uuidString.lowercased(), requestedBy: "clerk-1")
            relabelled.departmentId = "d-market"
            let forged = [
                try EventEnvelope(payload: other.registered, producer: "seal", caseId: nil),
                try EventEnvelope(
                    payload: try stranger.sealed(.approvalDecision, documentHash: hash, caseId: caseId.uuidString.lowercased(), requestedBy: "clerk-1"),
                    producer: "seal", caseId: caseId.uuidString.lowercased()),
                try EventEnvelope(payload: relabelled, producer: "seal", caseId: caseId.uuidString.lowercased()),
            ]
            for envelope in forged {
                _ = try await producer.sendSigned(KafkaProducerMessage(
                    topic: "\(database.schema).\(Topic.sealEvents.rawValue)", key: caseId.uuidString.lowercased(), value: try envelope.encoded()))
            }
            try await eventually("the forged imprints dealt with", timeout: .seconds(60)) {
                try await database.count(
                    "SELECT count(*)::bigint FROM \(database.schema).inbox WHERE event_id IN (\(forged.map { "'\($0.id)'" }.joined(separator: ",")))")
                    == forged.count
            }
            #expect(try await get(client, "/v1/cases/\(receipt)?idNumber=\(residentId("11010519491231002"))").1["status"] != "ready")
            // The imprint may come before its seal's registration: it is held until the key is known.
            _ = try await producer.sendSigned(KafkaProducerMessage(
                topic: "\(database.schema).\(Topic.sealEvents.rawValue)", key: caseId.uuidString.lowercased(),
                value: try EventEnvelope(payload: sealed, producer: "seal", caseId: caseId.uuidString.lowercased()).encoded()))
            _ = try await producer.sendSigned(KafkaProducerMessage(
                topic: "\(database.schema).\(Topic.sealEvents.rawValue)", key: seal.sealId.uuidString.lowercased(),
                value: try EventEnvelope(payload: seal.registered, producer: "seal", caseId: nil).encoded()))
            await producer.close()
            let idNumber = residentId("11010519491231002")
            try await eventually("the case is ready at the window", timeout: .seconds(60)) {
                try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1["status"] == "ready"
            }
            // The sealing time is the legal completion time (Art 31): complete, approved, on time.
            let completion = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1["completion"]
            #expect(completion?["outcome"] == "approved" && completion?["onTime"] == .bool(true))
            #expect(completion?["completedAt"]?.stringValue != nil && completion?["dueDate"] == .string(LocalDate.inHall(Date()).description))
            // Its completion is announced, as the coordinator announces the cases it routes; the
            // acceptance carried the applicant's check, never the number.
            let announced = try await database.client.query(
                "SELECT event_type, payload::text FROM \(unescaped: database.schema).outbox WHERE key = \(caseId.uuidString.lowercased()) ORDER BY id",
                logger: LocalStack.logger()
            ).decode((String, String).self).collectAll()
            let completedEvent = try #require(announced.first { $0.0 == ApplicationCompleted.eventType }).1
            let completedPayload = try EventEnvelope.decode(from: Array(completedEvent.utf8)).payload(as: ApplicationCompleted.self)
            #expect(completedPayload.receiptCode == receipt && completedPayload.outcome == .approved && completedPayload.onTime)
            #expect(completedPayload.leadDepartmentId == "d-market" && completedPayload.clerkId == "clerk-1")
            let acceptedEvent = try #require(announced.first { $0.0 == ApplicationAccepted.eventType }).1
            let check = try EventEnvelope.decode(from: Array(acceptedEvent.utf8)).payload(as: ApplicationAccepted.self).applicantCheck
            #expect(check?.count == 64 && !acceptedEvent.contains(idNumber) && !acceptedEvent.contains("11010519491231"))

            // Not handed out before the fee is paid; only the catalogue's fee, with the bank window's receipt, once.
            var (status, problem) = try await post(client, "/v1/applications/\(receipt)/handover", token: tokens.clerk, "{}")
            #expect(status == .conflict && problem["field"] == "fee", "\(problem)")
            (status, problem) = try await post(client, "/v1/applications/\(receipt)/fee", token: tokens.clerk, #"{"amountCents":1500,"paymentReference":"BK-1"}"#)
            #expect(status == .badRequest)
            #expect(problem["field"] == "amountCents")
            (status, problem) = try await post(client, "/v1/applications/\(receipt)/fee", token: tokens.clerk, #"{"amountCents":1000,"paymentReference":" "}"#)
            #expect(status == .badRequest && problem["field"] == "paymentReference")
            #expect(try await post(client, "/v1/applications/\(receipt)/fee", token: tokens.clerk, #"{"amountCents":1000,"paymentReference":"BK-1"}"#).0 == .noContent)
            (status, _) = try await post(client, "/v1/applications/\(receipt)/fee", token: tokens.clerk, #"{"amountCents":1000,"paymentReference":"BK-1"}"#)
            #expect(status == .conflict)

            // Handed out only by active staff posted at a window serving the case's department (or that took it): a clerk
            // of another department's window, the same clerk claiming a window they are not posted at, a staff id the
            // directory does not know, and a token without a window are refused, and the case stays ready.
            #expect(try await post(client, "/v1/staff", token: tokens.admin, #"{"id":"clerk-3","name":"王五","departmentId":"d-tax","windowId":"w-tax","qualified":true}"#).0 == .ok)
            let authority = try await LocalStack.issuer()
            for (subject, window) in [("clerk-3", "w-tax"), ("clerk-3", "w-01"), ("nobody", "w-01"), ("clerk-2", "w-tax"), ("clerk-1", nil)] as [(String, String?)] {
                let impostor = try await authority.issue(HallClaims(subject: subject, roles: [.clerk], department: nil, window: window, ttl: 600))
                let (refused, problem) = try await post(client, "/v1/applications/\(receipt)/handover", token: impostor, "{}")
                #expect(refused == .forbidden && problem["field"] == "window", "\(subject) at \(window ?? "no window"): \(problem)")
            }
            #expect(try await get(client, "/v1/cases/\(receipt)?idNumber=\(residentId("11010519491231002"))").1["status"] == "ready")
            let (handed, after) = try await post(client, "/v1/applications/\(receipt)/handover", token: tokens.clerk, "{}")
            #expect(handed == .ok)
            #expect(after["status"] == "issued")
            let (_, published) = try await get(client, "/v1/decisions?itemCode=IMM-001")
            #expect(published["decisions"]?[0]?["imprintId"] == .string(imprintId.uuidString.lowercased()), "as the events write it")
            #expect(published["decisions"]?[0]?["decision"] == "approved", "the events' word")
            #expect(published["decisions"]?[0]?["applicant"] == "张*", "a person's name is masked")
            // A decision taken on the spot is numbered in the department's own series for the window (即), from 1 in the year.
            let year = LocalDate.inHall(Date()).year
            #expect(published["decisions"]?[0]?["decisionNumber"] == .string("d-market即〔\(year)〕1号"), "\(published)")
        }
    }

    @Test("a due date reaching an unpublished year is provisional until that year's calendar is added, then recomputed and the change recorded")
    func provisionalDueDates() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let bundled = try WorkingCalendar.bundled()
            let store = IntakeStore(client: database.client, schema: database.schema, calendar: bundled, logger: LocalStack.logger())
            let submission = try JSONDecoder.intake.decode(
                ApplicationSubmission.self, from: Data(application(key: "p-1", materials: allMaterials).utf8))
            let acceptedAt = RFC3339Timestamp.date(from: "2026-12-30T10:00:00+08:00")!
            let response = try await store.submit(submission, clerk: Clerk(staffId: "clerk-1", windowId: "w-01"), now: acceptedAt)
            #expect(response.dueDateProvisional == true)
            // Weekends only: Thu 31 Dec, Fri 1 Jan, Mon 4, Tue 5, Wed 6 Jan 2027.
            #expect(response.dueDate?.description == "2027-01-06")

            // The 2027 schedule is published (New Year 1–3 Jan off): the due date moves to Thu 7 Jan.
            let schedule2027 = YearSchedule(
                year: 2027, source: "test fixture", published: LocalDate(iso: "2026-11-20")!,
                holidays: [.init(name: "元旦", englishName: "New Year", from: LocalDate(iso: "2027-01-01")!, to: LocalDate(iso: "2027-01-03")!)],
                adjustedWorkingDays: [])
            let updated = try WorkingCalendar(schedules: bundled.knownYears.compactMap { bundled.schedule(for: $0) } + [schedule2027])
            let recomputing = IntakeStore(client: database.client, schema: database.schema, calendar: updated, logger: LocalStack.logger())
            #expect(try await recomputing.recomputeProvisionalDueDates() == 1)
            #expect(try await recomputing.recomputeProvisionalDueDates() == 0)
            let status = try #require(try await store.caseStatus(receiptCode: response.receiptCode, idNumber: residentId("11010519491231002")))
            #expect(status.dueDate?.description == "2027-01-07")
            #expect(status.dueDateProvisional == false)
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).due_date_changes WHERE old_due_date = '2027-01-06' AND new_due_date = '2027-01-07'") == 1)
        }
    }
}
