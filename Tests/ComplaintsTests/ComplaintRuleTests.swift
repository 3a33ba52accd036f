import Foundation
import HallCalendar
import HallContracts
import HallKit
import Testing

@testable import complaints

@Suite("complaints: the rules without a database")
struct ComplaintRuleTests {
    @Test("discipline and law go to the discipline room's queue, everything else to the centre's", arguments: ComplaintCategory.allCases)
    func routing(category: ComplaintCategory) {
        let queue = ComplaintQueue(for: category)
        #expect(queue == (category == .disciplineOrLaw ? .discipline : .centre))
        #expect(queue.role == (category == .disciplineOrLaw ? .disciplineInspector : .complaintsHandler))
    }

    @Test("the lifecycle: filed → accepted or not → concluded once → sanctions when substantiated → replied → closed; anything else is refused naming the rule")
    func lifecycle() throws {
        #expect(try ComplaintStep.accept.next(from: .filed) == .investigating)
        #expect(try ComplaintStep.notAccept(reason: "不属于本中心受理范围").next(from: .filed) == .notAccepted)
        #expect(try ComplaintStep.conclude(.substantiated, findings: "窗口人员态度生硬属实").next(from: .investigating) == .concluded)
        #expect(try ComplaintStep.reply("经查不属实").next(from: .concluded, finding: .unsubstantiated) == .replied)
        let unsanctioned = try #require(throws: HallError.self) { try ComplaintStep.reply("已责令整改").next(from: .concluded, finding: .substantiated) }
        #expect(unsanctioned.field == "sanctions" && unsanctioned.code.status == .conflict)
        let warning = SanctionOrder(kind: .efficiencyWarning, subjectKind: .staff, subjectId: "s-li", reason: "态度生硬属实")
        #expect(try ComplaintStep.decideSanctions([warning], note: nil).next(from: .concluded, finding: .partlySubstantiated) == .sanctionDecided)
        #expect(try ComplaintStep.reply("已责令整改").next(from: .sanctionDecided, finding: .substantiated) == .replied)
        #expect(try ComplaintStep.reply("不予受理，理由如上").next(from: .notAccepted) == .replied)
        #expect(try ComplaintStep.close.next(from: .replied) == .closed)

        #expect(throws: HallError.self) { try ComplaintStep.conclude(.substantiated, findings: "x").next(from: .filed) }
        #expect(throws: HallError.self) { try ComplaintStep.conclude(.unsubstantiated, findings: "x").next(from: .concluded) }
        #expect(throws: HallError.self) { try ComplaintStep.reply("x").next(from: .closed) }
        #expect(throws: HallError.self) { try ComplaintStep.close.next(from: .investigating) }
        #expect(throws: HallError.self) { try ComplaintStep.accept.next(from: .investigating) }
        // What the rule says is required is named.
        let blank = try #require(throws: HallError.self) { try ComplaintStep.notAccept(reason: "  ").next(from: .filed) }
        #expect(blank.field == "reason")
        let noFindings = try #require(throws: HallError.self) { try ComplaintStep.conclude(.partlySubstantiated, findings: "").next(from: .investigating) }
        #expect(noFindings.field == "findings")
    }

