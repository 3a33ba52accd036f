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
            canCountersign: mayAct && principal.roles.contains(.chiefRepresentative) && task.state == "opinion-given")
        return web.renderer.render("task", title: "任务 \(task.receiptCode)", page: page, viewer: viewer)
    }

    static func lines(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func alertWord(_ kind: String) -> String {
        ["warning": "临期预警", "overdue": "超期督办", "silent": "督办后仍未响应，报中心"][kind] ?? kind
    }

    static func doneWord(_ done: String) -> String {
        ["claimed": "已认领", "opinion": "审查意见已提交", "countersigned": "已会签"][done] ?? "已提交"
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
}
