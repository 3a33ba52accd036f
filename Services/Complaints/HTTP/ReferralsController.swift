import Foundation
import HallContracts
import HallKit
import Hummingbird

/// The department's side of a complaint passed to it: it investigates and returns findings, or
/// returns the complaint with its reasons. The token's `department` claim must name an active
/// department of the directory; the department sees only the complaints passed to it, the
/// complainant only when the handler released them (each such read recorded), and a staff member
/// never a complaint about themself.
///
/// | route | who | what |
/// |---|---|---|
/// | `GET /v1/referrals` | department-officer, chief-representative, department-system | the complaints passed to the department, without identity |
/// | `GET /v1/referrals/{complaintId}` | the same | one in full |
/// | `POST /v1/referrals/{complaintId}/findings` | the same | return the department's findings |
/// | `POST /v1/referrals/{complaintId}/return` | the same | return it without findings, with the reasons |
struct ReferralsController<Repository: ComplaintsRepository> {
    let repository: Repository

    static var roles: [Role] { [.departmentOfficer, .chiefRepresentative, .departmentSystem] }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/referrals") { _, context in
            let (department, reader) = try await departmentActor(context)
            return try jsonResponse(try await repository.referrals(department: department, reader: reader))
        }
        routes.get("/v1/referrals/:complaintId") { _, context in
            let (department, reader) = try await departmentActor(context)
            return try jsonResponse(try await repository.referral(try complaintId(context), department: department, reader: reader, at: Date()))
        }
        routes.post("/v1/referrals/:complaintId/findings") { request, context in
            let body = try await request.decodeBody(as: DepartmentFindingsBody.self, context: context)
            return try await step(.departmentFindings(body.findings), context)
        }
        routes.post("/v1/referrals/:complaintId/return") { request, context in
            let body = try await request.decodeBody(as: DepartmentReturnBody.self, context: context)
            return try await step(.departmentReturn(reason: body.reason), context)
        }
        return routes
    }

    /// The caller's department, checked against the directory, and the caller.
    func departmentActor(_ context: HallRequestContext) async throws -> (department: String, actor: String) {
        let (department, principal) = try await context.requireDepartment(roles: Set(Self.roles)) { try await repository.isActiveDepartment($0) }
        return (department, principal.subject)
    }

    func complaintId(_ context: HallRequestContext) throws -> UUID {
        guard let id = context.parameters.get("complaintId").flatMap(UUID.init(uuidString:)) else {
            throw HallError(.notFound, "no such complaint (the id is a UUID)", field: "complaintId", words: "没有这件投诉（投诉编号为 UUID 格式）")
        }
        return id
    }

    func step(_ step: ComplaintStep, _ context: HallRequestContext) async throws -> Response {
        let (department, actor) = try await departmentActor(context)
        return try jsonResponse(try await repository.departmentStep(step, on: try complaintId(context), department: department, actor: actor, at: Date()))
    }
}

struct DepartmentFindingsBody: Codable, Sendable {
    var findings: String
}

struct DepartmentReturnBody: Codable, Sendable {
    var reason: String
}
