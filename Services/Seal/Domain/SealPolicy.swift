import Foundation
import HallContracts
import HallImprints

/// A department as the seal service knows it from the directory (projection of `intake.directory.department-changed`).
public struct DepartmentRecord: Sendable, Hashable {
    public var departmentId: String
    public var name: String
    public var active: Bool
    public var chiefRepresentative: String?
    public var substitute: DirectorySubstitute?

    public init(departmentId: String, name: String, active: Bool, chiefRepresentative: String?, substitute: DirectorySubstitute?) {
        self.departmentId = departmentId
        self.name = name
        self.active = active
        self.chiefRepresentative = chiefRepresentative
        self.substitute = substitute
    }

    /// Whether `staffId` holds the department's seal on `day` (`YYYY-MM-DD`, Asia/Shanghai): the
    /// chief representative, or the substitute on a filed notice within its days (Art 27, 32).
    public func isCustodian(_ staffId: String, on day: String) -> Bool {
        if chiefRepresentative == staffId { return true }
        if let substitute, substitute.staffId == staffId, substitute.from <= day, day <= substitute.to { return true }
        return false
    }

    /// Who keeps the department's seal on `day` (Art 32): the substitute within the days of a filed
    /// notice (Art 27), otherwise the chief representative; nil when the department has neither.
    public func keeper(on day: String) -> Custodian? {
        if let substitute, substitute.from <= day, day <= substitute.to { return Custodian(substitute: substitute) }
        return chiefRepresentative.map { Custodian(staffId: $0, capacity: .chiefRepresentative, noticeReference: nil, from: nil, to: nil) }
    }
}

/// Who keeps a seal (Art 32), and in what capacity.
public struct Custodian: Sendable, Hashable, Encodable {
    public enum Capacity: String, Sendable, Hashable, Encodable {
        case chiefRepresentative = "chief-representative"
        case substitute
    }
    public var staffId: String
    public var capacity: Capacity
    /// The filed notice a substitute keeps it under, and its days.
    public var noticeReference: String?
    public var from: String?
    public var to: String?

    public init(staffId: String, capacity: Capacity, noticeReference: String?, from: String?, to: String?) {
        self.staffId = staffId
        self.capacity = capacity
        self.noticeReference = noticeReference
        self.from = from
        self.to = to
    }

    /// The substitute on a filed notice, for the notice's days.
    public init(substitute: DirectorySubstitute) {
        self.init(staffId: substitute.staffId, capacity: .substitute, noticeReference: substitute.noticeReference, from: substitute.from, to: substitute.to)
    }
}

/// A seal's custody (Art 32): who keeps it today, and every change of the department's chief
/// representative or filed substitute while the seal was in use, as the directory announced them.
public struct SealCustody: Sendable, Hashable, Encodable {
    /// One state of the department's chief representative and substitute, from `changedAt`.
    public struct Entry: Sendable, Hashable, Encodable {
        public var changedAt: Date
        public var chiefRepresentativeId: String?
        public var substitute: Custodian?
    }
    /// Who keeps the seal today; nil for a revoked seal or a department without a chief representative.
    public var current: Custodian?
    /// Oldest first: the state when the seal was registered, then each change until it was revoked.
    public var log: [Entry]
}

/// A hall window (projection of `intake.directory.window-changed`).
public struct WindowRecord: Sendable, Hashable {
    public var windowId: String
    public var kind: WindowKind
    public var departmentIds: [String]
    public var active: Bool

    public init(windowId: String, kind: WindowKind, departmentIds: [String], active: Bool) {
        self.windowId = windowId
        self.kind = kind
        self.departmentIds = departmentIds
        self.active = active
    }
}

/// A staff member (projection of `intake.directory.staff-changed`).
public struct StaffRecord: Sendable, Hashable {
    public var staffId: String
    public var departmentId: String
    public var qualified: Bool
    public var active: Bool
    /// The window the staff member works at (Art 20), if any.
    public var windowId: String?

    public init(staffId: String, departmentId: String, qualified: Bool, active: Bool, windowId: String? = nil) {
        self.staffId = staffId
        self.departmentId = departmentId
        self.qualified = qualified
        self.active = active
        self.windowId = windowId
    }
}

/// A registered seal, without its private key.
public struct SealRecord: Sendable, Hashable {
    public enum Status: String, Sendable, Codable { case active, revoked }

