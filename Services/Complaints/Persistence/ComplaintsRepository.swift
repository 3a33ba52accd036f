import Foundation
import HallContracts
import HallKit
import HallWeb
import Logging
import PostgresNIO

/// What the complaints service reads and writes, behind one protocol: the routes use it, the
/// service runs ``PostgresComplaintsRepository``, route tests run ``MemoryComplaintsRepository``.
protocol ComplaintsRepository: Sendable {
    /// The active windows and departments one may complain about.
    func targets() async throws -> ComplaintTargets
    /// Files a complaint about an active window, department or staff member of the directory.
    func file(_ filing: ComplaintFiling, channel: ComplaintChannel, recordedBy: String?, at: Date) async throws -> FiledComplaint
    /// The complainant's view, by tracking code; nil when no complaint has it.
    func track(code: String) async throws -> ComplaintTracking?
    /// A queue's complaints, newest first, without the complainants' identity; none about `reader`.
    func queue(_ queue: ComplaintQueue, reader: String) async throws -> [ComplaintSummary]
    /// One complaint of `queue` in full, the complainant's identity included (the read is recorded).
    func record(_ id: UUID, queue: ComplaintQueue, reader: String, at: Date) async throws -> ComplaintRecord
    /// An assigned handler of `queue` (or the first to act) adds another handler to a complaint.
    func addHandler(_ handler: String, on id: UUID, queue: ComplaintQueue, actor: String, at: Date) async throws -> ComplaintRecord
    /// Takes a handler's step on a complaint of `queue`; each step is kept with who took it and
    /// when, its deadline timers replaced, its events committed with it. A substantiated conclusion
    /// about a staff member with another within twelve months proposes their removal.
    func take(_ step: ComplaintStep, on id: UUID, queue: ComplaintQueue, actor: String, at: Date) async throws -> ComplaintRecord
    /// The complainant's step by tracking code (a review request, once); nil when no complaint has the code.
    func complainantStep(_ step: ComplaintStep, code: String, at: Date) async throws -> ComplaintTracking?
    /// The complainant's rating of the handling, once, after the reply; nil when no complaint has the code.
    func rate(code: String, rating: ComplaintRating, comment: String?, at: Date) async throws -> ComplaintTracking?
    /// The complaints passed to `department`, without the complainants' identity; none about `reader`.
    func referrals(department: String, reader: String) async throws -> [Referral]
    /// One complaint passed to `department`, with the complainant only when the handler released it (the read recorded).
    func referral(_ id: UUID, department: String, reader: String, at: Date) async throws -> Referral
    /// The department's return (findings, or a return with reasons) of a complaint passed to it.
    func departmentStep(_ step: ComplaintStep, on id: UUID, department: String, actor: String, at: Date) async throws -> Referral
    /// Whether `departmentId` is an active department of the directory.
    func isActiveDepartment(_ departmentId: String) async throws -> Bool
    /// Sanctions decided, newest first (on one subject, or all).
    func sanctions(subjectId: String?) async throws -> [Sanction]
    /// Removal proposals, newest first (only the undecided, or all).
    func removalProposals(pendingOnly: Bool) async throws -> [RemovalProposal]
    /// The centre's decision on a removal proposal; a removal is a sanction sent to the department.
    func decideRemoval(_ id: UUID, remove: Bool, reason: String, by actor: String, at: Date) async throws -> RemovalProposal
    /// Raises the warnings and overdue flags due by `now`, each once; answers how many.
    func fireDueTimers(now: Date, limit: Int) async throws -> Int
    /// Who read which complainant's identity and when, newest first (of one complaint, or all).
    func identityReads(complaintId: UUID?) async throws -> [IdentityRead]
}

/// One read of a complainant's name and contact.
struct IdentityRead: Codable, Sendable, Equatable {
    var complaintId: UUID
    var readerId: String
    var readAt: Date
}

/// The receipt-code rule both repositories share.
enum ReceiptCheck {
    static func unknown(_ receiptCode: String) -> HallError {
        HallError.invalid(
            "receiptCode",
            "no application with this receipt code is known to the hall (it is on the acceptance, refusal or correction notice; leave it out if there is none)",
            words: "大厅没有这个受理编号的申请（受理编号印在受理通知书、不予受理通知书或一次性告知书上；没有的可不填）")
    }
}

