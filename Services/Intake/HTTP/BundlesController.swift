import Foundation
import HallKit
import Hummingbird

/// "One thing, one go" bundles (一件事) at the front desk: `POST /v1/bundles` (clerk; 201 accepted
/// together, 200 otherwise), `POST /v1/bundles/{bundleId}/handover` (clerk, every case at once) and
/// `POST /v1/bundles/{bundleId}/agent` (centre admin: one agent for every case).
struct BundlesController<Repository: BundleRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.post("/v1/bundles") { request, context -> EditedResponse<BundleResponse> in
            let clerk = try Clerk(context)
            let bundle = try await request.decodeBody(as: BundleSubmission.self, context: context)
            let response = try await repository.submitBundle(bundle, clerk: clerk, now: Date())
            return EditedResponse(status: response.outcome == .accepted ? .created : .ok, response: response)
        }
        routes.post("/v1/bundles/:bundleId/handover") { request, context -> BundleStatus in
            let clerk = try Clerk(context)
            let input = try await request.decodeBodyIfPresent(as: HandOver.self, context: context) ?? HandOver()
            return try await repository.handOverBundle(bundleId: try context.parameters.require("bundleId"), input, clerk: clerk, now: Date())
        }
        routes.post("/v1/bundles/:bundleId/agent") { request, context -> BundleStatus in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: AgentAssignment.self, context: context)
            return try await repository.assignBundleAgent(
                bundleId: try context.parameters.require("bundleId"), input, assignedBy: principal.subject, now: Date())
        }
        return routes
    }
}

extension BundleResponse: ResponseCodable {}
extension BundleStatus: ResponseCodable {}
