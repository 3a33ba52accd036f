import Foundation
import HallContracts
import Hummingbird
import Logging

/// The request context of every hall HTTP API: the core storage plus the verified caller.
public struct HallRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller, when the request carried a valid bearer token.
    public var principal: Principal?
    /// The peer's IP address (the connection's, not a header's), for limits per client.
    public var clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The caller, or ``HallError/Code/unauthenticated``.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw HallError(.unauthenticated, "this endpoint needs a bearer token") }
        return principal
    }

    /// The department the caller acts for: their token holds one of `roles`, and its `department`
    /// claim names a department `isActive` finds active in the service's directory (403 naming
    /// `department` otherwise). A claim is never trusted because the token says so.
    public func requireDepartment(roles: Set<Role>, isActive: (String) async throws -> Bool) async throws -> (department: String, principal: Principal) {
        let principal = try requirePrincipal()
        guard !principal.roles.isDisjoint(with: roles) else {
            throw HallError(.forbidden, "this needs one of the roles \(roles.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        guard let department = principal.department, try await isActive(department) else {
            throw HallError(.forbidden, "the token must act for an active department of the hall's directory", field: "department")
        }
        return (department, principal)
    }

    /// Bodies larger than this are refused (1 MiB).
    public var maxUploadSize: Int { 1 << 20 }

    /// JSON with dates as RFC 3339 (UTC, milliseconds), like the event contracts.
    public var requestDecoder: JSONDecoder { EventEnvelope.decoder() }
    /// JSON with sorted keys, dates as RFC 3339 (UTC, milliseconds) and UUIDs in lower case, like the event contracts.
    public var responseEncoder: HallResponseEncoder { HallResponseEncoder() }
}

extension Request {
    /// Decodes a JSON body; a body that is not valid JSON/UTF-8 or does not fit `T` becomes a
    /// problem naming the offending field (`applicant.idNumber`, `materials[2].copies`) and the rule.
    public func decodeBody<T: Decodable>(as type: T.Type, context: HallRequestContext) async throws -> T {
        let body = try await self.body.collect(upTo: context.maxUploadSize)
        return try Self.decode(T.self, from: body, context: context)
    }

    /// Decodes the JSON body as `T`, or returns nil when the body is empty (an optional body).
    ///
    /// - Throws: the same ``HallError``s as ``decodeBody(as:context:)`` for a body that is present.
    public func decodeBodyIfPresent<T: Decodable>(as type: T.Type, context: HallRequestContext) async throws -> T? {
        let body = try await self.body.collect(upTo: context.maxUploadSize)
        guard body.readableBytes > 0 else { return nil }
        return try Self.decode(T.self, from: body, context: context)
    }

    private static func decode<T: Decodable>(_ type: T.Type, from body: ByteBuffer, context: HallRequestContext) throws -> T {
        // PostgreSQL stores no NUL character in text: a string holding one is refused here, naming
        // its field, instead of failing in the database. (Looked for only when the escape occurs.)
        if body.readableBytesView.firstRange(of: Self.nulEscape) != nil,
            let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)),
            let path = nulPath(in: value)
        {
            throw HallError.invalid(path, "must not contain the NUL character (U+0000)")
        }
        do {
            return try context.requestDecoder.decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, let detail):
                throw HallError.invalid(fieldPath(detail.codingPath + [key]), "is required")
            case .valueNotFound(_, let detail):
                throw HallError.invalid(fieldPath(detail.codingPath), "must not be null")
            case .typeMismatch(let expected, let detail):
                throw HallError.invalid(fieldPath(detail.codingPath), "must be \(describe(expected))")
            case .dataCorrupted(let detail) where detail.codingPath.isEmpty:
                throw HallError(.malformedBody, "the body is not valid UTF-8 JSON")
            case .dataCorrupted(let detail):
                throw HallError.invalid(fieldPath(detail.codingPath), detail.debugDescription)
            @unknown default:
                throw HallError(.malformedBody, "the body cannot be read")
            }
        }
    }
}

extension Request {
    /// The JSON escape of the NUL character.
    fileprivate static let nulEscape = Array(#"\u0000"#.utf8)
}

/// The path (`a.b[2].c`) of the first string or member name in `value` holding a NUL character.
func nulPath(in value: JSONValue, at path: String = "") -> String? {
    switch value {
    case .string(let text):
        return text.contains("\u{0}") ? (path.isEmpty ? "body" : path) : nil
    case .array(let items):
        for (index, item) in items.enumerated() {
            if let found = nulPath(in: item, at: "\(path)[\(index)]") { return found }
        }
        return nil
    case .object(let members):
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            let memberPath = path.isEmpty ? key : "\(path).\(key)"
            if key.contains("\u{0}") { return path.isEmpty ? "body" : path }
            if let found = nulPath(in: member, at: memberPath) { return found }
        }
        return nil
    default:
        return nil
    }
}

/// Refuses a request whose path or query holds an encoded NUL character (`%00`) with a 400 naming
/// the query parameter (or `path`): PostgreSQL stores no NUL in text, and such a value would
/// otherwise fail deep in a query.
public struct NulCharacterMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.contains("%00") {
            throw HallError.invalid("path", "must not contain the NUL character (%00)")
        }
        if let query = request.uri.query, query.contains("%00") {
            for (name, value) in request.uri.queryParameters where value.contains("\u{0}") || name.contains("\u{0}") {
                throw HallError.invalid(String(name).replacingOccurrences(of: "\u{0}", with: ""), "must not contain the NUL character (%00)")
            }
        }
        return try await next(request, context)
    }
}

/// Answers 405 with `Allow` to a method no route of a hall service takes (TRACE, CONNECT, anything
/// unknown), before routing: such a request never reaches a handler, and is not mistaken for an
/// unknown path (404). The methods of a known path that its route does not take are answered by the
/// router (404), as the documents declare.
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The methods the hall's routes take.
    public static var allowed: [HTTPRequest.Method] { [.get, .head, .post, .put, .patch, .delete] }

    /// Creates the middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.allowed.contains(request.method) else {
            let error = HallError(.methodNotAllowed, "method \(request.method.rawValue) is not allowed: the hall's routes take \(Self.allowed.map(\.rawValue).joined(separator: ", "))")
            var response = try problemResponse(error.problem(requestId: request.headers[.xRequestID] ?? context.id))
            response.headers[.allow] = Self.allowed.map(\.rawValue).joined(separator: ", ")
            return response
        }
        return try await next(request, context)
    }
}

/// `a.b[2].c` from a coding path.
func fieldPath(_ path: [any CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return text.isEmpty ? "body" : text
}

private func describe(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type, is Int64.Type, is Int32.Type: return "an integer"
    case is Double.Type: return "a number"
    case is Bool.Type: return "true or false"
    default: return "a valid \(type)"
    }
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
            if let seconds = error.retryAfter { response.headers[.retryAfter] = String(seconds) }
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

/// A JSON response written like the wire (sorted keys, RFC 3339 UTC milliseconds), for handlers that
/// answer with a status other than 200 or with a value that is not a `ResponseEncodable`.
public func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let body = try EventEnvelope.encoder().encode(value)
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
}
