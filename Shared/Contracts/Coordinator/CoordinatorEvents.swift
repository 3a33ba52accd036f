import Foundation

// Events of the coordinator on `hall.coordinator.events`. Key (and envelope caseId) = the case id,
// except `coordinator.bundle.completed` (key = the bundle id). Department systems read their tasks
// here (`coordinator.task.assigned`, filter on `departmentId`) and the answers to their commands
// (`coordinator.command.rejected`, causationId = the command's envelope id). Dates are hall dates
// (Asia/Shanghai) `YYYY-MM-DD`; instants are RFC 3339 UTC with milliseconds.

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
    public var role: String
    public var receiptCode: String
    public var noticeNumber: String
    public var itemCode: String
    public var itemVersion: Int
    public var itemName: String
    /// `committed` or `joint`.
    public var kind: String
    public var leadDepartmentId: String
    public var participantDepartmentIds: [String]
    public var applicantKind: String
    public var applicantName: String
    /// What the applicant presented (materials summary).
    public var materials: [ApplicationAccepted.PresentedMaterialRef]
    public var acceptedAt: Date
    /// The case's due date (hall date) at assignment.
    public var caseDueDate: String
    /// The department's own sub-deadline (hall date), never after the case's due date.
    public var subDeadline: String
    public var dueDateProvisional: Bool
    /// The "one thing, one go" bundle, when the case belongs to one.
    public var bundleId: String?
    /// True for a green-channel case (Art 40): handle it before other work. False when absent
    /// (events written before this member existed).
    public var priority: Bool
    /// The centre's green-channel approval (reason, reference, approver) when `priority` is true.
    public var greenChannelApproval: GreenChannelApproval?

    public init(
        taskId: String, departmentId: String, role: String, receiptCode: String, noticeNumber: String, itemCode: String, itemVersion: Int,
        itemName: String, kind: String, leadDepartmentId: String, participantDepartmentIds: [String], applicantKind: String, applicantName: String,
        materials: [ApplicationAccepted.PresentedMaterialRef], acceptedAt: Date, caseDueDate: String, subDeadline: String, dueDateProvisional: Bool,
        bundleId: String?, priority: Bool = false, greenChannelApproval: GreenChannelApproval? = nil
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
    }

    enum CodingKeys: String, CodingKey {
        case taskId, departmentId, role, receiptCode, noticeNumber, itemCode, itemVersion, itemName, kind, leadDepartmentId
        case participantDepartmentIds, applicantKind, applicantName, materials, acceptedAt, caseDueDate, subDeadline, dueDateProvisional, bundleId
        case priority, greenChannelApproval
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        taskId = try c.decodeNonEmptyString(forKey: .taskId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        role = try c.decodeString(oneOf: CoordinatorValues.roles, forKey: .role)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        noticeNumber = try c.decodeString(forKey: .noticeNumber, expected: "a notice number YYYY-NNNNNN", IntakeValues.isNoticeNumber)
        itemCode = try c.decodeString(forKey: .itemCode, expected: "an item code (2–32 of A–Z, 0–9, '-')", IntakeValues.isItemCode)
        itemVersion = try c.decodeInt(atLeast: 1, forKey: .itemVersion)
        itemName = try c.decodeNonEmptyString(forKey: .itemName)
        kind = try c.decodeString(oneOf: ["committed", "joint"], forKey: .kind)
        leadDepartmentId = try c.decodeNonEmptyString(forKey: .leadDepartmentId)
        participantDepartmentIds = try c.decodeDistinctStrings(forKey: .participantDepartmentIds, expected: "a department id") { !$0.isEmpty }
        applicantKind = try c.decodeString(oneOf: IntakeValues.applicantKinds, forKey: .applicantKind)
        applicantName = try c.decodeNonEmptyString(forKey: .applicantName)
        materials = try c.decode([ApplicationAccepted.PresentedMaterialRef].self, forKey: .materials)
        acceptedAt = try c.decode(Date.self, forKey: .acceptedAt)
        caseDueDate = try c.decodeString(forKey: .caseDueDate, expected: "a date YYYY-MM-DD", IntakeValues.isHallDate)
        subDeadline = try c.decodeString(forKey: .subDeadline, expected: "a date YYYY-MM-DD", IntakeValues.isHallDate)
        dueDateProvisional = try c.decode(Bool.self, forKey: .dueDateProvisional)
        bundleId = try c.decodeNonEmptyStringIfPresent(forKey: .bundleId)
        priority = try c.decodeIfPresent(Bool.self, forKey: .priority) ?? false
        greenChannelApproval = try c.decodeIfPresent(GreenChannelApproval.self, forKey: .greenChannelApproval)
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
    public var channel: String
    public var recordedAt: Date

    public init(
        taskId: String, departmentId: String, opinion: TaskOpinion, reasons: [String], supplements: [SupplementItem], officerId: String,
        channel: String, recordedAt: Date
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
        channel = try c.decodeString(oneOf: CoordinatorValues.channels, forKey: .channel)
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
    public var capacity: String
    /// The filed written notice, when a substitute countersigned.
    public var noticeReference: String?
    public var countersignedAt: Date

    public init(
        taskId: String, departmentId: String, opinion: TaskOpinion, staffId: String, capacity: String, noticeReference: String?, countersignedAt: Date
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
        capacity = try c.decodeString(oneOf: CoordinatorValues.capacities, forKey: .capacity)
        noticeReference = try c.decodeNonEmptyStringIfPresent(forKey: .noticeReference)
        countersignedAt = try c.decode(Date.self, forKey: .countersignedAt)
    }
}

/// A department's reason, as printed on a decision.
public struct DepartmentReason: Codable, Sendable, Hashable {
    public var departmentId: String
    public var reason: String
    public init(departmentId: String, reason: String) {
        self.departmentId = departmentId
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey { case departmentId, reason }

    /// Decodes and checks the value; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        reason = try c.decodeNonEmptyString(forKey: .reason)
    }
}

/// `coordinator.case.decided` v1: every department's countersigned opinion is in; the case is approved
/// (each department its own approval decision) or denied (one denial decision of the lead listing every
/// reason). The decision documents go to the seal service; the case completes when they are sealed.
public struct CaseDecided: EventPayload, Hashable {
    public static let eventType = "coordinator.case.decided"
    public static let eventVersion = 1

    public var receiptCode: String
    /// `approved` or `denied`.
    public var outcome: String
    /// Every department's reason for a denial (empty when approved).
    public var reasons: [DepartmentReason]
    /// The documents sent to be sealed.
    public var documents: [Document]
    public var decidedAt: Date
    /// The due date at the time of the decision (hall date).
    public var dueDate: String

    /// A decision document sent to the seal service.
    public struct Document: Codable, Sendable, Hashable {
        public var departmentId: String
        public var documentKind: SealDocumentKind
        /// SHA-256 of the document text, 64 lower-case hexadecimal digits.
        public var documentHash: String
        /// Who applies the seal (the department's chief representative or substitute who countersigned).
        public var requestedBy: String
        public var windowId: String
        public init(departmentId: String, documentKind: SealDocumentKind, documentHash: String, requestedBy: String, windowId: String) {
            self.departmentId = departmentId
            self.documentKind = documentKind
            self.documentHash = documentHash
            self.requestedBy = requestedBy
            self.windowId = windowId
        }

        enum CodingKeys: String, CodingKey { case departmentId, documentKind, documentHash, requestedBy, windowId }

        /// Decodes and checks the value; throws `DecodingError` naming the offending member.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
            documentKind = try c.decode(SealDocumentKind.self, forKey: .documentKind)
            documentHash = try c.decodeString(forKey: .documentHash, expected: "64 lower-case hexadecimal digits", SealHex.isDigest)
            requestedBy = try c.decodeNonEmptyString(forKey: .requestedBy)
            windowId = try c.decodeNonEmptyString(forKey: .windowId)
        }
    }

    public init(receiptCode: String, outcome: String, reasons: [DepartmentReason], documents: [Document], decidedAt: Date, dueDate: String) {
        self.receiptCode = receiptCode
        self.outcome = outcome
        self.reasons = reasons
        self.documents = documents
        self.decidedAt = decidedAt
        self.dueDate = dueDate
    }

    enum CodingKeys: String, CodingKey { case receiptCode, outcome, reasons, documents, decidedAt, dueDate }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        outcome = try c.decodeString(oneOf: CoordinatorValues.outcomes, forKey: .outcome)
        reasons = try c.decode([DepartmentReason].self, forKey: .reasons)
        documents = try c.decode([Document].self, forKey: .documents)
        decidedAt = try c.decode(Date.self, forKey: .decidedAt)
        dueDate = try c.decodeString(forKey: .dueDate, expected: "a date YYYY-MM-DD", IntakeValues.isHallDate)
        guard !documents.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .documents, in: c, debugDescription: "must not be empty") }
    }
}

