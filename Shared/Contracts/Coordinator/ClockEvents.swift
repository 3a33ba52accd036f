import Foundation

// Events of a case's working-day clock on `hall.coordinator.events`: the due-date ledger, warnings and escalations.
// Keys, dates and instants: see CoordinatorValues.swift.

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
    public var change: ClockChange
    /// The Art 34 category, or `supplement`, for suspensions and resumes.
    public var category: String?
    public var dueDateBefore: HallDate
    public var dueDateAfter: HallDate
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
        receiptCode: String, sequence: Int, change: ClockChange, category: String?, dueDateBefore: HallDate, dueDateAfter: HallDate, workingDays: Int,
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
        change = try c.decode(ClockChange.self, forKey: .change)
        category = try c.decodeNonEmptyStringIfPresent(forKey: .category)
        dueDateBefore = try c.decode(HallDate.self, forKey: .dueDateBefore)
        dueDateAfter = try c.decode(HallDate.self, forKey: .dueDateAfter)
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
    public var scope: DeadlineScope
    public var taskId: String?
    /// The department warned (the task's; the lead for a case).
    public var departmentId: String
    /// The task's sub-deadline or the case's due date.
    public var dueDate: HallDate
    /// The share of time used that triggers warnings, in percent.
    public var sharePercent: Int
    public var raisedAt: Date

    public init(receiptCode: String, scope: DeadlineScope, taskId: String?, departmentId: String, dueDate: HallDate, sharePercent: Int, raisedAt: Date) {
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
        scope = try c.decode(DeadlineScope.self, forKey: .scope)
        taskId = try c.decodeNonEmptyStringIfPresent(forKey: .taskId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        dueDate = try c.decode(HallDate.self, forKey: .dueDate)
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
    public var scope: DeadlineScope
    public var taskId: String?
    /// The department that is late.
    public var departmentId: String
    /// `lead-department` or `centre`.
    public var escalatedTo: EscalationTarget
    public var leadDepartmentId: String
    public var dueDate: HallDate
    public var escalatedAt: Date

    public init(
        receiptCode: String, scope: DeadlineScope, taskId: String?, departmentId: String, escalatedTo: EscalationTarget, leadDepartmentId: String, dueDate: HallDate,
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
        scope = try c.decode(DeadlineScope.self, forKey: .scope)
        taskId = try c.decodeNonEmptyStringIfPresent(forKey: .taskId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        escalatedTo = try c.decode(EscalationTarget.self, forKey: .escalatedTo)
        leadDepartmentId = try c.decodeNonEmptyString(forKey: .leadDepartmentId)
        dueDate = try c.decode(HallDate.self, forKey: .dueDate)
        escalatedAt = try c.decode(Date.self, forKey: .escalatedAt)
    }
}
