import Foundation
import HallContracts
import HallKit
import Hummingbird

/// Ratings (好差评) and the rectification of bad ones.
///
/// | route | who | what |
/// |---|---|---|
/// | `POST /v1/ratings` | the applicant, no account (receipt code + identity number; 10 failed checks per client in 10 minutes, then 429) | rate a completed case, once, within the rating period |
/// | `POST /v1/bundle-ratings` | the applicant of a bundle (一件事), as above | rate the whole bundle once all its cases are complete: recorded for each case |
/// | `GET /v1/ratings` | centre-admin | the ratings with comments, struck ones included (`?pending=true`: held or appealed, not reviewed; `?windowId=`) |
/// | `POST /v1/ratings/{ratingId}/appeal` | a clerk of the rated window; the rated case's department (officer, chief representative) | appeal, once, with the reason |
/// | `POST /v1/ratings/{ratingId}/review` | centre-admin | strike the rating or keep it, with the reason (logged) |
/// | `GET /v1/rectifications` | centre-admin (all); a department (its own) | bad ratings' rectifications, with their steps and deadlines |
/// | `POST /v1/rectifications/{rectificationId}/steps` | the rated case's department | called-back → verified → fixed or explained → replied |
/// | `GET /v1/follow-ups` | centre-admin | bad ratings and complaints about the same case, as one follow-up each |
struct RatingsController<Repository: AppraisalRepository> {
    let repository: Repository
    /// Failed rater checks per client address: 10 in 10 minutes, then 429.
    var checks = FailureLimiter(limit: 10, window: .seconds(600))

    /// A rater's submission under the limit on failed checks: an unknown case or bundle, or a wrong identity number, counts.
    func limited(_ context: HallRequestContext, _ rate: () async throws -> some Encodable) async throws -> Response {
        try checks.check(context.clientAddress)
        do {
            return try jsonResponse(try await rate(), status: .created)
        } catch let error as HallError where error.code.status == .forbidden || error.code.status == .notFound {
            checks.fail(context.clientAddress)
            throw error
        }
    }

    static var departmentRoles: Set<Role> { [.departmentOfficer, .chiefRepresentative, .departmentSystem] }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.post("/v1/ratings") { request, context in
            let submission = try await request.decodeBody(as: RatingSubmission.self, context: context)
            return try await limited(context) { try await repository.rate(submission, client: context.clientAddress, at: Date()) }
        }
        routes.post("/v1/bundle-ratings") { request, context in
            let submission = try await request.decodeBody(as: BundleRatingSubmission.self, context: context)
            return try await limited(context) { try await repository.rateBundle(submission, client: context.clientAddress, at: Date()) }
        }
        routes.get("/v1/ratings") { request, context in
            try centreAdmin(context)
            let pending = request.uri.queryParameters.get("pending")
            guard pending == nil || pending == "true" || pending == "false" else {
                throw HallError.invalid("pending", "is true or false", words: "须为 true 或 false")
            }
            let window = request.uri.queryParameters.get("windowId").map { String($0) }
            return try jsonResponse(try await repository.ratings(heldOrAppealedOnly: pending == "true", windowId: window))
        }
        routes.post("/v1/ratings/:ratingId/appeal") { request, context in
            let body = try await request.decodeBody(as: AppealBody.self, context: context)
            let appellant = try await appellant(context)
            return try jsonResponse(try await repository.appeal(try id("ratingId", context), reason: body.reason, by: appellant, at: Date()))
        }
        routes.post("/v1/ratings/:ratingId/review") { request, context in
            let actor = try centreAdmin(context)
            let body = try await request.decodeBody(as: ReviewBody.self, context: context)
            return try jsonResponse(try await repository.review(try id("ratingId", context), strike: body.strike, reason: body.reason, by: actor, at: Date()))
        }
        routes.get("/v1/rectifications") { _, context in
            let principal = try context.requirePrincipal()
            if principal.roles.contains(.centreAdmin) { return try jsonResponse(try await repository.rectifications(department: nil)) }
            return try jsonResponse(try await repository.rectifications(department: try await department(context)))
        }
        routes.get("/v1/follow-ups") { _, context in
            try centreAdmin(context)
            return try jsonResponse(try await repository.followUps())
        }
        routes.post("/v1/rectifications/:rectificationId/steps") { request, context in
            let body = try await request.decodeBody(as: StepBody.self, context: context)
            guard ![.opened, .closedByStrike, .closedByComplaint].contains(body.step) else {
                throw HallError.invalid(
                    "step", "is called-back, verified, fixed, explained or replied",
                    words: "须为 called-back（已回访）、verified（已核实）、fixed（已整改）、explained（已解释说明）或 replied（已答复）")
            }
            let department = try await department(context)
            let principal = try context.requirePrincipal()
            return try jsonResponse(
                try await repository.rectify(
                    try id("rectificationId", context), step: body.step, note: body.note, department: department, actor: principal.subject, at: Date()))
        }
        return routes
    }

    @discardableResult
    func centreAdmin(_ context: HallRequestContext) throws -> String {
        let principal = try context.requirePrincipal()
        guard principal.roles.contains(.centreAdmin) else {
            throw HallError(.forbidden, "this is the centre administrator's (role centre-admin)", words: "此项由政务服务中心管理员办理（角色 centre-admin）")
        }
        return principal.subject
    }

    /// The caller's department, checked against the directory.
    func department(_ context: HallRequestContext) async throws -> String {
        try await context.requireDepartment(roles: Self.departmentRoles) { try await repository.isActiveDepartment($0) }.department
    }

    /// A clerk appeals for their window, a department for its cases.
    func appellant(_ context: HallRequestContext) async throws -> Appellant {
        let principal = try context.requirePrincipal()
        if principal.roles.contains(.clerk), let window = principal.window { return .window(window, staffId: principal.subject) }
        if !principal.roles.isDisjoint(with: Self.departmentRoles) {
            return .department(try await department(context), staffId: principal.subject)
        }
        throw HallError(
            .forbidden, "a rating is appealed by a clerk of the rated window or the rated case's department", words: "评价只能由被评价窗口或办件所属部门的工作人员申诉")
    }

    func id(_ name: String, _ context: HallRequestContext) throws -> UUID {
        guard let id = context.parameters.get(name).flatMap(UUID.init(uuidString:)) else {
            throw HallError(.notFound, "no such \(name)", field: name, words: ["ratingId": "没有这条评价", "rectificationId": "没有这项整改"][name] ?? "没有这个 \(name)")
        }
        return id
    }
}

struct AppealBody: Codable, Sendable {
    var reason: String
}

struct ReviewBody: Codable, Sendable {
    /// Strike the rating (it leaves the figures), or keep it.
    var strike: Bool
    var reason: String
}

struct StepBody: Codable, Sendable {
    var step: RectificationStep
    /// What was found, done or told (required except for the call-back).
    var note: String?
}
