import Foundation

/// A sanction of the hall's rules (Art 25, 41–43, 45).
public enum SanctionKind: String, ContractEnum {
    /// 责令纠正 (Art 41 against staff, Art 42 against a department).
    case correctionOrder = "correction-order"
    /// 行政效能告诫 (Art 43), against staff.
    case efficiencyWarning = "efficiency-warning"
    /// 通报批评 (Art 42 against a department, Art 43 against staff).
    case publicCriticism = "public-criticism"
    /// 调离窗口岗位 (Art 25, 43): the staff member's department removes them from the window.
    case removal
    /// Referral to the supervisory organ (监察机关, Art 45).
    case referralToSupervisoryOrgan = "referral-to-supervisory-organ"

    /// Whether the sanction may be imposed on a department (Art 42, 45) rather than a person.
    public var appliesToDepartments: Bool {
        switch self {
        case .correctionOrder, .publicCriticism, .referralToSupervisoryOrgan: true
        case .efficiencyWarning, .removal: false
        }
    }
}

/// Whom a sanction is imposed on.
public enum SanctionSubjectKind: String, ContractEnum {
    case staff, department
}

/// The step a complaint's deadline is for.
public enum ComplaintDueStep: String, ContractEnum {
    /// Accept or not (from filing).
    case acceptance
    /// The department's return of a complaint passed to it.
    case departmentFindings = "department-findings"
    /// The investigation's conclusion (from acceptance, or from a review request).
    case conclusion
    /// The sanction decision on a substantiated complaint.
    case sanctionDecision = "sanction-decision"
    /// The reply to the complainant.
    case reply
}

/// A deadline flag: due today, or past.
public enum DeadlineFlag: String, ContractEnum {
    /// The due date has come (raised at its start, in the hall's time zone).
    case warning
    /// The due date has passed with the step not taken.
    case overdue
}

/// The complainant's rating of how the complaint was handled.
public enum ComplaintRating: String, ContractEnum {
    case verySatisfied = "very-satisfied"
    case satisfied
    case neutral
    case dissatisfied
    case veryDissatisfied = "very-dissatisfied"
}

/// `complaints.sanction.decided`: a sanction was decided, resting on substantiated complaints. The
/// department concerned acts on it (a removal is carried out by the staff member's department).
public struct SanctionDecided: EventPayload, Hashable {
    public static let eventType = "complaints.sanction.decided"
    public static let eventVersion = 1

    public var sanctionId: UUID
    public var kind: SanctionKind
    public var subjectKind: SanctionSubjectKind
    /// The staff member's or the department's id in the hall directory.
    public var subjectId: String
    /// The department concerned: the staff member's own, or the department sanctioned.
    public var departmentId: String
    /// The substantiated complaints it rests on (at least one).
    public var complaintIds: [UUID]
    /// Who decided it: the handler, or the centre administrator for a removal proposed by the rule.
    public var decidedBy: String
    public var decidedAt: Date

    public init(
        sanctionId: UUID, kind: SanctionKind, subjectKind: SanctionSubjectKind, subjectId: String, departmentId: String, complaintIds: [UUID],
        decidedBy: String, decidedAt: Date
    ) {
        self.sanctionId = sanctionId
        self.kind = kind
        self.subjectKind = subjectKind
        self.subjectId = subjectId
        self.departmentId = departmentId
        self.complaintIds = complaintIds
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
    }

    enum CodingKeys: String, CodingKey { case sanctionId, kind, subjectKind, subjectId, departmentId, complaintIds, decidedBy, decidedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sanctionId = try container.decode(UUID.self, forKey: .sanctionId)
        kind = try container.decode(SanctionKind.self, forKey: .kind)
        subjectKind = try container.decode(SanctionSubjectKind.self, forKey: .subjectKind)
        subjectId = try container.decode(String.self, forKey: .subjectId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        complaintIds = try container.decode([UUID].self, forKey: .complaintIds)
        decidedBy = try container.decode(String.self, forKey: .decidedBy)
        decidedAt = try container.decode(Date.self, forKey: .decidedAt)
        for (key, value) in [(CodingKeys.subjectId, subjectId), (.departmentId, departmentId), (.decidedBy, decidedBy)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
        if complaintIds.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: .complaintIds, in: container, debugDescription: "a sanction rests on at least one complaint")
        }
        if subjectKind == .department && !kind.appliesToDepartments {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "is not a sanction on a department")
        }
        if subjectKind == .department && subjectId != departmentId {
            throw DecodingError.dataCorruptedError(forKey: .departmentId, in: container, debugDescription: "is the sanctioned department itself")
        }
    }

    /// Encodes every member; ids in lower case.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sanctionId.uuidString.lowercased(), forKey: .sanctionId)
        try container.encode(kind, forKey: .kind)
        try container.encode(subjectKind, forKey: .subjectKind)
        try container.encode(subjectId, forKey: .subjectId)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(complaintIds.map { $0.uuidString.lowercased() }, forKey: .complaintIds)
        try container.encode(decidedBy, forKey: .decidedBy)
        try container.encode(decidedAt, forKey: .decidedAt)
    }
}

/// `complaints.removal.proposed`: a staff member has two or more substantiated complaints within
/// twelve months, so removal from the window is proposed to the centre (Art 25, 43), which decides.
public struct RemovalProposed: EventPayload, Hashable {
    public static let eventType = "complaints.removal.proposed"
    public static let eventVersion = 1

    public var proposalId: UUID
    public var staffId: String
    /// The staff member's department.
    public var departmentId: String
    /// The substantiated complaints within the twelve months (at least two).
    public var complaintIds: [UUID]
    public var proposedAt: Date

