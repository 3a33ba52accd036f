import Foundation
import HallCalendar
import HallKit
import Hummingbird

/// What went wrong for a department: warnings and escalations that fired, and its refused commands.
///
/// | route | who | what |
/// |---|---|---|
/// | `GET /v1/alerts` | department roles (own), centre-admin | warnings and escalations |
/// | `GET /v1/rejections` | department roles (own), centre-admin | refused commands |
/// | `GET /v1/overview` | centre-admin, operator | every department's open work: open, awaiting countersignature, overdue, due today, standing warnings and escalations, the tasks |
struct AlertsController<Repository: CoordinatorRepository> {
    let repository: Repository
    private var access: DepartmentAccess<Repository> { DepartmentAccess(repository: repository) }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/alerts") { request, context in
            let department = try access.viewerDepartment(context, asked: request.uri.queryParameters.get("departmentId"))
            return try jsonResponse(try await repository.alerts(departmentId: department))
        }
        routes.get("/v1/overview") { request, context in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin, .operator)
            let department = request.uri.queryParameters.get("departmentId").flatMap { $0.isEmpty ? nil : $0 }
            return try jsonResponse(try await repository.overview(departmentId: department, today: LocalDate.inHall(Date())))
        }
        routes.get("/v1/rejections") { request, context in
            let department = try access.viewerDepartment(context, asked: request.uri.queryParameters.get("departmentId"))
            return try jsonResponse(try await repository.rejections(departmentId: department))
        }
        return routes
    }
}
