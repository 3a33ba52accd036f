import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb

/// The coordinator's records in memory, for the route tests: tasks and cases put there by the test,
/// the department rules that need no clock (whose task it is, who may countersign, what state a
/// task is in) and the refusals recorded as the real store records them. The clock, the ledger and
/// the seal requests are the PostgreSQL store's; the integration tests cover them.
actor MemoryCoordinatorRepository: CoordinatorRepository {
    private var taskViews: [String: TaskView] = [:]
    private var caseViews: [String: CaseView] = [:]
    private var publicCases: [String: (notice: String, view: PublicCaseView)] = [:]
    private var alertViews: [AlertView] = []
    private var rejectionViews: [RejectionView] = []
    /// Each department's chief representative (and filed substitute), as the directory says.
    private let countersigners: [String: Set<String>]

    init(countersigners: [String: Set<String>]) {
        self.countersigners = countersigners
    }

    func put(_ task: TaskView) { taskViews[task.taskId] = task }
    func put(_ view: CaseView) { caseViews[view.caseId] = view }
    func put(_ view: PublicCaseView, noticeNumber: String) { publicCases[view.receiptCode] = (noticeNumber, view) }
    func put(_ alert: AlertView) { alertViews.append(alert) }

    func tasks(departmentId: String?, state: String?) -> [TaskView] {
        taskViews.values
            .filter { departmentId == nil || $0.departmentId == departmentId }
            .filter { state == nil || $0.state == state }
            .sorted { ($0.priority ? 0 : 1, $0.subDeadline, $0.taskId) < ($1.priority ? 0 : 1, $1.subDeadline, $1.taskId) }
    }

    func task(id: String) -> TaskView? { taskViews[id] }
    func caseView(id: String) -> CaseView? { caseViews[id] }
    func alerts(departmentId: String?) -> [AlertView] { alertViews.filter { departmentId == nil || $0.departmentId == departmentId } }
    func rejections(departmentId: String?) -> [RejectionView] { rejectionViews.filter { departmentId == nil || $0.departmentId == departmentId } }

    func overview(departmentId: String?, today: LocalDate) -> CentreOverview {
        CentreOverview(
            tasks: tasks(departmentId: departmentId, state: nil), alerts: alerts(departmentId: departmentId), departments: departmentId.map { [$0] } ?? [],
            today: today)
    }

    func publicCase(receiptCode: String, noticeNumber: String) -> PublicCaseView? {
        guard let found = publicCases[receiptCode], found.notice == noticeNumber else { return nil }
        return found.view
    }

    func publicBundle(bundleId: String, receiptCode: String, noticeNumber: String) -> PublicBundleView? {
        guard let member = publicCase(receiptCode: receiptCode, noticeNumber: noticeNumber), member.bundleId == bundleId else { return nil }
        let cases = publicCases.values.map(\.view).filter { $0.bundleId == bundleId }.sorted { $0.receiptCode < $1.receiptCode }
        let done = cases.allSatisfy { $0.completedAt != nil }
        return PublicBundleView(
            bundleId: bundleId, status: done ? "completed" : "in-progress", size: cases.count,
            completedAt: done ? cases.compactMap(\.completedAt).max() : nil, cases: cases)
    }

    func perform(_ command: DepartmentCommand, by actor: DepartmentActor, requestId: String, route: String) throws -> CommandOutcome {
        do {
            return try apply(command, by: actor)
        } catch let refusal as CommandRefusal {
            rejectionViews.append(
                RejectionView(
                    commandId: requestId, commandType: "http:\(route)", departmentId: actor.departmentId, taskId: command.taskId,
                    caseId: command.caseId, reason: refusal.reason.rawValue, detail: refusal.detail, rejectedAt: Date()))
            throw refusal
        }
    }

    private func apply(_ command: DepartmentCommand, by actor: DepartmentActor) throws -> CommandOutcome {
        try command.validate()
        switch command {
        case .claim(let taskId):
            var task = try openTask(taskId, actor: actor)
            if let holder = task.claimedBy, holder != actor.id {
                throw CommandRefusal(.notPermitted, "task \(taskId) is claimed by \(holder)", words: "任务 \(taskId) 已由 \(holder) 认领")
            }
            task.claimedBy = actor.id
            taskViews[taskId] = task
        case .opinion(let taskId, let input):
            var task = try openTask(taskId, actor: actor)
            if let holder = task.claimedBy, holder != input.officerId, input.countersignedBy == nil {
                throw CommandRefusal(.notPermitted, "task \(taskId) is claimed by \(holder)", words: "任务 \(taskId) 已由 \(holder) 认领")
            }
            if let signer = input.countersignedBy, !isCountersigner(signer, of: task.departmentId) {
                throw CommandRefusal(
                    .notCountersigner, "\(signer) is neither the chief representative of \(task.departmentId) nor a substitute", field: "countersignedBy",
                    words: "\(signer) 不是部门 \(task.departmentId) 的首席代表，也不是其代理人")
            }
            task.opinion = input.opinion.rawValue
            task.reasons = input.reasons
            task.supplements = input.supplements
            task.officerId = input.officerId
            task.countersignedBy = input.countersignedBy
            task.state = input.countersignedBy == nil ? "opinion-given" : "countersigned"
            taskViews[taskId] = task
        case .countersign(let taskId, let staffId):
            var task = try ownTask(taskId, actor: actor)
            try DepartmentRules.checkCountersignable(taskId, state: task.state)
            guard isCountersigner(staffId, of: task.departmentId) else {
                throw CommandRefusal(
                    .notCountersigner, "\(staffId) is neither the chief representative of \(task.departmentId) nor a substitute",
                    words: "\(staffId) 不是部门 \(task.departmentId) 的首席代表，也不是其代理人")
            }
            task.countersignedBy = staffId
            task.state = "countersigned"
            taskViews[taskId] = task
        case .extend(let caseId, let workingDays, _, _):
            let view = try ownCase(caseId, actor: actor)
            guard actor.departmentId == view.leadDepartmentId else {
                throw CommandRefusal(
                    .notPermitted, "only the lead department \(view.leadDepartmentId) extends the case's limit", field: "departmentId",
                    words: "只有牵头部门 \(view.leadDepartmentId) 可以延长该办件的办理时限")
            }
            try DepartmentRules.checkExtension(workingDays, joint: Set(view.departments).count > 1)
        case .suspend(let caseId, _, _, _), .resume(let caseId, _), .reseal(let caseId):
            _ = try ownCase(caseId, actor: actor)
        }
        return .done
    }

    func conveneReview(caseId: String, _ meeting: ReviewConvening, by centreStaff: String) throws -> UUID {
        try ReviewRules.check(meeting)
        guard let view = caseViews[caseId] else { throw HallError(.notFound, "no case \(caseId)", field: "caseId", words: "没有办件 \(caseId)") }
        if let stranger = meeting.departmentIds.first(where: { !view.departments.contains($0) }) {
            throw HallError.invalid("departmentIds", "department \(stranger) has no task on this case", words: "部门 \(stranger) 在该办件中没有任务")
        }
        return UUID()
    }

    func recordReviewMinutes(reviewId: UUID, positions: [ReviewMinuted.Position], summary: String, by centreStaff: String) throws {
        try ReviewRules.check(positions: positions, summary: summary)
        throw HallError(.notFound, "no joint review \(reviewId)", field: "reviewId", words: "没有联合审查 \(reviewId)")
    }

    private func isCountersigner(_ staffId: String, of department: String) -> Bool { countersigners[department]?.contains(staffId) ?? false }

    private func ownTask(_ taskId: String, actor: DepartmentActor) throws -> TaskView {
        guard let task = taskViews[taskId] else { throw CommandRefusal(.unknownTask, "no task \(taskId)", field: "taskId", words: "没有任务 \(taskId)") }
        try DepartmentRules.checkTask(taskId, of: task.departmentId, state: task.state, caseState: task.caseState, actor: actor)
        return task
    }

    private func openTask(_ taskId: String, actor: DepartmentActor) throws -> TaskView {
        let task = try ownTask(taskId, actor: actor)
        guard task.state == "open" else {
            throw CommandRefusal(
                .duplicateOpinion, "task \(taskId) already has an opinion (\(task.opinion ?? "?"))",
                words: "任务 \(taskId) 已出具审查意见（\(task.opinion.map { Words.decision($0) } ?? "?")）")
        }
        return task
    }

    private func ownCase(_ caseId: String, actor: DepartmentActor) throws -> CaseView {
        guard let view = caseViews[caseId] else { throw CommandRefusal(.unknownTask, "no case \(caseId)", field: "caseId", words: "没有办件 \(caseId)") }
        try DepartmentRules.checkCase(caseId, departments: view.departments, state: view.state, actor: actor)
        return view
    }
}
