import Foundation
import HallContracts
import HallKit
import Hummingbird

/// A case as its departments follow it, its clock, its joint review and its decisions' seals.
///
/// | route | who | what |
/// |---|---|---|
/// | `GET /v1/cases/{caseId}` | the case's departments, centre-admin | case, tasks, ledger, decisions, reviews, alerts |
/// | `POST /v1/cases/{caseId}/suspensions` · `/resume` · `/extensions` | the case's departments (extension: lead) | the clock |
/// | `POST /v1/cases/{caseId}/reviews` · `POST /v1/reviews/{reviewId}/minutes` | centre-admin (the lead's chief representative assists) | joint review (会审, Art 28(5)) |
/// | `POST /v1/cases/{caseId}/decisions/reseal` | chief representative | ask again to seal the department's decision |
struct CasesController<Repository: CoordinatorRepository> {
    let repository: Repository
    private var access: DepartmentAccess<Repository> { DepartmentAccess(repository: repository) }
    private static var clockRoles: [Role] { [.departmentOfficer, .chiefRepresentative, .departmentSystem] }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/cases/:caseId") { _, context in try await show(context) }
        routes.post("/v1/cases/:caseId/suspensions") { request, context in try await suspend(request, context) }
        routes.post("/v1/cases/:caseId/resume") { request, context in try await resume(request, context) }
        routes.post("/v1/cases/:caseId/extensions") { request, context in try await extend(request, context) }
        routes.post("/v1/cases/:caseId/reviews") { request, context in try await convene(request, context) }
        routes.post("/v1/reviews/:reviewId/minutes") { request, context in try await minutes(request, context) }
        routes.post("/v1/cases/:caseId/decisions/reseal") { request, context in try await reseal(request, context) }
        return routes
    }

    func show(_ context: HallRequestContext) async throws -> Response {
        _ = try context.requirePrincipal()
        guard let view = try await repository.caseView(id: try parameter("caseId", context)) else {
            throw HallError(.notFound, "no such case", words: "没有这个办件")
        }
        try access.requireViewer(context, departments: view.departments)
        return try jsonResponse(view)
    }

    func suspend(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let caseId = try parameter("caseId", context)
        let actor = try access.actor(context, roles: Self.clockRoles)
        let body = try await request.decodeBody(as: SuspensionBody.self, context: context)
        let command = DepartmentCommand.suspend(caseId: caseId, category: body.category, reason: body.reason, noticeReference: body.noticeReference)
        try await access.perform(command, by: actor, request, context: context, route: "POST /v1/cases/{caseId}/suspensions")
        return try jsonResponse(try await repository.caseView(id: caseId), status: .created)
    }

    func resume(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let caseId = try parameter("caseId", context)
        let actor = try access.actor(context, roles: Self.clockRoles)
        let body = try await request.decodeBody(as: ResumeBody.self, context: context)
        try await access.perform(.resume(caseId: caseId, reason: body.reason), by: actor, request, context: context, route: "POST /v1/cases/{caseId}/resume")
        return try jsonResponse(try await repository.caseView(id: caseId))
    }

    func extend(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let caseId = try parameter("caseId", context)
        let actor = try access.actor(context, roles: Self.clockRoles)
        let body = try await request.decodeBody(as: ExtensionBody.self, context: context)
        let command = DepartmentCommand.extend(caseId: caseId, workingDays: body.workingDays, reason: body.reason, approvedBy: body.approvedBy)
        try await access.perform(command, by: actor, request, context: context, route: "POST /v1/cases/{caseId}/extensions")
        return try jsonResponse(try await repository.caseView(id: caseId), status: .created)
    }

    func convene(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let caseId = try parameter("caseId", context)
        let centre = try Self.centreStaff(context)
        let body = try await request.decodeBody(as: ReviewBody.self, context: context)
        let meeting = ReviewConvening(meetingAt: body.meetingAt, place: body.place, departmentIds: body.departmentIds)
        let reviewId = try await repository.conveneReview(caseId: caseId, meeting, by: centre)
        return try jsonResponse(["reviewId": reviewId.uuidString.lowercased()], status: .created)
    }

    func minutes(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        guard let reviewId = UUID(uuidString: try parameter("reviewId", context)) else { throw HallError(.notFound, "no such review", words: "没有这次联合审查") }
        let centre = try Self.centreStaff(context)
        let body = try await request.decodeBody(as: MinutesBody.self, context: context)
        try await repository.recordReviewMinutes(reviewId: reviewId, positions: body.positions, summary: body.summary, by: centre)
        return Response(status: .noContent)
    }

    /// The hall centre's staff member acting (a centre-admin token): the centre convenes and minutes
    /// joint reviews (Art 28(5)); the lead's chief representative assists.
    static func centreStaff(_ context: HallRequestContext) throws -> String {
        let principal = try context.requirePrincipal()
        guard principal.roles.contains(.centreAdmin) else {
            throw HallError(
                .forbidden, "the hall centre convenes a joint review and records its minutes (Art 28(5)): a centre-admin token is needed", field: "roles",
                words: "联合审查由政务服务中心召集并记录会议纪要（第28条第5项），须使用政务服务中心管理员（角色 centre-admin）的登录凭证")
        }
        return principal.subject
    }

    func reseal(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let caseId = try parameter("caseId", context)
        let actor = try access.actor(context, roles: [.chiefRepresentative])
        try await access.perform(.reseal(caseId: caseId), by: actor, request, context: context, route: "POST /v1/cases/{caseId}/decisions/reseal")
        return Response(status: .accepted)
    }
}