    public var sealId: UUID
    public var departmentId: String
    public var name: String
    public var code: String
    public var custodianStaffId: String
    public var authorisations: [SealAuthorisation]
    public var validFrom: Date
    public var validUntil: Date
    public var publicKey: [UInt8]
    public var status: Status
    public var predecessorSealId: UUID?
    public var successorSealId: UUID?
    public var registeredBy: String
    public var registeredAt: Date
    public var revokedBy: String?
    public var revokedAt: Date?
    public var revocationReason: String?
    /// The last serial issued (0 before the first imprint).
    public var lastSerial: Int64
    /// The last imprint's hash (genesis before the first imprint).
    public var lastHash: [UInt8]

    /// Whether `staffId` may apply this seal to `kind` besides the custodian.
    public func authorises(_ staffId: String, for kind: SealDocumentKind) -> Bool {
        authorisations.contains { $0.staffId == staffId && $0.documentKinds.contains(kind) }
    }
}

/// Everything the decision to seal depends on, loaded in the sealing transaction.
public struct SealingFacts: Sendable {
    /// The department's active seal, if any.
    public var activeSeal: SealRecord?
    /// Whether the department ever had a seal (to tell `no-seal` from `seal-revoked`).
    public var everHadSeal: Bool
    public var department: DepartmentRecord?
    public var window: WindowRecord?
    public var requester: StaffRecord?

    public init(activeSeal: SealRecord?, everHadSeal: Bool, department: DepartmentRecord?, window: WindowRecord?, requester: StaffRecord?) {
        self.activeSeal = activeSeal
        self.everHadSeal = everHadSeal
        self.department = department
        self.window = window
        self.requester = requester
    }
}

/// A request to seal one document, from HTTP or Kafka.
public struct SealingRequest: Sendable, Hashable {
    public var documentKind: SealDocumentKind
    /// As given; checked by ``SealPolicy``.
    public var documentHash: String
    public var caseId: String
    public var departmentId: String
    public var requestedBy: String
    public var windowId: String
    /// The department the caller acts for, when known (HTTP: the token's); `nil` over Kafka.
    public var callerDepartment: String?

    public init(
        documentKind: SealDocumentKind, documentHash: String, caseId: String, departmentId: String, requestedBy: String, windowId: String,
        callerDepartment: String? = nil
    ) {
        self.documentKind = documentKind
        self.documentHash = documentHash
        self.caseId = caseId
        self.departmentId = departmentId
        self.requestedBy = requestedBy
        self.windowId = windowId
        self.callerDepartment = callerDepartment
    }

    /// The same request as the contract's payload.
    public init(_ payload: SealDocumentRequested) {
        self.init(
            documentKind: payload.documentKind, documentHash: payload.documentHash, caseId: payload.caseId, departmentId: payload.departmentId,
            requestedBy: payload.requestedBy, windowId: payload.windowId)
    }
}

/// A refusal: a reason code and a sentence for people.
public struct SealRefusal: Error, Sendable, Hashable {
    public var reason: SealRefusalReason
    public var detail: String
    /// The sentence in the hall's words (Chinese), for the pages; nil when there is only the English.
    public var words: String?

    public init(_ reason: SealRefusalReason, _ detail: String, words: String? = nil) {
        self.reason = reason
        self.detail = detail
        self.words = words
    }
}

/// The rules of Art 29–32 for applying a seal. Pure: no I/O, the clock is passed in.
public enum SealPolicy {
    /// The hall's time zone, for the days of a substitute's notice.
    static let hallTimeZone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .gmt