/// The refusal of a target the directory does not know as active.
enum UnknownTarget {
    static func error(_ kind: ComplaintTargetKind, _ id: String) -> HallError {
        let kindWords = ["window": "窗口", "department": "部门", "staff": "工作人员"][kind.rawValue] ?? kind.rawValue
        return HallError.invalid(
            "targetId", "no active \(kind.rawValue) '\(id)' in the hall's directory (GET /v1/targets lists them)",
            words: "大厅名录中没有在册的\(kindWords)“\(id)”，请从可投诉的窗口、部门中选择")
    }
}

/// The windows and departments one may complain about.
struct ComplaintTargets: Codable, Sendable, Equatable {
    var windows: [DirectoryWindow]
    var departments: [DirectoryDepartment]
}

/// What filing answers: the tracking code is the complainant's only key to the complaint.
struct FiledComplaint: Codable, Sendable, Equatable {
    var complaintId: UUID
    var trackingCode: String
    var queue: ComplaintQueue
    var status: ComplaintStatus
    var filedAt: Date
}

/// The complainant's view (no identity, no internal findings text).
struct ComplaintTracking: Codable, Sendable, Equatable {
    var trackingCode: String
    var category: ComplaintCategory
    var targetKind: ComplaintTargetKind
    var targetName: String
    var status: ComplaintStatus
    var filedAt: Date
    var notAcceptedReason: String?
    var finding: ComplaintFinding?
    var reply: String?
    var updatedAt: Date
    /// The next step's last day, while the complaint is being handled.
    var dueDate: HallDate?
    /// The complainant's rating of the handling, once given.
    var rating: ComplaintRating?
    /// Whether the complainant has asked for the review (once).
    var reviewed: Bool
    /// Until when a review may be asked for, once replied and not yet reviewed.
    var reviewUntil: Date?
}

/// A line of a handler's queue.
struct ComplaintSummary: Codable, Sendable, Equatable {
    var complaintId: UUID
    var category: ComplaintCategory
    var channel: ComplaintChannel
    var targetKind: ComplaintTargetKind
    var targetId: String
    var targetName: String
    var status: ComplaintStatus
    var anonymous: Bool
    var filedAt: Date
    /// What is due next and by which day; none once replied.
    var deadline: ComplaintDeadline?
    /// The deadline has passed with the step not taken.
    var overdue: Bool
    /// The department the complaint is with, while it is passed to one.
    var referredTo: String?
}

/// A complaint in full, for the handlers of its queue.
struct ComplaintRecord: Codable, Sendable, Equatable {
    struct Complainant: Codable, Sendable, Equatable {
        var name: String
        var contact: String
    }
    struct Step: Codable, Sendable, Equatable {
        var step: String
        var statusAfter: ComplaintStatus
        var actorId: String
        var detail: String?
        var at: Date
    }
    var summary: ComplaintSummary
    var trackingCode: String
    var recordedBy: String?
    var receiptCode: String?
    /// The case the receipt code belongs to (an application refused or awaiting correction has none).
    var caseId: String?
    var content: String
    var complainant: Complainant?
    var notAcceptedReason: String?
    var finding: ComplaintFinding?
    var findings: String?
    var reply: String?
    /// The passing to a department and its return, when there was one.
    var referral: ReferralRecord?
    /// The last day of the conclusion, kept while the complaint is with a department.
    var conclusionDue: HallDate?
    /// The sanctions decided on it, and the note when none was.
    var sanctions: [Sanction]
    var sanctionNote: String?
    var repliedAt: Date?
    /// The complainant's review request (once).
    var reviewReason: String?
    var rating: ComplaintRating?
    var ratingComment: String?
    /// The warnings and overdue flags raised on its deadlines.
    var flags: [Flag]
    /// The handlers assigned to it: the first of its queue to act on it, and those an assigned
    /// handler adds. Only they see the complainant and take its steps.
    var handlers: [String] = []
    var steps: [Step]

    struct Flag: Codable, Sendable, Equatable {
        var step: ComplaintDueStep
        var flag: DeadlineFlag
        var dueDate: HallDate
        var at: Date
    }
}

/// A complaint's passing to a department, as the centre keeps it.
struct ReferralRecord: Codable, Sendable, Equatable {
    var departmentId: String
    var instructions: String
    /// Whether the handler let the department see the complainant's name and contact.
    var identityReleased: Bool
    var referredAt: Date
    var findings: String?
    var returnReason: String?
    var returnedAt: Date?
}

