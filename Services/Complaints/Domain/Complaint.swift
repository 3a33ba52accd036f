import Foundation
import HallContracts
import HallCalendar
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
        if targetId.trimmingCharacters(in: .whitespaces).isEmpty {
            throw HallError.invalid("targetId", "names the window, department or staff member complained about", words: "请写明投诉的窗口、部门或工作人员")
        }
        let text = content.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { throw HallError.invalid("content", "says what happened; it may not be empty", words: "请写明投诉事由，不能为空") }
        if content.count > Self.maximumContent {
            throw HallError.invalid("content", "is at most \(Self.maximumContent) characters", words: "不超过 \(Self.maximumContent) 字")
        }
        if anonymous != true {
            if (complainantName ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw HallError.invalid("complainantName", "is required unless the complaint is anonymous (anonymous: true)", words: "请填写姓名，或选择匿名投诉")
            }
            if (complainantContact ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw HallError.invalid(
                    "complainantContact", "is required unless the complaint is anonymous, so that the reply reaches the complainant",
                    words: "请填写联系方式，以便将答复送达投诉人；或选择匿名投诉（匿名投诉无法收到答复）")
            }
        }
        for (field, value) in [("complainantName", complainantName), ("complainantContact", complainantContact), ("receiptCode", receiptCode)] {
            if let value, value.count > 200 { throw HallError.invalid(field, "is at most 200 characters", words: "不超过 200 个字符") }
        }
    }
}

/// One sanction a handler orders on a substantiated complaint.
struct SanctionOrder: Codable, Sendable, Equatable {
    var kind: SanctionKind
    var subjectKind: SanctionSubjectKind
    /// The staff member's or the department's directory id.
    var subjectId: String
    /// Why: what the finding shows against the subject.
    var reason: String
}

/// One step taken on a complaint: by a handler of its queue, by the department it is passed to
/// (`departmentFindings`, `departmentReturn`), or by the complainant (`requestReview`).
enum ComplaintStep: Sendable, Equatable {
    /// Accepted for investigation.
    case accept
    /// Not accepted, with the reason told to the complainant.
    case notAccept(reason: String)
    /// Passed to the department concerned, which investigates and returns it.
    case refer(departmentId: String, instructions: String, releaseIdentity: Bool)
    /// The department's findings.
    case departmentFindings(String)
    /// The department returns the complaint with its reasons, without findings.
    case departmentReturn(reason: String)
    /// The investigation's conclusion.
    case conclude(ComplaintFinding, findings: String)
    /// The sanctions on a substantiated complaint; none is a decision too, with its note.
    case decideSanctions([SanctionOrder], note: String?)
    /// The reply to the complainant.
    case reply(String)
    /// Closed.
    case close
    /// The complainant asks for a review, once, with the reason.
    case requestReview(reason: String)

    /// The step as the events and the step log name it.
    var stepName: ComplaintStepName {
        switch self {
        case .accept: .accept
        case .notAccept: .notAccept
        case .refer: .refer
        case .departmentFindings: .departmentFindings
        case .departmentReturn: .departmentReturn
        case .conclude: .conclude
        case .decideSanctions: .decideSanctions
        case .reply: .reply
        case .close: .close
        case .requestReview: .requestReview
        }
    }

    var name: String { stepName.rawValue }

    /// The conclusion this step records, if any.
    var finding: ComplaintFinding? {
        if case .conclude(let finding, _) = self { return finding }
        return nil
    }