    /// `YYYY-MM-DD` of `instant` in Asia/Shanghai.
    public static func hallDay(_ instant: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = hallTimeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The document hash's 32 bytes, or the `malformed-document-hash` refusal.
    public static func documentHash(_ request: SealingRequest) -> Result<[UInt8], SealRefusal> {
        guard let bytes = Hex.digest(request.documentHash) else {
            return .failure(
                SealRefusal(
                    .malformedDocumentHash, "documentHash must be the document's SHA-256 as 64 hexadecimal digits",
                    words: "文书摘要须为文书的 SHA-256 摘要（64 位十六进制数字）"))
        }
        return .success(bytes)
    }

    /// Checks that needs no stored state: the hash and the caller's department.
    public static func precheck(_ request: SealingRequest) -> SealRefusal? {
        if case .failure(let refusal) = documentHash(request) { return refusal }
        if let caller = request.callerDepartment, caller != request.departmentId {
            return SealRefusal(
                .departmentMismatch, "the caller acts for department \(caller), the document belongs to \(request.departmentId)",
                words: "请求方代表部门 \(caller)，文书属于部门 \(request.departmentId)")
        }
        return nil
    }

    /// Why a seal cannot be registered for `department` (Art 32), or nil: the department must be
    /// active in the directory and the custodian its chief representative. Returns the field at
    /// fault, the rule and the rule in the hall's words.
    public static func registrationProblem(
        _ registration: SealRegistration, department: DepartmentRecord?
    ) -> (field: String, rule: String, words: String)? {
        guard let department, department.active else {
            return ("departmentId", "is not an active department of the hall directory", "须为大厅名录中在用的部门")
        }
        guard department.chiefRepresentative == registration.custodianStaffId else {
            return ("custodianStaffId", "must be the department's chief representative (Art 32)", "须为该部门的首席代表（第32条）")
        }
        return nil
    }

    /// Decides whether `request` may be sealed with the facts at `now`; returns the seal to use or the refusal.
    public static func decide(_ request: SealingRequest, facts: SealingFacts, now: Date) -> Result<SealRecord, SealRefusal> {
        if let refusal = precheck(request) { return .failure(refusal) }
        guard let seal = facts.activeSeal else {
            return facts.everHadSeal
                ? .failure(
                    SealRefusal(
                        .sealRevoked, "the approval seal of department \(request.departmentId) was revoked and no successor is active",
                        words: "部门 \(request.departmentId) 的审批专用章已作废，且没有启用新的审批专用章"))
                : .failure(SealRefusal(.noSeal, "department \(request.departmentId) has no approval seal", words: "部门 \(request.departmentId) 没有审批专用章"))
        }
        guard seal.validFrom <= now, now < seal.validUntil else {
            return .failure(
                SealRefusal(
                    .sealExpired, "seal \(seal.code) is valid from \(seal.validFrom) until \(seal.validUntil)",
                    words: "印章 \(seal.code) 的有效期为 \(seal.validFrom) 至 \(seal.validUntil)"))
        }
        guard let window = facts.window, window.active, window.kind != .discipline else {
            return .failure(
                SealRefusal(
                    .windowNotHallWindow, "\(request.windowId) is not an open hall window where approval seals are applied (Art 30)",
                    words: "\(request.windowId) 不是可以加盖审批专用章的大厅在用窗口（第30条）"))
        }
        guard window.kind == .comprehensive || window.departmentIds.contains(request.departmentId) else {
            return .failure(
                SealRefusal(
                    .windowNotHallWindow, "window \(request.windowId) does not serve department \(request.departmentId)",
                    words: "窗口 \(request.windowId) 不办理部门 \(request.departmentId) 的事项"))
        }
        guard let staff = facts.requester, staff.active else {
            return .failure(
                SealRefusal(.notAuthorised, "\(request.requestedBy) is not active staff of the hall", words: "\(request.requestedBy) 不是大厅在岗工作人员"))
        }
        let day = hallDay(now)
        let isCustodian = facts.department.map { $0.active && $0.isCustodian(staff.staffId, on: day) } ?? false
        if isCustodian { return .success(seal) }
        if seal.authorises(staff.staffId, for: request.documentKind) {
            guard staff.qualified else {
                return .failure(
                    SealRefusal(
                        .notAuthorised, "\(staff.staffId) does not hold the qualification for window work (Art 19)",
                        words: "\(staff.staffId) 不具备窗口工作人员资格（第19条）"))
            }
            guard staff.windowId == request.windowId else {
                return .failure(SealRefusal(
                    .notAuthorised,
                    "\(staff.staffId) works at \(staff.windowId.map { "window \($0)" } ?? "no window"), not at window \(request.windowId): "
                        + "authorised staff apply the seal at their own window (Art 30)",
                    words: "\(staff.staffId) \(staff.windowId.map { "在窗口 \($0) 工作" } ?? "没有所在窗口")，不在窗口 \(request.windowId)："
                        + "获授权的工作人员只能在本人所在窗口用印（第30条）"))
            }
            return .success(seal)
        }
        if staff.departmentId != request.departmentId {
            return .failure(
                SealRefusal(
                    .departmentMismatch, "\(staff.staffId) belongs to department \(staff.departmentId), the document to \(request.departmentId)",
                    words: "\(staff.staffId) 属于部门 \(staff.departmentId)，文书属于部门 \(request.departmentId)"))
        }
        return .failure(
            SealRefusal(
                .notAuthorised, "\(staff.staffId) is neither the custodian of seal \(seal.code) nor authorised for \(request.documentKind.rawValue)",
                words: "\(staff.staffId) 既不是印章 \(seal.code) 的保管人，也未获授权为 \(request.documentKind.rawValue) 用印"))
    }
}