/// A complaint as the department it is passed to sees it.
struct Referral: Codable, Sendable, Equatable {
    var complaintId: UUID
    var category: ComplaintCategory
    var targetKind: ComplaintTargetKind
    var targetId: String
    var targetName: String
    var receiptCode: String?
    var content: String
    var instructions: String
    var referredAt: Date
    /// The last day for the department's return, while it is with the department.
    var dueDate: HallDate?
    /// Whether the complaint is with the department (`referred`) or returned.
    var status: ComplaintStatus
    /// Only when the handler released it.
    var complainant: ComplaintRecord.Complainant?
    var findings: String?
    var returnReason: String?
    var returnedAt: Date?
}

/// A sanction decided on a substantiated complaint (or by the centre on a removal proposal).
struct Sanction: Codable, Sendable, Equatable {
    var sanctionId: UUID
    var kind: SanctionKind
    var subjectKind: SanctionSubjectKind
    var subjectId: String
    var departmentId: String
    var reason: String
    var complaintIds: [UUID]
    var decidedBy: String
    var decidedAt: Date
}

/// A removal from the window proposed by the rule (two substantiated complaints within twelve
/// months), and the centre's decision.
struct RemovalProposal: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable { case pending, removed, kept }
    var proposalId: UUID
    var staffId: String
    var staffName: String
    var departmentId: String
    var complaintIds: [UUID]
    var proposedAt: Date
    var status: Status
    var decidedBy: String?
    var decidedAt: Date?
    var reason: String?
    /// The removal sanction, when decided so.
    var sanctionId: UUID?
}

/// A target as the directory knows it.
struct ResolvedTarget: Sendable {
    var name: String
    var staffId: String?
    /// How sanctions relate to it.
    var context: ComplaintTargetContext
}

extension ComplaintRecord {
    /// The record after `step` (already checked to lead to `status`): what it records, the new
    /// status and the step in the log.
    ///
    /// `subjects` are the departments of the sanctions' subjects, in order, when the step decides them.
    func taking(
        _ step: ComplaintStep, to status: ComplaintStatus, actor: String, at: Date, deadlines: ComplaintDeadlines, subjectDepartments: [String] = []
    ) -> ComplaintRecord {
        var record = self
        switch step {
        case .accept:
            record.conclusionDue = deadlines.due(deadlines.concludeDays, after: at)
        case .notAccept(let reason): record.notAcceptedReason = reason
        case .refer(let department, let instructions, let release):
            record.referral = ReferralRecord(departmentId: department, instructions: instructions, identityReleased: release, referredAt: at)
        case .departmentFindings(let text):
            record.referral?.findings = text
            record.referral?.returnedAt = at
        case .departmentReturn(let reason):
            record.referral?.returnReason = reason
            record.referral?.returnedAt = at
        case .conclude(let finding, let findings): (record.finding, record.findings) = (finding, findings)
        case .decideSanctions(let orders, let note):
            record.sanctionNote = note
            record.sanctions += zip(orders, subjectDepartments).map { order, department in
                Sanction(
                    sanctionId: UUID(), kind: order.kind, subjectKind: order.subjectKind, subjectId: order.subjectId, departmentId: department,
                    reason: order.reason, complaintIds: [summary.complaintId], decidedBy: actor, decidedAt: at)
            }
        case .reply(let text): (record.reply, record.repliedAt) = (text, at)
        case .close: break
        case .requestReview(let reason):
            record.reviewReason = reason
            record.conclusionDue = deadlines.due(deadlines.concludeDays, after: at)
        }
        record.summary.status = status
        record.summary.referredTo = status == .referred ? record.referral?.departmentId : nil
        record.summary.deadline = deadlines.deadline(for: status, finding: record.finding, at: at, conclusionDue: record.conclusionDue)
        record.summary.overdue = false
        record.steps.append(.init(step: step.name, statusAfter: status, actorId: actor, detail: ComplaintAccess.detail(step), at: at))
        return record
    }

    /// The complainant's view.
    func tracking(deadlines: ComplaintDeadlines, updatedAt: Date) -> ComplaintTracking {
        var reviewUntil: Date?
        if let repliedAt, reviewReason == nil, summary.status == .replied || summary.status == .closed {
            reviewUntil = deadlines.calendar.dueDate(acceptedAt: repliedAt, workingDays: deadlines.reviewDays).dueBy
        }
        return ComplaintTracking(
            trackingCode: trackingCode, category: summary.category, targetKind: summary.targetKind, targetName: summary.targetName,
            status: summary.status, filedAt: summary.filedAt, notAcceptedReason: notAcceptedReason, finding: finding, reply: reply,
            updatedAt: updatedAt, dueDate: summary.deadline?.dueDate, rating: rating, reviewed: reviewReason != nil, reviewUntil: reviewUntil)
    }

