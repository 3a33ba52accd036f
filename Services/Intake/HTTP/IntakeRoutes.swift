import Foundation
import HallCalendar
import HallContracts
import HallKit
import Hummingbird

/// The intake HTTP API. Public: guides, forms, calendar, case tracking, the OpenAPI document.
/// Centre admins: catalogue and directory. Clerks: applications at their window.
struct IntakeRoutes: Sendable {
    let store: IntakeStore
    let calendar: WorkingCalendar
    let encodedGuides = EncodedGuides()

    func add(to router: Router<HallRequestContext>) {
        // Public
        router.get("/v1/items") { request, _ -> ItemList in
            let today = LocalDate.inHall(Date())
            let query = request.uri.queryParameters.get("q")
            return ItemList(items: try await store.search(query, on: today).map(GuideSummary.init))
        }
        router.get("/v1/items/:code") { request, context -> Response in
            let code = try context.parameters.require("code")
            let date = try request.uri.queryParameters.get("on").map(parseDate(field: "on")) ?? LocalDate.inHall(Date())
            let versions = try await store.items.versions(of: code) { try await store.versions(of: code) }
            guard let item = IntakeStore.inForce(versions, on: date) else {
                throw HallError(.notFound, "no item \(code) in force on \(date)", field: "code")
            }
            // A published version never changes: its JSON is encoded once.
            let guide = try encodedGuides.entry(for: item) { ByteBuffer(bytes: try context.responseEncoder.encode($0)) }
            var headers = HTTPFields()
            headers[.cacheControl] = "public, max-age=5"
            headers[.eTag] = guide.eTag
            // A front end that holds this version already is told so, without the body.
            if let ifNoneMatch = request.headers[.ifNoneMatch], EncodedGuides.matches(ifNoneMatch, eTag: guide.eTag) {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: guide.body))
        }
        router.get("/v1/items/:code/form") { request, context -> Response in
            let code = try context.parameters.require("code")
            guard let item = IntakeStore.inForce(try await store.versions(of: code), on: LocalDate.inHall(Date())) else {
                throw HallError(.notFound, "no item \(code) in force", field: "code")
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(item.code)-v\(item.version)-form.txt\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: item.formTemplate)))
        }
        router.get("/v1/calendar/due-date") { request, _ -> DueDateAnswer in
            let parameters = request.uri.queryParameters
            guard let code = parameters.get("itemCode") else { throw HallError.invalid("itemCode", "is required") }
            let acceptedAt = try parameters.get("acceptedAt").map(parseInstant(field: "acceptedAt")) ?? Date()
            guard let item = IntakeStore.inForce(try await store.versions(of: code), on: LocalDate.inHall(acceptedAt)) else {
                throw HallError(.notFound, "no item \(code) in force on \(LocalDate.inHall(acceptedAt))", field: "itemCode")
            }
            let due = calendar.dueDate(acceptedAt: acceptedAt, workingDays: item.promisedLimitDays)
            return DueDateAnswer(
                itemCode: item.code, itemVersion: item.version, acceptedAt: acceptedAt, promisedLimitDays: item.promisedLimitDays,
                dueDate: due.date, provisional: due.isProvisional)
        }
        router.get("/v1/calendar/working-days") { request, _ -> WorkingDaysAnswer in
            let parameters = request.uri.queryParameters
            let from = try parseDate(field: "from")(try requireParameter(parameters.get("from"), "from"))
            let to = try parseDate(field: "to")(try requireParameter(parameters.get("to"), "to"))
            let count = calendar.workingDays(from: from, to: to)
            return WorkingDaysAnswer(from: from, to: to, workingDays: count.value, provisional: count.isProvisional)
        }
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

struct ItemList: ResponseCodable { var items: [GuideSummary] }
struct DecisionList: ResponseCodable { var decisions: [PublishedDecision] }

/// A line of the public item list.
struct GuideSummary: ResponseCodable {
    var code: String
    var name: String
    var kind: ItemKind
    var leadDepartmentId: String
    var promisedLimitDays: Int
    var legalLimitDays: Int
    var free: Bool
    var version: Int

    init(_ item: ItemVersion) {
        code = item.code
        name = item.name
        kind = item.kind
        leadDepartmentId = item.leadDepartmentId
        promisedLimitDays = item.promisedLimitDays
        legalLimitDays = item.legalLimitDays
        free = item.fee.isFree
        version = item.version
    }
}

struct DueDateAnswer: ResponseCodable {
    var itemCode: String
    var itemVersion: Int
    var acceptedAt: Date
    var promisedLimitDays: Int
    var dueDate: LocalDate
    var provisional: Bool
}

struct WorkingDaysAnswer: ResponseCodable {
    var from: LocalDate
    var to: LocalDate
    var workingDays: Int
    var provisional: Bool
}

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
