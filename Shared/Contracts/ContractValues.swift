import Foundation

/// A closed set of values in a contract, written as its raw string. Synthesized `Codable` of a
/// payload validates it: a value outside the set fails naming the allowed values — never quoting
/// the value received, so a dead-letter reason or a problem detail carries no payload text.
public protocol ContractEnum: RawRepresentable, Codable, CaseIterable, Sendable, Hashable where RawValue == String {}

extension ContractEnum {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = Self(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected one of \(Self.allowedValues)")
        }
        self = value
    }

    /// The allowed values, comma-separated, for messages.
    public static var allowedValues: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// A hall date (Asia/Shanghai), written `YYYY-MM-DD` with a valid month and day. Decoding anything
/// else fails with "expected a date YYYY-MM-DD". Ordered as dates; Foundation only, so every
/// contract and every department system's client can use it.
public struct HallDate: Codable, Sendable, Hashable, Comparable, LosslessStringConvertible {
    /// The date as written, `YYYY-MM-DD`.
    public let description: String

    /// The date written as `text`, or nil when `text` is not a valid `YYYY-MM-DD` date.
    public init?(_ text: String) {
        guard IntakeValues.isHallDate(text) else { return nil }
        description = text
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let date = HallDate(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a date YYYY-MM-DD")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func < (lhs: HallDate, rhs: HallDate) -> Bool { lhs.description < rhs.description }
}

/// Item kinds: decided on the spot, committed to one department, or joint (several departments).
public enum ItemKind: String, ContractEnum {
    case immediate, committed, joint
}

/// How an application reached the hall.
public enum ApplicationChannel: String, ContractEnum {
    case window, online
}

/// Who applies: a person or an organisation.
public enum ApplicantKind: String, ContractEnum {
    case person, organisation
}

/// Why an application was refused at the front desk.
public enum RefusalReason: String, ContractEnum {
    case unknownItem = "unknown-item"
    case notInForce = "not-in-force"
    case notCompetent = "not-competent"
}

/// What is wrong with a material, in a one-time correction notice.
public enum MaterialProblem: String, ContractEnum {
    case missing
    case wrongForm = "wrong-form"
    case tooFewCopies = "too-few-copies"
    case notInLegalForm = "not-in-legal-form"
}

/// The form in which a material was presented.
public enum PresentedForm: String, ContractEnum {
    case original, copy
}

/// Why the centre put a case on the green channel (Art 40).
public enum GreenChannelReason: String, ContractEnum {
    case majorInvestment = "major-investment"
    case specialMatter = "special-matter"
}

/// A department's or a case's decision.
public enum CaseOutcome: String, ContractEnum {
    case approved, denied
}

/// A department's part in a case: the lead, or a participant of a joint item.
public enum TaskRole: String, ContractEnum {
    case lead, participant
}

/// The channel a department's command came through.
public enum CommandChannel: String, ContractEnum {
    case http, kafka
}

/// How a case's clock changed.
public enum ClockChange: String, ContractEnum {
    case suspended, resumed, extended
    /// The official calendar of a year the due date reached was published: the due date counted
    /// again from the acceptance with the suspensions and the extension already applied.
    case recalculated
}

/// What a deadline warning or overdue alert is about.
public enum DeadlineScope: String, ContractEnum {
    case task, `case`
}

/// Where an overdue item is escalated.
public enum EscalationTarget: String, ContractEnum {
    case leadDepartment = "lead-department"
    case centre
}

/// In which capacity a countersignature was given.
public enum CountersignCapacity: String, ContractEnum {
    case chiefRepresentative = "chief-representative"
    case substitute
}

/// Time not counted in an item's limit (Art 34): the categories a clock may be suspended for.
public enum NotCountedCategory: String, ContractEnum {
    case hearing, tender, auction, inspection, testing, quarantine, appraisal
    case expertReview = "expert-review"
}
