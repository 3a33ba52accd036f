import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import HallServiceHarness
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import appraisal

@Suite("appraisal: the appraisal of window staff (Art 23-25)")
struct StaffAppraisalRouteTests {
    static func facts(_ id: String, completed: Int = 10, onTime: Int = 10, speed: Double? = 0.5, ratings: FigureRow.RatingCounts = .init(),
                      attitude: Int = 0, discipline: Int = 0, sanctions: Int = 0) -> StaffFacts {
        StaffFacts(staffId: id, name: id, departmentId: "d-market", windowId: "w-01", completed: completed, completedOnTime: onTime, speedIndex: speed,
                   ratings: ratings, attitudeComplaints: attitude, disciplineComplaints: discipline, sanctions: sanctions)
    }

    @Test("the formula: efficiency from on-time and speed against the same items, attitude from ratings and complaints, discipline from sanctions; the grade from the total")
    func formula() {
        let formula = AppraisalFormula()
        let prompt = formula.computed(Self.facts("a"))
        #expect(prompt.efficiency.score == 100 && prompt.efficiency.how.contains("10/10"))
        #expect(formula.computed(Self.facts("b", onTime: 5, speed: 0.25)).efficiency.score == 50)
        let rated = formula.computed(Self.facts("c", ratings: .init(verySatisfied: 1, dissatisfied: 1), attitude: 1))
        #expect(rated.attitude.score == 55, "(100 + 30) / 2 − 10")
        #expect(formula.computed(Self.facts("d", discipline: 1, sanctions: 2)).discipline.score == 50)
        #expect(formula.computed(Self.facts("e", completed: 0, onTime: 0, speed: nil)).efficiency.score == 100)
        #expect(AppraisalFormula.grade(90) == .excellent && AppraisalFormula.grade(89.9) == .competent && AppraisalFormula.grade(60) == .basicallyCompetent)
        #expect(AppraisalFormula.grade(59.9) == .unfit)
    }

    @Test("a hall publishes its own formula (HALL_APPRAISAL_FORMULA): the scores and the published formula follow it; a formula that does not add up is refused naming the setting and the rule")
    func configuredFormula() async throws {
        let json = #"{"onTimeWeight":0.5,"speedWeight":0.5,"sanctionPenalty":25,"weights":{"efficiency":0.4,"conduct":0.15,"skills":0.15}}"#
        let key = String(repeating: "k", count: 32)
        let settings = try AppraisalSettings(environment: EnvironmentReader(["HALL_APPRAISAL_FORMULA": json, "HALL_APPLICANT_KEY": key]))
        let formula = settings.formula
        #expect(formula.onTimeWeight == 0.5 && formula.sanctionPenalty == 25 && formula.complaintPenalty == 10, "members not given keep their defaults")
        #expect(formula.computed(Self.facts("b", onTime: 5, speed: 0.25)).efficiency.score == 50, "100 × (0.5 × 5/10 + 0.5 × 0.5)")
        #expect(formula.computed(Self.facts("d", sanctions: 2)).discipline.score == 50)
        let scores = AppraisalScores(conduct: 100, skills: 100, efficiency: 50, attitude: 100, discipline: 100)
        #expect(formula.total(scores) == 81.8, "(0.15 × 100 + 0.15 × 100 + 0.4 × 50 + 0.2 × 100 + 0.2 × 100) / 1.1, to one decimal: \(formula.total(scores))")
        for (bad, rule) in [
            (#"{"onTimeWeight":0.9}"#, "add up to 1"), (#"{"weights":{"humour":1}}"#, "weights.humour"), (#"{"sanctionPenalty":-1}"#, "sanctionPenalty"),
            (#"{"weights":{"conduct":0,"skills":0,"efficiency":0,"attitude":0,"discipline":0}}"#, "all be 0"), ("weights", "JSON object"),
        ] {
            let error = try #require(throws: ConfigurationError.self) { try AppraisalSettings(environment: EnvironmentReader(["HALL_APPRAISAL_FORMULA": bad, "HALL_APPLICANT_KEY": key])) }
            #expect(error.key == "HALL_APPRAISAL_FORMULA" && error.problem.contains(rule), "\(bad): \(error)")
        }
        let repository = try MemoryAppraisalRepository(staffFacts: [Self.facts("s-li", onTime: 5, speed: 0.25)], formula: formula)
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: await RatingKit.authority()))
        AppraisalService.addRoutes(to: router, repository: repository)
        let admin = try await RatingKit.headers("admin-sun", [.centreAdmin])
        try await Application(router: router).test(.router) { client in
            let published = try await client.execute(uri: "/v1/appraisal-formula", method: .get) { RatingKit.json($0) }
            #expect(published["onTimeWeight"] == 0.5 && published["weights"]?["efficiency"] == 0.4, "\(published)")
            let appraisals = try await client.execute(uri: "/v1/staff-appraisals?period=year&start=2026-01-01", method: .get, headers: admin) { RatingKit.json($0) }
            #expect(appraisals[0]?["efficiency"]?["score"] == 50, "\(appraisals)")
        }
    }

