import Foundation
import HallContracts
import HallKit

// The categories, channels, queues, target kinds, statuses and findings are the contract's
// (`HallContracts`, Shared/Contracts/Complaints): the events carry them.

extension ComplaintQueue {
    /// The role that works this queue.
    var role: Role { self == .discipline ? .disciplineInspector : .complaintsHandler }
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

    /// The step as the events and the step log name it.
    var stepName: ComplaintStepName {
        switch self {
        case .accept: .accept
        case .notAccept: .notAccept
        case .conclude: .conclude
        case .reply: .reply
        case .close: .close
        }
    }

    var name: String { stepName.rawValue }

    /// The conclusion this step records, if any.
    var finding: ComplaintFinding? {
        if case .conclude(let finding, _) = self { return finding }
        return nil
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

/// The events of a complaint, on `hall.complaints.events`, keyed by the complaint id (so one
/// complaint's events arrive in order).
enum ComplaintEvents {
    static func filed(_ filed: FiledComplaint, _ filing: ComplaintFiling, channel: ComplaintChannel) throws -> OutgoingEvent {
        let payload = ComplaintFiled(
            complaintId: filed.complaintId, category: filing.category, channel: channel, queue: filed.queue, targetKind: filing.targetKind,
            targetId: filing.targetId, receiptCode: filing.receiptCode, anonymous: filing.anonymous == true, filedAt: filed.filedAt)
        return try event(payload, complaintId: filed.complaintId, at: filed.filedAt)
    }

    static func progressed(_ step: ComplaintStep, to status: ComplaintStatus, of summary: ComplaintSummary, actor: String, at: Date) throws -> OutgoingEvent {
        let payload = ComplaintProgressed(
            complaintId: summary.complaintId, step: step.stepName, status: status, finding: step.finding, category: summary.category,
            targetKind: summary.targetKind, targetId: summary.targetId, actorId: actor, at: at)
        return try event(payload, complaintId: summary.complaintId, at: at)
    }

    private static func event(_ payload: some EventPayload, complaintId: UUID, at: Date) throws -> OutgoingEvent {
        let envelope = try EventEnvelope(payload: payload, occurredAt: at, producer: ServiceName.complaints.rawValue, caseId: nil)
        return OutgoingEvent(topic: .complaintsEvents, key: complaintId.uuidString.lowercased(), envelope: envelope)
    }
}
