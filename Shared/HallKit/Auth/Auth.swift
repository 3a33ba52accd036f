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

/// The claims of a hall access token.
public struct HallClaims: JWTPayload, Equatable {
    /// Staff or system id.
    public var sub: SubjectClaim
    /// Expiry (seconds since 1970, UTC).
    public var exp: ExpirationClaim
    /// Issue time.
    public var iat: IssuedAtClaim
    /// Who issued the token: the hall's identity provider (checked against `HALL_JWT_ISSUER`).
    public var iss: IssuerClaim?
    /// The services the token is for (one must be the verifying service's `HALL_JWT_AUDIENCE`).
    public var aud: AudienceClaim?
    /// Granted roles.
    public var roles: [Role]
    /// The department the holder acts for, when the role is departmental.
    public var department: String?
    /// The hall window the holder works at, for clerks.
    public var window: String?

    /// Creates claims.
    public init(
        subject: String, roles: [Role], department: String?, window: String? = nil, issuedAt: Date = Date(), ttl: TimeInterval,
        issuer: String? = nil, audience: [String]? = nil
    ) {
        self.sub = SubjectClaim(value: subject)
        self.iat = IssuedAtClaim(value: issuedAt)
        self.exp = ExpirationClaim(value: issuedAt.addingTimeInterval(ttl))
        self.iss = issuer.map { IssuerClaim(value: $0) }
        self.aud = audience.map { AudienceClaim(value: $0) }
        self.roles = roles
        self.department = department
        self.window = window
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// What a token must satisfy besides its signature.
public struct TokenRules: Sendable {
    /// The required `iss`, or nil to accept any (development secret only).
    public var issuer: String?
    /// The audience the `aud` claim must contain, or nil to accept any (development secret only).
    public var audience: String?
    /// The longest lifetime accepted (`exp` − `iat`).
    public var maxLifetime: TimeInterval
    /// How far ahead of this server's clock a token's `iat` may be.
    public var clockSkew: TimeInterval

    /// Creates rules; by default twelve hours at most, a minute of skew.
    public init(issuer: String? = nil, audience: String? = nil, maxLifetime: TimeInterval = 12 * 3600, clockSkew: TimeInterval = 60) {
        self.issuer = issuer
        self.audience = audience
        self.maxLifetime = maxLifetime
        self.clockSkew = clockSkew
    }

    /// Why `claims` break the rules at `now` (in English and in the hall's words), or nil.
    func violation(of claims: HallClaims, at now: Date) -> (message: String, words: String)? {
        if let issuer, claims.iss?.value != issuer { return ("the token's issuer is not \(issuer)", "令牌不是由 \(issuer) 签发的") }
        if let audience, !(claims.aud?.value.contains(audience) ?? false) { return ("the token is not for \(audience)", "令牌不是签发给 \(audience) 使用的") }
        let issued = claims.iat.value, expires = claims.exp.value
        if issued > now.addingTimeInterval(clockSkew) { return ("the token is issued in the future", "令牌的签发时间晚于当前时间") }
        if expires.timeIntervalSince(issued) > maxLifetime {
            return ("the token lives longer than \(Int(maxLifetime)) s", "令牌有效期超过 \(Int(maxLifetime)) 秒")
        }
        if now >= expires { return ("the token has expired", "令牌已过期") }
        return nil
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
            throw HallError(
                .forbidden, "this action needs one of the roles: \(roles.map(\.rawValue).joined(separator: ", "))",
                words: "办理此项需要以下角色之一：\(roles.map(\.rawValue).joined(separator: "、"))")
        }
    }

    /// Throws ``HallError/Code/forbidden`` unless the caller acts for `department`.
    public func require(department: String) throws {
        guard self.department == department else {
            throw HallError(.forbidden, "the caller does not act for department \(department)", field: "department", words: "当前登录身份不能代表部门 \(department) 办理")
        }
    }
}

/// Verifies hall access tokens.
///
/// In production the tokens come from the hall's identity provider and are verified against its
/// published keys (``JWKSKeys``: ES256, EdDSA or RS256, the key chosen by `kid`, fetched again when
/// an unknown `kid` appears), with `iss`, `aud`, a maximum lifetime and a bounded clock skew
/// (``TokenRules``). A shared HMAC-SHA256 secret is accepted only when a hall is set up for
/// development (`HALL_JWT_DEVELOPMENT_HS256`), and by route tests that build a router in process.
///
/// A front desk sends the same token with every request of a shift, so a token verified once is
/// remembered (by its exact text, signature included) until it expires: later requests skip the
/// key collection actor, the signature and the claims' JSON. Only tokens that passed verification
/// are remembered, and each use checks the expiry again, so a forged, altered or expired token is
/// never accepted from memory.
public struct TokenAuthority: Sendable {
    private enum Keys: Sendable {
        case secret(JWTKeyCollection)
        case published(JWKSKeys)
    }

