import Foundation

/// The five levels of a 好差评 rating (国办发〔2019〕51号); the last two are bad ratings (差评).
public enum RatingLevel: String, ContractEnum {
    /// 非常满意
    case verySatisfied = "very-satisfied"
    /// 满意
    case satisfied
    /// 基本满意
    case basicallySatisfied = "basically-satisfied"
    /// 不满意
    case dissatisfied
    /// 非常不满意
    case veryDissatisfied = "very-dissatisfied"

    /// A bad rating (差评): it opens a rectification.
    public var isBad: Bool { self == .dissatisfied || self == .veryDissatisfied }
}

/// Where a rating was given.
public enum RatingChannel: String, ContractEnum {
    /// The rating device at the window.
    case windowDevice = "window-device"
    /// Online, by the applicant at home.
    case online
    /// The link in the text message sent on completion.
    case sms
}

/// A step of a bad rating's rectification (every real-name bad rating is called back, verified,
/// fixed or explained, and answered).
public enum RectificationStep: String, ContractEnum {
    /// Opened by the bad rating.
    case opened
    /// The applicant was called back.
    case calledBack = "called-back"
    /// The facts were verified.
    case verified
    /// Fixed.
    case fixed
    /// Explained where the law leaves no room to fix.
    case explained
    /// The applicant was answered: the rectification is done.
    case replied
    /// Closed because the centre struck the rating.
    case closedByStrike = "closed-by-strike"
    /// Closed by the outcome of a complaint about the same case (one follow-up for the centre).
    case closedByComplaint = "closed-by-complaint"
}

/// `appraisal.rating.recorded`: the applicant of a completed case rated it (once). Names the case's
/// item, department, window and clerk so that a reader can attribute it; carries no comment and no
/// identity.
public struct RatingRecorded: EventPayload, Hashable {
    public static let eventType = "appraisal.rating.recorded"
    public static let eventVersion = 1

    public var ratingId: UUID
    public var receiptCode: String
    public var level: RatingLevel
    public var channel: RatingChannel
    public var itemCode: String
    public var departmentId: String
    /// The window and clerk who accepted the case, when known.
    public var windowId: String?
    public var staffId: String?
    public var ratedAt: Date

    public init(
        ratingId: UUID, receiptCode: String, level: RatingLevel, channel: RatingChannel, itemCode: String, departmentId: String, windowId: String?,
        staffId: String?, ratedAt: Date
    ) {
        self.ratingId = ratingId
        self.receiptCode = receiptCode
        self.level = level
        self.channel = channel
        self.itemCode = itemCode
        self.departmentId = departmentId
        self.windowId = windowId
        self.staffId = staffId
        self.ratedAt = ratedAt
    }

    enum CodingKeys: String, CodingKey { case ratingId, receiptCode, level, channel, itemCode, departmentId, windowId, staffId, ratedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ratingId = try container.decode(UUID.self, forKey: .ratingId)
        receiptCode = try container.decode(String.self, forKey: .receiptCode)
        level = try container.decode(RatingLevel.self, forKey: .level)
        channel = try container.decode(RatingChannel.self, forKey: .channel)
        itemCode = try container.decode(String.self, forKey: .itemCode)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        windowId = try container.decodeIfPresent(String.self, forKey: .windowId)
        staffId = try container.decodeIfPresent(String.self, forKey: .staffId)
        ratedAt = try container.decode(Date.self, forKey: .ratedAt)
        for (key, value) in [(CodingKeys.receiptCode, receiptCode), (.itemCode, itemCode), (.departmentId, departmentId)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
    }

    /// Encodes every member; an unknown window or clerk is left out; the id in lower case.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ratingId.uuidString.lowercased(), forKey: .ratingId)
        try container.encode(receiptCode, forKey: .receiptCode)
        try container.encode(level, forKey: .level)
        try container.encode(channel, forKey: .channel)
        try container.encode(itemCode, forKey: .itemCode)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encodeIfPresent(windowId, forKey: .windowId)
        try container.encodeIfPresent(staffId, forKey: .staffId)
        try container.encode(ratedAt, forKey: .ratedAt)
    }
}

/// `appraisal.rectification.progressed`: a bad rating's rectification was opened or took a step; it
/// is the department's task (the department of the rated case), with its next due date.
public struct RectificationProgressed: EventPayload, Hashable {
    public static let eventType = "appraisal.rectification.progressed"
    public static let eventVersion = 1

    public var rectificationId: UUID
    public var ratingId: UUID
    public var receiptCode: String
    public var step: RectificationStep
    /// The department that rectifies.
    public var departmentId: String
    /// The last day of the next step; `null` once done.
    public var dueDate: HallDate?
    /// Who took the step (`appraisal` when opened by the rating, the centre when struck).
    public var actorId: String
    public var at: Date

    public init(
        rectificationId: UUID, ratingId: UUID, receiptCode: String, step: RectificationStep, departmentId: String, dueDate: HallDate?, actorId: String,
        at: Date
    ) {
        self.rectificationId = rectificationId
        self.ratingId = ratingId
        self.receiptCode = receiptCode
        self.step = step
        self.departmentId = departmentId
        self.dueDate = dueDate
        self.actorId = actorId
        self.at = at
    }

