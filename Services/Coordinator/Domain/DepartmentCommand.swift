import Foundation
import HallContracts
import HallKit
import HallWeb

/// Who acts, through which channel, for which department.
struct DepartmentActor: Sendable {
    /// Staff or system id.
    var id: String
    var departmentId: String
    var channel: CommandChannel
    /// Whether the caller's token says they are a chief representative (HTTP); their standing is
    /// still checked against the directory.
    var claimsChiefRepresentative: Bool = false
}

/// A refusal of a department's command: nothing was changed. HTTP answers it as problem+json;
/// Kafka answers it with `coordinator.command.rejected`. Either way it is recorded.
struct CommandRefusal: Error, Sendable, CustomStringConvertible {
    var reason: CommandRejection
    var detail: String
    /// The request field at fault, when there is one.
    var field: String?
    /// The detail in the hall's words (Chinese), for the pages; the HTTP answer carries it as the
    /// ``HallError``'s `words`. Kafka's rejection carries `detail` only.
    var words: String?

    init(_ reason: CommandRejection, _ detail: String, field: String? = nil, words: String? = nil) {
        self.reason = reason
        self.detail = detail
        self.field = field
        self.words = words
    }

    var description: String { "\(reason.rawValue): \(detail)" }
}

/// What a department says on its task.
struct OpinionInput: Sendable {
    var opinion: TaskOpinion
    var reasons: [String]
    var supplements: [SupplementItem]
    var officerId: String
    /// A countersignature given with the opinion (Kafka `countersignedBy`; over HTTP the caller, when
    /// they are the department's chief representative or substitute).
    var countersignedBy: String?

    /// The field rules of an opinion.
    func validate() throws {
        let reasons = reasons.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if reasons.contains(where: \.isEmpty) {
            throw CommandRefusal(.invalidCommand, "reasons must not contain empty text", field: "reasons", words: "理由中不能有空白项")
        }
        switch opinion {
        case .approve:
            guard supplements.isEmpty else {
                throw CommandRefusal(.invalidCommand, "an approval asks for no supplement", field: "supplements", words: "审查意见为同意的，不要求补充材料")
            }
        case .deny:
            guard !reasons.isEmpty else {
                throw CommandRefusal(.invalidCommand, "a denial must give at least one reason", field: "reasons", words: "审查意见为不同意的，须至少写明一条理由")
            }
            guard supplements.isEmpty else {
                throw CommandRefusal(.invalidCommand, "a denial asks for no supplement", field: "supplements", words: "审查意见为不同意的，不要求补充材料")
            }
        case .needsSupplement:
            guard !supplements.isEmpty else {
                throw CommandRefusal(
                    .invalidCommand, "needs-supplement must list what the applicant must bring", field: "supplements",
                    words: "审查意见为需补充材料的，须列明申请人需要补充的材料")
            }
        }
    }
}

/// The meeting a lead's chief representative convenes for a joint review (会审).
struct ReviewConvening: Sendable {
    var meetingAt: Date
    var place: String
    var departmentIds: [String]
}

/// The fields of a joint review (会审, Art 28(5)) the hall centre convenes and minutes.
enum ReviewRules {
    static func check(_ meeting: ReviewConvening) throws {
        guard !meeting.place.trimmingCharacters(in: .whitespaces).isEmpty else { throw HallError.invalid("place", "must not be empty", words: "不能为空") }
        guard !meeting.departmentIds.isEmpty else { throw HallError.invalid("departmentIds", "name at least one department", words: "须至少写明一个部门") }
    }

    static func check(positions: [ReviewMinuted.Position], summary: String) throws {
        guard !summary.trimmingCharacters(in: .whitespaces).isEmpty else { throw HallError.invalid("summary", "must not be empty", words: "不能为空") }
        guard !positions.isEmpty else { throw HallError.invalid("positions", "give each department's conclusion", words: "须写明各部门的意见") }
        var seen = Set<String>()
        for (index, position) in positions.enumerated() where !seen.insert(position.departmentId).inserted {
            throw HallError.invalid(
                "positions[\(index)].departmentId", "department \(position.departmentId) is given twice", words: "部门 \(position.departmentId) 重复填写")
        }
    }
}

/// A department's command on one of its tasks or cases, whether it came over HTTP or Kafka: the
/// same command is checked by the same rules and changes the same records.
enum DepartmentCommand: Sendable {
    case claim(taskId: String)
    case opinion(taskId: String, OpinionInput)
    case countersign(taskId: String, staffId: String)
    /// Stops the clock for a category the item does not count (Art 34), on a written notice.
    case suspend(caseId: String, category: NotCountedCategory, reason: String, noticeReference: String)
    case resume(caseId: String, reason: String)
    /// Extends the due date (ALL Art 42): the lead department, at most 10 working days (15 for a joint case), once.
    case extend(caseId: String, workingDays: Int, reason: String, approvedBy: String)
    /// Asks again to seal the department's decision after the seal refused it.
    case reseal(caseId: String)

    /// The task the command acts on, when it names one.
    var taskId: String? {
        switch self {
        case .claim(let taskId), .opinion(let taskId, _), .countersign(let taskId, _): taskId
        default: nil
        }
    }

    /// The case the command acts on, when it names one.
    var caseId: String? {
        switch self {
        case .suspend(let caseId, _, _, _), .resume(let caseId, _), .extend(let caseId, _, _, _), .reseal(let caseId): caseId
        default: nil
        }
    }

