import Foundation

// Events of a "one thing, one go" bundle on `hall.coordinator.events`.
// Keys, dates and instants: see CoordinatorValues.swift.

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
        public var outcome: CaseOutcome
        public init(caseId: String, receiptCode: String, outcome: CaseOutcome) {
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
            outcome = try c.decode(CaseOutcome.self, forKey: .outcome)
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
