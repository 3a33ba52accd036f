import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import HallServiceHarness
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Synchronization
import Testing

@testable import appraisal

/// The shared pieces of the rating tests.
enum RatingKit {
    static let secret = String(repeating: "s", count: 32)
    static let check = try! ApplicantCheck(applicantKey: nil, jwtSecret: secret)
    static let idNumber = "11010519491231002X"

    /// Tokens of the local identity provider when the stack runs (the service under test and the
    /// routers in process verify them against its published key), else of a development secret.
    static func headers(_ subject: String, _ roles: [Role], department: String? = nil, window: String? = nil) async throws -> HTTPFields {
        let claims = HallClaims(subject: subject, roles: roles, department: department, window: window, ttl: 600)
        let token = LocalStack.issuerURL != nil ? try await LocalStack.issuer().issue(claims) : try await TokenAuthority(secret: secret).issue(claims)
        return [.contentType: "application/json", .authorization: "Bearer \(token)"]
    }

    /// What the routers in process verify tokens with: the one ``headers(_:_:department:window:)`` mints for.
    static func authority() async -> TokenAuthority {
        guard let issuer = LocalStack.issuerURL else { return await TokenAuthority(secret: secret) }
        return TokenAuthority(
            published: JWKSKeys(issuer: issuer, logger: LocalStack.logger()), rules: TokenRules(issuer: issuer, audience: "servicehall-appraisal"))
    }

    static func body(_ object: [String: JSONValue]) throws -> ByteBuffer {
        ByteBuffer(bytes: try EventEnvelope.encoder().encode(JSONValue.object(object)))
    }

    static func json(_ response: TestResponse) -> JSONValue { (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null }

    static func rating(_ receipt: String, _ level: String, idNumber: String = idNumber, comment: String? = nil) -> [String: JSONValue] {
        var body: [String: JSONValue] = ["receiptCode": .string(receipt), "idNumber": .string(idNumber), "level": .string(level), "channel": "sms"]
        if let comment { body["comment"] = .string(comment) }
        return body
    }

    @discardableResult
    static func post(_ client: some TestClientProtocol, _ uri: String, _ headers: HTTPFields, _ body: [String: JSONValue]) async throws
        -> (HTTPResponse.Status, JSONValue)
    {
        try await client.execute(uri: uri, method: .post, headers: headers, body: try Self.body(body)) { ($0.status, json($0)) }
    }
}

@Suite("appraisal: ratings and rectification over a repository in memory")
struct RatingsRouteTests {
    static let completedAt = Date().addingTimeInterval(-3_600)

    static func repository(extra: [RatedCase] = []) throws -> MemoryAppraisalRepository {
        let cases = [
            RatedCase(caseId: "c-1", receiptCode: "RC-1", itemCode: "MKT-001", departmentId: "d-market", windowId: "w-01", staffId: "s-li",
                      applicantCheck: RatingKit.check.digest(idNumber: RatingKit.idNumber), completedAt: completedAt),
            RatedCase(caseId: "c-2", receiptCode: "RC-2", itemCode: "MKT-001", departmentId: "d-market", windowId: "w-01", staffId: "s-li",
                      applicantCheck: RatingKit.check.digest(idNumber: RatingKit.idNumber), completedAt: nil),
            RatedCase(caseId: "c-3", receiptCode: "RC-3", itemCode: "MKT-001", departmentId: "d-market", windowId: "w-01", staffId: "s-li",
                      applicantCheck: RatingKit.check.digest(idNumber: RatingKit.idNumber), completedAt: Date().addingTimeInterval(-30 * 86_400)),
        ] + extra
        return try MemoryAppraisalRepository(departments: ["d-market", "d-tax"], cases: cases, rules: RatingRules(check: RatingKit.check, ratingDays: 7))
    }

