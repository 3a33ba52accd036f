import Foundation
import HallContracts
import HallKit
import Hummingbird

/// Complaints: filed by the public (no account needed), followed with the tracking code, handled
/// by the queue they belong to.
///
/// | route | who | what |
/// |---|---|---|
/// | `POST /v1/complaints` | anyone (online); a clerk at the complaint desk; a discipline inspector at the discipline room | file; answers the tracking code |
/// | `GET /v1/complaints/track/{trackingCode}` | the complainant (the code is the key; 10 failed look-ups per client in 10 minutes, then 429) | where the complaint stands, the reply |
/// | `GET /v1/complaints` | complaints handlers (centre queue), discipline inspectors (discipline queue) | the queue, without the complainants' identity |
/// | `GET /v1/complaints/{complaintId}` | the handlers of its queue, never the staff member it is about | in full; the complainant only to its assigned handlers, each read recorded |
/// | `POST /v1/complaints/{complaintId}/handlers` | an assigned handler (or the first to act) | add a handler of the queue |
/// | `POST /v1/complaints/{complaintId}/acceptance` | the same | accept, or not with the reason |
/// | `POST /v1/complaints/{complaintId}/referral` | the same | pass it to the department concerned (optionally releasing the complainant's identity) |
/// | `POST /v1/complaints/{complaintId}/conclusion` | the same | substantiated / partly / unsubstantiated, with the findings |
/// | `POST /v1/complaints/{complaintId}/sanction-decision` | the same | the sanctions on a substantiated complaint (none, with a note) |
/// | `POST /v1/complaints/{complaintId}/reply` | the same | the reply to the complainant |
/// | `POST /v1/complaints/{complaintId}/close` | the same | close |
/// | `POST /v1/complaints/track/{trackingCode}/review` | the complainant | ask once for a review, within the review period after the reply |
/// | `POST /v1/complaints/track/{trackingCode}/rating` | the complainant | rate the handling, once, after the reply |
/// | `GET /v1/identity-reads` | centre-admin | who read which complainant's identity and when (`?complaintId=`) |
struct ComplaintsController<Repository: ComplaintsRepository> {
    let repository: Repository
    /// Failed tracking look-ups per client address: 10 in 10 minutes, then 429.
    var lookups = FailureLimiter(limit: 10, window: .seconds(600))

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.post("/v1/complaints") { request, context in try await file(request, context) }
        routes.get("/v1/complaints/track/:trackingCode") { _, context in try await track(context) }
        routes.post("/v1/complaints/track/:trackingCode/review") { request, context in
            let body = try await request.decodeBody(as: ReviewBody.self, context: context)
            return try await asComplainant(context) { code in try await repository.complainantStep(.requestReview(reason: body.reason), code: code, at: Date()) }
        }
        routes.post("/v1/complaints/track/:trackingCode/rating") { request, context in
            let body = try await request.decodeBody(as: RatingBody.self, context: context)
            return try await asComplainant(context) { code in try await repository.rate(code: code, rating: body.rating, comment: body.comment, at: Date()) }
        }
        routes.get("/v1/complaints") { _, context in
            let (queue, reader) = try handler(context)
            return try jsonResponse(try await repository.queue(queue, reader: reader))
        }
        routes.get("/v1/complaints/:complaintId") { _, context in
            let (queue, reader) = try handler(context)
            return try jsonResponse(try await repository.record(try complaintId(context), queue: queue, reader: reader, at: Date()))
        }
        routes.post("/v1/complaints/:complaintId/acceptance") { request, context in
            let body = try await request.decodeBody(as: AcceptanceBody.self, context: context)
            return try await take(body.accepted ? .accept : .notAccept(reason: body.reason ?? ""), context)
        }
        routes.post("/v1/complaints/:complaintId/handlers") { request, context in
            let body = try await request.decodeBody(as: HandlerBody.self, context: context)
            let (queue, actor) = try handler(context)
            return try jsonResponse(try await repository.addHandler(body.handlerId, on: try complaintId(context), queue: queue, actor: actor, at: Date()))
        }
        routes.post("/v1/complaints/:complaintId/referral") { request, context in
            let body = try await request.decodeBody(as: ReferralBody.self, context: context)
            return try await take(.refer(departmentId: body.departmentId, instructions: body.instructions, releaseIdentity: body.releaseIdentity ?? false), context)
        }
        routes.post("/v1/complaints/:complaintId/sanction-decision") { request, context in
            let body = try await request.decodeBody(as: SanctionDecisionBody.self, context: context)
            return try await take(.decideSanctions(body.sanctions, note: body.note), context)
        }
        routes.post("/v1/complaints/:complaintId/conclusion") { request, context in
            let body = try await request.decodeBody(as: ConclusionBody.self, context: context)
            return try await take(.conclude(body.finding, findings: body.findings), context)
        }
        routes.post("/v1/complaints/:complaintId/reply") { request, context in
            let body = try await request.decodeBody(as: ReplyBody.self, context: context)
            return try await take(.reply(body.reply), context)
        }
        routes.post("/v1/complaints/:complaintId/close") { _, context in try await take(.close, context) }
        routes.get("/v1/identity-reads") { request, context in
            let principal = try context.requirePrincipal()
            guard principal.roles.contains(.centreAdmin) else {
                throw HallError(
                    .forbidden, "the record of who read complainants' identity is the centre administrator's (role centre-admin)",
                    words: "投诉人身份信息查阅记录仅供政务服务中心管理员（角色 centre-admin）查看")
            }
            var complaint: UUID?
            if let asked = request.uri.queryParameters.get("complaintId") {
                guard let id = UUID(uuidString: String(asked)) else { throw HallError.invalid("complaintId", "is a UUID", words: "须为 UUID 格式的投诉编号") }
                complaint = id
            }
            return try jsonResponse(try await repository.identityReads(complaintId: complaint))
        }
        return routes
    }

    /// The channel follows from who records it: a clerk at the desk, an inspector at the discipline
    /// room, anyone else (no token) online.
    func file(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let filing = try await request.decodeBody(as: ComplaintFiling.self, context: context)
        var channel = ComplaintChannel.online
        var recordedBy: String?
        if let principal = context.principal {
            if principal.roles.contains(.disciplineInspector) {
                channel = .disciplineRoom
            } else if principal.roles.contains(.clerk) || principal.roles.contains(.complaintsHandler) {
                channel = .desk
            } else {
                throw HallError(
                    .forbidden,
                    "complaints are filed by the complainant without a token, or recorded by a clerk, a complaints handler or a discipline inspector",
                    words: "投诉由投诉人直接提交（无需登录），或由窗口工作人员、投诉处理人员、纪检监察员代为登记")
            }
            recordedBy = principal.subject
        }
        let filed = try await repository.file(filing, channel: channel, recordedBy: recordedBy, at: Date())
        return try jsonResponse(filed, status: .created)
    }

    func track(_ context: HallRequestContext) async throws -> Response {
        try await asComplainant(context) { code in try await repository.track(code: code) }
    }

    /// Something the complainant does with the tracking code: an unknown code counts as a failed look-up.
    func asComplainant(_ context: HallRequestContext, _ action: (String) async throws -> ComplaintTracking?) async throws -> Response {
        let code = context.parameters.get("trackingCode") ?? ""
        try lookups.check(context.clientAddress)
        guard let tracking = try await action(code) else {
            lookups.fail(context.clientAddress)
            throw HallError(.notFound, "no complaint with this tracking code", field: "trackingCode", words: "没有找到这个查询码对应的投诉，请核对后再查")
        }
        return try jsonResponse(tracking)
    }

    /// The caller's queue: complaints handlers work the centre's, discipline inspectors the discipline room's.
    func handler(_ context: HallRequestContext) throws -> (ComplaintQueue, String) {
        try Self.handler(context.requirePrincipal())
    }

    static func handler(_ principal: Principal) throws -> (ComplaintQueue, String) {
        if principal.roles.contains(.complaintsHandler) { return (.centre, principal.subject) }
        if principal.roles.contains(.disciplineInspector) { return (.discipline, principal.subject) }
        throw HallError(
            .forbidden, "complaints are handled by the roles complaints-handler (the centre's queue) and discipline-inspector (the discipline room's)",
            words: "投诉由投诉处理人员（角色 complaints-handler，办理中心受理的投诉）和纪检监察员（角色 discipline-inspector，办理纪检监察室受理的投诉）办理")
    }

    func complaintId(_ context: HallRequestContext) throws -> UUID {
        guard let id = context.parameters.get("complaintId").flatMap(UUID.init(uuidString:)) else {
            throw HallError(.notFound, "no such complaint (the id is a UUID)", field: "complaintId", words: "没有这件投诉（投诉编号为 UUID 格式）")
        }
        return id
    }

    func take(_ step: ComplaintStep, _ context: HallRequestContext) async throws -> Response {
        let (queue, actor) = try handler(context)
        return try jsonResponse(try await repository.take(step, on: try complaintId(context), queue: queue, actor: actor, at: Date()))
    }
}

struct AcceptanceBody: Codable, Sendable {
    var accepted: Bool
    var reason: String?
}

struct ConclusionBody: Codable, Sendable {
    var finding: ComplaintFinding
    var findings: String
}

struct ReplyBody: Codable, Sendable {
    var reply: String
}

struct ReferralBody: Codable, Sendable {
    var departmentId: String
    var instructions: String
    /// Whether the department may see the complainant's name and contact (default: no).
    var releaseIdentity: Bool?
}

struct SanctionDecisionBody: Codable, Sendable {
    var sanctions: [SanctionOrder]
    /// Why no sanction, when `sanctions` is empty.
    var note: String?
}

struct ReviewBody: Codable, Sendable {
    var reason: String
}

struct RatingBody: Codable, Sendable {
    var rating: ComplaintRating
    var comment: String?
}

struct HandlerBody: Codable, Sendable {
    /// The handler to add (their staff id).
    var handlerId: String
}
