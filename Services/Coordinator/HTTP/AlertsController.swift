import Foundation
import HallKit
import Hummingbird

/// What went wrong for a department: warnings and escalations that fired, and its refused commands.
///
/// | route | who | what |
/// |---|---|---|
/// | `GET /v1/alerts` | department roles (own), centre-admin | warnings and escalations |
/// | `GET /v1/rejections` | department roles (own), centre-admin | refused commands |
struct AlertsController<Repository: CoordinatorRepository> {
    let repository: Repository
    private var access: DepartmentAccess<Repository> { DepartmentAccess(repository: repository) }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/alerts") { request, context in
            let department = try access.viewerDepartment(context, asked: request.uri.queryParameters.get("departmentId"))
            return try jsonResponse(try await repository.alerts(departmentId: department))
        }
        routes.get("/v1/rejections") { request, context in
            let department = try access.viewerDepartment(context, asked: request.uri.queryParameters.get("departmentId"))
            return try jsonResponse(try await repository.rejections(departmentId: department))
        }
        return routes
    }
}
