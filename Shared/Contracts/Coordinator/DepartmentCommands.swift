import Foundation

// Commands from department systems to the coordinator, on `hall.coordinator.department-commands`
// (written by systems outside the hall's services; `producer` = the department system's name).
// Key = the case id (also the envelope's caseId). The department named on a command must be the
// task's (or, for clock commands, one of the case's) departments, whatever the channel: anything
// else is refused with `coordinator.command.rejected` (causationId = the command's envelope id).
// Production grants each department system write access to this topic under its own principal.

/// `department.task.opinion-submitted` v1: a department's opinion on its task. With
/// `countersignedBy`, the chief representative (or filed substitute) countersigns it at once.
public struct OpinionSubmitted: EventPayload, Hashable {
    public static let eventType = "department.task.opinion-submitted"
    public static let eventVersion = 1

    public var taskId: String
    public var departmentId: String
    public var opinion: TaskOpinion
    public var reasons: [String]
    public var supplements: [SupplementItem]
    public var officerId: String
    public var countersignedBy: String?

    public init(
        taskId: String, departmentId: String, opinion: TaskOpinion, reasons: [String], supplements: [SupplementItem], officerId: String,
        countersignedBy: String?
    ) {
        self.taskId = taskId
        self.departmentId = departmentId
        self.opinion = opinion
        self.reasons = reasons
        self.supplements = supplements
        self.officerId = officerId
        self.countersignedBy = countersignedBy
    }

    enum CodingKeys: String, CodingKey { case taskId, departmentId, opinion, reasons, supplements, officerId, countersignedBy }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        taskId = try c.decodeNonEmptyString(forKey: .taskId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        opinion = try c.decode(TaskOpinion.self, forKey: .opinion)
        reasons = try c.decodeIfPresent([String].self, forKey: .reasons) ?? []
        supplements = try c.decodeIfPresent([SupplementItem].self, forKey: .supplements) ?? []
        officerId = try c.decodeNonEmptyString(forKey: .officerId)
        countersignedBy = try c.decodeNonEmptyStringIfPresent(forKey: .countersignedBy)
    }
}

/// `department.task.countersigned` v1: the department's chief representative (or the substitute on a
/// filed notice in force) countersigns the opinion already given on the task.
public struct CountersignSubmitted: EventPayload, Hashable {
    public static let eventType = "department.task.countersigned"
    public static let eventVersion = 1

    public var taskId: String
    public var departmentId: String
    public var staffId: String

    public init(taskId: String, departmentId: String, staffId: String) {
        self.taskId = taskId
        self.departmentId = departmentId
        self.staffId = staffId
    }

    enum CodingKeys: String, CodingKey { case taskId, departmentId, staffId }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        taskId = try c.decodeNonEmptyString(forKey: .taskId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        staffId = try c.decodeNonEmptyString(forKey: .staffId)
    }
}

/// `department.clock.suspension-requested` v1: stop the case clock for an Art 34 category the item
/// does not count (hearing, testing, expert review…), on a written notice already given to the applicant.
public struct SuspensionRequested: EventPayload, Hashable {
    public static let eventType = "department.clock.suspension-requested"
    public static let eventVersion = 1

    public var caseId: String
    public var departmentId: String
    public var category: NotCountedCategory
    public var reason: String
    /// The written notice given to the applicant.
    public var noticeReference: String
    public var requestedBy: String

    public init(caseId: String, departmentId: String, category: NotCountedCategory, reason: String, noticeReference: String, requestedBy: String) {
        self.caseId = caseId
        self.departmentId = departmentId
        self.category = category
        self.reason = reason
        self.noticeReference = noticeReference
        self.requestedBy = requestedBy
    }

    enum CodingKeys: String, CodingKey { case caseId, departmentId, category, reason, noticeReference, requestedBy }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        caseId = try c.decodeNonEmptyString(forKey: .caseId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        category = try c.decode(NotCountedCategory.self, forKey: .category)
        reason = try c.decodeNonEmptyString(forKey: .reason)
        noticeReference = try c.decodeNonEmptyString(forKey: .noticeReference)
        requestedBy = try c.decodeNonEmptyString(forKey: .requestedBy)
    }
}

/// `department.clock.resume-requested` v1: the suspended activity is over; the clock runs again and the
/// due date moves by the working days it stood still.
public struct ResumeRequested: EventPayload, Hashable {
    public static let eventType = "department.clock.resume-requested"
    public static let eventVersion = 1

    public var caseId: String
    public var departmentId: String
    public var reason: String
    public var requestedBy: String

    public init(caseId: String, departmentId: String, reason: String, requestedBy: String) {
        self.caseId = caseId
        self.departmentId = departmentId
        self.reason = reason
        self.requestedBy = requestedBy
    }

    enum CodingKeys: String, CodingKey { case caseId, departmentId, reason, requestedBy }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        caseId = try c.decodeNonEmptyString(forKey: .caseId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        reason = try c.decodeNonEmptyString(forKey: .reason)
        requestedBy = try c.decodeNonEmptyString(forKey: .requestedBy)
    }
}

/// `department.clock.extension-requested` v1: an extension approved by the department head (ALL Art
/// 42): at most 10 working days (15 for a case several departments handle jointly, approved by the
/// people's government head), once per case, the reason told to the applicant.
public struct ExtensionRequested: EventPayload, Hashable {
    public static let eventType = "department.clock.extension-requested"
    public static let eventVersion = 1

    public var caseId: String
    public var departmentId: String
    public var workingDays: Int
    public var reason: String
    /// The department head who approved it.
    public var approvedBy: String
    public var requestedBy: String

    public init(caseId: String, departmentId: String, workingDays: Int, reason: String, approvedBy: String, requestedBy: String) {
        self.caseId = caseId
        self.departmentId = departmentId
        self.workingDays = workingDays
        self.reason = reason
        self.approvedBy = approvedBy
        self.requestedBy = requestedBy
    }

    enum CodingKeys: String, CodingKey { case caseId, departmentId, workingDays, reason, approvedBy, requestedBy }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    /// (The 10-day limit is the coordinator's rule, answered with `extension-beyond-law`, not a schema error.)
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        caseId = try c.decodeNonEmptyString(forKey: .caseId)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        workingDays = try c.decodeInt(atLeast: 1, forKey: .workingDays)
        reason = try c.decodeNonEmptyString(forKey: .reason)
        approvedBy = try c.decodeNonEmptyString(forKey: .approvedBy)
        requestedBy = try c.decodeNonEmptyString(forKey: .requestedBy)
    }
}