    @Test("the centre enters conduct and skills, then finalises once: the result goes to the department, unfit recommends replacement; the department's annual figure rolls up")
    func finalise() async throws {
        let repository = try MemoryAppraisalRepository(departments: ["d-market", "d-tax"], staffFacts: [
            Self.facts("s-li"), Self.facts("s-wu", onTime: 2, speed: 0.1, ratings: .init(veryDissatisfied: 3), attitude: 2, discipline: 2, sanctions: 2),
        ])
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: await RatingKit.authority()))
        AppraisalService.addRoutes(to: router, repository: repository)
        let admin = try await RatingKit.headers("admin-sun", [.centreAdmin])
        let department = try await RatingKit.headers("o-ma", [.departmentOfficer], department: "d-market")
        try await Application(router: router).test(.router) { client in
            let year = "period=year&start=2026-01-01"
            let (early, problem) = try await RatingKit.post(client, "/v1/staff-appraisals/s-li/finalise?\(year)", admin, [:])
            #expect(early == .conflict && problem["field"] == "conduct", "conduct and skills first")
            #expect(try await RatingKit.post(client, "/v1/staff-appraisals/s-li/entry?\(year)", admin, ["conduct": 120, "skills": 90]).1["field"] == "conduct")
            #expect(try await RatingKit.post(client, "/v1/staff-appraisals/s-li/entry?period=month&start=2026-03-02", admin, ["conduct": 90, "skills": 90]).1["field"] == "start")
            #expect(try await RatingKit.post(client, "/v1/staff-appraisals/s-li/entry?\(year)", department, ["conduct": 90, "skills": 90]).0 == .forbidden)
            #expect(try await RatingKit.post(client, "/v1/staff-appraisals/s-nobody/entry?\(year)", admin, ["conduct": 90, "skills": 90]).0 == .notFound)
            let (entered, appraisal) = try await RatingKit.post(client, "/v1/staff-appraisals/s-li/entry?\(year)", admin, ["conduct": 95, "skills": 90, "note": "纪检室：无投诉"])
            #expect(entered == .ok && appraisal["total"] == 97 && appraisal["grade"] == "excellent")
            #expect(try await RatingKit.post(client, "/v1/staff-appraisals/s-li/finalise?\(year)", admin, [:]).0 == .ok)
            #expect(try await RatingKit.post(client, "/v1/staff-appraisals/s-li/finalise?\(year)", admin, [:]).0 == .conflict, "once")
            #expect(try await RatingKit.post(client, "/v1/staff-appraisals/s-li/entry?\(year)", admin, ["conduct": 10, "skills": 10]).0 == .conflict)
            _ = try await RatingKit.post(client, "/v1/staff-appraisals/s-wu/entry?\(year)", admin, ["conduct": 50, "skills": 50])
            let (_, unfit) = try await RatingKit.post(client, "/v1/staff-appraisals/s-wu/finalise?\(year)", admin, [:])
            #expect(unfit["grade"] == "unfit" && unfit["finalised"]?["replacementRecommended"] == true)
            let published = try await repository.events.map { try $0.envelope.payload(as: AppraisalResultPublished.self) }
            #expect(published.map(\.staffId) == ["s-li", "s-wu"] && published.map(\.replacementRecommended) == [false, true])
            #expect(published.allSatisfy { $0.departmentId == "d-market" && $0.period == "year" })
            let annual = try await client.execute(uri: "/v1/departments/d-market/annual-appraisal?year=2026", method: .get, headers: department) { RatingKit.json($0) }
            #expect(annual["staff"] == 2 && annual["excellent"] == 1 && annual["unfit"] == 1)
            try await client.execute(uri: "/v1/departments/d-tax/annual-appraisal?year=2026", method: .get, headers: department) { #expect($0.status == .forbidden) }
            // A role that does not act for departments reads nothing with a department claim.
            let handler = try await RatingKit.headers("h-zhou", [.complaintsHandler], department: "d-market")
            try await client.execute(uri: "/v1/departments/d-market/annual-appraisal?year=2026", method: .get, headers: handler) { #expect($0.status == .forbidden) }
        }
    }
}

