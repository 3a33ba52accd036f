import Foundation
import HallCalendar
import HallContracts
import HallKit

/// The fee of a case (Art 16): exactly the catalogue's standard for the case's item version, and
/// nothing for a free item.
enum FeeRule {
    /// What to record when the clerk enters `amountCents` for a case of `item`.
    static func charge(_ amountCents: Int64, for item: ItemVersion) throws -> (amountCents: Int64, basis: String) {
        guard let standard = item.fee.amountCents, let basis = item.fee.basis else {
            throw HallError.invalid("amountCents", "item \(item.code) is free: nothing may be charged (Art 16)", words: "事项 \(item.code) 不收费，不得收取任何费用（第16条）")
        }
        guard amountCents == standard else {
            throw HallError.invalid(
                "amountCents", "must be the catalogue's standard \(standard) fen for item \(item.code) (\(basis))",
                words: "须为事项目录所列事项 \(item.code) 的收费标准 \(standard) 分（\(basis)）")
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
                    .conflict, "\(agentId) is already the agent of \(receiptCode) under entrustment \(current.entrustment)", field: "entrustmentReference",
                    words: "\(agentId) 已按委托书 \(current.entrustment) 担任办件 \(receiptCode) 的代办员")
            }
            return .unchanged
        }
        guard reason != nil else {
            throw HallError.invalid(
                "reason", "replacing agent \(current.agentId) of \(receiptCode) needs the reason", words: "更换办件 \(receiptCode) 的代办员 \(current.agentId) 须说明理由")
        }
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

/// When a result may leave the window (Art 16; ALL Art 44): an approval of an item with a fee only
/// once the fee is paid at the hall's bank window, and no case while a material promised under
/// tolerated-gap acceptance (容缺) has not been brought. A denial costs nothing.
enum Release {
    struct Case {
        var receiptCode: String
        /// `approved` or `denied` once decided.
        var outcome: String?
        /// The item version's fee standard in fen, nil for a free item.
        var feeCents: Int64?
        var feePaid: Bool
        /// Promised materials not brought yet, with the date they were promised for.
        var openPromises: [(materialId: String, dueBy: LocalDate)]
    }

    /// - Throws: ``HallError`` `conflict` naming `fee` or `promisedMaterials`, for the first case
    ///   that cannot be handed out, saying what is still owed.
    static func check(_ cases: [Case]) throws {
        for found in cases {
            if let cents = found.feeCents, found.outcome == "approved", !found.feePaid {
                throw HallError(
                    .conflict,
                    "the fee of \(found.receiptCode) (\(cents) fen) is not paid: it is paid at the hall's bank window and recorded before the hand-over (Art 16)",
                    field: "fee", words: "办件 \(found.receiptCode) 的费用（\(cents) 分）尚未缴纳：须在大厅银行收费窗口缴纳并登记后方可交付结果（第16条）")
            }
            if !found.openPromises.isEmpty {
                let owed = found.openPromises.map { "\($0.materialId) (promised by \($0.dueBy))" }.joined(separator: ", ")
                let owedWords = found.openPromises.map { "\($0.materialId)（承诺于 \($0.dueBy) 前补交）" }.joined(separator: "、")
                throw HallError(
                    .conflict, "\(found.receiptCode) waits for promised materials before its result is handed out: \(owed)", field: "promisedMaterials",
                    words: "办件 \(found.receiptCode) 尚有容缺材料未按承诺补交，补交后方可交付结果：\(owedWords)")
            }
        }
    }
}

/// A result waiting at the window (ALL Art 44): it is to reach the applicant within 10 working days
/// of being ready; after that the case is flagged for the front desk to follow up.
enum Collection {
    static let workingDays = 10

    /// The last day to collect a result ready at `readyAt`, and whether `today` is past it.
    static func deadline(readyAt: Date, today: LocalDate, calendar: WorkingCalendar) -> (collectBy: LocalDate, overdue: Bool) {
        let collectBy = calendar.addingWorkingDays(workingDays, after: LocalDate.inHall(readyAt)).value
        return (collectBy, today > collectBy)
    }
}
