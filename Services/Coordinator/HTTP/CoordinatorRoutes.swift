import Foundation
import HallContracts
import HallKit
import Hummingbird
import PostgresNIO

extension HallError.Code {
    /// A department's command was refused; the problem `type` ends with the reason code.
    static func commandRefused(_ reason: CommandRejection) -> HallError.Code {
        let status: HTTPResponse.Status =
            switch reason {
            case .unknownTask: .notFound
            case .departmentMismatch, .notCountersigner, .notPermitted: .forbidden
            case .invalidCommand: .badRequest
            case .extensionBeyondLaw, .categoryNotAllowed: .unprocessableContent
            case .taskClosed, .duplicateOpinion, .nothingToCountersign, .caseDecided, .clockState: .conflict
            }
        return HallError.Code(type: "coordinator/\(reason.rawValue)", title: "The command was refused", status: status)
    }
}

/// HTTP API of the coordinator. Departments act only on their own tasks and cases: the token's
/// `department` claim must be the task's department (refusals are problem+json, recorded, and
/// published as `coordinator.command.rejected`).
///
/// | route | who | what |
/// |---|---|---|
/// | `GET /v1/tasks` | department roles (own department), centre-admin | tasks, `?state=` |
/// | `GET /v1/tasks/{taskId}` | the task's department, centre-admin | one task |
/// | `POST /v1/tasks/{taskId}/claim` | department officer | take the task |
/// | `POST /v1/tasks/{taskId}/opinion` | department officer, system, chief representative | approve / deny / needs-supplement |
/// | `POST /v1/tasks/{taskId}/countersign` | chief representative or filed substitute | countersign (会签) |
/// | `GET /v1/cases/{caseId}` | the case's departments, centre-admin | case, tasks, ledger, decisions, reviews, alerts |
/// | `POST /v1/cases/{caseId}/suspensions` · `/resume` · `/extensions` | the case's departments (extension: lead) | the clock |
/// | `POST /v1/cases/{caseId}/reviews` · `POST /v1/reviews/{reviewId}/minutes` | lead's chief representative | joint review (会审) |
/// | `POST /v1/cases/{caseId}/decisions/reseal` | chief representative | ask again to seal the department's decision |
/// | `GET /v1/alerts` | department roles (own), centre-admin | warnings and escalations |
/// | `GET /v1/rejections` | department roles (own), centre-admin | refused commands |
/// | `GET /v1/public/cases/{receiptCode}?noticeNumber=` | public | status, due date and why it moved |
/// | `GET /v1/public/bundles/{bundleId}?receiptCode=&noticeNumber=` | public | one status for a bundle, one per case and department |
struct CoordinatorRoutes {
    let store: CoordinatorStore

