import Foundation
import HallContracts
import HallKit
import Hummingbird

extension HallError.Code {
    /// The seal was refused (422); the problem `type` ends with the reason code.
    static func sealRefused(_ reason: SealRefusalReason) -> HallError.Code {
        HallError.Code(type: "seal-refused/\(reason.rawValue)", title: "The seal was refused", status: .unprocessableContent)
    }
}

/// HTTP API of the seal service.
///
/// | route | who | what |
/// |---|---|---|
/// | `POST /v1/seals` | centre-admin | register a department's seal (new key pair) |
/// | `POST /v1/seals/{id}/revoke` | centre-admin | revoke, with reason, optionally registering the successor |
/// | `PUT /v1/seals/{id}/authorisations` | centre-admin | replace who (besides the custodian) may apply an active seal, per document kind (audited, published) |
/// | `GET /v1/seals`, `GET /v1/seals/{id}` | public | every seal ever issued with its public key |
/// | `POST /v1/seal-requests` | a departmental token | seal a document of the caller's department (201 new, 200 repeat, 422 refused) |
/// | `GET /v1/imprints/{id}` | public | verify an imprint and the chain up to it |
/// | `GET /v1/verify?documentHash=` | public | verify every imprint of a document |
/// | `POST /v1/seals/{id}/verify-register` | operator, centre-admin | re-verify a whole register |
struct SealRoutes {
    let repository: any SealRepository

    func add(to router: Router<HallRequestContext>) {
        let v1 = router.group("v1")
        v1.post("seals") { request, context in try await register(request, context) }
        v1.get("seals") { request, _ in
            let department = request.uri.queryParameters.get("departmentId")
            return try jsonResponse(try await repository.seals(departmentId: department).map(SealView.init))
        }
        v1.get("seals/:id") { _, context in
            guard let seal = try await repository.seal(id: try uuidParameter(context)) else { throw HallError(.notFound, "no such seal") }
            return try jsonResponse(SealView(seal))
        }
        v1.post("seals/:id/revoke") { request, context in try await revoke(request, context) }
        v1.put("seals/:id/authorisations") { request, context in try await replaceAuthorisations(request, context) }
        v1.post("seals/:id/verify-register") { _, context in
            try context.requirePrincipal().require(anyOf: .operator, .centreAdmin)
            let id = try uuidParameter(context)
            guard let report = try await repository.verifyRegister(sealId: id) else { throw HallError(.notFound, "no such seal") }
            return try jsonResponse(RegisterReport(sealId: id.uuidString.lowercased(), report: report))
        }
        v1.post("seal-requests") { request, context in try await seal(request, context) }
        v1.get("imprints/:id") { _, context in
            guard let result = try await repository.verifyImprint(id: try uuidParameter(context)) else {
                throw HallError(.notFound, "no such imprint")
            }
            return try jsonResponse(VerificationView(result))
        }
        v1.get("verify") { request, _ in
            guard let text = request.uri.queryParameters.get("documentHash") else { throw HallError.invalid("documentHash", "is required") }
            guard let bytes = Hex.digest(text) else { throw HallError.invalid("documentHash", "must be 64 hexadecimal digits (SHA-256)") }
            let results = try await repository.verifyDocument(hash: Hex.encode(bytes))
            return try jsonResponse(DocumentVerificationView(documentHash: Hex.encode(bytes), found: !results.isEmpty, valid: !results.isEmpty && results.allSatisfy(\.valid), imprints: results.map(VerificationView.init)))
        }
    }

    // MARK: Handlers

    func register(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(anyOf: .centreAdmin)
        let body = try await decodeBody(RegistrationBody.self, request, context)
        let seal = try await repository.registerSeal(try body.registration(), by: principal.subject)
        return try jsonResponse(SealView(seal), status: .created)
    }

