import Hummingbird
import Logging

/// The request context of every hall HTTP API: the core storage plus the verified caller.
public struct HallRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller, when the request carried a valid bearer token.
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
    }

    /// The caller, or ``HallError/Code/unauthenticated``.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw HallError(.unauthenticated, "this endpoint needs a bearer token") }
        return principal
    }

    /// Bodies larger than this are refused (1 MiB).
    public var maxUploadSize: Int { 1 << 20 }
}

/// Verifies `Authorization: Bearer …` when present and puts the caller in the context. Requests
/// without the header pass through (public endpoints); handlers that need a caller ask for one.
public struct BearerAuthMiddleware: RouterMiddleware {
    public typealias Context = HallRequestContext
    private let authority: TokenAuthority

    /// Creates the middleware.
    public init(authority: TokenAuthority) {
        self.authority = authority
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer ") else {
                throw HallError(.unauthenticated, "the Authorization header must be 'Bearer <token>'", field: "Authorization")
            }
            context.principal = try await authority.verify(String(header.dropFirst(7)))
            context.logger[metadataKey: "principal"] = "\(context.principal!.subject)"
        }
        return try await next(request, context)
    }
}

/// Gives every request an id (the caller's `X-Request-ID`, or a new one), logs with it, echoes it
/// in the response, and turns every error into `application/problem+json`; internal error details
/// are logged, never sent.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestId = request.headers[.xRequestID].flatMap { $0.count <= 128 ? $0 : nil } ?? context.id
        var context = context
        context.logger[metadataKey: LogKey.requestId] = "\(requestId)"
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HallError {
            if error.code.status.code >= 500 {
                context.logger.error("request failed", metadata: [LogKey.error: "\(error)"])
            }
            response = try problemResponse(error.problem(requestId: requestId))
        } catch let error as any HTTPResponseError {
            let status = error.status
            let type: String
            switch status.code {
            case 404: type = "not-found"
            case 405: type = "method-not-allowed"
            case 413: type = "payload-too-large"
            case 400: type = "malformed-body"
            default: type = "http-\(status.code)"
            }
            var detail = "\(error)"
            if let httpError = error as? HTTPError { detail = httpError.body ?? status.reasonPhrase }
            response = try problemResponse(
                ProblemDetails(
                    type: ProblemDetails.typeBase + type, title: status.reasonPhrase, status: status.code,
                    detail: detail, field: nil, requestId: requestId))
        } catch {
            context.logger.error("unhandled error", metadata: [LogKey.error: "\(String(reflecting: error))"])
            response = try problemResponse(
                ProblemDetails(
                    type: ProblemDetails.typeBase + HallError.Code.internalError.type, title: HallError.Code.internalError.title,
                    status: 500, detail: "an internal error occurred; quote the request id to the operator", field: nil,
                    requestId: requestId))
        }
        response.headers[.xRequestID] = requestId
        return response
    }
}