    /// The department's view: the complainant only when released.
    var referralView: Referral? {
        guard let referral else { return nil }
        return Referral(
            complaintId: summary.complaintId, category: summary.category, targetKind: summary.targetKind, targetId: summary.targetId,
            targetName: summary.targetName, receiptCode: receiptCode, content: content, instructions: referral.instructions,
            referredAt: referral.referredAt, dueDate: summary.status == .referred ? summary.deadline?.dueDate : nil,
            status: summary.status == .referred ? .referred : .investigating, complainant: referral.identityReleased ? complainant : nil,
            findings: referral.findings, returnReason: referral.returnReason, returnedAt: referral.returnedAt)
    }

    /// The events a step commits: the step itself, and each sanction it decided.
    func events(of step: ComplaintStep, before: ComplaintRecord, actor: String, at: Date) throws -> [OutgoingEvent] {
        var events = [try ComplaintEvents.progressed(step, to: summary.status, of: before.summary, actor: actor, at: at, departmentId: referral?.departmentId)]
        for sanction in sanctions.dropFirst(before.sanctions.count) { events.append(try ComplaintEvents.sanctioned(sanction)) }
        return events
    }

    /// The complainant's rating, once, after the reply.
    func rated(_ rating: ComplaintRating, comment: String?, at: Date) throws -> ComplaintRecord {
        guard summary.status == .replied || summary.status == .closed || summary.status == .underReview else {
            throw HallError(
                .conflict, "the handling is rated after the reply; the complaint is \(summary.status.rawValue)", field: "rating",
                words: "投诉答复后方可评价办理情况；该投诉当前为“\(summary.status.words)”")
        }
        if self.rating != nil { throw HallError(.conflict, "the handling of a complaint is rated once", field: "rating", words: "每件投诉的办理情况只能评价一次") }
        if let comment, comment.count > 1000 { throw HallError.invalid("comment", "is at most 1,000 characters", words: "不超过 1000 字") }
        var record = self
        (record.rating, record.ratingComment) = (rating, comment)
        record.steps.append(.init(step: "rate", statusAfter: summary.status, actorId: "complainant", detail: rating.rawValue, at: at))
        return record
    }
}

/// The removal rule (Art 25, 43): two substantiated complaints about a staff member within twelve
/// months propose their removal from the window to the centre.
enum RemovalRule {
    static let complaints = 2

    /// The start of the twelve months ending at `at` (same day and time a year earlier, hall time zone).
    static func windowStart(before at: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3_600) ?? .gmt
        return calendar.date(byAdding: .month, value: -12, to: at) ?? at.addingTimeInterval(-365 * 86_400)
    }

    /// The centre's decision on a pending proposal: removing makes a removal sanction on the
    /// proposal's complaints, sent to the staff member's department.
    static func decide(_ proposal: RemovalProposal, remove: Bool, reason: String, by actor: String, at: Date) throws -> (RemovalProposal, Sanction?) {
        guard proposal.status == .pending else {
            throw HallError(
                .conflict, "the proposal was decided on \(proposal.decidedAt.map { "\($0)" } ?? "earlier"); a proposal is decided once", field: "remove",
                words: "该建议已于\(proposal.decidedAt.map { Words.time($0) } ?? "此前")作出决定；每项建议只决定一次")
        }
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw HallError.invalid("reason", "the decision on a removal says why", words: "对调离建议作出决定须说明理由")
        }
        var decided = proposal
        (decided.status, decided.decidedBy, decided.decidedAt, decided.reason) = (remove ? .removed : .kept, actor, at, reason)
        guard remove else { return (decided, nil) }
        let sanction = Sanction(
            sanctionId: UUID(), kind: .removal, subjectKind: .staff, subjectId: proposal.staffId, departmentId: proposal.departmentId, reason: reason,
            complaintIds: proposal.complaintIds, decidedBy: actor, decidedAt: at)
        decided.sanctionId = sanction.sanctionId
        return (decided, sanction)
    }
}