    /// The status after this step, from a complaint now `status` with `finding` (its conclusion so
    /// far) that has or has not had its review (`reviewed`); or a refusal naming the field and the rule.
    func next(from status: ComplaintStatus, finding: ComplaintFinding? = nil, reviewed: Bool = false) throws -> ComplaintStatus {
        func required(_ text: String, _ field: String, _ rule: String, _ words: String) throws {
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw HallError.invalid(field, rule, words: words) }
        }
        switch (self, status) {
        case (.accept, .filed): return .investigating
        case (.accept, .underReview) where finding == nil: return .investigating
        case (.notAccept(let reason), .filed), (.notAccept(let reason), .underReview) where finding == nil:
            try required(reason, "reason", "a complaint not accepted is told why", "不予受理投诉的，须向投诉人说明理由")
            return .notAccepted
        case (.refer(let department, let instructions, _), .investigating):
            try required(department, "departmentId", "names the department the complaint is passed to", "请写明投诉转交的部门")
            try required(instructions, "instructions", "tells the department what to investigate", "请写明需要部门调查的事项")
            return .referred
        case (.departmentFindings(let text), .referred):
            try required(text, "findings", "the department's return states its findings", "部门退回投诉时须写明查明的事实")
            return .investigating
        case (.departmentReturn(let reason), .referred):
            try required(reason, "reason", "a department returning a complaint without findings says why", "部门未附调查结果退回投诉的，须说明理由")
            return .investigating
        case (.conclude, .referred):
            throw HallError(
                .conflict, "the complaint is with the department it was passed to; its return comes before the conclusion", field: "finding",
                words: "该投诉正由转交的部门调查，须待部门退回后再作出结论")
        case (.conclude(_, let findings), .investigating), (.conclude(_, let findings), .underReview) where finding != nil:
            try required(findings, "findings", "the conclusion states the findings", "作出结论须写明查明的事实")
            return .concluded
        case (.conclude, .concluded), (.conclude, .sanctionDecided), (.conclude, .replied):
            throw HallError(
                .conflict, "the complaint is already concluded; a conclusion is made once (and once more on the complainant's review)", field: "finding",
                words: "该投诉已作出结论；结论只作出一次（投诉人申请复查的，可再作出一次）")
        case (.decideSanctions(let orders, let note), .concluded):
            guard finding == .substantiated || finding == .partlySubstantiated else {
                throw HallError(
                    .conflict, "a sanction rests on a substantiated complaint; this one is unsubstantiated", field: "sanctions",
                    words: "作出处理须以投诉属实为前提；该投诉经查不属实")
            }
            if orders.isEmpty {
                try required(note ?? "", "note", "deciding on no sanction for a substantiated complaint says why", "投诉属实但决定不予处理的，须说明理由")
            }
            for (index, order) in orders.enumerated() {
                try required(order.reason, "sanctions[\(index)].reason", "each sanction says what it rests on", "每项处理须写明依据")
                try required(order.subjectId, "sanctions[\(index)].subjectId", "names the staff member or department sanctioned", "请写明受处理的工作人员或部门")
                if order.subjectKind == .department && !order.kind.appliesToDepartments {
                    throw HallError.invalid(
                        "sanctions[\(index)].kind",
                        "\(order.kind.rawValue) is imposed on a staff member, not a department (Art 42: a department gets a correction order or public criticism)",
                        words: "“\(order.kind.words)”适用于工作人员，不适用于部门（第42条：对部门可责令纠正或通报批评）")
                }
            }
            return .sanctionDecided
        case (.decideSanctions, _):
            if finding == .unsubstantiated {
                throw HallError(
                    .conflict, "a sanction rests on a substantiated complaint; this one is unsubstantiated", field: "sanctions",
                    words: "作出处理须以投诉属实为前提；该投诉经查不属实")
            }
            throw HallError(
                .conflict, "sanctions are decided on a concluded complaint; this one is \(status.rawValue)", field: "sanctions",
                words: "处理须在投诉作出结论后决定；该投诉当前为“\(status.words)”")
        case (.reply(let text), .concluded) where finding == .unsubstantiated, (.reply(let text), .sanctionDecided), (.reply(let text), .notAccepted):
            try required(text, "reply", "the reply to the complainant may not be empty", "给投诉人的答复不能为空")
            return .replied
        case (.reply, .concluded):
            throw HallError(
                .conflict, "the complaint is substantiated: decide its sanctions first (none, with a note, is a decision)", field: "sanctions",
                words: "该投诉属实，请先决定处理（决定不予处理并说明理由，也是一项决定）")
        case (.close, .replied): return .closed
        case (.requestReview(let reason), .replied), (.requestReview(let reason), .closed):
            if reviewed {
                throw HallError(.conflict, "a review is asked for once; this complaint has had its review", field: "reason", words: "复查只能申请一次；该投诉已复查过")
            }
            try required(reason, "reason", "a review request says what the complainant disputes", "申请复查须写明对哪些内容有异议")
            return .underReview
        case (.requestReview, _):
            throw HallError(.conflict, "a review is asked for after the reply; the complaint is \(status.rawValue)", words: "复查须在答复后申请；该投诉当前为“\(status.words)”")
        case (_, .closed):
            throw HallError(.conflict, "the complaint is closed; nothing more is recorded on it", words: "该投诉已办结，不再记录新的办理事项")
        default:
            throw HallError(
                .conflict,
                "\(name) is not a step a complaint takes when it is \(status.rawValue) (filed → accept or not-accept → [refer → department-findings or department-return] → conclude → decide-sanctions when substantiated → reply → close)",
                words: "投诉当前为“\(status.words)”，不能进行“\(name)”这一步（办理顺序：登记 → 受理或不予受理 → [转部门调查 → 部门反馈调查结果或退回]"
                    + " → 作出结论 → 属实的决定处理 → 答复 → 办结）")
        }
    }
}

/// How a complaint's subject relates to it, for the sanction rules: what the complaint is about,
/// as the directory knew it at filing.
struct ComplaintTargetContext: Sendable, Equatable {
    var kind: ComplaintTargetKind
    var id: String
    /// The window's departments, the staff member's department, or the department itself.
    var departmentIds: [String]
    /// The window itself, or the staff member's window.
    var windowId: String?
}

/// A sanction's subject as the directory knows it now.
struct SanctionSubjectFacts: Sendable, Equatable {
    /// The staff member's department, or the department itself.
    var departmentId: String
    /// The staff member's window.
    var windowId: String?
}