/// `coordinator.case.supplement-requested` v1: a department needs the applicant to supplement
/// materials; intake tells the applicant, and the case clock stands still until the supplement arrives
/// (`intake.application.supplemented`).
public struct SupplementRequested: EventPayload, Hashable {
    public static let eventType = "coordinator.case.supplement-requested"
    public static let eventVersion = 1

    public var receiptCode: String
    public var departmentId: String
    public var taskId: String
    public var supplements: [SupplementItem]
    public var requestedAt: Date

    public init(receiptCode: String, departmentId: String, taskId: String, supplements: [SupplementItem], requestedAt: Date) {
        self.receiptCode = receiptCode
        self.departmentId = departmentId
        self.taskId = taskId
        self.supplements = supplements
        self.requestedAt = requestedAt
    }

    enum CodingKeys: String, CodingKey { case receiptCode, departmentId, taskId, supplements, requestedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        taskId = try c.decodeNonEmptyString(forKey: .taskId)
        supplements = try c.decode([SupplementItem].self, forKey: .supplements)
        requestedAt = try c.decode(Date.self, forKey: .requestedAt)
        guard !supplements.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .supplements, in: c, debugDescription: "must not be empty") }
    }
}

/// `coordinator.case.clock-changed` v1: one entry of the case's due-date ledger — the clock was
/// suspended (Art 34 category or awaiting a supplement), resumed (the due date moves by the working
/// days it stood still), or extended (ALL Art 42, at most 10 working days, once).
public struct ClockChanged: EventPayload, Hashable {
    public static let eventType = "coordinator.case.clock-changed"
    public static let eventVersion = 1