    func revoke(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(anyOf: .centreAdmin)
        let body = try await decodeBody(RevocationBody.self, request, context)
        guard !body.reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw HallError.invalid("reason", "must not be empty") }
        let (revoked, successor) = try await repository.revokeSeal(
            id: try uuidParameter(context), reason: body.reason, by: principal.subject, successor: try body.successor?.registration())
        return try jsonResponse(RevocationView(revoked: SealView(revoked), successor: successor.map(SealView.init)))
    }

    func replaceAuthorisations(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(anyOf: .centreAdmin)
        let id = try uuidParameter(context)
        let body = try await decodeBody(AuthorisationsBody.self, request, context)
        let seal = try await repository.replaceAuthorisations(sealId: id, authorisations: try body.validated(), by: principal.subject)
        return try jsonResponse(SealView(seal))
    }

    func seal(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let department = principal.department else {
            throw HallError(.forbidden, "only a token acting for a department may ask for its seal", field: "department")
        }
        let body = try await decodeBody(SealRequestBody.self, request, context)
        if let window = principal.window, let asked = body.windowId, window != asked {
            throw HallError.invalid("windowId", "differs from the caller's window \(window)")
        }
        guard let window = body.windowId ?? principal.window else { throw HallError.invalid("windowId", "is required (or a token with a window claim)") }
        let sealing = SealingRequest(
            documentKind: body.documentKind, documentHash: body.documentHash, caseId: body.caseId, departmentId: body.departmentId,
            requestedBy: principal.subject, windowId: window, callerDepartment: department)
        switch try await repository.apply(sealing) {
        case .sealed(let imprint, let repeated):
            return try jsonResponse(imprint.sealedEvent, status: repeated ? .ok : .created)
        case .refused(let refusal):
            let field: String? =
                switch refusal.reason {
                case .malformedDocumentHash: "documentHash"
                case .departmentMismatch: "departmentId"
                case .windowNotHallWindow: "windowId"
                case .notAuthorised: "requestedBy"
                case .noSeal, .sealRevoked, .sealExpired: "departmentId"
                }
            throw HallError(.sealRefused(refusal.reason), "\(refusal.reason.rawValue): \(refusal.detail)", field: field)
        }
    }
}

// MARK: Bodies and views

struct SealRequestBody: Decodable {
    var documentKind: SealDocumentKind
    var documentHash: String
    var caseId: String
    var departmentId: String
    var windowId: String?
}

struct RegistrationBody: Decodable {
    var departmentId: String
    var name: String
    var code: String
    var custodianStaffId: String
    var authorisations: [SealAuthorisation]?
    var validFrom: Date
    var validUntil: Date

    func registration() throws -> SealRegistration {
        for (field, value) in [("departmentId", departmentId), ("name", name), ("code", code), ("custodianStaffId", custodianStaffId)]
        where value.isEmpty || value.count > 500 {
            throw HallError.invalid(field, "must be 1 to 500 characters")
        }
        guard validUntil > validFrom else { throw HallError.invalid("validUntil", "must be after validFrom") }
        return SealRegistration(
            departmentId: departmentId, name: name, code: code, custodianStaffId: custodianStaffId, authorisations: authorisations ?? [],
            validFrom: validFrom, validUntil: validUntil)
    }
}

/// `PUT /v1/seals/{id}/authorisations`: the whole new list (an empty list leaves the custodian alone).
struct AuthorisationsBody: Decodable {
    var authorisations: [SealAuthorisation]

    /// The most entries one seal's list may hold.
    static let maximumCount = 500

    /// The list, checked beyond what decoding checks (each entry's kinds: at least one, known, no
    /// repeats): staff ids of 1 to 200 characters, each at most once. Throws `invalid-field` naming the entry.
    func validated() throws -> [SealAuthorisation] {
        guard authorisations.count <= Self.maximumCount else {
            throw HallError.invalid("authorisations", "must hold at most \(Self.maximumCount) entries")
        }
        var seen = Set<String>()
        for (index, entry) in authorisations.enumerated() {
            guard entry.staffId.count <= 200, entry.staffId.trimmingCharacters(in: .whitespaces) == entry.staffId else {
                throw HallError.invalid("authorisations.\(index).staffId", "must be 1 to 200 characters without surrounding spaces")
            }
            guard seen.insert(entry.staffId).inserted else {
                throw HallError.invalid("authorisations.\(index).staffId", "names \(entry.staffId) a second time; list each person once with all their kinds")
            }
        }
        return authorisations
    }
}

struct RevocationBody: Decodable {
    var reason: String
    var successor: RegistrationBody?
}