/// The rules a sanction's subject meets (Art 41–43): it is what the complaint is about, or
/// answers for it — the target staff member, staff of the target window or department, the
/// department of the target window or staff member.
enum SanctionRules {
    static func check(_ order: SanctionOrder, index: Int, subject: SanctionSubjectFacts?, target: ComplaintTargetContext) throws {
        let field = "sanctions[\(index)].subjectId"
        guard let subject else {
            throw HallError.invalid(
                field, "no active \(order.subjectKind.rawValue) '\(order.subjectId)' in the hall's directory",
                words: "大厅名录中没有在册的\(order.subjectKind == .staff ? "工作人员" : "部门")“\(order.subjectId)”")
        }
        let related: Bool
        switch order.subjectKind {
        case .staff:
            related =
                switch target.kind {
                case .staff: order.subjectId == target.id
                case .window: subject.windowId == target.id
                case .department: subject.departmentId == target.id
                }
        case .department:
            related = target.departmentIds.contains(order.subjectId)
        }
        if !related {
            let about = ["window": "窗口", "department": "部门", "staff": "工作人员"][target.kind.rawValue] ?? target.kind.rawValue
            throw HallError.invalid(
                field,
                "a sanction is imposed on whom the complaint is about or who answers for it; '\(order.subjectId)' has no part in this \(target.kind.rawValue) complaint",
                words: "处理对象须为被投诉的人员或部门，或对此负有责任者；“\(order.subjectId)”与这件针对\(about)的投诉无关")
        }
    }
}

/// A step's deadline: what is due and by which day.
struct ComplaintDeadline: Codable, Sendable, Equatable {
    var step: ComplaintDueStep
    var dueDate: HallDate

    /// When the warning (start of the due day) and the overdue flag (start of the next day) fire.
    var firesAt: [(DeadlineFlag, Date)] {
        let day = LocalDate(dueDate)
        return [(.warning, day.startInstant), (.overdue, day.endInstant)]
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
        return try event(payload, key: filed.complaintId, at: filed.filedAt)
    }

    static func progressed(
        _ step: ComplaintStep, to status: ComplaintStatus, of summary: ComplaintSummary, actor: String, at: Date, departmentId: String? = nil
    ) throws -> OutgoingEvent {
        let departmental: Set<ComplaintStepName> = [.refer, .departmentFindings, .departmentReturn]
        let payload = ComplaintProgressed(
            complaintId: summary.complaintId, step: step.stepName, status: status, finding: step.finding, category: summary.category,
            targetKind: summary.targetKind, targetId: summary.targetId, actorId: actor, at: at,
            departmentId: departmental.contains(step.stepName) ? departmentId : nil)
        return try event(payload, key: summary.complaintId, at: at)
    }

    static func sanctioned(_ sanction: Sanction) throws -> OutgoingEvent {
        let payload = SanctionDecided(
            sanctionId: sanction.sanctionId, kind: sanction.kind, subjectKind: sanction.subjectKind, subjectId: sanction.subjectId,
            departmentId: sanction.departmentId, complaintIds: sanction.complaintIds, decidedBy: sanction.decidedBy, decidedAt: sanction.decidedAt)
        return try event(payload, key: sanction.complaintIds[0], at: sanction.decidedAt)
    }

    static func removalProposed(_ proposal: RemovalProposal) throws -> OutgoingEvent {
        let payload = RemovalProposed(
            proposalId: proposal.proposalId, staffId: proposal.staffId, departmentId: proposal.departmentId, complaintIds: proposal.complaintIds,
            proposedAt: proposal.proposedAt)
        return try event(payload, key: proposal.proposalId, at: proposal.proposedAt)
    }

    static func flagged(
        _ complaintId: UUID, _ deadline: ComplaintDeadline, _ flag: DeadlineFlag, queue: ComplaintQueue, departmentId: String?, at: Date
    ) throws -> OutgoingEvent {
        let payload = ComplaintDeadlineFlagged(
            complaintId: complaintId, step: deadline.step, flag: flag, dueDate: deadline.dueDate, queue: queue,
            departmentId: deadline.step == .departmentFindings ? departmentId : nil, flaggedAt: at)
        return try event(payload, key: complaintId, at: at)
    }

    static func rated(_ record: ComplaintRecord, queue: ComplaintQueue, at: Date) throws -> OutgoingEvent? {
        guard let rating = record.rating else { return nil }
        let payload = ComplaintRated(
            complaintId: record.summary.complaintId, rating: rating, queue: queue, targetKind: record.summary.targetKind,
            targetId: record.summary.targetId, ratedAt: at)
        return try event(payload, key: record.summary.complaintId, at: at)
    }

    /// Keyed by the complaint (a sanction by its first complaint, a proposal by its id).
    private static func event(_ payload: some EventPayload, key: UUID, at: Date) throws -> OutgoingEvent {
        let envelope = try EventEnvelope(payload: payload, occurredAt: at, producer: ServiceName.complaints.rawValue, caseId: nil)
        return OutgoingEvent(topic: .complaintsEvents, key: key.uuidString.lowercased(), envelope: envelope)
    }
}
