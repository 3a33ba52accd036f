import Hummingbird

/// Limits the public look-ups (a case or bundle by its code, a complaint by its tracking code) per
/// client address: past `HALL_PUBLIC_LOOKUPS_PER_MINUTE` in a minute, 429 with `Retry-After`. The
/// codes are strong; this keeps trying them from one address slow as well.
public struct LookupRateLimitMiddleware: RouterMiddleware {
    public typealias Context = HallRequestContext

    let prefixes: [(method: HTTPRequest.Method, prefix: String)]
    let limiter: FailureLimiter

    /// Limits the requests whose path starts with one of `prefixes` to `perMinute` per client:
    /// `GET` requests, or those of the method a prefix names (`POST /track`: a look-up posted from
    /// a page, so that the identity number is not in the address).
    public init(prefixes: [String], perMinute: Int) {
        self.prefixes = prefixes.map { entry in
            let parts = entry.split(separator: " ", maxSplits: 1)
            if parts.count == 2, let method = HTTPRequest.Method(String(parts[0])) { return (method, String(parts[1])) }
            return (.get, entry)
        }
        self.limiter = FailureLimiter(limit: perMinute, window: .seconds(60), counting: "look-ups", inWords: "查询")
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if prefixes.contains(where: { request.method == $0.method && request.uri.path.hasPrefix($0.prefix) }) {
            try limiter.take(context.clientAddress)
        }
        return try await next(request, context)
    }
}
