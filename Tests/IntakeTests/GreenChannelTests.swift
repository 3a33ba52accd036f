import Foundation
import HallCalendar
import HallContracts
import HallKit
import Testing

@testable import intake

@Suite("Green channel and full-process agency (Art 40) without a database")
struct GreenChannelTests {
    let approval = GreenChannelInput(reason: .majorInvestment, reference: "旗政务服务中心〔2026〕3号", approvedBy: "centre-li", approvedAt: nil)

    /// The field a validation error names, or nil when the value passes.
    func field(_ check: () throws -> Void) -> String? {
        do {
            try check()
            return nil
        } catch {
            return (error as? HallError)?.field ?? "not a HallError: \(error)"
        }
    }

    @Test("a green channel needs the centre's approval with a reason Art 40 allows, a reference and the approver; the field and the rule are named")
    func approvalRequired() {
        var green = submission(complete)
        green.greenChannel = true
        #expect(field { _ = try green.validated() } == "greenChannelApproval", "the flag alone is not enough")
        green.greenChannelApproval = approval
        #expect(field { _ = try green.validated() } == nil)
        #expect(green.isGreenChannel)

        // A reason outside Art 40's two does not decode: the body is refused naming greenChannelApproval.reason.
        let badReason = Data(#"{"reason":"vip","reference":"绿〔2026〕1号","approvedBy":"centre-1"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(GreenChannelInput.self, from: badReason) }
        var noReference = green
        noReference.greenChannelApproval?.reference = "  "
        #expect(field { _ = try noReference.validated() } == "greenChannelApproval.reference")
        var noApprover = green
        noApprover.greenChannelApproval?.approvedBy = ""
        #expect(field { _ = try noApprover.validated() } == "greenChannelApproval.approvedBy")
        var contradiction = green
        contradiction.greenChannel = false
        #expect(field { _ = try contradiction.validated() } == "greenChannel")

        // The approval alone puts the case on the green channel; none, none.
        var implied = submission(complete)
        implied.greenChannel = nil
        implied.greenChannelApproval = approval
        #expect(field { _ = try implied.validated() } == nil && implied.isGreenChannel)
        #expect(!submission(complete).isGreenChannel)
    }

    @Test("the approval time defaults to when it is recorded; the reason is carried to the departments as given")
    func approvalForEvents() {
        let now = Date(timeIntervalSince1970: 1_767_600_000)
        #expect(approval.approval(now: now) == GreenChannelApproval(
            reason: .majorInvestment, reference: "旗政务服务中心〔2026〕3号", approvedBy: "centre-li", approvedAt: now))
        var dated = approval
        dated.approvedAt = now.addingTimeInterval(-3600)
        #expect(dated.approval(now: now).approvedAt == now.addingTimeInterval(-3600))
    }

    @Test("a bundle's green-channel approval is the bundle's: its errors keep their own field name")
    func bundleApproval() {
        let applicant = Applicant(kind: .person, name: "张三", idNumber: residentId("11010519491231002"), contact: "13800000000")
        let member = BundleSubmission.Member(itemCode: "MKT-001", departmentId: nil, materials: complete, conditionsMet: nil, promised: nil, competentAuthority: nil)
        var other = member
        other.itemCode = "TAX-001"
        var bundle = BundleSubmission(
            applicant: applicant, applications: [member, other], channel: .window, greenChannel: true, greenChannelApproval: nil, idempotencyKey: "b-1")
        #expect(field { _ = try bundle.validated() } == "greenChannelApproval")
        bundle.greenChannelApproval = approval
        #expect(field { _ = try bundle.validated() } == nil)
        #expect(bundle.submission(1).greenChannelApproval == approval, "every application of the bundle goes on the green channel")
    }

    @Test("an agent assignment names a staff id and the applicant's entrustment; a reason, when given, is not blank")
    func agentAssignment() {
        #expect(field { _ = try AgentAssignment(agentId: "agent-wu", entrustmentReference: "委托书 2026-0012", reason: nil).validated() } == nil)
        #expect(field { _ = try AgentAssignment(agentId: "Agent Wu", entrustmentReference: "委托书", reason: nil).validated() } == "agentId")
        #expect(field { _ = try AgentAssignment(agentId: "agent-wu", entrustmentReference: " ", reason: nil).validated() } == "entrustmentReference")
        #expect(field { _ = try AgentAssignment(agentId: "agent-wu", entrustmentReference: "委托书", reason: "").validated() } == "reason")
    }
}
