import Crypto
import Foundation
import JWTKit

/// Issues hall access tokens as an identity provider does: EdDSA (Ed25519) signatures under a key
/// id, `iss` and `aud` set, and publishes its key as a JSON Web Key Set. The local stack's issuer
/// (`deploy/issuer.py`) holds the same kind of key; tests and `hallctl token` mint with its key
/// file, and the services verify through the production path (discovery, JWKS, `kid`).
public struct TokenIssuer: Sendable {
    /// The issuer URL (`iss`).
    public let issuer: String
    /// The key id in the tokens' header and the key set.
    public let kid: String
    private let key: Curve25519.Signing.PrivateKey
    private let keys: JWTKeyCollection

    /// An issuer with `key`; the key id is derived from the public key unless given.
    public init(issuer: String, key: Curve25519.Signing.PrivateKey, kid: String? = nil) async {
        self.issuer = issuer
        self.key = key
        let kid = kid ?? SHA256.hash(data: key.publicKey.rawRepresentation).prefix(8).hexDigits
        self.kid = kid
        let keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: kid))
        self.keys = keys
    }

    /// An issuer whose private key is 32 bytes in standard base64 (the local stack's key file).
    public init(issuer: String, base64PrivateKey: String) async throws {
        guard let raw = Data(base64Encoded: base64PrivateKey.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32 else {
            throw ConfigurationError(key: "HALL_JWT_ISSUER_KEY", problem: "must hold an Ed25519 private key: 32 bytes in standard base64")
        }
        await self.init(issuer: issuer, key: try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
    }

    /// Every audience of the hall's services.
    public static let hallAudiences = ["intake", "coordinator", "seal", "complaints", "appraisal"].map { "servicehall-\($0)" }

    /// A signed token for `claims`, with this issuer's `iss` and (unless set) every service's audience.
    public func issue(_ claims: HallClaims) async throws -> String {
        var claims = claims
        claims.iss = IssuerClaim(value: issuer)
        if claims.aud == nil { claims.aud = AudienceClaim(value: Self.hallAudiences) }
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    /// A token for a person or system, valid `ttl` seconds from now.
    public func token(_ subject: String, _ roles: [Role], department: String? = nil, window: String? = nil, ttl: TimeInterval = 3600) async throws -> String {
        try await issue(HallClaims(subject: subject, roles: roles, department: department, window: window, ttl: ttl))
    }

    /// The public key as a JSON Web Key.
    public var jwk: [String: String] {
        let x = key.publicKey.rawRepresentation.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return ["kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"]
    }
}