    func add(to router: Router<HallRequestContext>) {
        let v1 = router.group("v1")
        v1.get("tasks") { request, context in
            let principal = try context.requirePrincipal()
            let department = try viewerDepartment(principal, asked: request.uri.queryParameters.get("departmentId"))
            let state = request.uri.queryParameters.get("state")
            if let state, !["open", "opinion-given", "countersigned", "closed"].contains(state) {
                throw HallError.invalid("state", "must be one of open, opinion-given, countersigned, closed")
            }
            return try jsonResponse(try await store.tasks(departmentId: department, state: state))
        }
        v1.get("tasks/:taskId") { _, context in
            let principal = try context.requirePrincipal()
            guard let view = try await store.task(id: try parameter("taskId", context)) else { throw HallError(.notFound, "no such task") }
            try requireViewer(principal, departments: [view.departmentId])
            return try jsonResponse(view)
        }
        v1.post("tasks/:taskId/claim") { request, context in
            let taskId = try parameter("taskId", context)
            let actor = try departmentActor(context, roles: [.departmentOfficer, .chiefRepresentative])
            try await run(request, "POST /v1/tasks/{taskId}/claim", actor, taskId: taskId) { connection, _ in
                try await store.claim(taskId: taskId, actor: actor, on: connection)
            }
            return try jsonResponse(try await store.task(id: taskId))
        }
        v1.post("tasks/:taskId/opinion") { request, context in
            let taskId = try parameter("taskId", context)
            let actor = try departmentActor(context, roles: [.departmentOfficer, .chiefRepresentative, .departmentSystem])
            let body = try await request.decodeBody(as: OpinionBody.self, context: context)
            let input = OpinionInput(
                opinion: body.opinion, reasons: body.reasons ?? [], supplements: body.supplements ?? [], officerId: actor.id,
                countersignedBy: actor.claimsChiefRepresentative ? actor.id : nil)
            try await run(request, "POST /v1/tasks/{taskId}/opinion", actor, taskId: taskId) { connection, events in
                try await store.giveOpinion(taskId: taskId, input, actor: actor, on: connection, into: &events)
            }
            return try jsonResponse(try await store.task(id: taskId), status: .created)
        }
        v1.post("tasks/:taskId/countersign") { request, context in
            let taskId = try parameter("taskId", context)
            let actor = try departmentActor(context, roles: [.chiefRepresentative])
            try await run(request, "POST /v1/tasks/{taskId}/countersign", actor, taskId: taskId) { connection, events in
                try await store.countersign(taskId: taskId, staffId: actor.id, actor: actor, on: connection, into: &events)
            }
            return try jsonResponse(try await store.task(id: taskId))
        }
        v1.get("cases/:caseId") { _, context in
            let principal = try context.requirePrincipal()
            guard let view = try await store.caseView(id: try parameter("caseId", context)) else { throw HallError(.notFound, "no such case") }
            try requireViewer(principal, departments: view.departments)
            return try jsonResponse(view)
        }
        v1.post("cases/:caseId/suspensions") { request, context in
            let caseId = try parameter("caseId", context)
            let actor = try departmentActor(context, roles: [.departmentOfficer, .chiefRepresentative, .departmentSystem])
            let body = try await request.decodeBody(as: SuspensionBody.self, context: context)
            try await run(request, "POST /v1/cases/{caseId}/suspensions", actor, caseId: caseId) { connection, events in
                try await store.suspend(
                    caseId: caseId, category: body.category, reason: body.reason, noticeReference: body.noticeReference, actor: actor, on: connection,
                    into: &events)
            }
            return try jsonResponse(try await store.caseView(id: caseId), status: .created)
        }
        v1.post("cases/:caseId/resume") { request, context in
            let caseId = try parameter("caseId", context)
            let actor = try departmentActor(context, roles: [.departmentOfficer, .chiefRepresentative, .departmentSystem])
            let body = try await request.decodeBody(as: ResumeBody.self, context: context)
            try await run(request, "POST /v1/cases/{caseId}/resume", actor, caseId: caseId) { connection, events in
                try await store.resume(caseId: caseId, reason: body.reason, actor: actor, on: connection, into: &events)
            }
            return try jsonResponse(try await store.caseView(id: caseId))
        }
        v1.post("cases/:caseId/extensions") { request, context in
            let caseId = try parameter("caseId", context)
            let actor = try departmentActor(context, roles: [.chiefRepresentative, .departmentOfficer, .departmentSystem])
            let body = try await request.decodeBody(as: ExtensionBody.self, context: context)
            try await run(request, "POST /v1/cases/{caseId}/extensions", actor, caseId: caseId) { connection, events in
                try await store.extend(
                    caseId: caseId, workingDays: body.workingDays, reason: body.reason, approvedBy: body.approvedBy, actor: actor, on: connection,
                    into: &events)
            }
            return try jsonResponse(try await store.caseView(id: caseId), status: .created)
        }
        v1.post("cases/:caseId/reviews") { request, context in
            let caseId = try parameter("caseId", context)
            let actor = try departmentActor(context, roles: [.chiefRepresentative])
            let body = try await request.decodeBody(as: ReviewBody.self, context: context)
            let reviewId = try await run(request, "POST /v1/cases/{caseId}/reviews", actor, caseId: caseId) { connection, events in
                try await store.convene(
                    caseId: caseId, meetingAt: body.meetingAt, place: body.place, departmentIds: body.departmentIds,
                    centreAttends: body.centreAttends ?? false, actor: actor, on: connection, into: &events)
            }
            return try jsonResponse(["reviewId": reviewId.uuidString.lowercased()], status: .created)
        }
        v1.post("reviews/:reviewId/minutes") { request, context in
            let text = try parameter("reviewId", context)
            guard let reviewId = UUID(uuidString: text) else { throw HallError(.notFound, "no such review") }
            let actor = try departmentActor(context, roles: [.chiefRepresentative])
            let body = try await request.decodeBody(as: MinutesBody.self, context: context)
            try await run(request, "POST /v1/reviews/{reviewId}/minutes", actor) { connection, events in
                try await store.recordMinutes(reviewId: reviewId, positions: body.positions, summary: body.summary, actor: actor, on: connection, into: &events)
            }
            return Response(status: .noContent)
        }
        v1.post("cases/:caseId/decisions/reseal") { request, context in
            let caseId = try parameter("caseId", context)
            let actor = try departmentActor(context, roles: [.chiefRepresentative])
            try await run(request, "POST /v1/cases/{caseId}/decisions/reseal", actor, caseId: caseId) { connection, events in
                try await store.resealDecision(caseId: caseId, actor: actor, on: connection, into: &events)
            }
            return Response(status: .accepted)
        }
        v1.get("alerts") { request, context in
            let principal = try context.requirePrincipal()
            let department = try viewerDepartment(principal, asked: request.uri.queryParameters.get("departmentId"))
            return try jsonResponse(try await store.alerts(departmentId: department))
        }
        v1.get("rejections") { request, context in
            let principal = try context.requirePrincipal()
            let department = try viewerDepartment(principal, asked: request.uri.queryParameters.get("departmentId"))
            return try jsonResponse(try await store.rejections(departmentId: department))
        }
        v1.get("public/cases/:receiptCode") { request, context in
            let receipt = try parameter("receiptCode", context)
            guard let notice = request.uri.queryParameters.get("noticeNumber") else {
                throw HallError.invalid("noticeNumber", "is required: the acceptance notice number printed on the applicant's notice")
            }
            guard let view = try await store.publicCase(receiptCode: receipt, noticeNumber: notice) else {
                throw HallError(.notFound, "no case with this receipt code and notice number")
            }
            return try jsonResponse(view)
        }
        v1.get("public/bundles/:bundleId") { request, context in
            let bundleId = try parameter("bundleId", context)
            guard let receipt = request.uri.queryParameters.get("receiptCode") else { throw HallError.invalid("receiptCode", "is required") }
            guard let notice = request.uri.queryParameters.get("noticeNumber") else { throw HallError.invalid("noticeNumber", "is required") }
            guard let view = try await store.publicBundle(bundleId: bundleId, receiptCode: receipt, noticeNumber: notice) else {
                throw HallError(.notFound, "no bundle with a case of this receipt code and notice number")
            }
            return try jsonResponse(view)
        }
    }

