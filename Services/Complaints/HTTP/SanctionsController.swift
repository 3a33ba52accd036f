import Foundation
import HallContracts
import HallKit
import Hummingbird

/// Sanctions and the removals the rule proposes (Art 25, 41–43, 45).
///
/// | route | who | what |
/// |---|---|---|
/// | `GET /v1/sanctions` | centre-admin, complaints-handler, discipline-inspector | sanctions decided, newest first (`?subjectId=` for one staff member or department) |
/// | `GET /v1/removal-proposals` | centre-admin | removals proposed by the rule (`?pending=true` for the undecided) |
/// | `POST /v1/removal-proposals/{proposalId}/decision` | centre-admin | remove from the window (a sanction sent to the department) or keep, with the reason |
struct SanctionsController<Repository: ComplaintsRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/sanctions") { request, context in
            let principal = try context.requirePrincipal()
            guard !principal.roles.isDisjoint(with: [.centreAdmin, .complaintsHandler, .disciplineInspector]) else {
                throw HallError(
                    .forbidden, "sanctions are read by the centre administrator, complaints handlers and discipline inspectors",
                    words: "处理决定仅供政务服务中心管理员、投诉处理人员和纪检监察员查看")
            }
            let subject = request.uri.queryParameters.get("subjectId").map { String($0) }
            return try jsonResponse(try await repository.sanctions(subjectId: subject))
        }
        routes.get("/v1/removal-proposals") { request, context in
            try centreAdmin(context)
            let pending = request.uri.queryParameters.get("pending")
            guard pending == nil || pending == "true" || pending == "false" else {
                throw HallError.invalid("pending", "is true or false", words: "须为 true 或 false")
            }
            return try jsonResponse(try await repository.removalProposals(pendingOnly: pending == "true"))
        }
        routes.post("/v1/removal-proposals/:proposalId/decision") { request, context in
            let actor = try centreAdmin(context)
            let body = try await request.decodeBody(as: RemovalDecisionBody.self, context: context)
            guard let id = context.parameters.get("proposalId").flatMap(UUID.init(uuidString:)) else {
                throw HallError(.notFound, "no such proposal (the id is a UUID)", field: "proposalId", words: "没有这项调离建议（建议编号为 UUID 格式）")
            }
            return try jsonResponse(try await repository.decideRemoval(id, remove: body.remove, reason: body.reason, by: actor, at: Date()))
        }
        return routes
    }

    /// Removal from the window is decided by the centre (Art 25).
    @discardableResult
    func centreAdmin(_ context: HallRequestContext) throws -> String {
        let principal = try context.requirePrincipal()
        guard principal.roles.contains(.centreAdmin) else {
            throw HallError(
                .forbidden, "removals from the window are decided by the centre administrator (role centre-admin)",
                words: "调离窗口岗位由政务服务中心管理员（角色 centre-admin）决定")
        }
        return principal.subject
    }
}

struct RemovalDecisionBody: Codable, Sendable {
    /// Remove the staff member from the window, or keep them.
    var remove: Bool
    var reason: String
}