    public var receiptCode: String
    /// Position in the case's ledger: 1 is the initial due date, then 2, 3… without gaps.
    public var sequence: Int
    /// `suspended`, `resumed` or `extended`.
    public var change: String
    /// The Art 34 category, or `supplement`, for suspensions and resumes.
    public var category: String?
    public var dueDateBefore: String
    public var dueDateAfter: String
    /// Working days the due date moved.
    public var workingDays: Int
    public var reason: String
    /// The written notice to the applicant (suspension) or the approval (extension).
    public var reference: String?
    /// For an extension: who approved it (the department head).
    public var approvedBy: String?
    /// The department that asked, when one did.
    public var departmentId: String?
    /// Who did it (staff id, or `system`).
    public var actorId: String
    public var changedAt: Date

    public init(
        receiptCode: String, sequence: Int, change: String, category: String?, dueDateBefore: String, dueDateAfter: String, workingDays: Int,
        reason: String, reference: String?, approvedBy: String?, departmentId: String?, actorId: String, changedAt: Date
    ) {
        self.receiptCode = receiptCode
        self.sequence = sequence
        self.change = change
        self.category = category
        self.dueDateBefore = dueDateBefore
        self.dueDateAfter = dueDateAfter
        self.workingDays = workingDays
        self.reason = reason
        self.reference = reference
        self.approvedBy = approvedBy
        self.departmentId = departmentId
        self.actorId = actorId
        self.changedAt = changedAt
    }

    enum CodingKeys: String, CodingKey {
        case receiptCode, sequence, change, category, dueDateBefore, dueDateAfter, workingDays, reason, reference, approvedBy, departmentId, actorId
        case changedAt
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        sequence = try c.decodeInt(atLeast: 2, forKey: .sequence)
        change = try c.decodeString(oneOf: CoordinatorValues.clockChanges, forKey: .change)
        category = try c.decodeNonEmptyStringIfPresent(forKey: .category)
        dueDateBefore = try c.decodeString(forKey: .dueDateBefore, expected: "a date YYYY-MM-DD", IntakeValues.isHallDate)
        dueDateAfter = try c.decodeString(forKey: .dueDateAfter, expected: "a date YYYY-MM-DD", IntakeValues.isHallDate)
        workingDays = try c.decodeInt(atLeast: 0, forKey: .workingDays)
        reason = try c.decodeNonEmptyString(forKey: .reason)
        reference = try c.decodeNonEmptyStringIfPresent(forKey: .reference)
        approvedBy = try c.decodeNonEmptyStringIfPresent(forKey: .approvedBy)
        departmentId = try c.decodeNonEmptyStringIfPresent(forKey: .departmentId)
        actorId = try c.decodeNonEmptyString(forKey: .actorId)
        changedAt = try c.decode(Date.self, forKey: .changedAt)
    }
}