    static func app(_ repository: MemoryAppraisalRepository) async -> some ApplicationProtocol {
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: await RatingKit.authority()))
        AppraisalService.addRoutes(to: router, repository: repository)
        return Application(router: router)
    }

    @Test("one rating per completed case, by its applicant, within the rating period; anything else is refused naming the field, and nothing is stored")
    func ratingRules() async throws {
        let repository = try Self.repository()
        let json: HTTPFields = [.contentType: "application/json"]
        try await (await Self.app(repository)).test(.router) { client in
            for (body, status, field) in [
                (RatingKit.rating("RC-9", "satisfied"), HTTPResponse.Status.notFound, "receiptCode"),
                (RatingKit.rating("RC-1", "satisfied", idNumber: "110105194912310037"), .forbidden, "idNumber"),
                (RatingKit.rating("RC-2", "satisfied"), .conflict, "receiptCode"),
                (RatingKit.rating("RC-3", "satisfied"), .conflict, "receiptCode"),
                (RatingKit.rating("RC-1", "excellent"), .badRequest, "level"),
                (RatingKit.rating("RC-1", "satisfied", comment: String(repeating: "好", count: 501)), .badRequest, "comment"),
            ] {
                let (answered, problem) = try await RatingKit.post(client, "/v1/ratings", json, body)
                #expect(answered == status && problem["field"]?.stringValue == field, "\(body): \(problem)")
            }
            #expect(try await repository.ratings(heldOrAppealedOnly: false, windowId: nil).isEmpty)
            let (rated, answer) = try await RatingKit.post(client, "/v1/ratings", json, RatingKit.rating("RC-1", "very-satisfied", comment: "一次办好"))
            #expect(rated == .created && answer["heldForReview"] == false && answer["rectificationId"] == nil)
            let (again, problem) = try await RatingKit.post(client, "/v1/ratings", json, RatingKit.rating("RC-1", "satisfied"))
            #expect(again == .conflict && problem["field"] == "receiptCode", "one rating per case")
            let events = await repository.events
            #expect(events.map(\.envelope.type) == [RatingRecorded.eventType])
            let text = String(decoding: try events[0].envelope.encoded(), as: UTF8.self)
            #expect(!text.contains("一次办好") && !text.contains(RatingKit.idNumber), "no comment and no identity in the event")
        }
    }

    @Test("a bundle (一件事) is rated once as a whole when all its cases are complete, the rating recorded for each case and each department rectifying a bad one; its cases are never rated alone")
    func bundleRating() async throws {
        let digest = RatingKit.check.digest(idNumber: RatingKit.idNumber)
        func member(_ n: Int, _ department: String, bundle: String, completed: Bool) -> RatedCase {
            RatedCase(caseId: "b-\(n)", receiptCode: "RB-\(n)", itemCode: "ITEM-\(n)", departmentId: department, windowId: "w-01", staffId: "s-li",
                      applicantCheck: digest, completedAt: completed ? Self.completedAt : nil, bundleId: bundle)
        }
        let repository = try Self.repository(extra: [
            member(1, "d-market", bundle: "B-1", completed: true), member(2, "d-tax", bundle: "B-1", completed: true),
            member(3, "d-market", bundle: "B-2", completed: true), member(4, "d-tax", bundle: "B-2", completed: false),
        ])
        let json: HTTPFields = [.contentType: "application/json"]
        @Sendable func bundle(_ id: String?, _ level: String, idNumber: String = RatingKit.idNumber) -> [String: JSONValue] {
            var body: [String: JSONValue] = ["idNumber": .string(idNumber), "level": .string(level), "channel": "online"]
            if let id { body["bundleId"] = .string(id) }
            return body
        }
        try await (await Self.app(repository)).test(.router) { client in
            let (alone, aloneProblem) = try await RatingKit.post(client, "/v1/ratings", json, RatingKit.rating("RB-1", "satisfied"))
            #expect(alone == .conflict && aloneProblem["field"] == "receiptCode", "a bundle's case is not rated alone")
            for (body, status, field) in [
                (bundle(nil, "satisfied"), HTTPResponse.Status.badRequest, "bundleId"),
                (bundle("B-9", "satisfied"), .notFound, "bundleId"),
                (bundle("B-1", "satisfied", idNumber: "110105194912310037"), .forbidden, "idNumber"),
                (bundle("B-2", "satisfied"), .conflict, "bundleId"),
            ] {
                let (answered, problem) = try await RatingKit.post(client, "/v1/bundle-ratings", json, body)
                #expect(answered == status && problem["field"]?.stringValue == field, "\(body): \(problem)")
            }
            #expect(try await repository.ratings(heldOrAppealedOnly: false, windowId: nil).isEmpty, "nothing stored by a refusal")
            let (rated, answer) = try await RatingKit.post(client, "/v1/bundle-ratings", json, bundle("B-1", "very-dissatisfied"))
            #expect(rated == .created && answer["bundleId"] == "B-1")
            let ratings = answer["ratings"]?.arrayValue ?? []
            #expect(ratings.compactMap { $0["receiptCode"]?.stringValue } == ["RB-1", "RB-2"])
            #expect(ratings.allSatisfy { $0["rectificationId"]?.stringValue != nil })
            let (again, problem) = try await RatingKit.post(client, "/v1/bundle-ratings", json, bundle("B-1", "satisfied"))
            #expect(again == .conflict && problem["field"] == "bundleId", "one rating per bundle")
            let records = try await repository.ratings(heldOrAppealedOnly: false, windowId: nil)
            #expect(Set(records.map(\.departmentId)) == ["d-market", "d-tax"] && records.allSatisfy { $0.bundleId == "B-1" })
            #expect(Set(try await repository.rectifications(department: nil).map(\.departmentId)) == ["d-market", "d-tax"])
        }
    }

    @Test("ten failed checks from one client and every rating from it is refused for a while: identity numbers cannot be found by trying")
    func failedChecksLimited() async throws {
        let repository = try Self.repository()
        let json: HTTPFields = [.contentType: "application/json"]
        try await (await Self.app(repository)).test(.router) { client in
            for n in 0..<10 {
                let (status, _) = try await RatingKit.post(client, "/v1/ratings", json, RatingKit.rating("RC-1", "satisfied", idNumber: "1101051949123100\(n)"))
                #expect(status == .forbidden)
            }
            let (limited, _) = try await RatingKit.post(client, "/v1/ratings", json, RatingKit.rating("RC-1", "satisfied"))
            #expect(limited == .tooManyRequests)
        }
    }

    @Test("a bad rating opens the department's rectification, taken step by step in order with notes; the window appeals once, not after the appeal period; the centre strikes the rating, closing the rectification")
    func badRating() async throws {
        let repository = try Self.repository(extra: [
            RatedCase(caseId: "c-4", receiptCode: "RC-4", itemCode: "MKT-001", departmentId: "d-market", windowId: "w-01", staffId: "s-li",
                      applicantCheck: RatingKit.check.digest(idNumber: RatingKit.idNumber), completedAt: Self.completedAt)
        ])
        let market = try await RatingKit.headers("o-ma", [.departmentOfficer], department: "d-market")
        let tax = try await RatingKit.headers("o-tax", [.departmentOfficer], department: "d-tax")
        let admin = try await RatingKit.headers("admin-sun", [.centreAdmin])
        let clerk = try await RatingKit.headers("s-li", [.clerk], window: "w-01")
        let otherClerk = try await RatingKit.headers("s-zhou", [.clerk], window: "w-02")
        try await (await Self.app(repository)).test(.router) { client in
            let (_, answer) = try await RatingKit.post(client, "/v1/ratings", [.contentType: "application/json"], RatingKit.rating("RC-1", "very-dissatisfied", comment: "材料要求前后不一"))
            let rectification = try #require(answer["rectificationId"]?.stringValue)
            let rating = try #require(answer["ratingId"]?.stringValue)
            let opened = try await client.execute(uri: "/v1/rectifications", method: .get, headers: market) { RatingKit.json($0).arrayValue ?? [] }
            #expect(opened.count == 1 && opened.first?["step"] == "opened" && opened.first?["dueStep"] == "called-back" && opened.first?["dueDate"] != nil)
            try await client.execute(uri: "/v1/rectifications", method: .get, headers: tax) { #expect(RatingKit.json($0).arrayValue?.isEmpty == true) }
            let steps = "/v1/rectifications/\(rectification)/steps"
            #expect(try await RatingKit.post(client, steps, tax, ["step": "called-back"]).0 == .forbidden)
            #expect(try await RatingKit.post(client, steps, market, ["step": "verified", "note": "x"]).0 == .conflict, "called back first")
            #expect(try await RatingKit.post(client, steps, market, ["step": "called-back"]).0 == .ok)
            let (noNote, problem) = try await RatingKit.post(client, steps, market, ["step": "verified"])
            #expect(noNote == .badRequest && problem["field"] == "note")
            #expect(try await RatingKit.post(client, steps, market, ["step": "verified", "note": "窗口告知材料清单版本过期"]).0 == .ok)

            // The window appeals once, within the appeal period; another window may not; the centre strikes the rating.
            let ratingId = try #require(UUID(uuidString: rating))
            let lateDay = try LocalDate(RectificationDeadlines(calendar: WorkingCalendar.bundled()).appealDeadline(ratedAt: Date())).adding(days: 1)
            let late = try await #require(throws: HallError.self) {
                _ = try await repository.appeal(ratingId, reason: "迟到的申诉", by: .window("w-01", staffId: "s-li"), at: lateDay.startInstant)
            }
            #expect(late.field == "ratingId" && late.message.contains("appeal period ended"), "\(late)")
            #expect(try await RatingKit.post(client, "/v1/ratings/\(rating)/appeal", otherClerk, ["reason": "x"]).0 == .forbidden)
            #expect(try await RatingKit.post(client, "/v1/ratings/\(rating)/appeal", clerk, ["reason": "申请人未携带材料，已一次告知"]).0 == .ok)
            #expect(try await RatingKit.post(client, "/v1/ratings/\(rating)/appeal", market, ["reason": "再次申诉"]).0 == .conflict)
            let pending = try await client.execute(uri: "/v1/ratings?pending=true", method: .get, headers: admin) { RatingKit.json($0).arrayValue ?? [] }
            #expect(pending.count == 1 && pending.first?["appeal"]?["by"] == "s-li")
            #expect(try await RatingKit.post(client, "/v1/ratings/\(rating)/review", admin, ["strike": true, "reason": ""]).1["field"] == "reason")
            #expect(try await RatingKit.post(client, "/v1/ratings/\(rating)/review", clerk, ["strike": true, "reason": "x"]).0 == .forbidden)
            let (struck, record) = try await RatingKit.post(client, "/v1/ratings/\(rating)/review", admin, ["strike": true, "reason": "经核实系误评"])
            #expect(struck == .ok && record["struck"] == true && record["review"]?["reason"] == "经核实系误评")
            #expect(try await RatingKit.post(client, steps, market, ["step": "fixed", "note": "x"]).0 == .conflict, "closed by the strike")
            // The audit keeps the struck rating with its comment.
            let audit = try await client.execute(uri: "/v1/ratings", method: .get, headers: admin) { RatingKit.json($0).arrayValue ?? [] }
            #expect(audit.first?["comment"] == "材料要求前后不一" && audit.first?["struck"] == true)
            let progressed = try await repository.events.filter { $0.envelope.type == RectificationProgressed.eventType }
                .map { try $0.envelope.payload(as: RectificationProgressed.self).step }
            #expect(progressed == [.opened, .calledBack, .verified, .closedByStrike])

            // Another bad rating, rectified to the end; a step not taken by its day is flagged overdue.
            let (_, second) = try await RatingKit.post(client, "/v1/ratings", [.contentType: "application/json"], RatingKit.rating("RC-4", "dissatisfied"))
            let other = try #require(second["rectificationId"]?.stringValue)
            let due = try #require(try await repository.rectifications(department: "d-market").first { $0.rectificationId.uuidString == other.uppercased() }?.dueDate)
            #expect(try await repository.fireDueTimers(now: LocalDate(due).endInstant.addingTimeInterval(-1), limit: 10) == 0)
            #expect(try await repository.fireDueTimers(now: LocalDate(due).endInstant, limit: 10) == 1)
            for (step, note) in [("called-back", nil), ("verified", "属实"), ("explained", "法定材料不可减免，已解释"), ("replied", "已答复申请人")] as [(String, String?)] {
                var body: [String: JSONValue] = ["step": .string(step)]
                if let note { body["note"] = .string(note) }
                #expect(try await RatingKit.post(client, "/v1/rectifications/\(other)/steps", market, body).0 == .ok, "\(step)")
            }
            let done = try #require(try await repository.rectifications(department: nil).first { $0.rectificationId.uuidString == other.uppercased() })
            #expect(done.step == .replied && done.doneAt != nil && done.dueDate == nil && !done.overdue)
        }
    }

    @Test("a burst of top ratings from one client for one window's cases is held for the centre, its first ratings included, not silently counted")
    func integrity() async throws {
        let cases = (10..<16).map {
            RatedCase(caseId: "c-\($0)", receiptCode: "RC-\($0)", itemCode: "MKT-001", departmentId: "d-market", windowId: "w-01", staffId: "s-li",
                      applicantCheck: RatingKit.check.digest(idNumber: RatingKit.idNumber), completedAt: Self.completedAt)
        }
        let repository = try Self.repository(extra: cases)
        try await (await Self.app(repository)).test(.router) { client in
            var held: [Bool] = []
            for n in 10..<16 {
                let (_, answer) = try await RatingKit.post(client, "/v1/ratings", [.contentType: "application/json"], RatingKit.rating("RC-\(n)", "very-satisfied"))
                held.append(answer["heldForReview"] == true)
            }
            #expect(held == [false, false, false, false, true, true])
            let pending = try await repository.ratings(heldOrAppealedOnly: true, windowId: "w-01")
            #expect(pending.count == 6, "the burst's first four, counted before it was seen, are held with it")
        }
    }
}

