import Foundation

/// `intake.application.supplemented` v1: the applicant brought what a department asked for
/// (`coordinator.case.supplement-requested`); the clerk recorded it at the window. The coordinator
/// resumes the case clock and reopens the tasks that asked. Key = case id.
public struct ApplicationSupplemented: EventPayload, Hashable {
    public static let eventType = "intake.application.supplemented"
    public static let eventVersion = 1

    public var receiptCode: String
    /// What was brought, in words or material ids, non-empty.
    public var materials: [String]
    public var supplementedAt: Date
    public var clerkId: String
    public var windowId: String?

    public init(receiptCode: String, materials: [String], supplementedAt: Date, clerkId: String, windowId: String?) {
        self.receiptCode = receiptCode
        self.materials = materials
        self.supplementedAt = supplementedAt
        self.clerkId = clerkId
        self.windowId = windowId
    }

    enum CodingKeys: String, CodingKey { case receiptCode, materials, supplementedAt, clerkId, windowId }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        materials = try c.decodeDistinctStrings(forKey: .materials, expected: "a material") { !$0.isEmpty }
        supplementedAt = try c.decode(Date.self, forKey: .supplementedAt)
        clerkId = try c.decodeNonEmptyString(forKey: .clerkId)
        windowId = try c.decodeNonEmptyStringIfPresent(forKey: .windowId)
        guard !materials.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .materials, in: c, debugDescription: "must not be empty") }
    }
}
