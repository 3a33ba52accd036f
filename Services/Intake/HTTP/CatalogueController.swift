import Foundation
import HallKit
import Hummingbird

/// The catalogue as the centre edits it: `POST /v1/items` publishes a new version of an item
/// (centre admin, 201). The public reads it through ``GuidesController``.
struct CatalogueController<Repository: CatalogueRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.post("/v1/items") { request, context -> EditedResponse<ItemVersion> in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let submission = try await request.decodeBody(as: ItemSubmission.self, context: context)
            return EditedResponse(status: .created, response: try await repository.publishItem(submission, approvedBy: principal.subject))
        }
        return routes
    }
}

extension ItemVersion: ResponseCodable {}
