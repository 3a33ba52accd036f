import Crypto
import Foundation
import HallKit
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import Synchronization
import Testing

/// Tokens of an identity provider, verified as the services do in production: the provider's
/// discovery document and key set fetched over real HTTP from a provider served here.
@Suite("Access tokens of the identity provider: discovery, key set, rotation, issuer, audience, lifetime")
struct PublishedKeysTests {
    /// A provider whose published keys can be changed while it runs; counts key-set fetches.
    final class Provider: Sendable {
        let keys = Mutex<[[String: String]]>([])
        let fetches = Atomic<Int>(0)
        let issuerOverride = Mutex<String?>(nil)
    }

    /// Runs a provider on a free port and `body` with its URL.
    func withProvider(_ body: @escaping @Sendable (String, Provider) async throws -> Void) async throws {
        let provider = Provider()
        let router = Router()
        let port = Mutex<Int>(0)
        router.get("/.well-known/openid-configuration") { _, _ -> Response in
            let base = "http://127.0.0.1:\(port.withLock { $0 })"
            let issuer = provider.issuerOverride.withLock { $0 } ?? base
            let body = try JSONSerialization.data(withJSONObject: ["issuer": issuer, "jwks_uri": "\(base)/jwks.json"])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/jwks.json") { _, _ -> Response in
            provider.fetches.add(1, ordering: .relaxed)
            let body = try JSONSerialization.data(withJSONObject: ["keys": provider.keys.withLock { $0 }])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let live = try #require(client.port)
            port.withLock { $0 = live }
            try await body("http://127.0.0.1:\(live)", provider)
        }
    }

    func authority(_ issuer: String, audience: String = "servicehall-intake") -> TokenAuthority {
        TokenAuthority(
            published: JWKSKeys(issuer: issuer, minimumRefetch: .zero, logger: Logger(label: "test")),
            rules: TokenRules(issuer: issuer, audience: audience), rememberedTokens: 0)
    }

    func rejected(_ authority: TokenAuthority, _ token: String) async -> Bool {
        do {
            _ = try await authority.verify(token)
            return false
        } catch let error as HallError {
            return error.code == .unauthenticated
        } catch {
            return false
        }
    }

    @Test("a provider's token is accepted; another issuer, another service's audience, a lifetime over 12 h, an iat ten years ahead, an expired token are refused")
    func rules() async throws {
        try await withProvider { url, provider in
            let issuer = await TokenIssuer(issuer: url, key: .init())
            provider.keys.withLock { $0 = [issuer.jwk] }
            let authority = authority(url)
            let principal = try await authority.verify(try await issuer.token("clerk-1", [.clerk], window: "w-01"))
            #expect(principal.subject == "clerk-1" && principal.roles == [.clerk] && principal.window == "w-01")

            let elsewhere = await TokenIssuer(issuer: "https://elsewhere.example", key: .init(), kid: issuer.kid)
            do {
                let forged = try await elsewhere.token("admin", [.centreAdmin])
                #expect(await rejected(authority, forged), "signed by another key under the same kid")
            }
            var claims = HallClaims(subject: "admin", roles: [.centreAdmin], department: nil, ttl: 600, audience: ["servicehall-seal"])
            do {
                let forged = try await issuer.issue(claims)
                #expect(await rejected(authority, forged), "for another service")
            }
            claims = HallClaims(subject: "admin", roles: [.centreAdmin], department: nil, ttl: 13 * 3600)
            do {
                let forged = try await issuer.issue(claims)
                #expect(await rejected(authority, forged), "lives 13 h")
            }
            claims = HallClaims(subject: "admin", roles: [.centreAdmin], department: nil, issuedAt: Date(timeIntervalSinceNow: 10 * 365 * 86_400), ttl: 600)
            do {
                let forged = try await issuer.issue(claims)
                #expect(await rejected(authority, forged), "issued ten years ahead")
            }
            claims = HallClaims(subject: "admin", roles: [.centreAdmin], department: nil, issuedAt: Date(timeIntervalSinceNow: -700), ttl: 600)
            do {
                let forged = try await issuer.issue(claims)
                #expect(await rejected(authority, forged), "expired")
            }
        }
    }

    @Test("a token signed with a shared secret, with alg none, or with a key id the provider never published is refused; the provider is asked again for an unknown key id")
    func forgedAlgorithms() async throws {
        try await withProvider { url, provider in
            let issuer = await TokenIssuer(issuer: url, key: .init())
            provider.keys.withLock { $0 = [issuer.jwk] }
            let authority = authority(url)
            _ = try await authority.verify(try await issuer.token("clerk-1", [.clerk]))
            // HS256 whose secret is the published public key (the classic confusion), under the provider's kid.
            let confused = JWTKeyCollection()
            await confused.add(hmac: HMACKey(from: issuer.jwk["x"]!), digestAlgorithm: .sha256, kid: JWKIdentifier(string: issuer.kid))
            var claims = HallClaims(subject: "admin", roles: [.centreAdmin], department: nil, ttl: 600, issuer: url, audience: ["servicehall-intake"])
            do {
                let forged = try await confused.sign(claims, kid: JWKIdentifier(string: issuer.kid))
                #expect(await rejected(authority, forged))
            }
            // alg none.
            let none = try JSONEncoder().encode(claims).base64EncodedString().replacingOccurrences(of: "=", with: "")
            #expect(await rejected(authority, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.\(none)."))
            // A key id never published: the set is fetched again, and the token is still refused.
            let before = provider.fetches.load(ordering: .relaxed)
            let stranger = await TokenIssuer(issuer: url, key: .init(), kid: "not-published")
            claims.aud = nil
            do {
                let forged = try await stranger.issue(claims)
                #expect(await rejected(authority, forged))
            }
            #expect(provider.fetches.load(ordering: .relaxed) == before + 1)
        }
    }

    @Test("key rotation: a token under the provider's new key is accepted at once; once the old key is withdrawn its new tokens are refused")
    func rotation() async throws {
        try await withProvider { url, provider in
            let old = await TokenIssuer(issuer: url, key: .init())
            provider.keys.withLock { $0 = [old.jwk] }
            let authority = authority(url)
            _ = try await authority.verify(try await old.token("clerk-1", [.clerk]))
            let new = await TokenIssuer(issuer: url, key: .init())
            provider.keys.withLock { $0 = [new.jwk, old.jwk] }
            #expect(try await authority.verify(try await new.token("clerk-2", [.clerk])).subject == "clerk-2")
            provider.keys.withLock { $0 = [new.jwk] }
            let keys = JWKSKeys(issuer: url, minimumRefetch: .zero, logger: Logger(label: "test"))
            try await keys.refresh()
            let fresh = TokenAuthority(published: keys, rules: TokenRules(issuer: url, audience: "servicehall-intake"), rememberedTokens: 0)
            do {
                let forged = try await old.token("clerk-3", [.clerk])
                #expect(await rejected(fresh, forged))
            }
        }
    }

    @Test("a discovery document that names another issuer gives no keys")
    func discoveryIssuer() async throws {
        try await withProvider { url, provider in
            let issuer = await TokenIssuer(issuer: url, key: .init())
            provider.keys.withLock { $0 = [issuer.jwk] }
            provider.issuerOverride.withLock { $0 = "https://attacker.example" }
            do {
                let forged = try await issuer.token("clerk-1", [.clerk])
                #expect(await rejected(authority(url), forged))
            }
            #expect(provider.fetches.load(ordering: .relaxed) == 0)
        }
    }
}