    @Test("passing to a department: only while investigating, returned with findings or reasons, and no conclusion while it is away")
    func referral() throws {
        let refer = ComplaintStep.refer(departmentId: "d-market", instructions: "请核查当日窗口录像", releaseIdentity: false)
        #expect(try refer.next(from: .investigating) == .referred)
        #expect(throws: HallError.self) { try refer.next(from: .filed) }
        #expect(try ComplaintStep.departmentFindings("录像显示态度生硬").next(from: .referred) == .investigating)
        #expect(try ComplaintStep.departmentReturn(reason: "该人员不属本局").next(from: .referred) == .investigating)
        let away = try #require(throws: HallError.self) { try ComplaintStep.conclude(.substantiated, findings: "x").next(from: .referred) }
        #expect(away.field == "finding")
        #expect(try #require(throws: HallError.self) { try ComplaintStep.departmentReturn(reason: " ").next(from: .referred) }.field == "reason")
        #expect(try #require(throws: HallError.self) {
            try ComplaintStep.refer(departmentId: "d-market", instructions: "", releaseIdentity: true).next(from: .investigating)
        }.field == "instructions")
    }

    @Test("sanctions rest on a substantiated complaint and fall on whom it is about or who answers for it; a department gets only Art 42's")
    func sanctions() throws {
        let order = SanctionOrder(kind: .efficiencyWarning, subjectKind: .staff, subjectId: "s-li", reason: "态度生硬")
        let unsubstantiated = try #require(throws: HallError.self) { try ComplaintStep.decideSanctions([order], note: nil).next(from: .concluded, finding: .unsubstantiated) }
        #expect(unsubstantiated.field == "sanctions" && unsubstantiated.code.status == .conflict)
        #expect(try #require(throws: HallError.self) { try ComplaintStep.decideSanctions([order], note: nil).next(from: .replied, finding: .unsubstantiated) }.field == "sanctions")
        #expect(try #require(throws: HallError.self) { try ComplaintStep.decideSanctions([], note: nil).next(from: .concluded, finding: .substantiated) }.field == "note")
        #expect(try ComplaintStep.decideSanctions([], note: "当事人已离职").next(from: .concluded, finding: .substantiated) == .sanctionDecided)
        let onDepartment = SanctionOrder(kind: .efficiencyWarning, subjectKind: .department, subjectId: "d-market", reason: "x")
        #expect(try #require(throws: HallError.self) { try ComplaintStep.decideSanctions([onDepartment], note: nil).next(from: .concluded, finding: .substantiated) }.field == "sanctions[0].kind")

        let window = ComplaintTargetContext(kind: .window, id: "w-01", departmentIds: ["d-market", "d-tax"], windowId: "w-01")
        let atWindow = SanctionSubjectFacts(departmentId: "d-market", windowId: "w-01")
        try SanctionRules.check(order, index: 0, subject: atWindow, target: window)
        let elsewhere = SanctionSubjectFacts(departmentId: "d-market", windowId: "w-07")
        #expect(try #require(throws: HallError.self) { try SanctionRules.check(order, index: 2, subject: elsewhere, target: window) }.field == "sanctions[2].subjectId")
        #expect(try #require(throws: HallError.self) { try SanctionRules.check(order, index: 0, subject: nil, target: window) }.field == "sanctions[0].subjectId")
        let criticism = SanctionOrder(kind: .publicCriticism, subjectKind: .department, subjectId: "d-tax", reason: "窗口外受理")
        try SanctionRules.check(criticism, index: 0, subject: SanctionSubjectFacts(departmentId: "d-tax"), target: window)
        let staff = ComplaintTargetContext(kind: .staff, id: "s-li", departmentIds: ["d-market"], windowId: "w-01")
        #expect(throws: HallError.self) { try SanctionRules.check(criticism, index: 0, subject: SanctionSubjectFacts(departmentId: "d-tax"), target: staff) }
    }

    @Test("each step's deadline counts working days on the official calendar; the review is asked once, within its period")
    func deadlines() throws {
        let deadlines = try ComplaintDeadlines.standard()
        // Filed on Friday 13 February 2026 (hall time): 14 Feb is an adjusted working Saturday, 15–23 Feb the Spring Festival.
        let friday = try #require(LocalDate(iso: "2026-02-13")).startInstant.addingTimeInterval(10 * 3_600)
        #expect(deadlines.deadline(for: .filed, finding: nil, at: friday, conclusionDue: nil) == ComplaintDeadline(step: .acceptance, dueDate: try #require(HallDate("2026-02-24"))))
        let referred = try #require(deadlines.deadline(for: .referred, finding: nil, at: friday, conclusionDue: nil))
        #expect(referred.step == ComplaintDueStep.departmentFindings && referred.dueDate == HallDate("2026-02-27"))
        let kept = try #require(HallDate("2026-03-06"))
        #expect(deadlines.deadline(for: .investigating, finding: nil, at: friday, conclusionDue: kept)?.dueDate == kept, "back from the department, the conclusion keeps its day")
        #expect(deadlines.deadline(for: .concluded, finding: .substantiated, at: friday, conclusionDue: nil)?.step == .sanctionDecision)
        #expect(deadlines.deadline(for: .concluded, finding: .unsubstantiated, at: friday, conclusionDue: nil)?.step == .reply)
        #expect(deadlines.deadline(for: .closed, finding: nil, at: friday, conclusionDue: nil) == nil)
        let flags = try #require(deadlines.deadline(for: .filed, finding: nil, at: friday, conclusionDue: nil)).firesAt
        #expect(flags.map { $0.0 } == [DeadlineFlag.warning, .overdue])
        #expect(LocalDate.inHall(flags[0].1) == LocalDate(iso: "2026-02-24") && LocalDate.inHall(flags[1].1) == LocalDate(iso: "2026-02-25"))

        let review = ComplaintStep.requestReview(reason: "处理结果不公")
        #expect(try review.next(from: .replied, finding: .unsubstantiated) == .underReview)
        #expect(try review.next(from: .closed, finding: .unsubstantiated) == .underReview)
        #expect(try #require(throws: HallError.self) { try review.next(from: .closed, finding: .unsubstantiated, reviewed: true) }.code.status == .conflict)
        #expect(throws: HallError.self) { try review.next(from: .investigating) }
        #expect(try ComplaintStep.conclude(.substantiated, findings: "复查属实").next(from: .underReview, finding: .unsubstantiated) == .concluded)
        #expect(try ComplaintStep.accept.next(from: .underReview, finding: nil) == .investigating, "the review of a complaint not accepted reopens it")
        #expect(deadlines.reviewOpen(repliedAt: friday, at: friday.addingTimeInterval(86_400)))
        #expect(!deadlines.reviewOpen(repliedAt: friday, at: friday.addingTimeInterval(60 * 86_400)))
    }

    @Test("the centre decides a removal proposal once; removing is a sanction on the proposal's complaints")
    func removalDecision() throws {
        let proposal = RemovalProposal(
            proposalId: UUID(), staffId: "s-li", staffName: "李娜", departmentId: "d-market", complaintIds: [UUID(), UUID()], proposedAt: Date(), status: .pending)
        let (removed, sanction) = try RemovalRule.decide(proposal, remove: true, reason: "一年内两次查实投诉", by: "admin-sun", at: Date())
        #expect(removed.status == .removed && sanction?.kind == .removal && sanction?.complaintIds == proposal.complaintIds && removed.sanctionId == sanction?.sanctionId)
        #expect(try RemovalRule.decide(proposal, remove: false, reason: "情节轻微，已整改", by: "admin-sun", at: Date()).1 == nil)
        #expect(try #require(throws: HallError.self) { try RemovalRule.decide(removed, remove: false, reason: "x", by: "admin-sun", at: Date()) }.code.status == .conflict)
        #expect(try #require(throws: HallError.self) { try RemovalRule.decide(proposal, remove: true, reason: " ", by: "admin-sun", at: Date()) }.field == "reason")
    }

    @Test("a filing names who complains unless anonymous, says what happened, and stays within its limits")
    func filing() throws {
        func field(_ filing: ComplaintFiling) -> String? {
            do { try filing.validate() } catch let error as HallError { return error.field } catch { return "?" }
            return nil
        }
        let valid = ComplaintFiling(
            category: .attitude, targetKind: .window, targetId: "w-01", receiptCode: nil, anonymous: nil, complainantName: "王敏",
            complainantContact: "13900000000", content: "窗口人员态度生硬")
        #expect(field(valid) == nil)
        var anonymous = valid
        (anonymous.anonymous, anonymous.complainantName, anonymous.complainantContact) = (true, nil, nil)
        #expect(field(anonymous) == nil)
        var nameless = valid
        nameless.complainantName = " "
        #expect(field(nameless) == "complainantName")
        var unreachable = valid
        unreachable.complainantContact = nil
        #expect(field(unreachable) == "complainantContact")
        var empty = valid
        empty.content = "\n "
        #expect(field(empty) == "content")
        var long = valid
        long.content = String(repeating: "长", count: ComplaintFiling.maximumContent + 1)
        #expect(field(long) == "content")
        var noTarget = valid
        noTarget.targetId = ""
        #expect(field(noTarget) == "targetId")
    }

    @Test("tracking codes: T and 12 characters without look-alikes, never the same twice in 10,000")
    func trackingCodes() {
        let codes = (0..<10_000).map { _ in TrackingCode.make() }
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy(TrackingCode.isWellFormed))
        #expect(!TrackingCode.isWellFormed("T0000000000O1"))
        #expect(!TrackingCode.isWellFormed("' OR 1=1 --"))
    }
}
