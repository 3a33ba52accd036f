import Foundation
import HallCalendar
import HallContracts
import HallKit
import Hummingbird

/// The intake HTTP API not yet split into controllers. Public: case and bundle tracking.
/// Centre admins: catalogue and directory. Clerks: applications at their window. The guides
/// and the calendar are ``GuidesController`` and ``CalendarController``.
struct IntakeRoutes: Sendable {
    let store: IntakeStore

    func add(to router: Router<HallRequestContext>) {
        // Public
        router.get("/v1/cases/:receiptCode") { request, context -> CaseStatus in
            let code = try context.parameters.require("receiptCode")
            let idNumber = try requireParameter(request.uri.queryParameters.get("idNumber"), "idNumber")
            // The same answer whether the code or the identity number is wrong: no enumeration.
            guard let status = try await store.caseStatus(receiptCode: code, idNumber: idNumber) else {
                throw HallError(.notFound, "no case with this receipt code and identity number")
            }
            return status
        }
        router.get("/v1/bundles/:bundleId") { request, context -> BundleStatus in
            let bundleId = try context.parameters.require("bundleId")
            let idNumber = try requireParameter(request.uri.queryParameters.get("idNumber"), "idNumber")
            guard let status = try await store.bundleStatus(bundleId: bundleId, idNumber: idNumber) else {
                throw HallError(.notFound, "no bundle with this id and identity number")
            }
            return status
        }

        // Centre administration
        router.post("/v1/departments") { request, context -> DepartmentChanged in
            try context.requirePrincipal().require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: DepartmentInput.self, context: context).validated()
            return try await store.saveDepartment(input)
        }
        router.post("/v1/windows") { request, context -> WindowChanged in
            try context.requirePrincipal().require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: WindowInput.self, context: context).validated()
            return try await store.saveWindow(input)
        }
        router.post("/v1/staff") { request, context -> StaffChanged in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: StaffInput.self, context: context).validated()
            return try await store.saveStaff(input, recordedBy: principal.subject)
        }
        router.post("/v1/items") { request, context -> EditedResponse<ItemVersion> in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let submission = try await request.decodeBody(as: ItemSubmission.self, context: context)
            return EditedResponse(status: .created, response: try await store.publishItem(submission, approvedBy: principal.subject))
        }

        // The front desk
        router.post("/v1/applications") { request, context -> EditedResponse<ApplicationResponse> in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .clerk)
            let submission = try await request.decodeBody(as: ApplicationSubmission.self, context: context)
            let response = try await store.submit(submission, clerk: Clerk(staffId: principal.subject, windowId: principal.window))
            return EditedResponse(status: response.outcome == .accepted ? .created : .ok, response: response)
        }
        router.post("/v1/applications/:receiptCode/decision") { request, context -> ApplicationResponse in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .clerk)
            let input = try await request.decodeBody(as: ImmediateDecision.self, context: context)
            return try await store.decideImmediate(
                receiptCode: try context.parameters.require("receiptCode"), input, clerk: Clerk(staffId: principal.subject, windowId: principal.window))
        }
        router.post("/v1/applications/:receiptCode/handover") { request, context -> CaseStatus in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .clerk)
            let input = try await request.decodeBodyIfPresent(as: HandOver.self, context: context) ?? HandOver()
            return try await store.handOver(
                receiptCode: try context.parameters.require("receiptCode"), input, clerk: Clerk(staffId: principal.subject, windowId: principal.window))
        }
        router.post("/v1/bundles/:bundleId/handover") { request, context -> BundleStatus in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .clerk)
            let input = try await request.decodeBodyIfPresent(as: HandOver.self, context: context) ?? HandOver()
            return try await store.handOverBundle(
                bundleId: try context.parameters.require("bundleId"), input, clerk: Clerk(staffId: principal.subject, windowId: principal.window))
        }
        // Green channel and full-process agency (Art 40), centre admin
        router.post("/v1/applications/:receiptCode/green-channel") { request, context -> CaseStatus in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: GreenChannelInput.self, context: context)
            return try await store.grantGreenChannel(
                receiptCode: try context.parameters.require("receiptCode"), input, recordedBy: principal.subject)
        }
        router.post("/v1/applications/:receiptCode/agent") { request, context -> CaseStatus in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: AgentAssignment.self, context: context)
            return try await store.assignAgent(receiptCode: try context.parameters.require("receiptCode"), input, assignedBy: principal.subject)
        }
        router.post("/v1/bundles/:bundleId/agent") { request, context -> BundleStatus in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: AgentAssignment.self, context: context)
            return try await store.assignBundleAgent(bundleId: try context.parameters.require("bundleId"), input, assignedBy: principal.subject)
        }
        router.post("/v1/applications/:receiptCode/fee") { request, context -> HTTPResponse.Status in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .clerk)
            let fee = try await request.decodeBody(as: FeeRecord.self, context: context)
            try await store.recordFee(
                receiptCode: try context.parameters.require("receiptCode"), fee, clerk: Clerk(staffId: principal.subject, windowId: principal.window))
            return .noContent
        }
        router.get("/v1/decisions") { request, _ -> DecisionList in
            DecisionList(decisions: try await store.publishedDecisions(itemCode: request.uri.queryParameters.get("itemCode")))
        }
        router.post("/v1/bundles") { request, context -> EditedResponse<BundleResponse> in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .clerk)
            let bundle = try await request.decodeBody(as: BundleSubmission.self, context: context)
            let response = try await store.submitBundle(bundle, clerk: Clerk(staffId: principal.subject, windowId: principal.window))
            return EditedResponse(status: response.outcome == .accepted ? .created : .ok, response: response)
        }
        router.get("/v1/applications/:receiptCode") { _, context -> CaseStatus in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .clerk)
            return try await store.clerkCaseStatus(receiptCode: try context.parameters.require("receiptCode"))
        }
        router.post("/v1/applications/:receiptCode/supplements") { request, context -> CaseStatus in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .clerk)
            let delivery = try await request.decodeBody(as: SupplementDelivery.self, context: context)
            return try await store.recordSupplement(
                receiptCode: try context.parameters.require("receiptCode"), delivery, clerk: Clerk(staffId: principal.subject, windowId: principal.window))
        }
        router.post("/v1/applications/:receiptCode/resubmission") { request, context -> ApplicationResponse in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .clerk)
            let code = try context.parameters.require("receiptCode")
            let resubmission = try await request.decodeBody(as: Resubmission.self, context: context)
            return try await store.resubmit(receiptCode: code, resubmission, clerk: Clerk(staffId: principal.subject, windowId: principal.window))
        }
    }
}

struct DecisionList: ResponseCodable { var decisions: [PublishedDecision] }

extension ItemVersion: ResponseCodable {}
extension ApplicationResponse: ResponseCodable {}
extension CaseStatus: ResponseCodable {}
extension BundleResponse: ResponseCodable {}
extension BundleStatus: ResponseCodable {}
extension DepartmentChanged: ResponseEncodable {}
extension WindowChanged: ResponseEncodable {}
extension StaffChanged: ResponseEncodable {}

func requireParameter(_ value: String?, _ field: String) throws -> String {
    guard let value, !value.isEmpty else { throw HallError.invalid(field, "is required") }
    return value
}

func parseDate(field: String) -> (String) throws -> LocalDate {
    { text in
        guard let date = LocalDate(iso: text) else { throw HallError.invalid(field, "must be a date YYYY-MM-DD") }
        return date
    }
}

func parseInstant(field: String) -> (String) throws -> Date {
    { text in
        guard let date = RFC3339Timestamp.date(from: text) else { throw HallError.invalid(field, "must be an RFC 3339 time, e.g. 2026-02-13T09:30:00+08:00") }
        return date
    }
}
extension PublishedDecision: ResponseCodable {}
