import Foundation
import HallContracts
import HallImprints
import HallKit
import Hummingbird

extension HallError.Code {
    /// The seal was refused (422); the problem `type` ends with the reason code.
    static func sealRefused(_ reason: SealRefusalReason) -> HallError.Code {
        HallError.Code(type: "seal-refused/\(reason.rawValue)", title: "The seal was refused", status: .unprocessableContent)
    }
}

/// `POST /v1/seal-requests`: a departmental token of a person who may apply seals (chief
/// representative, department officer, clerk) seals a document of the caller's department
/// (201 new, 200 the same document again, 422 refused with the reason).
struct SealRequestsController<Repository: SealRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.post("/v1/seal-requests") { request, context in try await seal(request, context) }
        return routes
    }

    /// The people who apply a seal (Art 30, 32): its custodian, the chief representative, and staff
    /// the seal authorises. A token of any other role is refused whatever its subject claims to be.
    static var sealingRoles: Set<Role> { [.chiefRepresentative, .departmentOfficer, .clerk] }

    func seal(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard !principal.roles.isDisjoint(with: Self.sealingRoles) else {
            throw HallError(
                .forbidden, "a seal is applied by its custodian or staff it authorises: the token needs one of the roles "
                    + Self.sealingRoles.map(\.rawValue).sorted().joined(separator: ", "), field: "roles",
                words: "印章由保管人或获授权的工作人员加盖：登录凭证须具有以下角色之一："
                    + Self.sealingRoles.map(\.rawValue).sorted().joined(separator: "、"))
        }
        guard let department = principal.department else {
            throw HallError(
                .forbidden, "only a token acting for a department may ask for its seal", field: "department", words: "只有代表部门的登录凭证才能申请加盖该部门的印章")
        }
        let body = try await request.decodeBody(as: SealRequestBody.self, context: context)
        if let window = principal.window, let asked = body.windowId, window != asked {
            throw HallError.invalid("windowId", "differs from the caller's window \(window)", words: "与请求人所在窗口 \(window) 不一致")
        }
        guard let window = body.windowId ?? principal.window else {
            throw HallError.invalid("windowId", "is required (or a token with a window claim)", words: "必须填写（或使用注明窗口的登录凭证）")
        }
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
            throw HallError(.sealRefused(refusal.reason), "\(refusal.reason.rawValue): \(refusal.detail)", field: field, words: refusal.words)
        }
    }
}
