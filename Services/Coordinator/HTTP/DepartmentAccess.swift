import Foundation
import HallContracts
import HallKit
import Hummingbird

extension HallError.Code {
    /// A department's command was refused; the problem `type` ends with the reason code.
    static func commandRefused(_ reason: CommandRejection) -> HallError.Code {
        let status: HTTPResponse.Status =
            switch reason {
            case .unknownTask: .notFound
            case .departmentMismatch, .notCountersigner, .notPermitted, .unauthenticated: .forbidden
            case .invalidCommand: .badRequest
            case .extensionBeyondLaw, .categoryNotAllowed: .unprocessableContent
            case .taskClosed, .duplicateOpinion, .nothingToCountersign, .caseDecided, .clockState: .conflict
            }
        return HallError.Code(type: "coordinator/\(reason.rawValue)", title: "The command was refused", status: status)
    }
}

/// Who may read and act on a department's records over HTTP: departments only on their own
/// tasks and cases, the centre (admin, operator) on every department's. The token's `department`
/// claim names the department; whether the caller is its chief representative is checked against
/// the directory by the repository.
struct DepartmentAccess<Repository: CoordinatorRepository>: Sendable {
    let repository: Repository

    /// The caller as a department actor, when the token carries one of `roles` and a department.
    func actor(_ context: HallRequestContext, roles: [Role]) throws -> DepartmentActor {
        let principal = try context.requirePrincipal()
        guard !principal.roles.isDisjoint(with: roles) else {
            throw HallError(
                .forbidden, "this action needs one of the roles: \(roles.map(\.rawValue).joined(separator: ", "))",
                words: "此操作须具有以下角色之一：\(roles.map(\.rawValue).joined(separator: "、"))")
        }
        guard let department = principal.department else {
            throw HallError(.forbidden, "only a token acting for a department may do this", field: "department", words: "只有代表部门的登录凭证可以进行此操作")
        }
        return DepartmentActor(
            id: principal.subject, departmentId: department, channel: .http, claimsChiefRepresentative: principal.roles.contains(.chiefRepresentative))
    }

    /// The department whose records the caller may read: their own, or any (or `asked`) for the centre.
    func viewerDepartment(_ context: HallRequestContext, asked: String?) throws -> String? {
        let principal = try context.requirePrincipal()
        if principal.roles.contains(.centreAdmin) || principal.roles.contains(.operator) { return asked }
        let department = try Self.actingDepartment(principal)
        if let asked, asked != department {
            throw HallError(.forbidden, "the caller does not act for department \(asked)", field: "departmentId", words: "当前登录身份不能代表部门 \(asked)")
        }
        return department
    }

    /// Passes when the caller is the centre or acts for one of `departments`.
    func requireViewer(_ context: HallRequestContext, departments: [String]) throws {
        let principal = try context.requirePrincipal()
        if principal.roles.contains(.centreAdmin) || principal.roles.contains(.operator) { return }
        guard departments.contains(try Self.actingDepartment(principal)) else {
            throw HallError(.forbidden, "the caller's department has no part in this case", words: "您所在的部门未参与该办件")
        }
    }

    /// The roles that act for a department: its officers, chief representative and systems.
    static var departmentalRoles: Set<Role> { [.departmentOfficer, .chiefRepresentative, .departmentSystem] }

    /// The department a reader acts for: a `department` claim counts only on a token of a
    /// departmental role (a clerk, complaints handler or inspector with one reads nothing here).
    static func actingDepartment(_ principal: Principal) throws -> String {
        guard !principal.roles.isDisjoint(with: departmentalRoles) else {
            throw HallError(
                .forbidden, "a department's records are read by its officers, chief representative or system, or the centre: the token holds none of these roles",
                field: "roles", words: "部门的记录仅供本部门工作人员、首席代表、部门系统或政务服务中心查看；当前登录凭证不具有上述角色")
        }
        guard let department = principal.department else {
            throw HallError(.forbidden, "only a departmental or centre token may read this", field: "department", words: "只有部门或政务服务中心的登录凭证可以查看")
        }
        return department
    }

    /// Performs `command` for `actor`; a refusal (already recorded and published by the
    /// repository) is answered as problem+json naming the reason and the field.
    @discardableResult
    func perform(
        _ command: DepartmentCommand, by actor: DepartmentActor, _ request: Request, context: HallRequestContext, route: String
    ) async throws -> CommandOutcome {
        // The id the problem answer carries as `requestId` (the caller's X-Request-ID, or the request's own).
        let requestId = request.headers[.xRequestID].flatMap { $0.count <= 128 ? $0 : nil } ?? context.id
        do {
            return try await repository.perform(command, by: actor, requestId: requestId, route: route)
        } catch let refusal as CommandRefusal {
            throw HallError(.commandRefused(refusal.reason), "\(refusal.reason.rawValue): \(refusal.detail)", field: refusal.field, words: refusal.words)
        }
    }
}

/// A path parameter; an empty or over-long one names nothing that exists.
func parameter(_ name: String, _ context: HallRequestContext) throws -> String {
    guard let value = context.parameters.get(name), !value.isEmpty, value.count <= 128 else {
        let thing =
            ["caseId": "这个办件", "taskId": "这项任务", "action": "这项操作", "receiptCode": "这个受理编号", "bundleId": "这个一件事套餐", "reviewId": "这次联合审查"][name]
            ?? "这个\(name)"
        throw HallError(.notFound, "no such \(name)", words: "没有\(thing)")
    }
    return value
}
