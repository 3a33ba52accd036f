import Foundation
import HallContracts
import HallKit
import Hummingbird

/// A department's tasks: its worklist, one task, and the commands on it.
///
/// | route | who | what |
/// |---|---|---|
/// | `GET /v1/tasks` | department roles (own department), centre-admin | tasks, `?state=`, `?departmentId=` |
/// | `GET /v1/tasks/{taskId}` | the task's department, centre-admin | one task |
/// | `POST /v1/tasks/{taskId}/claim` | department officer, chief representative | take the task |
/// | `POST /v1/tasks/{taskId}/opinion` | department officer, system, chief representative | approve / deny / needs-supplement |
/// | `POST /v1/tasks/{taskId}/countersign` | chief representative or filed substitute | countersign (会签) |
struct TasksController<Repository: CoordinatorRepository> {
    let repository: Repository
    private var access: DepartmentAccess<Repository> { DepartmentAccess(repository: repository) }

    static var states: [String] { ["open", "opinion-given", "countersigned", "closed"] }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/tasks") { request, context in try await list(request, context) }
        routes.get("/v1/tasks/:taskId") { _, context in try await show(context) }
        routes.post("/v1/tasks/:taskId/claim") { request, context in try await claim(request, context) }
        routes.post("/v1/tasks/:taskId/opinion") { request, context in try await opinion(request, context) }
        routes.post("/v1/tasks/:taskId/countersign") { request, context in try await countersign(request, context) }
        return routes
    }

    func list(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let department = try access.viewerDepartment(context, asked: request.uri.queryParameters.get("departmentId"))
        let state: String? = request.uri.queryParameters.get("state").map { String($0) }
        if let state, !Self.states.contains(state) {
            throw HallError.invalid("state", "must be one of \(Self.states.joined(separator: ", "))", words: "须为以下之一：\(Self.states.joined(separator: "、"))")
        }
        return try jsonResponse(try await repository.tasks(departmentId: department, state: state))
    }

    func show(_ context: HallRequestContext) async throws -> Response {
        _ = try context.requirePrincipal()
        guard let view = try await repository.task(id: try parameter("taskId", context)) else { throw HallError(.notFound, "no such task", words: "没有这项任务") }
        try access.requireViewer(context, departments: [view.departmentId])
        return try jsonResponse(view)
    }

    func claim(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let taskId = try parameter("taskId", context)
        let actor = try access.actor(context, roles: [.departmentOfficer, .chiefRepresentative])
        try await access.perform(.claim(taskId: taskId), by: actor, request, context: context, route: "POST /v1/tasks/{taskId}/claim")
        return try jsonResponse(try await repository.task(id: taskId))
    }

    func opinion(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let taskId = try parameter("taskId", context)
        let actor = try access.actor(context, roles: [.departmentOfficer, .chiefRepresentative, .departmentSystem])
        let body = try await request.decodeBody(as: OpinionBody.self, context: context)
        let input = OpinionInput(
            opinion: body.opinion, reasons: body.reasons ?? [], supplements: body.supplements ?? [], officerId: actor.id,
            countersignedBy: actor.claimsChiefRepresentative ? actor.id : nil)
        try await access.perform(.opinion(taskId: taskId, input), by: actor, request, context: context, route: "POST /v1/tasks/{taskId}/opinion")
        return try jsonResponse(try await repository.task(id: taskId), status: .created)
    }

    func countersign(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let taskId = try parameter("taskId", context)
        let actor = try access.actor(context, roles: [.chiefRepresentative])
        try await access.perform(.countersign(taskId: taskId, staffId: actor.id), by: actor, request, context: context, route: "POST /v1/tasks/{taskId}/countersign")
        return try jsonResponse(try await repository.task(id: taskId))
    }
}
