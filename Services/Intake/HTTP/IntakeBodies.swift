import Foundation
import HallCalendar
import HallContracts
import HallKit

// The request bodies of the front desk's and the centre's commands.

/// A centre administrator assigns the centre's agent of a case (全程代办, Art 40).
struct AgentAssignment: Codable, Sendable {
    /// A staff member of the hall centre.
    var agentId: String
    /// The reference of the applicant's written entrustment (委托书).
    var entrustmentReference: String
    /// Why the agent is replaced; required when the case already has another agent.
    var reason: String?

    func validated() throws -> AgentAssignment {
        try checkIdentifier(agentId, field: "agentId")
        guard !entrustmentReference.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HallError.invalid(
                "entrustmentReference", "must name the applicant's written entrustment of the centre (Art 40)", words: "须填写申请人委托政务服务中心全程代办的委托书编号（第40条）")
        }
        if let reason, reason.trimmingCharacters(in: .whitespaces).isEmpty {
            throw HallError.invalid("reason", "must not be empty when given", words: "填写时不能为空")
        }
        return self
    }
}

/// A hand-over at the window: who collects the result.
struct HandOver: Codable, Sendable {
    /// The applicant (default) or the case's agent (全程代办, Art 40).
    var collectedBy: Party?
}

/// An immediate item's decision, recorded on the spot by an authorised clerk (Art 13).
struct ImmediateDecision: Codable, Sendable {
    enum Decision: String, Codable, Sendable { case approve, deny }
    var decision: Decision
    /// Required for a denial: the reasons told to the applicant.
    var reasons: String?
}

/// A fee paid on a case: only the catalogue's standard can be charged (Art 16), paid at the hall's
/// bank window, whose receipt reference is recorded with it.
struct FeeRecord: Codable, Sendable {
    var amountCents: Int64
    /// The reference on the bank window's receipt (缴款凭证号).
    var paymentReference: String

    func validated() throws -> FeeRecord {
        let reference = paymentReference.trimmingCharacters(in: .whitespaces)
        guard !reference.isEmpty, reference.count <= 64, !reference.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw HallError.invalid(
                "paymentReference", "must be the bank window's receipt reference: 1 to 64 printable characters (Art 16)", words: "须为银行回单号：1–64 个可打印字符（第16条）")
        }
        return FeeRecord(amountCents: amountCents, paymentReference: reference)
    }
}

/// A material promised under tolerated-gap acceptance (容缺), brought to the window: checked
/// against what the item requires of it, as at acceptance.
struct PromisedArrival: Codable, Sendable {
    var form: MaterialForm
    var copies: Int
    var legalForm: Bool
}

/// What the applicant brings back after a one-time correction notice.
struct Resubmission: Codable, Sendable {
    var materials: [PresentedMaterial]
    var promised: [PromisedMaterial]?
    /// Materials the clerk wants to ask for beyond the notice. Art 36 forbids it: the system
    /// refuses the demand and records it.
    var additionalDemands: [String]?
}
