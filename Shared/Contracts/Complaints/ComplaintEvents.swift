import Foundation

/// What a complaint is about (Art 16, 41–45).
public enum ComplaintCategory: String, ContractEnum {
    /// Service attitude (服务态度).
    case attitude
    /// Efficiency or delay (办事效率、拖延).
    case efficiency
    /// Quality of the service.
    case quality
    /// A fee not per the published standard (Art 16).
    case feeNotPerStandard = "fee-not-per-standard"
    /// A hall item accepted outside the hall (Art 6, 42).
    case acceptedOutsideHall = "accepted-outside-hall"
    /// Not performing or wrongly performing duties (Art 41).
    case duties
    /// Violation of discipline or law (Art 44–45): the discipline inspection room's.
    case disciplineOrLaw = "discipline-or-law"
}

/// How a complaint came in.
public enum ComplaintChannel: String, ContractEnum {
    /// At the hall's complaint desk, recorded by a clerk.
    case desk
    /// Online, by the complainant themself (no account).
    case online
    /// At the discipline inspection room (纪委监委投诉室, Art 44), recorded by an inspector.
    case disciplineRoom = "discipline-room"
}

/// Whose queue a complaint is in.
public enum ComplaintQueue: String, ContractEnum {
    /// The hall centre's complaints handlers.
    case centre
    /// The discipline inspection room.
    case discipline

    /// Discipline and law go to the discipline room, everything else to the centre.
    public init(for category: ComplaintCategory) {
        self = category == .disciplineOrLaw ? .discipline : .centre
    }
}

/// What a complaint is about: a window, a department or a staff member of the hall.
public enum ComplaintTargetKind: String, ContractEnum {
    case window, department, staff
}

/// Where a complaint stands.
public enum ComplaintStatus: String, ContractEnum {
    case filed
    case notAccepted = "not-accepted"
    case investigating
    /// Passed to the department concerned, which investigates and returns it.
    case referred
    case concluded
    /// The sanctions on a substantiated complaint are decided (none is a decision too, with its reason).
    case sanctionDecided = "sanction-decided"
    case replied
    /// The complainant asked for a review (once); the handlers examine it again.
    case underReview = "under-review"
    case closed
}

/// The investigation's conclusion.
public enum ComplaintFinding: String, ContractEnum {
    case substantiated
    case partlySubstantiated = "partly-substantiated"
    case unsubstantiated
}

/// A step of a complaint's handling after filing.
public enum ComplaintStepName: String, ContractEnum {
    case accept
    case notAccept = "not-accept"
    /// The centre passes the complaint to the department concerned.
    case refer
    /// The department returns its findings.
    case departmentFindings = "department-findings"
    /// The department returns the complaint with its reasons, without findings.
    case departmentReturn = "department-return"
    case conclude
    /// The sanctions are decided (see `complaints.sanction.decided`).
    case decideSanctions = "decide-sanctions"
    case reply
    case close
    /// The complainant asks for a review (once).
    case requestReview = "request-review"
}

/// `complaints.complaint.filed`: a complaint was filed. Carries no complainant's identity and not
/// the complaint's text (both stay with the complaints service's handlers).
public struct ComplaintFiled: EventPayload, Hashable {
    public static let eventType = "complaints.complaint.filed"
    public static let eventVersion = 1

    public var complaintId: UUID
    public var category: ComplaintCategory
    public var channel: ComplaintChannel
    public var queue: ComplaintQueue
    public var targetKind: ComplaintTargetKind
    /// The window, department or staff member's id in the hall directory.
    public var targetId: String
    /// The receipt code of the case it concerns, as the complainant gave it; `null` when none.
    public var receiptCode: String?
    public var anonymous: Bool
    public var filedAt: Date

    public init(
        complaintId: UUID, category: ComplaintCategory, channel: ComplaintChannel, queue: ComplaintQueue, targetKind: ComplaintTargetKind,
        targetId: String, receiptCode: String?, anonymous: Bool, filedAt: Date
    ) {
        self.complaintId = complaintId
        self.category = category
        self.channel = channel
        self.queue = queue
        self.targetKind = targetKind
        self.targetId = targetId
        self.receiptCode = receiptCode
        self.anonymous = anonymous
        self.filedAt = filedAt
    }

    enum CodingKeys: String, CodingKey { case complaintId, category, channel, queue, targetKind, targetId, receiptCode, anonymous, filedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        complaintId = try container.decode(UUID.self, forKey: .complaintId)
        category = try container.decode(ComplaintCategory.self, forKey: .category)
        channel = try container.decode(ComplaintChannel.self, forKey: .channel)
        queue = try container.decode(ComplaintQueue.self, forKey: .queue)
        targetKind = try container.decode(ComplaintTargetKind.self, forKey: .targetKind)
        targetId = try container.decode(String.self, forKey: .targetId)
        guard container.contains(.receiptCode) else {
            throw DecodingError.keyNotFound(CodingKeys.receiptCode, .init(codingPath: container.codingPath, debugDescription: "required (null when none)"))
        }
        receiptCode = try container.decodeIfPresent(String.self, forKey: .receiptCode)
        anonymous = try container.decode(Bool.self, forKey: .anonymous)
        filedAt = try container.decode(Date.self, forKey: .filedAt)
        if targetId.isEmpty { throw DecodingError.dataCorruptedError(forKey: .targetId, in: container, debugDescription: "must not be empty") }
        if queue != ComplaintQueue(for: category) {
            throw DecodingError.dataCorruptedError(forKey: .queue, in: container, debugDescription: "must be the category's queue")
        }
    }

