import Foundation

// Events of a department's task on `hall.coordinator.events`: assigned, opinion recorded, countersigned.
// Keys, dates and instants: see CoordinatorValues.swift.

/// `coordinator.task.assigned` v1: a department must act on a case (one task per department; a
/// single-department case is a joint case with one participant, the lead).
public struct TaskAssigned: EventPayload, Hashable {
    public static let eventType = "coordinator.task.assigned"
    public static let eventVersion = 1

    /// The task id (lower-case UUID): name it in opinions and countersignatures.
    public var taskId: String
    /// The department that must act.
    public var departmentId: String
    /// `lead` or `participant`.
    public var role: TaskRole
    public var receiptCode: String
    public var noticeNumber: String
    public var itemCode: String
    public var itemVersion: Int
    public var itemName: String
    /// `committed` or `joint`.
    public var kind: ItemKind
    public var leadDepartmentId: String
    public var participantDepartmentIds: [String]
    public var applicantKind: ApplicantKind
    public var applicantName: String
    /// What the applicant presented (materials summary).
    public var materials: [ApplicationAccepted.PresentedMaterialRef]
    public var acceptedAt: Date
    /// The case's due date (hall date) at assignment.
    public var caseDueDate: HallDate
    /// The department's own sub-deadline (hall date), never after the case's due date.
    public var subDeadline: HallDate
    public var dueDateProvisional: Bool
    /// The "one thing, one go" bundle, when the case belongs to one.
    public var bundleId: String?
    /// True for a green-channel case (Art 40): handle it before other work. False when absent
    /// (events written before this member existed).
    public var priority: Bool
    /// The centre's green-channel approval (reason, reference, approver) when `priority` is true.
    public var greenChannelApproval: GreenChannelApproval?
    /// Which time the task is assigned: 1 first, 2 after the first reopening (a supplement the
    /// applicant brought), and so on. The same `taskId` is announced again with a higher round:
    /// de-duplicate on (`taskId`, `round`), or on the envelope id. 1 when absent (events written
    /// before this member existed).
    public var round: Int

    public init(
        taskId: String, departmentId: String, role: TaskRole, receiptCode: String, noticeNumber: String, itemCode: String, itemVersion: Int,
        itemName: String, kind: ItemKind, leadDepartmentId: String, participantDepartmentIds: [String], applicantKind: ApplicantKind, applicantName: String,
        materials: [ApplicationAccepted.PresentedMaterialRef], acceptedAt: Date, caseDueDate: HallDate, subDeadline: HallDate, dueDateProvisional: Bool,
        bundleId: String?, priority: Bool = false, greenChannelApproval: GreenChannelApproval? = nil, round: Int = 1
    ) {
        self.taskId = taskId
        self.departmentId = departmentId
        self.role = role
        self.receiptCode = receiptCode
        self.noticeNumber = noticeNumber
        self.itemCode = itemCode
        self.itemVersion = itemVersion
        self.itemName = itemName
        self.kind = kind
        self.leadDepartmentId = leadDepartmentId
        self.participantDepartmentIds = participantDepartmentIds
        self.applicantKind = applicantKind
        self.applicantName = applicantName
        self.materials = materials
        self.acceptedAt = acceptedAt
        self.caseDueDate = caseDueDate
        self.subDeadline = subDeadline
        self.dueDateProvisional = dueDateProvisional
        self.bundleId = bundleId
        self.priority = priority
        self.greenChannelApproval = greenChannelApproval
        self.round = round
    }

    enum CodingKeys: String, CodingKey {
        case taskId, departmentId, role, receiptCode, noticeNumber, itemCode, itemVersion, itemName, kind, leadDepartmentId
        case participantDepartmentIds, applicantKind, applicantName, materials, acceptedAt, caseDueDate, subDeadline, dueDateProvisional, bundleId
        case priority, greenChannelApproval, round
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        taskId = try c.decodeNonEmptyString(forKey: .taskId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        role = try c.decode(TaskRole.self, forKey: .role)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        noticeNumber = try c.decodeString(forKey: .noticeNumber, expected: "a notice number YYYY-NNNNNN", IntakeValues.isNoticeNumber)
        itemCode = try c.decodeString(forKey: .itemCode, expected: "an item code (2–32 of A–Z, 0–9, '-')", IntakeValues.isItemCode)
        itemVersion = try c.decodeInt(atLeast: 1, forKey: .itemVersion)
        itemName = try c.decodeNonEmptyString(forKey: .itemName)
        kind = try c.decode(ItemKind.self, forKey: .kind)
        guard kind != .immediate else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "expected one of committed, joint (an immediate item has no task)")
        }
        leadDepartmentId = try c.decodeNonEmptyString(forKey: .leadDepartmentId)
        participantDepartmentIds = try c.decodeDistinctStrings(forKey: .participantDepartmentIds, expected: "a department id") { !$0.isEmpty }
        applicantKind = try c.decode(ApplicantKind.self, forKey: .applicantKind)
        applicantName = try c.decodeNonEmptyString(forKey: .applicantName)
        materials = try c.decode([ApplicationAccepted.PresentedMaterialRef].self, forKey: .materials)
        acceptedAt = try c.decode(Date.self, forKey: .acceptedAt)
        caseDueDate = try c.decode(HallDate.self, forKey: .caseDueDate)
        subDeadline = try c.decode(HallDate.self, forKey: .subDeadline)
        dueDateProvisional = try c.decode(Bool.self, forKey: .dueDateProvisional)
        bundleId = try c.decodeNonEmptyStringIfPresent(forKey: .bundleId)
        priority = try c.decodeIfPresent(Bool.self, forKey: .priority) ?? false
        greenChannelApproval = try c.decodeIfPresent(GreenChannelApproval.self, forKey: .greenChannelApproval)
        round = try c.contains(.round) ? c.decodeInt(atLeast: 1, forKey: .round) : 1
    }
}

