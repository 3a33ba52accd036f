import Foundation
import HallContracts
import HallKit

/// The fee of a case (Art 16): exactly the catalogue's standard for the case's item version, and
/// nothing for a free item.
enum FeeRule {
    /// What to record when the clerk enters `amountCents` for a case of `item`.
    static func charge(_ amountCents: Int64, for item: ItemVersion) throws -> (amountCents: Int64, basis: String) {
        guard let standard = item.fee.amountCents, let basis = item.fee.basis else {
            throw HallError.invalid("amountCents", "item \(item.code) is free: nothing may be charged (Art 16)")
        }
        guard amountCents == standard else {
            throw HallError.invalid("amountCents", "must be the catalogue's standard \(standard) fen for item \(item.code) (\(basis))")
        }
        return (standard, basis)
    }
}

/// The centre's agent of a case (全程代办, Art 40): who replaces whom, and on what grounds.
enum Agency {
    enum Change: Equatable {
        /// The same agent under the same entrustment again: nothing to record.
        case unchanged
        /// The case's first agent.
        case first
        /// Another agent replaces `previous`, with the reason given.
        case replacing(previous: String)
    }

    /// Assigning `agentId` under `entrustment` to a case whose agent is `current` (if any).
    static func change(
        current: (agentId: String, entrustment: String)?, agentId: String, entrustment: String, reason: String?, receiptCode: String
    ) throws -> Change {
        guard let current else { return .first }
        if current.agentId == agentId {
            guard current.entrustment == entrustment else {
                throw HallError(
                    .conflict, "\(agentId) is already the agent of \(receiptCode) under entrustment \(current.entrustment)", field: "entrustmentReference")
            }
            return .unchanged
        }
        guard reason != nil else { throw HallError.invalid("reason", "replacing agent \(current.agentId) of \(receiptCode) needs the reason") }
        return .replacing(previous: current.agentId)
    }
}

/// What the public list of approvals shows of an applicant (Art 38): an organisation's name, and
/// of a person only the family name.
enum PublishedApplicant {
    static func shown(kind: ApplicantKind, name: String) -> String {
        kind == .organisation ? name : String(name.prefix(1)) + "*"
    }
}