    enum CodingKeys: String, CodingKey { case rectificationId, ratingId, receiptCode, step, departmentId, dueDate, actorId, at }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rectificationId = try container.decode(UUID.self, forKey: .rectificationId)
        ratingId = try container.decode(UUID.self, forKey: .ratingId)
        receiptCode = try container.decode(String.self, forKey: .receiptCode)
        step = try container.decode(RectificationStep.self, forKey: .step)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        guard container.contains(.dueDate) else {
            throw DecodingError.keyNotFound(CodingKeys.dueDate, .init(codingPath: container.codingPath, debugDescription: "required (null once done)"))
        }
        dueDate = try container.decodeIfPresent(HallDate.self, forKey: .dueDate)
        actorId = try container.decode(String.self, forKey: .actorId)
        at = try container.decode(Date.self, forKey: .at)
        for (key, value) in [(CodingKeys.receiptCode, receiptCode), (.departmentId, departmentId), (.actorId, actorId)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
    }

    /// Encodes every member; `dueDate` is `null` once done; ids in lower case.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rectificationId.uuidString.lowercased(), forKey: .rectificationId)
        try container.encode(ratingId.uuidString.lowercased(), forKey: .ratingId)
        try container.encode(receiptCode, forKey: .receiptCode)
        try container.encode(step, forKey: .step)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(dueDate, forKey: .dueDate)
        try container.encode(actorId, forKey: .actorId)
        try container.encode(at, forKey: .at)
    }
}

/// The grade of a staff member's appraisal (Art 23–25).
public enum AppraisalGrade: String, ContractEnum {
    /// 优秀
    case excellent
    /// 称职
    case competent
    /// 基本称职
    case basicallyCompetent = "basically-competent"
    /// 不称职: the department is recommended to replace them at the window (Art 25).
    case unfit
}

/// The five dimensions of Art 24, each scored 0–100.
public struct AppraisalScores: Codable, Sendable, Hashable {
    /// 思想品德, entered by the centre.
    public var conduct: Double
    /// 业务技能, entered by the centre.
    public var skills: Double
    /// 办事效率, computed from the figures.
    public var efficiency: Double
    /// 服务态度, computed from ratings and complaints.
    public var attitude: Double
    /// 遵纪守法, computed from complaints and sanctions.
    public var discipline: Double

    public init(conduct: Double, skills: Double, efficiency: Double, attitude: Double, discipline: Double) {
        (self.conduct, self.skills, self.efficiency, self.attitude, self.discipline) = (conduct, skills, efficiency, attitude, discipline)
    }
}

/// `appraisal.result.published`: the centre finalised a window staff member's monthly or annual
/// appraisal; the result goes to their department (Art 23), and an unfit one recommends replacing
/// them at the window (Art 25).
public struct AppraisalResultPublished: EventPayload, Hashable {
    public static let eventType = "appraisal.result.published"
    public static let eventVersion = 1

    public var staffId: String
    public var departmentId: String
    /// `month` or `year`.
    public var period: String
    /// The first day of the period.
    public var periodStart: HallDate
    public var scores: AppraisalScores
    /// The weighted total, 0–100.
    public var total: Double
    public var grade: AppraisalGrade
    /// Art 25: the department is recommended to replace the staff member at the window.
    public var replacementRecommended: Bool
    public var finalisedBy: String
    public var finalisedAt: Date

    public init(
        staffId: String, departmentId: String, period: String, periodStart: HallDate, scores: AppraisalScores, total: Double, grade: AppraisalGrade,
        replacementRecommended: Bool, finalisedBy: String, finalisedAt: Date
    ) {
        self.staffId = staffId
        self.departmentId = departmentId
        self.period = period
        self.periodStart = periodStart
        self.scores = scores
        self.total = total
        self.grade = grade
        self.replacementRecommended = replacementRecommended
        self.finalisedBy = finalisedBy
        self.finalisedAt = finalisedAt
    }

    enum CodingKeys: String, CodingKey {
        case staffId, departmentId, period, periodStart, scores, total, grade, replacementRecommended, finalisedBy, finalisedAt
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        staffId = try container.decode(String.self, forKey: .staffId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        period = try container.decode(String.self, forKey: .period)
        periodStart = try container.decode(HallDate.self, forKey: .periodStart)
        scores = try container.decode(AppraisalScores.self, forKey: .scores)
        total = try container.decode(Double.self, forKey: .total)
        grade = try container.decode(AppraisalGrade.self, forKey: .grade)
        replacementRecommended = try container.decode(Bool.self, forKey: .replacementRecommended)
        finalisedBy = try container.decode(String.self, forKey: .finalisedBy)
        finalisedAt = try container.decode(Date.self, forKey: .finalisedAt)
        for (key, value) in [(CodingKeys.staffId, staffId), (.departmentId, departmentId), (.finalisedBy, finalisedBy)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
        if period != "month" && period != "year" { throw DecodingError.dataCorruptedError(forKey: .period, in: container, debugDescription: "is month or year") }
        let all = [scores.conduct, scores.skills, scores.efficiency, scores.attitude, scores.discipline, total]
        if all.contains(where: { !(0...100).contains($0) }) {
            throw DecodingError.dataCorruptedError(forKey: .scores, in: container, debugDescription: "scores and total are 0–100")
        }
        if replacementRecommended != (grade == .unfit) {
            throw DecodingError.dataCorruptedError(forKey: .replacementRecommended, in: container, debugDescription: "is recommended exactly when unfit")
        }
    }
}