/// The rules both repositories share: a staff member never reads a complaint about themself, and a
/// handler works only their own queue.
enum ComplaintAccess {
    static func checkReader(_ reader: String, targetStaffId: String?, complaintQueue: ComplaintQueue, asked: ComplaintQueue) throws {
        guard complaintQueue == asked else {
            throw HallError(
                .forbidden, "the complaint is in the \(complaintQueue.rawValue) queue; only its handlers (role \(complaintQueue.role.rawValue)) act on it",
                words: "该投诉由\(complaintQueue == .centre ? "中心投诉受理" : "纪检监察室")办理，只有其办理人员（角色 \(complaintQueue.role.rawValue)）可以操作")
        }
        if let targetStaffId, targetStaffId == reader {
            throw HallError(.forbidden, "the complaint is about you: it is handled by someone else", words: "该投诉涉及您本人，由其他人员办理")
        }
    }

    /// The complaint as `department` sees it: only one passed to it, never by the staff member it is about.
    static func departmentView(_ record: ComplaintRecord, targetStaffId: String?, department: String, reader: String) throws -> Referral {
        guard let view = record.referralView, record.referral?.departmentId == department else {
            throw HallError(
                .forbidden, "the complaint was not passed to department \(department); a department sees only the complaints passed to it", field: "complaintId",
                words: "该投诉未转交部门 \(department)；部门只能查看转交本部门的投诉")
        }
        if let targetStaffId, targetStaffId == reader {
            throw HallError(.forbidden, "the complaint is about you: it is handled by someone else", words: "该投诉涉及您本人，由其他人员办理")
        }
        return view
    }

    /// The complaint as `reader` (a handler of its queue) may see it: the complainant only to its
    /// assigned handlers.
    static func view(_ record: ComplaintRecord, reader: String) -> ComplaintRecord {
        var view = record
        if !record.handlers.contains(reader) { view.complainant = nil }
        return view
    }

    /// The handlers after `actor` takes a step: the first to act is assigned; after that only the
    /// assigned handlers act.
    static func acting(_ record: ComplaintRecord, actor: String) throws -> [String] {
        if record.handlers.isEmpty { return [actor] }
        guard record.handlers.contains(actor) else {
            throw HallError(
                .forbidden, "the complaint is assigned to \(record.handlers.joined(separator: ", ")); an assigned handler adds others (POST …/handlers)",
                words: "该投诉已由 \(record.handlers.joined(separator: "、")) 办理；如需增加办理人员，请由已指定的办理人员添加")
        }
        return record.handlers
    }

    /// An assigned handler (or the first to act) adds `handler`; never the staff member it is about.
    static func adding(_ handler: String, to record: ComplaintRecord, targetStaffId: String?, by actor: String, at: Date) throws -> ComplaintRecord {
        var handlers = try acting(record, actor: actor)
        let id = handler.trimmingCharacters(in: .whitespaces)
        if id.isEmpty || id.count > 128 { throw HallError.invalid("handlerId", "names the handler to add (their staff id)", words: "请填写要增加的办理人员的工号") }
        if id == targetStaffId {
            throw HallError(.forbidden, "the complaint is about \(id): they never handle it", field: "handlerId", words: "该投诉涉及 \(id) 本人，其不得办理")
        }
        if handlers.contains(id) { throw HallError(.conflict, "\(id) already handles the complaint", field: "handlerId", words: "\(id) 已是该投诉的办理人员") }
        handlers.append(id)
        var updated = record
        updated.handlers = handlers
        updated.steps.append(.init(step: "assign", statusAfter: record.summary.status, actorId: actor, detail: id, at: at))
        return updated
    }

    /// What a step records in the step log.
    static func detail(_ step: ComplaintStep) -> String? {
        switch step {
        case .accept, .close: nil
        case .notAccept(let reason), .departmentReturn(let reason), .requestReview(let reason): reason
        case .refer(let department, let instructions, let release): "\(department)\(release ? " (identity released)" : ""): \(instructions)"
        case .departmentFindings(let text): text
        case .conclude(let finding, let findings): "\(finding.rawValue): \(findings)"
        case .decideSanctions(let orders, let note):
            orders.isEmpty ? "no sanction: \(note ?? "")" : orders.map { "\($0.kind.rawValue) on \($0.subjectKind.rawValue) \($0.subjectId)" }.joined(separator: "; ")
        case .reply(let text): text
        }
    }
}

