import Foundation
import HTTPTypes
import Hummingbird

/// The runtime's error: a stable code, a message for people, the offending field when there is
/// one, and whether retrying can help. Over HTTP it renders as RFC 9457 `application/problem+json`.
public struct HallError: Error, Sendable, CustomStringConvertible {
    /// A stable failure kind; its `type` is the problem type URI's last segment.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// Stable identifier, e.g. `invalid-field`.
        public let type: String
        /// A short human title for the problem type.
        public let title: String
        /// HTTP status used when the error reaches a client.
        public let status: HTTPResponse.Status

        /// Defines a code. Services add their own as static members in extensions.
        public init(type: String, title: String, status: HTTPResponse.Status) {
            self.type = type
            self.title = title
            self.status = status
        }

        public var description: String { type }
        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.type == rhs.type }
        public func hash(into hasher: inout Hasher) { hasher.combine(type) }

        public static let invalidField = Code(type: "invalid-field", title: "A field is invalid", status: .badRequest)
        public static let malformedBody = Code(type: "malformed-body", title: "The request body cannot be read", status: .badRequest)
        public static let unauthenticated = Code(type: "unauthenticated", title: "Authentication is required", status: .unauthorized)
        public static let forbidden = Code(type: "forbidden", title: "Not allowed", status: .forbidden)
        public static let notFound = Code(type: "not-found", title: "Not found", status: .notFound)
        public static let methodNotAllowed = Code(type: "method-not-allowed", title: "The method is not allowed", status: .methodNotAllowed)
        public static let conflict = Code(type: "conflict", title: "Conflicts with the current state", status: .conflict)
        public static let payloadTooLarge = Code(type: "payload-too-large", title: "The request body is too large", status: .contentTooLarge)
        public static let tooManyRequests = Code(type: "too-many-requests", title: "Too many requests; try again later", status: .tooManyRequests)
        public static let unavailable = Code(type: "unavailable", title: "Temporarily unavailable", status: .serviceUnavailable)
        public static let internalError = Code(type: "internal", title: "Internal error", status: .internalServerError)
        public static let configuration = Code(type: "configuration", title: "Configuration error", status: .internalServerError)
        public static let migration = Code(type: "migration", title: "Schema migration failed", status: .internalServerError)
    }

    /// What failed.
    public var code: Code
    /// Detail for people; never contains database error text or secrets.
    public var message: String
    /// JSON pointer or name of the offending field, when there is one.
    public var field: String?
    /// The message in the hall's own language (Chinese), for the pages people read; nil when the
    /// error has only the API's message. For ``invalid(_:_:words:file:line:)``, the rule alone (the
    /// page names the field beside it).
    public var words: String?
    /// Whether the same request may succeed later.
    public var isRetriable: Bool
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: UInt
    /// Seconds after which the request may be made again (a 429's `Retry-After`).
    public var retryAfter: Int?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, field: String? = nil, words: String? = nil, isRetriable: Bool = false, file: String = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.field = field
        self.words = words
        self.isRetriable = isRetriable
        self.file = file
        self.line = line
    }

    /// A field failed a rule: names the field and the rule.
    public static func invalid(_ field: String, _ rule: String, words: String? = nil, file: String = #fileID, line: UInt = #line) -> HallError {
        HallError(.invalidField, "\(field): \(rule)", field: field, words: words, file: file, line: line)
    }

    public var description: String {
        "HallError(\(code.type)): \(message)" + (field.map { " [field \($0)]" } ?? "")
    }
}

/// An RFC 9457 problem document.
public struct ProblemDetails: Codable, Sendable, Equatable {
    /// URI identifying the problem type.
    public var type: String
    /// Short summary of the problem type.
    public var title: String
    /// HTTP status code.
    public var status: Int
    /// Explanation specific to this occurrence.
    public var detail: String?
    /// The offending field (extension member).
    public var field: String?
    /// The request id to quote to an operator (extension member).
    public var requestId: String?

    /// Problem type URIs live under this base.
    public static let typeBase = "https://servicehall.example/problems/"
}

extension HallError: HTTPResponseError {
    public var status: HTTPResponse.Status { code.status }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try problemResponse(problem(requestId: request.headers[.xRequestID] ?? context.id))
    }

    /// The problem document of this error.
    public func problem(requestId: String?) -> ProblemDetails {
        ProblemDetails(
            type: ProblemDetails.typeBase + code.type, title: code.title, status: code.status.code,
            detail: message, field: field, requestId: requestId)
    }
}

/// Encodes a problem document as an `application/problem+json` response.
public func problemResponse(_ problem: ProblemDetails) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let body = try encoder.encode(problem)
    var headers = HTTPFields()
    headers[.contentType] = "application/problem+json"
    return Response(
        status: HTTPResponse.Status(code: problem.status),
        headers: headers,
        body: .init(byteBuffer: ByteBuffer(bytes: body)))
}

extension HTTPField.Name {
    /// `X-Request-ID`: set on every request by ``RequestIDMiddleware`` and echoed in responses.
    public static let xRequestID = HTTPField.Name("X-Request-ID")!
}