/// `coordinator.deadline.warning-raised` v1: a task or case has used the configured share of its time.
public struct DeadlineWarningRaised: EventPayload, Hashable {
    public static let eventType = "coordinator.deadline.warning-raised"
    public static let eventVersion = 1

    public var receiptCode: String
    /// `task` or `case`.
    public var scope: String
    public var taskId: String?
    /// The department warned (the task's; the lead for a case).
    public var departmentId: String
    /// The task's sub-deadline or the case's due date.
    public var dueDate: String
    /// The share of time used that triggers warnings, in percent.
    public var sharePercent: Int
    public var raisedAt: Date

    public init(receiptCode: String, scope: String, taskId: String?, departmentId: String, dueDate: String, sharePercent: Int, raisedAt: Date) {
        self.receiptCode = receiptCode
        self.scope = scope
        self.taskId = taskId
        self.departmentId = departmentId
        self.dueDate = dueDate
        self.sharePercent = sharePercent
        self.raisedAt = raisedAt
    }

    enum CodingKeys: String, CodingKey { case receiptCode, scope, taskId, departmentId, dueDate, sharePercent, raisedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        scope = try c.decodeString(oneOf: CoordinatorValues.scopes, forKey: .scope)
        taskId = try c.decodeNonEmptyStringIfPresent(forKey: .taskId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        dueDate = try c.decodeString(forKey: .dueDate, expected: "a date YYYY-MM-DD", IntakeValues.isHallDate)
        sharePercent = try c.decodeInt(atLeast: 1, forKey: .sharePercent)
        raisedAt = try c.decode(Date.self, forKey: .raisedAt)
    }
}

/// `coordinator.deadline.escalated` v1: a task passed its sub-deadline (escalated to the lead
/// department) or the case passed its due date (escalated to the centre).
public struct DeadlineEscalated: EventPayload, Hashable {
    public static let eventType = "coordinator.deadline.escalated"
    public static let eventVersion = 1

    public var receiptCode: String
    /// `task` or `case`.
    public var scope: String
    public var taskId: String?
    /// The department that is late.
    public var departmentId: String
    /// `lead-department` or `centre`.
    public var escalatedTo: String
    public var leadDepartmentId: String
    public var dueDate: String
    public var escalatedAt: Date

    public init(
        receiptCode: String, scope: String, taskId: String?, departmentId: String, escalatedTo: String, leadDepartmentId: String, dueDate: String,
        escalatedAt: Date
    ) {
        self.receiptCode = receiptCode
        self.scope = scope
        self.taskId = taskId
        self.departmentId = departmentId
        self.escalatedTo = escalatedTo
        self.leadDepartmentId = leadDepartmentId
        self.dueDate = dueDate
        self.escalatedAt = escalatedAt
    }

    enum CodingKeys: String, CodingKey { case receiptCode, scope, taskId, departmentId, escalatedTo, leadDepartmentId, dueDate, escalatedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        scope = try c.decodeString(oneOf: CoordinatorValues.scopes, forKey: .scope)
        taskId = try c.decodeNonEmptyStringIfPresent(forKey: .taskId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        escalatedTo = try c.decodeString(oneOf: CoordinatorValues.escalationTargets, forKey: .escalatedTo)
        leadDepartmentId = try c.decodeNonEmptyString(forKey: .leadDepartmentId)
        dueDate = try c.decodeString(forKey: .dueDate, expected: "a date YYYY-MM-DD", IntakeValues.isHallDate)
        escalatedAt = try c.decode(Date.self, forKey: .escalatedAt)
    }
}

/// `coordinator.case.completed` v1: every decision document of the case is sealed; the completion
/// time is the last seal time (Art 31), and on-time means its hall date is not after the due date
/// that the ledger explains (suspensions and extensions included).
public struct CaseCompleted: EventPayload, Hashable {
    public static let eventType = "coordinator.case.completed"
    public static let eventVersion = 1