    public init(proposalId: UUID, staffId: String, departmentId: String, complaintIds: [UUID], proposedAt: Date) {
        self.proposalId = proposalId
        self.staffId = staffId
        self.departmentId = departmentId
        self.complaintIds = complaintIds
        self.proposedAt = proposedAt
    }

    enum CodingKeys: String, CodingKey { case proposalId, staffId, departmentId, complaintIds, proposedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        proposalId = try container.decode(UUID.self, forKey: .proposalId)
        staffId = try container.decode(String.self, forKey: .staffId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        complaintIds = try container.decode([UUID].self, forKey: .complaintIds)
        proposedAt = try container.decode(Date.self, forKey: .proposedAt)
        for (key, value) in [(CodingKeys.staffId, staffId), (.departmentId, departmentId)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
        if complaintIds.count < 2 {
            throw DecodingError.dataCorruptedError(forKey: .complaintIds, in: container, debugDescription: "a removal is proposed on two complaints or more")
        }
    }

    /// Encodes every member; ids in lower case.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(proposalId.uuidString.lowercased(), forKey: .proposalId)
        try container.encode(staffId, forKey: .staffId)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(complaintIds.map { $0.uuidString.lowercased() }, forKey: .complaintIds)
        try container.encode(proposedAt, forKey: .proposedAt)
    }
}

/// `complaints.complaint.deadline-flagged`: a step of a complaint is due today (`warning`) or past
/// its due date (`overdue`), by the hall's official working-day calendar.
public struct ComplaintDeadlineFlagged: EventPayload, Hashable {
    public static let eventType = "complaints.complaint.deadline-flagged"
    public static let eventVersion = 1

    public var complaintId: UUID
    public var step: ComplaintDueStep
    public var flag: DeadlineFlag
    /// The last day for the step (the hall's calendar day, Asia/Shanghai).
    public var dueDate: HallDate
    public var queue: ComplaintQueue
    /// The department the complaint is passed to, when the step is its return; `null` otherwise.
    public var departmentId: String?
    public var flaggedAt: Date

    public init(
        complaintId: UUID, step: ComplaintDueStep, flag: DeadlineFlag, dueDate: HallDate, queue: ComplaintQueue, departmentId: String?, flaggedAt: Date
    ) {
        self.complaintId = complaintId
        self.step = step
        self.flag = flag
        self.dueDate = dueDate
        self.queue = queue
        self.departmentId = departmentId
        self.flaggedAt = flaggedAt
    }

    enum CodingKeys: String, CodingKey { case complaintId, step, flag, dueDate, queue, departmentId, flaggedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        complaintId = try container.decode(UUID.self, forKey: .complaintId)
        step = try container.decode(ComplaintDueStep.self, forKey: .step)
        flag = try container.decode(DeadlineFlag.self, forKey: .flag)
        dueDate = try container.decode(HallDate.self, forKey: .dueDate)
        queue = try container.decode(ComplaintQueue.self, forKey: .queue)
        guard container.contains(.departmentId) else {
            throw DecodingError.keyNotFound(CodingKeys.departmentId, .init(codingPath: container.codingPath, debugDescription: "required (null when none)"))
        }
        departmentId = try container.decodeIfPresent(String.self, forKey: .departmentId)
        flaggedAt = try container.decode(Date.self, forKey: .flaggedAt)
        if (step == .departmentFindings) != (departmentId != nil) || departmentId?.isEmpty == true {
            throw DecodingError.dataCorruptedError(
                forKey: .departmentId, in: container, debugDescription: "is given exactly when the step is the department's return")
        }
    }

    /// Encodes every member; a missing department is written as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(complaintId.uuidString.lowercased(), forKey: .complaintId)
        try container.encode(step, forKey: .step)
        try container.encode(flag, forKey: .flag)
        try container.encode(dueDate, forKey: .dueDate)
        try container.encode(queue, forKey: .queue)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(flaggedAt, forKey: .flaggedAt)
    }
}

/// `complaints.complaint.rated`: the complainant rated the handling of their complaint (once). No
/// comment text and no identity.
public struct ComplaintRated: EventPayload, Hashable {
    public static let eventType = "complaints.complaint.rated"
    public static let eventVersion = 1

    public var complaintId: UUID
    public var rating: ComplaintRating
    public var queue: ComplaintQueue
    public var targetKind: ComplaintTargetKind
    public var targetId: String
    public var ratedAt: Date

    public init(complaintId: UUID, rating: ComplaintRating, queue: ComplaintQueue, targetKind: ComplaintTargetKind, targetId: String, ratedAt: Date) {
        self.complaintId = complaintId
        self.rating = rating
        self.queue = queue
        self.targetKind = targetKind
        self.targetId = targetId
        self.ratedAt = ratedAt
    }

    enum CodingKeys: String, CodingKey { case complaintId, rating, queue, targetKind, targetId, ratedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        complaintId = try container.decode(UUID.self, forKey: .complaintId)
        rating = try container.decode(ComplaintRating.self, forKey: .rating)
        queue = try container.decode(ComplaintQueue.self, forKey: .queue)
        targetKind = try container.decode(ComplaintTargetKind.self, forKey: .targetKind)
        targetId = try container.decode(String.self, forKey: .targetId)
        ratedAt = try container.decode(Date.self, forKey: .ratedAt)
        if targetId.isEmpty { throw DecodingError.dataCorruptedError(forKey: .targetId, in: container, debugDescription: "must not be empty") }
    }

    /// Encodes every member; the id in lower case.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(complaintId.uuidString.lowercased(), forKey: .complaintId)
        try container.encode(rating, forKey: .rating)
        try container.encode(queue, forKey: .queue)
        try container.encode(targetKind, forKey: .targetKind)
        try container.encode(targetId, forKey: .targetId)
        try container.encode(ratedAt, forKey: .ratedAt)
    }
}
