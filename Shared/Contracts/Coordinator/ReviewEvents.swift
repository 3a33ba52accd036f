import Foundation

// Events of a joint review (会审) on `hall.coordinator.events`.
// Keys, dates and instants: see CoordinatorValues.swift.

/// `coordinator.review.convened` v1: the hall centre convened a joint review meeting (会审,
/// Art 28(5)); the lead department's chief representative assists.
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