@Suite("appraisal: ratings on the real database and broker", .enabled(if: LocalStack.isAvailable))
struct RatingsServiceTests {
    @Test("on the database, a burst of top ratings from one client for one window is held whole: none of it stays in the figures until the centre keeps it")
    func burstOnTheDatabase() async throws {
        try await ServiceHarness.run(.appraisal, definition: { AppraisalService.definition(try AppraisalSettings(environment: $0)) }) { service in
            let now = Date()
            let check = RatingKit.check.digest(idNumber: RatingKit.idNumber)
            func at(_ date: Date) -> JSONValue { RFC3339Timestamp.string(from: date).map(JSONValue.string) ?? .null }
            var events: [(key: String, event: EventEnvelope)] = []
            for n in 10..<16 {
                events.append(("c-\(n)", try HallMonth.event("intake.application.accepted", caseId: "c-\(n)", [
                    "receiptCode": .string("RC-\(n)"), "itemCode": "MKT-001", "kind": "immediate", "leadDepartmentId": "d-market",
                    "participantDepartmentIds": [], "clerkId": "s-li", "windowId": "w-01", "acceptedAt": at(now.addingTimeInterval(-7_200)),
                    "applicantCheck": .string(check),
                ])))
                events.append(("c-\(n)", try HallMonth.event("intake.application.completed", caseId: "c-\(n)", [
                    "receiptCode": .string("RC-\(n)"), "itemCode": "MKT-001", "leadDepartmentId": "d-market", "outcome": "approved",
                    "acceptedAt": at(now.addingTimeInterval(-7_200)), "completedAt": at(now.addingTimeInterval(-7_000)), "onTime": true,
                    "clerkId": "s-li", "windowId": "w-01", "dueDate": .string(LocalDate.inHall(now).description),
                ])))
            }
            try await service.publish(.intakeEvents, events)
            let admin = try await RatingKit.headers("admin-sun", [.centreAdmin])
            let (from, to) = (LocalDate.inHall(now).adding(days: -2).description, LocalDate.inHall(now).adding(days: 1).description)
            func figures() async throws -> (completed: Int, verySatisfied: Int) {
                let rows = try await service.client.execute(uri: "/v1/figures?by=window&from=\(from)&to=\(to)&key=w-01", method: .get, headers: admin) {
                    try JSONDecoder().decode([FigureRow].self, from: $0.body)
                }
                return (rows.reduce(0) { $0 + $1.completed }, rows.reduce(0) { $0 + $1.ratings.verySatisfied })
            }
            try await ServiceHarness.eventually("the completions known") { try await figures().completed == 6 }
            var held: [Bool] = []
            for n in 10..<14 {
                let (status, answer) = try await RatingKit.post(service.client, "/v1/ratings", [.contentType: "application/json"], RatingKit.rating("RC-\(n)", "very-satisfied"))
                #expect(status == .created)
                held.append(answer["heldForReview"] == true)
            }
            #expect(try await figures().verySatisfied == 4, "four top ratings are not yet a burst")
            for n in 14..<16 {
                held.append(try await RatingKit.post(service.client, "/v1/ratings", [.contentType: "application/json"], RatingKit.rating("RC-\(n)", "very-satisfied")).1["heldForReview"] == true)
            }
            #expect(held == [false, false, false, false, true, true])
            #expect(try await figures().verySatisfied == 0, "the whole burst left the figures")
            let pending = try await service.client.execute(uri: "/v1/ratings?pending=true", method: .get, headers: admin) { RatingKit.json($0).arrayValue ?? [] }
            #expect(pending.count == 6 && pending.allSatisfy { $0["heldForReview"] == true })
            // The centre keeps one after review: it counts again.
            let kept = try #require(pending.first?["ratingId"]?.stringValue)
            #expect(try await RatingKit.post(service.client, "/v1/ratings/\(kept)/review", admin, ["strike": false, "reason": "经回访属实"]).0 == .ok)
            #expect(try await figures().verySatisfied == 1)
        }
    }