    public var receiptCode: String
    public var itemCode: String
    public var leadDepartmentId: String
    public var departmentIds: [String]
    /// `approved` or `denied`.
    public var outcome: String
    public var acceptedAt: Date
    /// The seal time of the last decision document.
    public var completedAt: Date
    public var dueDate: String
    public var onTime: Bool
    public var imprintIds: [String]
    /// Working days the clock stood still, and working days added by extension.
    public var suspendedWorkingDays: Int
    public var extensionWorkingDays: Int
    public var bundleId: String?

    public init(
        receiptCode: String, itemCode: String, leadDepartmentId: String, departmentIds: [String], outcome: String, acceptedAt: Date, completedAt: Date,
        dueDate: String, onTime: Bool, imprintIds: [String], suspendedWorkingDays: Int, extensionWorkingDays: Int, bundleId: String?
    ) {
        self.receiptCode = receiptCode
        self.itemCode = itemCode
        self.leadDepartmentId = leadDepartmentId
        self.departmentIds = departmentIds
        self.outcome = outcome
        self.acceptedAt = acceptedAt
        self.completedAt = completedAt
        self.dueDate = dueDate
        self.onTime = onTime
        self.imprintIds = imprintIds
        self.suspendedWorkingDays = suspendedWorkingDays
        self.extensionWorkingDays = extensionWorkingDays
        self.bundleId = bundleId
    }

    enum CodingKeys: String, CodingKey {
        case receiptCode, itemCode, leadDepartmentId, departmentIds, outcome, acceptedAt, completedAt, dueDate, onTime, imprintIds
        case suspendedWorkingDays, extensionWorkingDays, bundleId
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        itemCode = try c.decodeNonEmptyString(forKey: .itemCode)
        leadDepartmentId = try c.decodeNonEmptyString(forKey: .leadDepartmentId)
        departmentIds = try c.decodeDistinctStrings(forKey: .departmentIds, expected: "a department id") { !$0.isEmpty }
        outcome = try c.decodeString(oneOf: CoordinatorValues.outcomes, forKey: .outcome)
        acceptedAt = try c.decode(Date.self, forKey: .acceptedAt)
        completedAt = try c.decode(Date.self, forKey: .completedAt)
        dueDate = try c.decodeString(forKey: .dueDate, expected: "a date YYYY-MM-DD", IntakeValues.isHallDate)
        onTime = try c.decode(Bool.self, forKey: .onTime)
        imprintIds = try c.decode([String].self, forKey: .imprintIds)
        suspendedWorkingDays = try c.decodeInt(atLeast: 0, forKey: .suspendedWorkingDays)
        extensionWorkingDays = try c.decodeInt(atLeast: 0, forKey: .extensionWorkingDays)
        bundleId = try c.decodeNonEmptyStringIfPresent(forKey: .bundleId)
    }
}

/// `coordinator.bundle.completed` v1: every case of a "one thing, one go" bundle is completed
/// (Art 4(5)); the applicant collects them together. Key = the bundle id.
public struct BundleCompleted: EventPayload, Hashable {
    public static let eventType = "coordinator.bundle.completed"
    public static let eventVersion = 1

    public var bundleId: String
    /// Each case of the bundle and its outcome.
    public var cases: [Member]
    public var completedAt: Date

    /// A case of the bundle.
    public struct Member: Codable, Sendable, Hashable {
        public var caseId: String
        public var receiptCode: String
        public var outcome: String
        public init(caseId: String, receiptCode: String, outcome: String) {
            self.caseId = caseId
            self.receiptCode = receiptCode
            self.outcome = outcome
        }

        enum CodingKeys: String, CodingKey { case caseId, receiptCode, outcome }

        /// Decodes and checks the value; throws `DecodingError` naming the offending member.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            caseId = try c.decodeNonEmptyString(forKey: .caseId)
            receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
            outcome = try c.decodeString(oneOf: CoordinatorValues.outcomes, forKey: .outcome)
        }
    }

    public init(bundleId: String, cases: [Member], completedAt: Date) {
        self.bundleId = bundleId
        self.cases = cases
        self.completedAt = completedAt
    }

    enum CodingKeys: String, CodingKey { case bundleId, cases, completedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bundleId = try c.decodeNonEmptyString(forKey: .bundleId)
        cases = try c.decode([Member].self, forKey: .cases)
        completedAt = try c.decode(Date.self, forKey: .completedAt)
        guard !cases.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .cases, in: c, debugDescription: "must not be empty") }
    }
}

