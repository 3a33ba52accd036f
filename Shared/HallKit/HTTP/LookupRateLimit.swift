import Hummingbird

/// Limits the public look-ups (a case or bundle by its code, a complaint by its tracking code) per
/// client address: past `HALL_PUBLIC_LOOKUPS_PER_MINUTE` in a minute, 429 with `Retry-After`. The
/// codes are strong; this keeps trying them from one address slow as well.
public struct LookupRateLimitMiddleware: RouterMiddleware {
    public typealias Context = HallRequestContext

    let prefixes: [String]
    let limiter: FailureLimiter

    /// Limits `GET` requests whose path starts with one of `prefixes` to `perMinute` per client.
    public init(prefixes: [String], perMinute: Int) {
        self.prefixes = prefixes
        self.limiter = FailureLimiter(limit: perMinute, window: .seconds(60), counting: "look-ups")
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get, prefixes.contains(where: { request.uri.path.hasPrefix($0) }) {
            try limiter.take(context.clientAddress)
        }
        return try await next(request, context)
    }
}