    @Test("an applicant rates a case completed by the coordinator and an immediate one decided at the window; a bad rating is rectified, flagged overdue by the service's own timer, and counted in the figures")
    func ratingsOnTheDatabase() async throws {
        try await ServiceHarness.run(
            .appraisal, extra: ["HALL_APPRAISAL_TIMER_INTERVAL_MS": "50", "HALL_APPRAISAL_TIMER_IDLE_MAX_MS": "200"],
            definition: { AppraisalService.definition(try AppraisalSettings(environment: $0)) }
        ) { service in
            let client = service.client
            let now = Date()
            let check = RatingKit.check.digest(idNumber: RatingKit.idNumber)
            func at(_ date: Date) -> JSONValue { RFC3339Timestamp.string(from: date).map(JSONValue.string) ?? .null }
            let accepted = { (caseId: String, receipt: String, kind: String) in
                try HallMonth.event("intake.application.accepted", caseId: caseId, [
                    "receiptCode": .string(receipt), "itemCode": "MKT-001", "kind": .string(kind), "leadDepartmentId": "d-market",
                    "participantDepartmentIds": [], "clerkId": "s-li", "windowId": "w-01", "acceptedAt": at(now.addingTimeInterval(-7_200)),
                    "applicantCheck": .string(check),
                ])
            }
            try await service.publish(.intakeEvents, [
                ("d-market", try intakeEvent(DepartmentChanged(departmentId: "d-market", name: "市场监督管理局", active: true, chiefRepresentative: nil, substitute: nil))),
                ("c-1", try accepted("c-1", "RC-1", "committed")), ("c-2", try accepted("c-2", "RC-2", "immediate")),
                ("c-2", try HallMonth.event("intake.application.completed", caseId: "c-2", [
                    "receiptCode": "RC-2", "itemCode": "MKT-001", "leadDepartmentId": "d-market", "outcome": "approved",
                    "acceptedAt": at(now.addingTimeInterval(-7_200)), "completedAt": at(now.addingTimeInterval(-7_000)), "onTime": true,
                    "clerkId": "s-li", "windowId": "w-01", "dueDate": .string(LocalDate.inHall(now).description),
                ])),
            ])
            try await service.publish(.coordinatorEvents, [
                ("c-1", try HallMonth.event("coordinator.case.completed", caseId: "c-1", [
                    "receiptCode": "RC-1", "itemCode": "MKT-001", "leadDepartmentId": "d-market", "departmentIds": ["d-market"],
                    "acceptedAt": at(now.addingTimeInterval(-7_200)), "completedAt": at(now.addingTimeInterval(-3_600)), "onTime": true,
                    "suspendedWorkingDays": 0, "extensionWorkingDays": 0, "bundleId": .null,
                ]))
            ])
            let json: HTTPFields = [.contentType: "application/json"]
            let admin = try await RatingKit.headers("admin-sun", [.centreAdmin])
            // The days around now, summed: the hall's midnight may fall between the events.
            let (from, to) = (LocalDate.inHall(now).adding(days: -2).description, LocalDate.inHall(now).adding(days: 1).description)
            func figures() async throws -> FigureRow? {
                let rows = try await client.execute(uri: "/v1/figures?by=staff&from=\(from)&to=\(to)&key=s-li", method: .get, headers: admin) {
                    try JSONDecoder().decode([FigureRow].self, from: $0.body)
                }
                guard var sum = rows.first else { return nil }
                for row in rows.dropFirst() {
                    sum.completed += row.completed
                    sum.ratings.verySatisfied += row.ratings.verySatisfied
                    sum.ratings.dissatisfied += row.ratings.dissatisfied
                    sum.rectificationsDone += row.rectificationsDone
                    sum.rectificationsDoneOnTime += row.rectificationsDoneOnTime
                }
                return sum
            }
            // A rating before the completion is known would be a failed check: wait for both completions.
            try await ServiceHarness.eventually("both completions known") { try await figures()?.completed == 2 }
            let (first, answer) = try await RatingKit.post(client, "/v1/ratings", json, RatingKit.rating("RC-1", "dissatisfied", comment: "等候时间长"))
            #expect(first == .created)
            #expect(try await RatingKit.post(client, "/v1/ratings", json, RatingKit.rating("RC-1", "satisfied")).0 == .conflict)
            #expect(try await RatingKit.post(client, "/v1/ratings", json, RatingKit.rating("RC-2", "satisfied", idNumber: "110105194912310037")).0 == .forbidden)
            let (immediate, _) = try await RatingKit.post(client, "/v1/ratings", json, RatingKit.rating("RC-2", "very-satisfied"))
            #expect(immediate == .created, "an immediate item is rated once its completion is announced")
            let rectification = try #require(answer["rectificationId"]?.stringValue)

            // The service's own timer flags the call-back that is not made by its day.
            try await service.database.client.query(
                "UPDATE \(unescaped: service.schema).rectification_timers SET fire_at = now() - interval '1 second'")
            let market = try await RatingKit.headers("o-ma", [.departmentOfficer], department: "d-market")
            try await ServiceHarness.eventually("the rectification flagged overdue") {
                try await client.execute(uri: "/v1/rectifications", method: .get, headers: market) { RatingKit.json($0).arrayValue?.first?["overdue"] == true }
            }
            for (step, note) in [("called-back", nil), ("verified", "高峰时段窗口不足"), ("fixed", "增开一个窗口"), ("replied", "已电话答复")] as [(String, String?)] {
                var body: [String: JSONValue] = ["step": .string(step)]
                if let note { body["note"] = .string(note) }
                let (status, _) = try await RatingKit.post(client, "/v1/rectifications/\(rectification)/steps", market, body)
                #expect(status == .ok, "\(step)")
            }
            let row = try await figures()
            #expect(row?.ratings == FigureRow.RatingCounts(verySatisfied: 1, dissatisfied: 1))
            #expect(row?.rectificationsDone == 1 && row?.rectificationsDoneOnTime == 1)
            let rates = try await client.execute(uri: "/v1/figures?by=department&period=year&from=\(from)&to=\(to)&key=d-market", method: .get, headers: admin) {
                try JSONDecoder().decode([FigureRow].self, from: $0.body)
            }
            #expect(rates.contains { $0.rectificationRate == 1 && $0.rectificationOnTimeRate == 1 }, "one bad rating, rectified on time: \(rates)")
            func count(_ query: PostgresQuery) async throws -> Int64 {
                try await service.database.client.query(query).decode(Int64.self).collectAll().first ?? -1
            }
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox WHERE event_type = 'appraisal.rating.recorded'") == 2)
            #expect(try await count("SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox WHERE event_type = 'appraisal.rectification.progressed'") == 5)
        }
    }