/// `coordinator.task.opinion-recorded` v1: a department gave its opinion on its task (HTTP or Kafka).
public struct TaskOpinionRecorded: EventPayload, Hashable {
    public static let eventType = "coordinator.task.opinion-recorded"
    public static let eventVersion = 1

    public var taskId: String
    public var departmentId: String
    public var opinion: TaskOpinion
    /// Reasons (required for `deny`, may be empty otherwise).
    public var reasons: [String]
    /// What the applicant must supplement (required for `needs-supplement`, empty otherwise).
    public var supplements: [SupplementItem]
    /// The officer who gave it.
    public var officerId: String
    /// `http` or `kafka`.
    public var channel: CommandChannel
    public var recordedAt: Date

    public init(
        taskId: String, departmentId: String, opinion: TaskOpinion, reasons: [String], supplements: [SupplementItem], officerId: String,
        channel: CommandChannel, recordedAt: Date
    ) {
        self.taskId = taskId
        self.departmentId = departmentId
        self.opinion = opinion
        self.reasons = reasons
        self.supplements = supplements
        self.officerId = officerId
        self.channel = channel
        self.recordedAt = recordedAt
    }

    enum CodingKeys: String, CodingKey { case taskId, departmentId, opinion, reasons, supplements, officerId, channel, recordedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        taskId = try c.decodeNonEmptyString(forKey: .taskId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        opinion = try c.decode(TaskOpinion.self, forKey: .opinion)
        reasons = try c.decode([String].self, forKey: .reasons)
        supplements = try c.decode([SupplementItem].self, forKey: .supplements)
        officerId = try c.decodeNonEmptyString(forKey: .officerId)
        channel = try c.decode(CommandChannel.self, forKey: .channel)
        recordedAt = try c.decode(Date.self, forKey: .recordedAt)
    }
}

/// `coordinator.task.countersigned` v1: the department's chief representative (or the substitute on
/// a filed notice, Art 27) countersigned (会签) the department's opinion; it now stands.
public struct TaskCountersigned: EventPayload, Hashable {
    public static let eventType = "coordinator.task.countersigned"
    public static let eventVersion = 1

    public var taskId: String
    public var departmentId: String
    public var opinion: TaskOpinion
    /// Staff id of the person who countersigned.
    public var staffId: String
    /// `chief-representative` or `substitute`.
    public var capacity: CountersignCapacity
    /// The filed written notice, when a substitute countersigned.
    public var noticeReference: String?
    public var countersignedAt: Date

    public init(
        taskId: String, departmentId: String, opinion: TaskOpinion, staffId: String, capacity: CountersignCapacity, noticeReference: String?, countersignedAt: Date
    ) {
        self.taskId = taskId
        self.departmentId = departmentId
        self.opinion = opinion
        self.staffId = staffId
        self.capacity = capacity
        self.noticeReference = noticeReference
        self.countersignedAt = countersignedAt
    }

    enum CodingKeys: String, CodingKey { case taskId, departmentId, opinion, staffId, capacity, noticeReference, countersignedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        taskId = try c.decodeNonEmptyString(forKey: .taskId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        opinion = try c.decode(TaskOpinion.self, forKey: .opinion)
        staffId = try c.decodeNonEmptyString(forKey: .staffId)
        capacity = try c.decode(CountersignCapacity.self, forKey: .capacity)
        noticeReference = try c.decodeNonEmptyStringIfPresent(forKey: .noticeReference)
        countersignedAt = try c.decode(Date.self, forKey: .countersignedAt)
    }
}
