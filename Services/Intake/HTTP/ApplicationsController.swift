import Foundation
import HallCalendar
import HallKit
import Hummingbird

/// Applications at the front desk. Clerks: submit (201 accepted; 200 refused or correction
/// required), resubmit after a one-time correction notice, decide an immediate item, read a case,
/// record a supplement or a fee, hand the result over. Centre admins: the green channel and the
/// centre's agent (Art 40).
struct ApplicationsController<Repository: ApplicationRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.post("/v1/applications") { request, context -> EditedResponse<ApplicationResponse> in
            let clerk = try Clerk(context)
            let submission = try await request.decodeBody(as: ApplicationSubmission.self, context: context)
            let response = try await repository.submit(submission, clerk: clerk, now: Date())
            return EditedResponse(status: response.outcome == .accepted ? .created : .ok, response: response)
        }
        routes.get("/v1/applications/:receiptCode") { _, context -> CaseStatus in
            return try await repository.clerkCaseStatus(receiptCode: try context.parameters.require("receiptCode"), clerk: try Clerk(context))
        }
        routes.post("/v1/applications/:receiptCode/resubmission") { request, context -> ApplicationResponse in
            let clerk = try Clerk(context)
            let resubmission = try await request.decodeBody(as: Resubmission.self, context: context)
            return try await repository.resubmit(receiptCode: try context.parameters.require("receiptCode"), resubmission, clerk: clerk, now: Date())
        }
        routes.post("/v1/applications/:receiptCode/decision") { request, context -> ApplicationResponse in
            let clerk = try Clerk(context)
            let input = try await request.decodeBody(as: ImmediateDecision.self, context: context)
            return try await repository.decideImmediate(receiptCode: try context.parameters.require("receiptCode"), input, clerk: clerk, now: Date())
        }
        routes.post("/v1/applications/:receiptCode/supplements") { request, context -> CaseStatus in
            let clerk = try Clerk(context)
            let delivery = try await request.decodeBody(as: SupplementDelivery.self, context: context)
            return try await repository.recordSupplement(receiptCode: try context.parameters.require("receiptCode"), delivery, clerk: clerk, now: Date())
        }
        routes.post("/v1/applications/:receiptCode/fee") { request, context -> HTTPResponse.Status in
            let clerk = try Clerk(context)
            let fee = try await request.decodeBody(as: FeeRecord.self, context: context)
            try await repository.recordFee(receiptCode: try context.parameters.require("receiptCode"), fee, clerk: clerk)
            return .noContent
        }
        routes.post("/v1/applications/:receiptCode/promised-materials/:materialId") { request, context -> CaseStatus.Promise in
            let clerk = try Clerk(context)
            let arrival = try await request.decodeBody(as: PromisedArrival.self, context: context)
            return try await repository.receivePromised(
                receiptCode: try context.parameters.require("receiptCode"), materialId: try context.parameters.require("materialId"), arrival,
                clerk: clerk, now: Date())
        }
        routes.get("/v1/reminders") { _, context -> Reminders in
            let principal = try context.requirePrincipal()
            if principal.roles.contains(.centreAdmin) {
                return try await repository.reminders(clerk: nil, today: .inHall(Date()), limit: 500)
            }
            return try await repository.reminders(clerk: try Clerk(context), today: .inHall(Date()), limit: 500)
        }
        routes.post("/v1/applications/:receiptCode/handover") { request, context -> CaseStatus in
            let clerk = try Clerk(context)
            let input = try await request.decodeBodyIfPresent(as: HandOver.self, context: context) ?? HandOver()
            return try await repository.handOver(receiptCode: try context.parameters.require("receiptCode"), input, clerk: clerk)
        }
        routes.post("/v1/applications/:receiptCode/green-channel") { request, context -> CaseStatus in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: GreenChannelInput.self, context: context)
            return try await repository.grantGreenChannel(
                receiptCode: try context.parameters.require("receiptCode"), input, recordedBy: principal.subject, now: Date())
        }
        routes.post("/v1/applications/:receiptCode/agent") { request, context -> CaseStatus in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: AgentAssignment.self, context: context)
            return try await repository.assignAgent(
                receiptCode: try context.parameters.require("receiptCode"), input, assignedBy: principal.subject, now: Date())
        }
        return routes
    }
}

extension Clerk {
    /// The clerk acting at a window: a token with the clerk role (its window claim, when present).
    init(_ context: HallRequestContext) throws {
        let principal = try context.requirePrincipal()
        try principal.require(anyOf: .clerk)
        self.init(staffId: principal.subject, windowId: principal.window)
    }
}

extension ApplicationResponse: ResponseCodable {}
extension CaseStatus.Promise: ResponseCodable {}
extension Reminders: ResponseCodable {}
extension CaseStatus: ResponseCodable {}
