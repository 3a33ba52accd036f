import Foundation
import HallContracts
import HallKit
import HallWeb
import Hummingbird

/// The department worklist: `/worklist` (the department's tasks — green-channel cases first — with
/// their sub-deadlines, and its alerts) and `/worklist/tasks/{taskId}` (a task: the case, the
/// materials, the opinion form; the chief representative's countersigning). Officers and chief
/// representatives see their own department's tasks only; the centre sees every department's.
/// Every command goes through the same checks and records as over the JSON API and Kafka.
struct CoordinatorPages<Repository: CoordinatorRepository> {
    let web: WebPages
    let repository: Repository
    private var access: DepartmentAccess<Repository> { DepartmentAccess(repository: repository) }

    static var readers: Set<Role> { [.departmentOfficer, .chiefRepresentative, .centreAdmin] }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/") { _, _ in PageRenderer.seeOther("/worklist") }
        routes.get("/worklist") { request, context in
            try await web.staff(request, context, roles: Self.readers) { context, viewer, _ in
                let asked = request.uri.queryParameters.get("departmentId").flatMap { $0.isEmpty ? nil : String($0) }
                let department = try access.viewerDepartment(context, asked: asked)
                let tasks = try await repository.tasks(departmentId: department, state: nil)
                    .filter { $0.state == "open" || $0.state == "opinion-given" }
                let alerts = try await repository.alerts(departmentId: department)
                let page = WorklistPage(
                    department: department, tasks: tasks.map(TaskRow.init),
                    alerts: alerts.prefix(50).map {
                        AlertRow(kind: Self.alertWord($0.kind), subject: $0.subject, dueDate: $0.dueDate, escalatedTo: $0.escalatedTo, caseId: $0.caseId)
                    })
                return web.renderer.render("worklist", title: "待办事项", page: page, viewer: viewer)
            }
        }
        routes.get("/worklist/tasks/:taskId") { request, context in
            try await web.staff(request, context, roles: Self.readers) { context, viewer, _ in
                try await taskPage(context, viewer: viewer, notice: request.uri.queryParameters.get("done").map { Self.doneWord(String($0)) })
            }
        }
        routes.post("/worklist/tasks/:taskId/claim") { request, context in
            try await web.staff(request, context, roles: [.departmentOfficer, .chiefRepresentative]) { context, _, _ in
                let taskId = try parameter("taskId", context)
                let actor = try access.actor(context, roles: [.departmentOfficer, .chiefRepresentative])
                try await access.perform(.claim(taskId: taskId), by: actor, request, context: context, route: "POST /worklist/tasks/{taskId}/claim")
                return PageRenderer.seeOther("/worklist/tasks/\(taskId)?done=claimed")
            }
        }
        routes.post("/worklist/tasks/:taskId/opinion") { request, context in
            try await web.staff(request, context, roles: [.departmentOfficer, .chiefRepresentative]) { context, _, form in
                let taskId = try parameter("taskId", context)
                let actor = try access.actor(context, roles: [.departmentOfficer, .chiefRepresentative])
                let form = form ?? WebForm("")
                guard let opinion = TaskOpinion(rawValue: form.first("opinion") ?? "") else {
                    throw HallError.invalid("opinion", "请选择审查意见：同意、不同意或需补充材料")
                }
                let reasons = Self.lines(form.first("reasons"))
                let supplements = try Self.lines(form.first("supplements")).enumerated().map { index, line in
                    let parts = line.split(separator: "：", maxSplits: 1).flatMap { $0.split(separator: ":", maxSplits: 1) }
                    guard parts.count == 2 else {
                        throw HallError.invalid("supplements[\(index)]", "每行写“材料：需要补充什么”")
                    }
                    return SupplementItem(material: String(parts[0]).trimmingCharacters(in: .whitespaces), needed: String(parts[1]).trimmingCharacters(in: .whitespaces))
                }
                let input = OpinionInput(
                    opinion: opinion, reasons: reasons, supplements: supplements, officerId: actor.id,
                    countersignedBy: actor.claimsChiefRepresentative ? actor.id : nil)
                try await access.perform(.opinion(taskId: taskId, input), by: actor, request, context: context, route: "POST /worklist/tasks/{taskId}/opinion")
                return PageRenderer.seeOther("/worklist/tasks/\(taskId)?done=opinion")
            }
        }
        routes.post("/worklist/tasks/:taskId/countersign") { request, context in
            try await web.staff(request, context, roles: [.chiefRepresentative]) { context, _, _ in
                let taskId = try parameter("taskId", context)
                let actor = try access.actor(context, roles: [.chiefRepresentative])
                try await access.perform(
                    .countersign(taskId: taskId, staffId: actor.id), by: actor, request, context: context, route: "POST /worklist/tasks/{taskId}/countersign")
                return PageRenderer.seeOther("/worklist/tasks/\(taskId)?done=countersigned")
            }
        }
        // The case's clock, from the task page: suspension for a step not counted, its resume, an
        // extension approved by the head the directory records — each with its written notice or
        // approval, through the same commands as `POST /v1/cases/{caseId}/…`.
        routes.post("/worklist/tasks/:taskId/clock/:action") { request, context in
            try await web.staff(request, context, roles: [.departmentOfficer, .chiefRepresentative]) { context, _, form in
                let taskId = try parameter("taskId", context)
                guard let task = try await repository.task(id: taskId) else { throw HallError(.notFound, "没有这项任务") }
                let actor = try access.actor(context, roles: [.departmentOfficer, .chiefRepresentative])
                let form = form ?? WebForm("")
                let command: DepartmentCommand
                let route: String
                switch try parameter("action", context) {
                case "suspend":
                    guard let category = NotCountedCategory(rawValue: form.first("category") ?? "") else {
                        throw HallError.invalid("category", "请选择不计入时限的环节")
                    }
                    command = .suspend(caseId: task.caseId, category: category, reason: form.first("reason") ?? "", noticeReference: form.first("noticeReference") ?? "")
                    route = "POST /worklist/tasks/{taskId}/clock/suspend"
                case "resume":
                    command = .resume(caseId: task.caseId, reason: form.first("reason") ?? "")
                    route = "POST /worklist/tasks/{taskId}/clock/resume"
                case "extend":
                    guard let days = Int(form.first("workingDays") ?? ""), days > 0 else { throw HallError.invalid("workingDays", "请填写延长的工作日数") }
                    command = .extend(caseId: task.caseId, workingDays: days, reason: form.first("reason") ?? "", approvedBy: form.first("approvedBy") ?? "")
                    route = "POST /worklist/tasks/{taskId}/clock/extend"
                default:
                    throw HallError(.notFound, "没有这项操作", field: "action")
                }
                try await access.perform(command, by: actor, request, context: context, route: route)
                return PageRenderer.seeOther("/worklist/tasks/\(taskId)?done=clock")
            }
        }
        return routes
    }

    func taskPage(_ context: HallRequestContext, viewer: PageRenderer.Viewer, notice: String?) async throws -> Response {
        guard let task = try await repository.task(id: try parameter("taskId", context)) else { throw HallError(.notFound, "没有这项任务") }
        try access.requireViewer(context, departments: [task.departmentId])
        let principal = try context.requirePrincipal()
        let mayAct = principal.department == task.departmentId && !principal.roles.isDisjoint(with: [.departmentOfficer, .chiefRepresentative])
        let page = TaskPage(
            task: TaskRow(task), notice: notice,
            canClaim: mayAct && task.claimedBy == nil && task.state == "open",
            canGiveOpinion: mayAct && task.state == "open" && !task.clockSuspended,
            canCountersign: mayAct && principal.roles.contains(.chiefRepresentative) && task.state == "opinion-given",
            clock: mayAct && task.role == "lead" && task.state != "closed" ? ClockForms(
                suspended: task.clockSuspended,
                categories: NotCountedCategory.allCases.map { Option(value: $0.rawValue, label: Words.notCounted($0.rawValue)) }) : nil)
        return web.renderer.render("task", title: "任务 \(task.receiptCode)", page: page, viewer: viewer)
    }

    static func lines(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func alertWord(_ kind: String) -> String {
        ["warning": "临期预警", "overdue": "超期督办", "silent": "督办后仍未响应，报中心"][kind] ?? kind
    }

    static func doneWord(_ done: String) -> String {
        ["claimed": "已认领", "opinion": "审查意见已提交", "countersigned": "已会签", "clock": "办理时限已变更"][done] ?? "已提交"
    }
}