    // MARK: Helpers

    /// Runs a department command in a transaction with its events; a refusal is recorded, published
    /// and answered as problem+json naming the reason.
    @discardableResult
    private func run<Result: Sendable>(
        _ request: Request, _ route: String, _ actor: DepartmentActor, taskId: String? = nil, caseId: String? = nil,
        _ body: @Sendable (PostgresConnection, inout [PendingEvent]) async throws -> Result
    ) async throws -> Result {
        let requestId = request.headers[.xRequestID] ?? UUID.random().uuidString.lowercased()
        do {
            return try await store.command(correlation: requestId, body)
        } catch let refusal as CommandRefusal {
            await store.recordHTTPRejection(refusal, requestId: requestId, route: route, departmentId: actor.departmentId, taskId: taskId, caseId: caseId)
            throw HallError(.commandRefused(refusal.reason), "\(refusal.reason.rawValue): \(refusal.detail)", field: refusal.field)
        }
    }

    private func departmentActor(_ context: HallRequestContext, roles: [Role]) throws -> DepartmentActor {
        let principal = try context.requirePrincipal()
        guard !principal.roles.isDisjoint(with: roles) else {
            throw HallError(.forbidden, "this action needs one of the roles: \(roles.map(\.rawValue).joined(separator: ", "))")
        }
        guard let department = principal.department else {
            throw HallError(.forbidden, "only a token acting for a department may do this", field: "department")
        }
        return DepartmentActor(id: principal.subject, departmentId: department, channel: "http", claimsChiefRepresentative: principal.roles.contains(.chiefRepresentative))
    }

    /// The department whose records the caller may read: their own, or any (or `asked`) for the centre.
    private func viewerDepartment(_ principal: Principal, asked: String?) throws -> String? {
        if principal.roles.contains(.centreAdmin) || principal.roles.contains(.operator) { return asked }
        guard let department = principal.department else { throw HallError(.forbidden, "only a departmental or centre token may read this") }
        if let asked, asked != department { throw HallError(.forbidden, "the caller does not act for department \(asked)", field: "departmentId") }
        return department
    }

    private func requireViewer(_ principal: Principal, departments: [String]) throws {
        if principal.roles.contains(.centreAdmin) || principal.roles.contains(.operator) { return }
        guard let department = principal.department, departments.contains(department) else {
            throw HallError(.forbidden, "the caller's department has no part in this case")
        }
    }
}

// MARK: Bodies

struct OpinionBody: Decodable {
    var opinion: TaskOpinion
    var reasons: [String]?
    var supplements: [SupplementItem]?
}

struct SuspensionBody: Decodable {
    var category: String
    var reason: String
    var noticeReference: String
}

struct ResumeBody: Decodable {
    var reason: String
}

struct ExtensionBody: Decodable {
    var workingDays: Int
    var reason: String
    var approvedBy: String
}

struct ReviewBody: Decodable {
    var meetingAt: Date
    var place: String
    var departmentIds: [String]
    var centreAttends: Bool?
}

struct MinutesBody: Decodable {
    var positions: [ReviewMinuted.Position]
    var summary: String
}

// MARK: Helpers


func parameter(_ name: String, _ context: HallRequestContext) throws -> String {
    guard let value = context.parameters.get(name), !value.isEmpty, value.count <= 128 else { throw HallError(.notFound, "no such \(name)") }
    return value
}