    private let keys: Keys
    private let rules: TokenRules
    private let verified: VerifiedTokens

    /// An authority of one shared HMAC-SHA256 secret (development, route tests).
    ///
    /// - Parameter rememberedTokens: how many verified tokens are remembered at most (the memory is
    ///   emptied when it is full); 0 verifies every time.
    public init(secret: String, rules: TokenRules = TokenRules(), rememberedTokens: Int = 4096) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = .secret(keys)
        self.rules = rules
        self.verified = VerifiedTokens(capacity: rememberedTokens)
    }

    /// An authority of the identity provider's published keys; `rules` should name its issuer and
    /// this service's audience.
    public init(published: JWKSKeys, rules: TokenRules, rememberedTokens: Int = 4096) {
        self.keys = .published(published)
        self.rules = rules
        self.verified = VerifiedTokens(capacity: rememberedTokens)
    }

    /// Issues a token with the shared secret (route tests; development halls: `hallctl token`).
    public func issue(_ claims: HallClaims) async throws -> String {
        guard case .secret(let keys) = keys else {
            throw HallError(.internalError, "tokens of the identity provider are issued by the provider", words: "身份服务的令牌只能由身份服务签发")
        }
        return try await keys.sign(claims)
    }

    /// The algorithms accepted from an identity provider.
    static let publishedAlgorithms: Set<String> = ["ES256", "EdDSA", "RS256"]

    /// Verifies a token's signature and claims.
    ///
    /// - Throws: ``HallError/Code/unauthenticated`` for a bad, forged, expired or foreign token.
    public func verify(_ token: String, now: Date = Date()) async throws -> Principal {
        if let principal = verified.principal(for: token, at: now) { return principal }
        let claims: HallClaims
        do {
            switch keys {
            case .secret(let keys):
                claims = try await keys.verify(token, as: HallClaims.self)
            case .published(let published):
                let header = try TokenHeader(token)
                guard Self.publishedAlgorithms.contains(header.alg) else { throw HallError(.unauthenticated, "algorithm", words: "令牌的签名算法不被接受") }
                guard let kid = header.kid else { throw HallError(.unauthenticated, "no kid", words: "令牌未注明密钥编号（kid）") }
                claims = try await published.collection(for: kid).verify(token, as: HallClaims.self)
            }
        } catch {
            throw HallError(.unauthenticated, "the bearer token is invalid or expired", words: "登录令牌无效或已过期，请重新登录")
        }
        if let violation = rules.violation(of: claims, at: now) {
            throw HallError(.unauthenticated, "the bearer token is not accepted: \(violation.message)", words: "登录令牌不被接受：\(violation.words)")
        }
        let principal = Principal(subject: claims.sub.value, roles: Set(claims.roles), department: claims.department, window: claims.window)
        verified.remember(token, principal: principal, expiresAt: claims.exp.value)
        return principal
    }
}

/// The `alg` and `kid` of a token's header, read before any key is chosen.
struct TokenHeader: Decodable {
    var alg: String
    var kid: String?

    init(_ token: String) throws {
        guard let first = token.split(separator: ".", omittingEmptySubsequences: false).first, first.utf8.count <= 4096 else {
            throw HallError(.unauthenticated, "malformed", words: "令牌格式有误")
        }
        var base64 = first.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { throw HallError(.unauthenticated, "malformed", words: "令牌格式有误") }
        self = try JSONDecoder().decode(TokenHeader.self, from: data)
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