@Suite("appraisal: staff appraisal on the real database and broker", .enabled(if: LocalStack.isAvailable))
struct StaffAppraisalServiceTests {
    @Test("efficiency is adjusted for case mix: a clerk taking ten working days on a hard item is not ranked below one taking one day on an easy item; a slow one on the easy item is; the discipline room's input stays beside the centre's entry")
    func caseMix() async throws {
        try await ServiceHarness.run(.appraisal, definition: { AppraisalService.definition(try AppraisalSettings(environment: $0)) }) { service in
            var intake: [(key: String, event: EventEnvelope)] = []
            var coordinator: [(key: String, event: EventEnvelope)] = []
            for staff in ["s-a", "s-b", "s-c"] {
                intake.append((staff, try intakeEvent(StaffChanged(staffId: staff, name: staff, departmentId: "d-market", windowId: "w-01", qualified: true, active: true))))
            }
            // Accepted Monday 2 March 2026; completed after so many working days.
            let completions: [(String, String, String, String)] = [
                ("s-a", "c-1", "HARD-01", "2026-03-13T08:00:00.000Z"), ("s-a", "c-2", "HARD-01", "2026-03-17T08:00:00.000Z"),
                ("s-b", "c-3", "EASY-01", "2026-03-03T08:00:00.000Z"), ("s-b", "c-4", "EASY-01", "2026-03-03T08:00:00.000Z"),
                ("s-c", "c-5", "EASY-01", "2026-03-06T08:00:00.000Z"),
            ]
            for (staff, caseId, item, completed) in completions {
                intake.append((caseId, try HallMonth.event("intake.application.accepted", caseId: caseId, [
                    "receiptCode": .string("R-\(caseId)"), "itemCode": .string(item), "leadDepartmentId": "d-market", "participantDepartmentIds": [],
                    "clerkId": .string(staff), "windowId": "w-01", "acceptedAt": "2026-03-02T02:00:00.000Z",
                ])))
                coordinator.append((caseId, try HallMonth.event("coordinator.case.completed", caseId: caseId, [
                    "receiptCode": .string("R-\(caseId)"), "itemCode": .string(item), "leadDepartmentId": "d-market", "departmentIds": ["d-market"],
                    "acceptedAt": "2026-03-02T02:00:00.000Z", "completedAt": .string(completed), "onTime": true, "suspendedWorkingDays": 0,
                    "extensionWorkingDays": 0, "bundleId": .null,
                ])))
            }
            try await service.publish(.intakeEvents, intake)
            try await service.publish(.coordinatorEvents, coordinator)
            let admin = try await RatingKit.headers("admin-sun", [.centreAdmin])
            var appraisals: [StaffAppraisal] = []
            try await ServiceHarness.eventually("every completion applied") {
                appraisals = (try? await service.client.execute(uri: "/v1/staff-appraisals?period=month&start=2026-03-01", method: .get, headers: admin) {
                    try JSONDecoder().decode([StaffAppraisal].self, from: $0.body)
                }) ?? []
                return appraisals.map(\.facts.completed) == [2, 2, 1]
            }
            let efficiency = Dictionary(uniqueKeysWithValues: appraisals.map { ($0.facts.staffId, $0.efficiency.score) })
            #expect(efficiency["s-a"] == 100 && efficiency["s-b"] == 100, "ten days on the hard item ranks with one day on the easy one")
            #expect(efficiency["s-c"] == 88, "four days where the easy item takes two on average: 100 × (0.7 + 0.3 × 0.6)")
            // The discipline room gives its input (Art 44); the centre enters the scores beside it and finalises.
            let inspector = try await RatingKit.headers("j-qian", [.disciplineInspector])
            let input = "/v1/staff-appraisals/s-c/discipline-input?period=month&start=2026-03-01"
            #expect(try await RatingKit.post(service.client, input, admin, ["note": "x"]).0 == .forbidden, "the room's own input, not the centre's")
            #expect(try await RatingKit.post(service.client, input, inspector, ["note": " "]).1["field"] == "note")
            let (given, withInput) = try await RatingKit.post(service.client, input, inspector, ["note": "本月无违纪记录，群众反映服务热情", "conduct": 85])
            #expect(given == .ok && withInput["disciplineInputs"]?[0]?["by"] == "j-qian" && withInput["disciplineInputs"]?[0]?["conduct"] == 85, "\(withInput)")
            let (entered, _) = try await RatingKit.post(
                service.client, "/v1/staff-appraisals/s-c/entry?period=month&start=2026-03-01", admin, ["conduct": 80, "skills": 70])
            #expect(entered == .ok)
            let (_, final) = try await RatingKit.post(service.client, "/v1/staff-appraisals/s-c/finalise?period=month&start=2026-03-01", admin, [:])
            #expect(final["total"] == 87.6 && final["grade"] == "competent")
            #expect(final["disciplineInputs"]?.arrayValue?.count == 1, "the input stays with the finalised appraisal")
            #expect(try await RatingKit.post(service.client, input, inspector, ["note": "补充"]).0 == .conflict, "too late once finalised")
            let published = try await service.database.client.query(
                "SELECT count(*)::bigint FROM \(unescaped: service.schema).outbox WHERE event_type = 'appraisal.result.published' AND key = 's-c'"
            ).decode(Int64.self).collectAll().first
            #expect(published == 1)
        }
    }
}
