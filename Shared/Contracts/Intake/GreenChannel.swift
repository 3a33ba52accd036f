import Foundation

/// The hall centre's authorisation of a green-channel case (绿色通道, Art 40): a major investment
/// project of the county or a matter to be handled specially, approved by the centre.
///
/// Carried by `intake.application.accepted`, `intake.application.green-channel-granted` and
/// `coordinator.task.assigned`, so departments see why the case goes first and can cite the approval.
public struct GreenChannelApproval: Codable, Sendable, Hashable {
    /// `major-investment` (全旗重大招商引资项目) or `special-matter` (需特事特办事项).
    public var reason: GreenChannelReason
    /// The reference of the centre's written approval, e.g. `政务中心〔2026〕7号`.
    public var reference: String
    /// The staff id of the centre member who approved it.
    public var approvedBy: String
    /// When it was approved (UTC instant).
    public var approvedAt: Date

    public init(reason: GreenChannelReason, reference: String, approvedBy: String, approvedAt: Date) {
        self.reason = reason
        self.reference = reference
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
    }

    enum CodingKeys: String, CodingKey { case reason, reference, approvedBy, approvedAt }

    /// Decodes and checks the value; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reason = try c.decode(GreenChannelReason.self, forKey: .reason)
        reference = try c.decodeNonEmptyString(forKey: .reference)
        approvedBy = try c.decodeNonEmptyString(forKey: .approvedBy)
        approvedAt = try c.decode(Date.self, forKey: .approvedAt)
    }
}

/// `intake.application.green-channel-granted` v1: the centre put a case on the green channel after
/// it was submitted (Art 40). The coordinator lists the case's tasks first from then on.
///
/// Published on `hall.intake.events`, key = case id (after the case's accepted event, when it was accepted).
public struct ApplicationGreenChannelGranted: EventPayload, Hashable {
    public static let eventType = "intake.application.green-channel-granted"
    public static let eventVersion = 1

    public var receiptCode: String
    public var itemCode: String
    public var approval: GreenChannelApproval
    /// The centre administrator who recorded the approval.
    public var recordedBy: String

    public init(receiptCode: String, itemCode: String, approval: GreenChannelApproval, recordedBy: String) {
        self.receiptCode = receiptCode
        self.itemCode = itemCode
        self.approval = approval
        self.recordedBy = recordedBy
    }

    enum CodingKeys: String, CodingKey { case receiptCode, itemCode, approval, recordedBy }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        itemCode = try c.decodeNonEmptyString(forKey: .itemCode)
        approval = try c.decode(GreenChannelApproval.self, forKey: .approval)
        recordedBy = try c.decodeNonEmptyString(forKey: .recordedBy)
    }
}

/// `intake.application.agent-assigned` v1: the applicant entrusted the centre with the whole
/// procedure (全程代办, Art 40) and a centre admin assigned (or reassigned) the agent, a staff
/// member of the centre. Published on `hall.intake.events`, key = case id.
public struct ApplicationAgentAssigned: EventPayload, Hashable {
    public static let eventType = "intake.application.agent-assigned"
    public static let eventVersion = 1

    public var receiptCode: String
    /// The agent: staff id and name.
    public var agentId: String
    public var agentName: String
    /// The reference of the applicant's written entrustment (委托书).
    public var entrustmentReference: String
    /// The agent this one replaces (a reassignment), absent for the first assignment.
    public var previousAgentId: String?
    /// Why the agent was replaced (reassignments only).
    public var reason: String?
    /// The centre administrator who assigned the agent, and when (UTC instant).
    public var assignedBy: String
    public var assignedAt: Date

    public init(
        receiptCode: String, agentId: String, agentName: String, entrustmentReference: String, previousAgentId: String?, reason: String?,
        assignedBy: String, assignedAt: Date
    ) {
        self.receiptCode = receiptCode
        self.agentId = agentId
        self.agentName = agentName
        self.entrustmentReference = entrustmentReference
        self.previousAgentId = previousAgentId
        self.reason = reason
        self.assignedBy = assignedBy
        self.assignedAt = assignedAt
    }

    enum CodingKeys: String, CodingKey { case receiptCode, agentId, agentName, entrustmentReference, previousAgentId, reason, assignedBy, assignedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        agentId = try c.decodeNonEmptyString(forKey: .agentId)
        agentName = try c.decodeNonEmptyString(forKey: .agentName)
        entrustmentReference = try c.decodeNonEmptyString(forKey: .entrustmentReference)
        previousAgentId = try c.decodeNonEmptyStringIfPresent(forKey: .previousAgentId)
        reason = try c.decodeNonEmptyStringIfPresent(forKey: .reason)
        assignedBy = try c.decodeNonEmptyString(forKey: .assignedBy)
        assignedAt = try c.decode(Date.self, forKey: .assignedAt)
    }
}
