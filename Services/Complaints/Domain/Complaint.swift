import Foundation
import HallContracts
import HallKit

/// What a complaint is about (Art 16, 41–45).
enum ComplaintCategory: String, ContractEnum {
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
enum ComplaintChannel: String, ContractEnum {
    /// At the hall's complaint desk, recorded by a clerk.
    case desk
    /// Online, by the complainant themself (no account).
    case online
    /// At the discipline inspection room (纪委监委投诉室, Art 44), recorded by an inspector.
    case disciplineRoom = "discipline-room"
}

/// Whose queue a complaint is in.
enum ComplaintQueue: String, ContractEnum {
    /// The hall centre's complaints handlers (role `complaints-handler`).
    case centre
    /// The discipline inspection room (role `discipline-inspector`).
    case discipline

    /// Discipline and law go to the discipline room, everything else to the centre.
    init(for category: ComplaintCategory) {
        self = category == .disciplineOrLaw ? .discipline : .centre
    }

    /// The role that works this queue.
    var role: Role { self == .discipline ? .disciplineInspector : .complaintsHandler }
}

/// What a complaint is about: a window, a department or a staff member of the hall.
enum ComplaintTargetKind: String, ContractEnum {
    case window, department, staff
}

/// Where a complaint stands (the lifecycle's steps so far).
enum ComplaintStatus: String, ContractEnum {
    case filed
    case notAccepted = "not-accepted"
    case investigating
    case concluded
    case replied
    case closed
}

/// The investigation's conclusion.
enum ComplaintFinding: String, ContractEnum {
    case substantiated
    case partlySubstantiated = "partly-substantiated"
    case unsubstantiated
}

/// A complaint as filed: checked for form here, for its target against the directory by the repository.
struct ComplaintFiling: Codable, Sendable {
    var category: ComplaintCategory
    var targetKind: ComplaintTargetKind
    var targetId: String
    /// The receipt code of the case it concerns, when the complainant has one.
    var receiptCode: String?
    var anonymous: Bool?
    var complainantName: String?
    var complainantContact: String?
    var content: String

    static let maximumContent = 4000

    /// The filing's form: a target, what happened, and who complains unless anonymous.
    func validate() throws {
        if targetId.trimmingCharacters(in: .whitespaces).isEmpty { throw HallError.invalid("targetId", "names the window, department or staff member complained about") }
        let text = content.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { throw HallError.invalid("content", "says what happened; it may not be empty") }
        if content.count > Self.maximumContent { throw HallError.invalid("content", "is at most \(Self.maximumContent) characters") }
        if anonymous != true {
            if (complainantName ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw HallError.invalid("complainantName", "is required unless the complaint is anonymous (anonymous: true)")
            }
            if (complainantContact ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw HallError.invalid("complainantContact", "is required unless the complaint is anonymous, so that the reply reaches the complainant")
            }
        }
        for (field, value) in [("complainantName", complainantName), ("complainantContact", complainantContact), ("receiptCode", receiptCode)] {
            if let value, value.count > 200 { throw HallError.invalid(field, "is at most 200 characters") }
        }
    }
}

/// One step a handler takes on a complaint.
enum ComplaintStep: Sendable, Equatable {
    /// Accepted for investigation.
    case accept
    /// Not accepted, with the reason told to the complainant.
    case notAccept(reason: String)
    /// The investigation's conclusion.
    case conclude(ComplaintFinding, findings: String)
    /// The reply to the complainant.
    case reply(String)
    /// Closed.
    case close

    var name: String {
        switch self {
        case .accept: "accept"
        case .notAccept: "not-accept"
        case .conclude: "conclude"
        case .reply: "reply"
        case .close: "close"
        }
    }

    /// The status after this step from `status`, or a refusal naming the rule.
    func next(from status: ComplaintStatus) throws -> ComplaintStatus {
        switch (self, status) {
        case (.accept, .filed): return .investigating
        case (.notAccept(let reason), .filed):
            if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw HallError.invalid("reason", "a complaint not accepted is told why") }
            return .notAccepted
        case (.conclude(_, let findings), .investigating):
            if findings.trimmingCharacters(in: .whitespaces).isEmpty { throw HallError.invalid("findings", "the conclusion states the findings") }
            return .concluded
        case (.conclude, .concluded):
            throw HallError(.conflict, "the complaint is already concluded; a conclusion is made once", field: "finding")
        case (.reply(let text), .concluded), (.reply(let text), .notAccepted):
            if text.trimmingCharacters(in: .whitespaces).isEmpty { throw HallError.invalid("reply", "the reply to the complainant may not be empty") }
            return .replied
        case (.close, .replied): return .closed
        case (_, .closed):
            throw HallError(.conflict, "the complaint is closed; nothing more is recorded on it")
        default:
            throw HallError(.conflict, "\(name) is not a step a complaint takes when it is \(status.rawValue) (filed → accept or not-accept → conclude → reply → close)")
        }
    }
}

/// Tracking codes: 12 characters from an alphabet without look-alikes, 60 random bits; the
/// complainant's only key to the complaint.
enum TrackingCode {
    static let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return "T" + String((0..<12).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    static func isWellFormed(_ code: String) -> Bool {
        code.count == 13 && code.first == "T" && code.dropFirst().allSatisfy { alphabet.contains($0) }
    }
}