/// `coordinator.case.priority-changed` v1: a case already routed to the departments went on the
/// green channel (Art 40, granted by the centre after acceptance); its open tasks come first from
/// now on. A department system moves each of its listed tasks up its own queue. Published once per
/// grant, in the same transaction that marks the case; a completed case is never changed.
/// (A case that is on the green channel when it is accepted needs no such event: its
/// `coordinator.task.assigned` events carry `priority` and the approval.)
public struct CasePriorityChanged: EventPayload, Hashable {
    public static let eventType = "coordinator.case.priority-changed"
    public static let eventVersion = 1

    public var receiptCode: String
    public var itemCode: String
    public var leadDepartmentId: String
    /// The case's priority from now on: true on the green channel.
    public var priority: Bool
    /// The centre's green-channel approval (reason, reference, approver); present when `priority` is true.
    public var greenChannelApproval: GreenChannelApproval?
    /// The centre administrator who recorded the grant in intake.
    public var grantedBy: String
    /// The tasks a department still has to act on (no countersigned opinion yet), each with its
    /// department; empty when every department has countersigned.
    public var openTasks: [OpenTask]
    /// When the coordinator applied the change (UTC instant).
    public var changedAt: Date

    /// A task of the case that a department still has to act on.
    public struct OpenTask: Codable, Sendable, Hashable {
        /// The task id, as in `coordinator.task.assigned`.
        public var taskId: String
        public var departmentId: String
        /// `lead` or `participant`.
        public var role: String

        public init(taskId: String, departmentId: String, role: String) {
            self.taskId = taskId
            self.departmentId = departmentId
            self.role = role
        }

        enum CodingKeys: String, CodingKey { case taskId, departmentId, role }

        /// Decodes and checks the value; throws `DecodingError` naming the offending member.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            taskId = try c.decodeNonEmptyString(forKey: .taskId)
            departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
            role = try c.decodeString(oneOf: CoordinatorValues.roles, forKey: .role)
        }
    }

    public init(
        receiptCode: String, itemCode: String, leadDepartmentId: String, priority: Bool, greenChannelApproval: GreenChannelApproval?,
        grantedBy: String, openTasks: [OpenTask], changedAt: Date
    ) {
        self.receiptCode = receiptCode
        self.itemCode = itemCode
        self.leadDepartmentId = leadDepartmentId
        self.priority = priority
        self.greenChannelApproval = greenChannelApproval
        self.grantedBy = grantedBy
        self.openTasks = openTasks
        self.changedAt = changedAt
    }

    enum CodingKeys: String, CodingKey {
        case receiptCode, itemCode, leadDepartmentId, priority, greenChannelApproval, grantedBy, openTasks, changedAt
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        itemCode = try c.decodeNonEmptyString(forKey: .itemCode)
        leadDepartmentId = try c.decodeNonEmptyString(forKey: .leadDepartmentId)
        priority = try c.decode(Bool.self, forKey: .priority)
        greenChannelApproval = try c.decodeIfPresent(GreenChannelApproval.self, forKey: .greenChannelApproval)
        grantedBy = try c.decodeNonEmptyString(forKey: .grantedBy)
        openTasks = try c.decode([OpenTask].self, forKey: .openTasks)
        changedAt = try c.decode(Date.self, forKey: .changedAt)
        if priority && greenChannelApproval == nil {
            throw DecodingError.keyNotFound(
                CodingKeys.greenChannelApproval, .init(codingPath: c.codingPath, debugDescription: "required when priority is true (Art 40)"))
        }
    }
}

/// `coordinator.review.convened` v1: the lead's chief representative convened a joint review
/// meeting (会审, Art 28(5)).
public struct ReviewConvened: EventPayload, Hashable {
    public static let eventType = "coordinator.review.convened"
    public static let eventVersion = 1

    public var reviewId: String
    public var receiptCode: String
    public var convenedBy: String
    public var meetingAt: Date
    public var place: String
    /// The departments called to the meeting.
    public var departmentIds: [String]
    /// Whether the centre takes part.
    public var centreAttends: Bool

    public init(
        reviewId: String, receiptCode: String, convenedBy: String, meetingAt: Date, place: String, departmentIds: [String], centreAttends: Bool
    ) {
        self.reviewId = reviewId
        self.receiptCode = receiptCode
        self.convenedBy = convenedBy
        self.meetingAt = meetingAt
        self.place = place
        self.departmentIds = departmentIds
        self.centreAttends = centreAttends
    }