    @Test("a bundle learnt from intake's and the coordinator's events is rated once all its cases are complete; the rating counts for each case's department")
    func bundleOnTheDatabase() async throws {
        try await ServiceHarness.run(.appraisal, definition: { AppraisalService.definition(try AppraisalSettings(environment: $0)) }) { service in
            let client = service.client
            let now = Date()
            let check = RatingKit.check.digest(idNumber: RatingKit.idNumber)
            func at(_ date: Date) -> JSONValue { RFC3339Timestamp.string(from: date).map(JSONValue.string) ?? .null }
            func accepted(_ n: Int, _ department: String) throws -> (String, EventEnvelope) {
                ("b-\(n)", try HallMonth.event("intake.application.accepted", caseId: "b-\(n)", [
                    "receiptCode": .string("RB-\(n)"), "itemCode": .string("ITEM-\(n)"), "kind": "committed", "leadDepartmentId": .string(department),
                    "participantDepartmentIds": [], "clerkId": "s-li", "windowId": "w-01", "acceptedAt": at(now.addingTimeInterval(-7_200)),
                    "applicantCheck": .string(check), "bundleId": "B-7", "bundleSize": 2,
                ]))
            }
            func completed(_ n: Int, _ department: String) throws -> (String, EventEnvelope) {
                ("b-\(n)", try HallMonth.event("coordinator.case.completed", caseId: "b-\(n)", [
                    "receiptCode": .string("RB-\(n)"), "itemCode": .string("ITEM-\(n)"), "leadDepartmentId": .string(department),
                    "departmentIds": [.string(department)], "acceptedAt": at(now.addingTimeInterval(-7_200)), "completedAt": at(now.addingTimeInterval(-3_600)),
                    "onTime": true, "suspendedWorkingDays": 0, "extensionWorkingDays": 0, "bundleId": "B-7",
                ]))
            }
            try await service.publish(.intakeEvents, [try accepted(1, "d-market"), try accepted(2, "d-tax")])
            try await service.publish(.coordinatorEvents, [try completed(1, "d-market")])
            let json: HTTPFields = [.contentType: "application/json"]
            let body: [String: JSONValue] = ["bundleId": "B-7", "idNumber": .string(RatingKit.idNumber), "level": "satisfied", "channel": "sms"]
            // Waited for in the schema: a rating of a bundle not known yet would count as a failed check.
            func known(completed: Int) async throws {
                try await ServiceHarness.eventually("the bundle's cases known, \(completed) complete") {
                    let row = try await service.database.client.query(
                        """
                        SELECT count(*)::int, count(completed_at)::int FROM \(unescaped: service.schema).case_facts WHERE bundle_id = 'B-7'
                        """
                    ).decode((Int, Int).self).collectAll().first
                    return row?.0 == 2 && row?.1 == completed
                }
            }
            try await known(completed: 1)
            let (early, problem) = try await RatingKit.post(client, "/v1/bundle-ratings", json, body)
            #expect(early == .conflict && problem["field"] == "bundleId" && problem["detail"]?.stringValue?.contains("1 of 2") == true)
            try await service.publish(.coordinatorEvents, [try completed(2, "d-tax")])
            try await known(completed: 2)
            let (status, answer) = try await RatingKit.post(client, "/v1/bundle-ratings", json, body)
            #expect(status == .created && answer["ratings"]?.arrayValue?.count == 2)
            let admin = try await RatingKit.headers("admin-sun", [.centreAdmin])
            let (from, to) = (LocalDate.inHall(now).adding(days: -2).description, LocalDate.inHall(now).adding(days: 1).description)
            let rows = try await client.execute(uri: "/v1/figures?by=department&period=year&from=\(from)&to=\(to)", method: .get, headers: admin) {
                try JSONDecoder().decode([FigureRow].self, from: $0.body)
            }
            var satisfied: [String: Int] = [:]
            for row in rows { satisfied[row.key, default: 0] += row.ratings.satisfied }
            #expect(satisfied == ["d-market": 1, "d-tax": 1])
        }
    }

