import Foundation
import HallCalendar
import HallKit
import Hummingbird

/// The catalogue as the centre edits it: `POST /v1/items` publishes a new version of an item and
/// `POST /v1/items/{code}/withdrawal` withdraws it from a date (centre admin, 201). The public
/// reads it through ``GuidesController``.
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
        routes.post("/v1/items/:code/withdrawal") { request, context -> EditedResponse<ItemVersion> in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: ItemWithdrawal.self, context: context)
            guard !input.approvalReference.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw HallError.invalid("approvalReference", "a catalogue change needs the approval reference (Art 7)", words: "调整事项目录须填写批准文号（第7条）")
            }
            let version = try await repository.withdrawItem(
                code: try context.parameters.require("code"), from: input.effectiveFrom, reference: input.approvalReference,
                approvedBy: principal.subject)
            return EditedResponse(status: .created, response: version)
        }
        return routes
    }
}

extension ItemVersion: ResponseCodable {}

/// A withdrawal of an item from the catalogue: from which hall date, on which approval.
struct ItemWithdrawal: Codable, Sendable {
    var effectiveFrom: LocalDate
    var approvalReference: String
}