    /// The rules a command's own fields must meet, before any record is read: a refusal names the
    /// field. The rules that depend on the task or case are the repository's.
    func validate() throws {
        switch self {
        case .opinion(_, let input):
            try input.validate()
        case .suspend(_, _, let reason, let noticeReference):
            try Self.requireText([("reason", reason), ("noticeReference", noticeReference)])
        case .resume(_, let reason):
            try Self.requireText([("reason", reason)])
        case .extend(_, let workingDays, let reason, let approvedBy):
            guard workingDays >= 1 else {
                throw CommandRefusal(.invalidCommand, "workingDays must be at least 1", field: "workingDays", words: "延长的工作日数至少为 1")
            }
            // The case decides between 10 and 15 (joint handling); more than either is refused here.
            guard workingDays <= CoordinatorValues.maximumJointExtensionDays else {
                throw CommandRefusal(
                    .extensionBeyondLaw,
                    "an extension may add at most \(CoordinatorValues.maximumExtensionDays) working days, \(CoordinatorValues.maximumJointExtensionDays) for a joint case (ALL Art 42)",
                    field: "workingDays",
                    words: "延期最多延长 \(CoordinatorValues.maximumExtensionDays) 个工作日，联办件最多延长 \(CoordinatorValues.maximumJointExtensionDays) 个工作日"
                        + "（《行政许可法》第42条）")
            }
            try Self.requireText([("reason", reason), ("approvedBy", approvedBy)])
        case .claim, .countersign, .reseal:
            break
        }
    }

    private static func requireText(_ fields: [(String, String)]) throws {
        for (field, value) in fields where value.trimmingCharacters(in: .whitespaces).isEmpty {
            let name = ["reason": "理由", "noticeReference": "书面通知文号", "approvedBy": "批准人"][field] ?? field
            throw CommandRefusal(.invalidCommand, "\(field) must not be empty", field: field, words: "\(name)不能为空")
        }
    }
}

/// What a command produced that its caller needs.
enum CommandOutcome: Sendable, Equatable {
    case done
    /// A joint review was convened with this id.
}

/// The rules on whose task or case a command acts, the same wherever the records are kept.
enum DepartmentRules {
    /// An extension's length against ALL Art 42: at most 10 working days for a case one department
    /// handles (¶1), 15 for one several departments handle jointly (¶2).
    static func checkExtension(_ workingDays: Int, joint: Bool) throws {
        let limit = joint ? CoordinatorValues.maximumJointExtensionDays : CoordinatorValues.maximumExtensionDays
        guard workingDays <= limit else {
            throw CommandRefusal(
                .extensionBeyondLaw,
                joint
                    ? "a joint case may be extended by at most \(limit) working days (ALL Art 42 ¶2)"
                    : "a case one department handles may be extended by at most \(limit) working days (ALL Art 42 ¶1); \(CoordinatorValues.maximumJointExtensionDays) only for a joint case",
                field: "workingDays",
                words: joint
                    ? "联办件最多延长 \(limit) 个工作日（《行政许可法》第42条第2款）"
                    : "由一个部门办理的办件最多延长 \(limit) 个工作日（《行政许可法》第42条第1款）；联办件方可延长 \(CoordinatorValues.maximumJointExtensionDays) 个工作日")
        }
    }

    /// A department acts only on its own task, while its case is in progress and the task is not closed.
    static func checkTask(_ taskId: String, of department: String, state: String, caseState: String, actor: DepartmentActor) throws {
        guard department == actor.departmentId else {
            throw CommandRefusal(
                .departmentMismatch, "task \(taskId) belongs to department \(department), not \(actor.departmentId)", field: "departmentId",
                words: "任务 \(taskId) 属于部门 \(department)，不属于部门 \(actor.departmentId)")
        }
        guard caseState == "in-progress" else {
            throw CommandRefusal(.caseDecided, "the case is already \(caseState)", words: "该办件当前为“\(Words.status(caseState))”，不能再办理")
        }
        guard state != "closed" else { throw CommandRefusal(.taskClosed, "task \(taskId) is closed", words: "任务 \(taskId) 已关闭") }
    }

    /// A department acts on a case's clock only when it has a task on the case, while it is in progress.
    static func checkCase(_ caseId: String, departments: [String], state: String, actor: DepartmentActor) throws {
        guard departments.contains(actor.departmentId) else {
            throw CommandRefusal(
                .departmentMismatch, "department \(actor.departmentId) has no task on case \(caseId)", field: "departmentId",
                words: "部门 \(actor.departmentId) 在办件 \(caseId) 中没有任务")
        }
        guard state == "in-progress" else {
            throw CommandRefusal(.caseDecided, "the case is already \(state)", words: "该办件当前为“\(Words.status(state))”，不能再办理")
        }
    }

    /// A countersignature needs an opinion to sign, once.
    static func checkCountersignable(_ taskId: String, state: String) throws {
        switch state {
        case "open":
            throw CommandRefusal(.nothingToCountersign, "task \(taskId) has no opinion to countersign yet", words: "任务 \(taskId) 尚无可会签的审查意见")
        case "countersigned": throw CommandRefusal(.duplicateOpinion, "task \(taskId) is already countersigned", words: "任务 \(taskId) 已会签")
        default: break
        }
    }
}
