import Foundation
import HallContracts
import HallImprints
import HallKit
import Hummingbird

/// The seals themselves (the centre registers, revokes and authorises; anyone reads them).
///
/// | route | who | what |
/// |---|---|---|
/// | `POST /v1/seals` | centre-admin | register a department's seal (new key pair) |
/// | `POST /v1/seals/{id}/revoke` | centre-admin | revoke, with reason, optionally registering the successor |
/// | `PUT /v1/seals/{id}/authorisations` | centre-admin | replace who (besides the custodian) may apply an active seal, per document kind (audited, published) |
/// | `GET /v1/seals`, `GET /v1/seals/{id}` | public | every seal ever issued with its public key |
/// | `POST /v1/seals/{id}/verify-register` | operator, centre-admin | re-verify a whole register |
struct SealsController<Repository: SealRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.post("/v1/seals") { request, context in try await register(request, context) }
        routes.get("/v1/seals") { request, _ in
            let department = request.uri.queryParameters.get("departmentId")
            let seals = try await repository.seals(departmentId: department)
            let custody = try await repository.custody(of: seals)
            return try jsonResponse(seals.map { SealView($0, custody: custody[$0.sealId]) })
        }
        routes.get("/v1/seals/:id") { _, context in
            guard let seal = try await repository.seal(id: try uuidParameter(context)) else { throw HallError(.notFound, "no such seal", words: "没有这枚印章") }
            return try jsonResponse(SealView(seal, custody: try await repository.custody(of: [seal])[seal.sealId]))
        }
        routes.post("/v1/seals/:id/revoke") { request, context in try await revoke(request, context) }
        routes.put("/v1/seals/:id/authorisations") { request, context in try await replaceAuthorisations(request, context) }
        routes.post("/v1/seals/:id/verify-register") { _, context in
            try context.requirePrincipal().require(anyOf: .operator, .centreAdmin)
            let id = try uuidParameter(context)
            guard let report = try await repository.verifyRegister(sealId: id) else { throw HallError(.notFound, "no such seal", words: "没有这枚印章") }
            return try jsonResponse(RegisterReport(sealId: id.uuidString.lowercased(), report: report))
        }
        return routes
    }

    func register(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(anyOf: .centreAdmin)
        let body = try await request.decodeBody(as: RegistrationBody.self, context: context)
        let seal = try await repository.registerSeal(try body.registration(), by: principal.subject)
        return try jsonResponse(SealView(seal), status: .created)
    }

    func revoke(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(anyOf: .centreAdmin)
        let body = try await request.decodeBody(as: RevocationBody.self, context: context)
        guard !body.reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw HallError.invalid("reason", "must not be empty", words: "不能为空") }
        let (revoked, successor) = try await repository.revokeSeal(
            id: try uuidParameter(context), reason: body.reason, by: principal.subject, successor: try body.successor?.registration())
        return try jsonResponse(RevocationView(revoked: SealView(revoked), successor: successor.map { SealView($0) }))
    }

    func replaceAuthorisations(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(anyOf: .centreAdmin)
        let id = try uuidParameter(context)
        let body = try await request.decodeBody(as: AuthorisationsBody.self, context: context)
        let seal = try await repository.replaceAuthorisations(sealId: id, authorisations: try body.validated(), by: principal.subject)
        return try jsonResponse(SealView(seal))
    }
}

/// The `{id}` path parameter as a UUID; anything else is no known id (404).
func uuidParameter(_ context: HallRequestContext) throws -> UUID {
    guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { throw HallError(.notFound, "not a known id", words: "没有这个编号") }
    return id
}