struct WorklistPage {
    var department: String?
    var tasks: [TaskRow]
    var alerts: [AlertRow]
}

struct AlertRow {
    var kind: String
    var subject: String
    var dueDate: String
    var escalatedTo: String?
    var caseId: String
}

struct TaskRow {
    struct Material { var id: String; var form: String; var copies: Int }
    var taskId: String
    var receiptCode: String
    var itemCode: String
    var itemName: String
    var departmentId: String
    var role: String
    var state: String
    var stateCode: String
    var subDeadline: String
    var caseDueDate: String
    var suspended: Bool
    var applicantName: String
    var priority: Bool
    var claimedBy: String?
    var opinion: String?
    var reasons: [String]
    var supplements: [SupplementItem]
    var officerId: String?
    var countersignedBy: String?
    var materials: [Material]
    var reviews: [ReviewConclusion]

    init(_ task: TaskView) {
        taskId = task.taskId
        receiptCode = task.receiptCode
        itemCode = task.itemCode
        itemName = task.itemName
        departmentId = task.departmentId
        role = task.role == "lead" ? "牵头" : "协办"
        state = Words.status(task.state)
        stateCode = task.state
        subDeadline = task.subDeadline
        caseDueDate = task.caseDueDate
        suspended = task.clockSuspended
        applicantName = task.applicantName
        priority = task.priority
        claimedBy = task.claimedBy
        opinion = task.opinion.map(Words.decision)
        reasons = task.reasons
        supplements = task.supplements
        officerId = task.officerId
        countersignedBy = task.countersignedBy
        materials = task.materials.map { Material(id: $0.name, form: Words.materialForm($0.form.rawValue), copies: $0.copies) }
        reviews = task.reviewConclusions ?? []
    }
}

struct TaskPage {
    var task: TaskRow
    var notice: String?
    var canClaim: Bool
    var canGiveOpinion: Bool
    var canCountersign: Bool
    /// The lead department's forms for the case's clock.
    var clock: ClockForms?
}

struct Option { var value: String; var label: String }

struct ClockForms {
    var suspended: Bool
    var categories: [Option]
}
