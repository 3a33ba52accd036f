import Foundation
import JWTKit
import Synchronization

/// What a token lets its holder do.
public enum Role: String, Codable, Sendable, CaseIterable {
    /// Front-desk clerk of the comprehensive window (acts for the departments of their window).
    case clerk
    /// Hall centre administrator (catalogue, directory, appraisal, complaints).
    case centreAdmin = "centre-admin"
    /// Staff of a department's back office.
    case departmentOfficer = "department-officer"
    /// A department's chief representative (countersigns, holds the seal).
    case chiefRepresentative = "chief-representative"
    /// A department's own system integrating over HTTP.
    case departmentSystem = "department-system"
    /// Handles complaints at the centre.
    case complaintsHandler = "complaints-handler"
    /// The discipline inspection window (Art 44).
    case disciplineInspector = "discipline-inspector"
    /// Runs the system (republish, re-verification).
    case `operator`
}

/// The claims of a hall access token (HS256).
public struct HallClaims: JWTPayload, Equatable {
    /// Staff or system id.
    public var sub: SubjectClaim
    /// Expiry (seconds since 1970, UTC).
    public var exp: ExpirationClaim
    /// Issue time.
    public var iat: IssuedAtClaim
    /// Granted roles.
    public var roles: [Role]
    /// The department the holder acts for, when the role is departmental.
    public var department: String?
    /// The hall window the holder works at, for clerks.
    public var window: String?

    /// Creates claims.
    public init(subject: String, roles: [Role], department: String?, window: String? = nil, issuedAt: Date = Date(), ttl: TimeInterval) {
        self.sub = SubjectClaim(value: subject)
        self.iat = IssuedAtClaim(value: issuedAt)
        self.exp = ExpirationClaim(value: issuedAt.addingTimeInterval(ttl))
        self.roles = roles
        self.department = department
        self.window = window
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Who is calling, after their token was verified.
public struct Principal: Sendable, Equatable {
    /// Staff or system id.
    public var subject: String
    /// Granted roles.
    public var roles: Set<Role>
    /// The department the caller acts for.
    public var department: String?
    /// The caller's window.
    public var window: String?

    /// Creates a principal.
    public init(subject: String, roles: Set<Role>, department: String?, window: String?) {
        self.subject = subject
        self.roles = roles
        self.department = department
        self.window = window
    }

    /// Throws ``HallError/Code/forbidden`` unless the caller has one of `roles`.
    public func require(anyOf roles: Role...) throws {
        guard !self.roles.isDisjoint(with: roles) else {
            throw HallError(.forbidden, "this action needs one of the roles: \(roles.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// Throws ``HallError/Code/forbidden`` unless the caller acts for `department`.
    public func require(department: String) throws {
        guard self.department == department else {
            throw HallError(.forbidden, "the caller does not act for department \(department)", field: "department")
        }
    }
}

/// Signs and verifies hall access tokens with one shared HMAC-SHA256 secret.
///
/// A front desk sends the same token with every request of a shift, so a token verified once is
/// remembered (by its exact text, signature included) until it expires: later requests skip the
/// key collection actor, the HMAC and the claims' JSON. Only tokens that passed verification are
/// remembered, and each use checks the expiry again, so a forged, altered or expired token is never
/// accepted from memory.
public struct TokenAuthority: Sendable {
    private let keys: JWTKeyCollection
    private let verified: VerifiedTokens

    /// Creates the authority from the secret (`HALL_JWT_SECRET`).
    ///
    /// - Parameter rememberedTokens: how many verified tokens are remembered at most (the memory is
    ///   emptied when it is full); 0 verifies every time.
    public init(secret: String, rememberedTokens: Int = 4096) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
        self.verified = VerifiedTokens(capacity: rememberedTokens)
    }

    /// Issues a token (for local use and tests: `hallctl token`).
    public func issue(_ claims: HallClaims) async throws -> String {
        try await keys.sign(claims)
    }

    /// Verifies a token's signature and expiry.
    ///
    /// - Throws: ``HallError/Code/unauthenticated`` for a bad, forged or expired token.
    public func verify(_ token: String, now: Date = Date()) async throws -> Principal {
        if let principal = verified.principal(for: token, at: now) { return principal }
        do {
            let claims = try await keys.verify(token, as: HallClaims.self)
            guard now < claims.exp.value else { throw HallError(.unauthenticated, "expired") }
            let principal = Principal(subject: claims.sub.value, roles: Set(claims.roles), department: claims.department, window: claims.window)
            verified.remember(token, principal: principal, expiresAt: claims.exp.value)
            return principal
        } catch {
            throw HallError(.unauthenticated, "the bearer token is invalid or expired")
        }
    }
}

/// Tokens that passed verification, with their principal and expiry.
final class VerifiedTokens: Sendable {
    private let capacity: Int
    private let entries = Mutex<[String: (principal: Principal, expiresAt: Date)]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The principal of a remembered token that has not expired at `now`.
    func principal(for token: String, at now: Date) -> Principal? {
        guard capacity > 0 else { return nil }
        return entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard now < entry.expiresAt else {
                entries[token] = nil
                return nil
            }
            return entry.principal
        }
    }

    /// Remembers a verified token until it expires.
    func remember(_ token: String, principal: Principal, expiresAt: Date) {
        guard capacity > 0 else { return }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = (principal, expiresAt)
        }
    }
}