    /// Encodes every member; a missing receipt code is written as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(complaintId.uuidString.lowercased(), forKey: .complaintId)
        try container.encode(category, forKey: .category)
        try container.encode(channel, forKey: .channel)
        try container.encode(queue, forKey: .queue)
        try container.encode(targetKind, forKey: .targetKind)
        try container.encode(targetId, forKey: .targetId)
        try container.encode(receiptCode, forKey: .receiptCode)
        try container.encode(anonymous, forKey: .anonymous)
        try container.encode(filedAt, forKey: .filedAt)
    }
}

/// `complaints.complaint.progressed`: a handler took a step on a complaint. Names the target so a
/// reader can attribute a conclusion without keeping the complaint; carries no complainant's
/// identity and no reply text.
public struct ComplaintProgressed: EventPayload, Hashable {
    public static let eventType = "complaints.complaint.progressed"
    public static let eventVersion = 1

    public var complaintId: UUID
    public var step: ComplaintStepName
    /// The status after the step.
    public var status: ComplaintStatus
    /// The conclusion, on `conclude` only; `null` otherwise.
    public var finding: ComplaintFinding?
    public var category: ComplaintCategory
    public var targetKind: ComplaintTargetKind
    public var targetId: String
    /// The handler who took the step (`complainant` for a review request).
    public var actorId: String
    public var at: Date
    /// The department the complaint is passed to, on `refer`, `department-findings` and
    /// `department-return`; absent otherwise (a member added to version 1: readers must not require it).
    public var departmentId: String?

    public init(
        complaintId: UUID, step: ComplaintStepName, status: ComplaintStatus, finding: ComplaintFinding?, category: ComplaintCategory,
        targetKind: ComplaintTargetKind, targetId: String, actorId: String, at: Date, departmentId: String? = nil
    ) {
        self.departmentId = departmentId
        self.complaintId = complaintId
        self.step = step
        self.status = status
        self.finding = finding
        self.category = category
        self.targetKind = targetKind
        self.targetId = targetId
        self.actorId = actorId
        self.at = at
    }

    enum CodingKeys: String, CodingKey { case complaintId, step, status, finding, category, targetKind, targetId, actorId, at, departmentId }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        complaintId = try container.decode(UUID.self, forKey: .complaintId)
        step = try container.decode(ComplaintStepName.self, forKey: .step)
        status = try container.decode(ComplaintStatus.self, forKey: .status)
        guard container.contains(.finding) else {
            throw DecodingError.keyNotFound(CodingKeys.finding, .init(codingPath: container.codingPath, debugDescription: "required (null unless conclude)"))
        }
        finding = try container.decodeIfPresent(ComplaintFinding.self, forKey: .finding)
        category = try container.decode(ComplaintCategory.self, forKey: .category)
        targetKind = try container.decode(ComplaintTargetKind.self, forKey: .targetKind)
        targetId = try container.decode(String.self, forKey: .targetId)
        actorId = try container.decode(String.self, forKey: .actorId)
        at = try container.decode(Date.self, forKey: .at)
        departmentId = try container.decodeIfPresent(String.self, forKey: .departmentId)
        for (key, value) in [(CodingKeys.targetId, targetId), (.actorId, actorId)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
        if (step == .conclude) != (finding != nil) {
            throw DecodingError.dataCorruptedError(forKey: .finding, in: container, debugDescription: "is given exactly when the step is conclude")
        }
        let departmental: Set<ComplaintStepName> = [.refer, .departmentFindings, .departmentReturn]
        if departmental.contains(step) != (departmentId != nil) || departmentId?.isEmpty == true {
            throw DecodingError.dataCorruptedError(
                forKey: .departmentId, in: container, debugDescription: "is given exactly when the step is refer, department-findings or department-return")
        }
    }

    /// Encodes every member; `finding` is written as `null` unless concluded.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(complaintId.uuidString.lowercased(), forKey: .complaintId)
        try container.encode(step, forKey: .step)
        try container.encode(status, forKey: .status)
        try container.encode(finding, forKey: .finding)
        try container.encode(category, forKey: .category)
        try container.encode(targetKind, forKey: .targetKind)
        try container.encode(targetId, forKey: .targetId)
        try container.encode(actorId, forKey: .actorId)
        try container.encode(at, forKey: .at)
        try container.encodeIfPresent(departmentId, forKey: .departmentId)
    }
}