/// A seal as the API shows it: never its private key.
struct SealView: Encodable {
    var sealId: String
    var departmentId: String
    var name: String
    var code: String
    var custodianStaffId: String
    var authorisations: [SealAuthorisation]
    var validFrom: Date
    var validUntil: Date
    var publicKey: String
    var keyAlgorithm = "Ed25519"
    var status: String
    var predecessorSealId: String?
    var successorSealId: String?
    var registeredBy: String
    var registeredAt: Date
    var revokedBy: String?
    var revokedAt: Date?
    var revocationReason: String?
    var lastSerial: Int64

    init(_ seal: SealRecord) {
        sealId = seal.sealId.uuidString.lowercased()
        departmentId = seal.departmentId
        name = seal.name
        code = seal.code
        custodianStaffId = seal.custodianStaffId
        authorisations = seal.authorisations
        validFrom = seal.validFrom
        validUntil = seal.validUntil
        publicKey = Data(seal.publicKey).base64EncodedString()
        status = seal.status.rawValue
        predecessorSealId = seal.predecessorSealId?.uuidString.lowercased()
        successorSealId = seal.successorSealId?.uuidString.lowercased()
        registeredBy = seal.registeredBy
        registeredAt = seal.registeredAt
        revokedBy = seal.revokedBy
        revokedAt = seal.revokedAt
        revocationReason = seal.revocationReason
        lastSerial = seal.lastSerial
    }
}

struct RevocationView: Encodable {
    var revoked: SealView
    var successor: SealView?
}

struct VerificationView: Encodable {
    /// The imprint's own signature is valid and the register up to it is intact.
    var valid: Bool
    var signatureValid: Bool
    var chainIntact: Bool
    var firstBrokenSerial: Int64?
    var problem: String?
    var departmentId: String
    var sealedAt: Date
    var seal: SealSummary
    var imprint: DocumentSealed

    struct SealSummary: Encodable {
        var sealId: String
        var name: String
        var code: String
        var status: String
        var publicKey: String
    }

    init(_ result: ImprintVerification) {
        valid = result.valid
        signatureValid = result.signatureValid
        chainIntact = result.chain.intact
        firstBrokenSerial = result.chain.firstBrokenSerial
        problem = result.chain.problem?.rawValue ?? (result.signatureValid ? nil : "imprint-invalid")
        departmentId = result.imprint.departmentId
        sealedAt = result.imprint.sealedAt
        seal = SealSummary(
            sealId: result.seal.sealId.uuidString.lowercased(), name: result.seal.name, code: result.seal.code, status: result.seal.status.rawValue,
            publicKey: Data(result.seal.publicKey).base64EncodedString())
        imprint = result.imprint.sealedEvent
    }
}

struct DocumentVerificationView: Encodable {
    var documentHash: String
    var found: Bool
    var valid: Bool
    var imprints: [VerificationView]
}

struct RegisterReport: Encodable {
    var sealId: String
    var intact: Bool
    var checked: Int
    var firstBrokenSerial: Int64?
    var problem: String?

    init(sealId: String, report: ChainVerifier.Report) {
        self.sealId = sealId
        intact = report.intact
        checked = report.checked
        firstBrokenSerial = report.firstBrokenSerial
        problem = report.problem?.rawValue
    }
}

// MARK: Helpers


func uuidParameter(_ context: HallRequestContext) throws -> UUID {
    guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { throw HallError(.notFound, "not a known id") }
    return id
}

/// Reads a JSON body; a missing or mistyped member is `invalid-field` naming it.
func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request, _ context: HallRequestContext) async throws -> T {
    let buffer = try await request.body.collect(upTo: context.maxUploadSize)
    do {
        return try EventEnvelope.decoder().decode(T.self, from: Data(buffer: buffer))
    } catch let error as DecodingError {
        let (path, rule): ([any CodingKey], String) =
            switch error {
            case .keyNotFound(let key, let c): (c.codingPath + [key], "is required")
            case .typeMismatch(_, let c): (c.codingPath, "has the wrong type: \(c.debugDescription)")
            case .valueNotFound(_, let c): (c.codingPath, "is required")
            case .dataCorrupted(let c): (c.codingPath, c.debugDescription)
            @unknown default: ([], "is invalid")
            }
        if path.isEmpty { throw HallError(.malformedBody, "the body is not the expected JSON object") }
        throw HallError.invalid(path.map { $0.intValue.map { "\($0)" } ?? $0.stringValue }.joined(separator: "."), rule)
    }
}
