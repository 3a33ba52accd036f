import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore

/// The identity provider's published signing keys (a JSON Web Key Set), as an OIDC client knows
/// them: found through the issuer's discovery document (`<issuer>/.well-known/openid-configuration`,
/// its `jwks_uri`) unless `HALL_JWT_JWKS_URL` names the set, fetched on first use, again every
/// ``refreshInterval``, and at once when a token names a `kid` not in the set (the provider
/// rotated its key) — at most once per ``minimumRefetch``, so a flood of tokens with made-up key
/// ids cannot make the service hammer the provider.
public actor JWKSKeys {
    /// The issuer (`iss`), whose discovery document names the key set.
    public let issuer: String
    /// The key set's URL, when given instead of discovery.
    public let jwksURL: String?
    /// How long a fetched set is used before it is fetched again.
    public let refreshInterval: Duration
    /// The shortest time between two fetches caused by unknown key ids.
    public let minimumRefetch: Duration
    private let logger: Logger
    private var collection: JWTKeyCollection?
    private var kids: Set<String> = []
    private var fetchedAt: ContinuousClock.Instant?
    private var attemptedAt: ContinuousClock.Instant?
    private var inFlight: Task<Void, any Error>?

    /// Keys of `issuer`, fetched when first needed.
    public init(
        issuer: String, jwksURL: String? = nil, refreshInterval: Duration = .seconds(600), minimumRefetch: Duration = .seconds(10),
        logger: Logger
    ) {
        self.issuer = issuer
        self.jwksURL = jwksURL
        self.refreshInterval = refreshInterval
        self.minimumRefetch = minimumRefetch
        self.logger = logger
    }

    /// The key collection that holds `kid`, fetching the set first when it is unknown, stale or `kid` is new.
    public func collection(for kid: String) async throws -> JWTKeyCollection {
        let now = ContinuousClock.now
        let stale = fetchedAt.map { now - $0 > refreshInterval } ?? true
        let unknown = !kids.contains(kid)
        let mayTry = attemptedAt.map { now - $0 > minimumRefetch } ?? true
        if let inFlight {
            try? await inFlight.value
        } else if (stale || unknown) && mayTry {
            try? await refresh()
        }
        guard let collection, kids.contains(kid) else {
            throw HallError(.unauthenticated, "no published key \(kid)", words: "身份服务未公布编号为 \(kid) 的密钥")
        }
        return collection
    }

    /// Fetches the set now (one fetch at a time; callers arriving meanwhile share it).
    public func refresh() async throws {
        if let inFlight {
            try await inFlight.value
            return
        }
        attemptedAt = .now
        let task = Task { try await self.fetch() }
        inFlight = task
        defer { inFlight = nil }
        try await task.value
    }

    private func fetch() async throws {
        do {
            let url: String
            if let jwksURL { url = jwksURL } else { url = try await discoveredKeySetURL() }
            let body = try await Self.get(url)
            let set = try JSONDecoder().decode(JWKS.self, from: body)
            let fresh = JWTKeyCollection()
            var ids: Set<String> = []
            for key in set.keys {
                guard let kid = key.keyIdentifier?.string else { continue }
                do {
                    try await fresh.add(jwk: key)
                    ids.insert(kid)
                } catch {
                    logger.warning("a published key is not usable", metadata: ["kid": "\(kid)", "error": "\(error)"])
                }
            }
            collection = fresh
            kids = ids
            fetchedAt = .now
            logger.info("identity provider keys fetched", metadata: ["keys": "\(ids.sorted().joined(separator: ","))", "url": "\(url)"])
        } catch {
            logger.warning("identity provider keys could not be fetched", metadata: ["issuer": "\(issuer)", "error": "\(error)"])
            throw error
        }
    }

    private struct Discovery: Decodable {
        var issuer: String
        var jwks_uri: String
    }

    private func discoveredKeySetURL() async throws -> String {
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let discovery = try JSONDecoder().decode(Discovery.self, from: try await Self.get("\(base)/.well-known/openid-configuration"))
        guard discovery.issuer == issuer else {
            throw HallError(
                .internalError, "the discovery document names issuer \(discovery.issuer), not \(issuer)",
                words: "身份服务的发现文档所列签发方为 \(discovery.issuer)，而不是 \(issuer)")
        }
        return discovery.jwks_uri
    }

    /// A GET of at most 1 MiB, 5 s.
    private static func get(_ url: String) async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        guard response.status == .ok else {
            throw HallError(.internalError, "GET \(url) answered \(response.status.code)", words: "请求 \(url) 返回状态 \(response.status.code)")
        }
        return Data(buffer: try await response.body.collect(upTo: 1 << 20))
    }
}