    enum CodingKeys: String, CodingKey { case reviewId, receiptCode, convenedBy, meetingAt, place, departmentIds, centreAttends }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reviewId = try c.decodeNonEmptyString(forKey: .reviewId)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        convenedBy = try c.decodeNonEmptyString(forKey: .convenedBy)
        meetingAt = try c.decode(Date.self, forKey: .meetingAt)
        place = try c.decodeNonEmptyString(forKey: .place)
        departmentIds = try c.decodeDistinctStrings(forKey: .departmentIds, expected: "a department id") { !$0.isEmpty }
        centreAttends = try c.decode(Bool.self, forKey: .centreAttends)
    }
}

/// `coordinator.review.minuted` v1: the minutes of a joint review meeting, with each department's position.
public struct ReviewMinuted: EventPayload, Hashable {
    public static let eventType = "coordinator.review.minuted"
    public static let eventVersion = 1

    public var reviewId: String
    public var receiptCode: String
    public var positions: [Position]
    public var summary: String
    public var recordedBy: String
    public var recordedAt: Date

    /// A department's position at the meeting.
    public struct Position: Codable, Sendable, Hashable {
        public var departmentId: String
        public var position: TaskOpinion
        public var note: String
        public init(departmentId: String, position: TaskOpinion, note: String) {
            self.departmentId = departmentId
            self.position = position
            self.note = note
        }

        enum CodingKeys: String, CodingKey { case departmentId, position, note }

        /// Decodes and checks the value; throws `DecodingError` naming the offending member.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
            position = try c.decode(TaskOpinion.self, forKey: .position)
            note = try c.decode(String.self, forKey: .note)
        }
    }

    public init(reviewId: String, receiptCode: String, positions: [Position], summary: String, recordedBy: String, recordedAt: Date) {
        self.reviewId = reviewId
        self.receiptCode = receiptCode
        self.positions = positions
        self.summary = summary
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }

    enum CodingKeys: String, CodingKey { case reviewId, receiptCode, positions, summary, recordedBy, recordedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reviewId = try c.decodeNonEmptyString(forKey: .reviewId)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        positions = try c.decode([Position].self, forKey: .positions)
        summary = try c.decodeNonEmptyString(forKey: .summary)
        recordedBy = try c.decodeNonEmptyString(forKey: .recordedBy)
        recordedAt = try c.decode(Date.self, forKey: .recordedAt)
        guard !positions.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .positions, in: c, debugDescription: "must not be empty") }
    }
}

/// `coordinator.command.rejected` v1: the coordinator refused a department's command (HTTP or
/// Kafka), with a stable reason code. Nothing was changed. `causationId` = the command's envelope id
/// (for Kafka commands).
public struct CommandRejected: EventPayload, Hashable {
    public static let eventType = "coordinator.command.rejected"
    public static let eventVersion = 1

    /// The command's envelope id (Kafka) or request id (HTTP).
    public var commandId: String
    /// The command's type, e.g. `department.task.opinion-submitted` or `http:POST /v1/tasks/{taskId}/opinion`.
    public var commandType: String
    /// The department named on the command.
    public var departmentId: String
    public var taskId: String?
    public var reason: CommandRejection
    public var detail: String
    public var rejectedAt: Date

    public init(
        commandId: String, commandType: String, departmentId: String, taskId: String?, reason: CommandRejection, detail: String, rejectedAt: Date
    ) {
        self.commandId = commandId
        self.commandType = commandType
        self.departmentId = departmentId
        self.taskId = taskId
        self.reason = reason
        self.detail = detail
        self.rejectedAt = rejectedAt
    }

    enum CodingKeys: String, CodingKey { case commandId, commandType, departmentId, taskId, reason, detail, rejectedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        commandId = try c.decodeNonEmptyString(forKey: .commandId)
        commandType = try c.decodeNonEmptyString(forKey: .commandType)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        taskId = try c.decodeNonEmptyStringIfPresent(forKey: .taskId)
        reason = try c.decode(CommandRejection.self, forKey: .reason)
        detail = try c.decodeNonEmptyString(forKey: .detail)
        rejectedAt = try c.decode(Date.self, forKey: .rejectedAt)
    }
}