    @Test("a bad rating and a complaint about the same case are one follow-up: the reply to the complaint closes the rectification")
    func followUp() async throws {
        try await ServiceHarness.run(.appraisal, definition: { AppraisalService.definition(try AppraisalSettings(environment: $0)) }) { service in
            let now = Date()
            func at(_ date: Date) -> JSONValue { RFC3339Timestamp.string(from: date).map(JSONValue.string) ?? .null }
            try await service.publish(.intakeEvents, [
                ("d-market", try intakeEvent(DepartmentChanged(departmentId: "d-market", name: "市场监督管理局", active: true, chiefRepresentative: nil, substitute: nil))),
                ("c-7", try HallMonth.event("intake.application.accepted", caseId: "c-7", [
                    "receiptCode": "RC-7", "itemCode": "MKT-001", "leadDepartmentId": "d-market", "participantDepartmentIds": [], "clerkId": "s-li",
                    "windowId": "w-01", "acceptedAt": at(now.addingTimeInterval(-7_200)), "applicantCheck": .string(RatingKit.check.digest(idNumber: RatingKit.idNumber)),
                ])),
            ])
            try await service.publish(.coordinatorEvents, [
                ("c-7", try HallMonth.event("coordinator.case.completed", caseId: "c-7", [
                    "receiptCode": "RC-7", "itemCode": "MKT-001", "leadDepartmentId": "d-market", "departmentIds": ["d-market"],
                    "acceptedAt": at(now.addingTimeInterval(-7_200)), "completedAt": at(now.addingTimeInterval(-3_600)), "onTime": true,
                    "suspendedWorkingDays": 0, "extensionWorkingDays": 0, "bundleId": .null,
                ]))
            ])
            let admin = try await RatingKit.headers("admin-sun", [.centreAdmin])
            // A rating before the completion is known would be a failed check: wait for it.
            try await ServiceHarness.eventually("the completion known") {
                let known = try await service.database.client.query(
                    "SELECT count(*)::bigint FROM \(unescaped: service.schema).case_facts WHERE completed_at IS NOT NULL AND applicant_check IS NOT NULL"
                ).decode(Int64.self).collectAll().first
                return known == 1
            }
            let (_, rated) = try await RatingKit.post(service.client, "/v1/ratings", [.contentType: "application/json"], RatingKit.rating("RC-7", "very-dissatisfied"))
            let rectification = try #require(rated["rectificationId"]?.stringValue)
            let complaint = UUID()
            try await service.publish(.complaintsEvents, [
                (complaint.uuidString.lowercased(), try HallMonth.event("complaints.complaint.filed", [
                    "complaintId": .string(complaint.uuidString.lowercased()), "receiptCode": "RC-7", "category": "efficiency", "queue": "centre",
                    "filedAt": at(now),
                ])),
                (complaint.uuidString.lowercased(), try HallMonth.event("complaints.complaint.progressed", [
                    "complaintId": .string(complaint.uuidString.lowercased()), "step": "reply", "status": "replied", "finding": .null, "category": "efficiency",
                    "actorId": "h-zhao", "at": at(now.addingTimeInterval(60)),
                ])),
            ])
            var tickets: [JSONValue] = []
            try await ServiceHarness.eventually("the follow-up closed by the complaint's reply") {
                tickets = try await service.client.execute(uri: "/v1/follow-ups", method: .get, headers: admin) { RatingKit.json($0).arrayValue ?? [] }
                return tickets.first?["rectificationStep"] == "closed-by-complaint"
            }
            #expect(tickets.count == 1 && tickets.first?["rectificationId"]?.stringValue == rectification)
            #expect(tickets.first?["complaints"]?[0]?["status"] == "replied")
            let market = try await RatingKit.headers("o-ma", [.departmentOfficer], department: "d-market")
            #expect(try await RatingKit.post(service.client, "/v1/rectifications/\(rectification)/steps", market, ["step": "called-back"]).0 == .conflict)
            let closing = try await service.database.client.query(
                "SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox WHERE event_type = 'appraisal.rectification.progressed' AND key = \(rectification.lowercased())"
            ).decode(Int64.self).collectAll().first
            #expect(closing == 2, "opened, closed by the complaint")
        }
    }
}
