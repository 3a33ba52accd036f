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
        guard let principal else { throw HallError(.unauthenticated, "this endpoint needs a bearer token", words: "此接口需要登录令牌，请先登录") }
        return principal
    }

    /// The department the caller acts for: their token holds one of `roles`, and its `department`
    /// claim names a department `isActive` finds active in the service's directory (403 naming
    /// `department` otherwise). A claim is never trusted because the token says so.
    public func requireDepartment(roles: Set<Role>, isActive: (String) async throws -> Bool) async throws -> (department: String, principal: Principal) {
        let principal = try requirePrincipal()
        guard !principal.roles.isDisjoint(with: roles) else {
            throw HallError(
                .forbidden, "this needs one of the roles \(roles.map(\.rawValue).sorted().joined(separator: ", "))",
                words: "办理此项需要以下角色之一：\(roles.map(\.rawValue).sorted().joined(separator: "、"))")
        }
        guard let department = principal.department, try await isActive(department) else {
            throw HallError(
                .forbidden, "the token must act for an active department of the hall's directory", field: "department",
                words: "登录令牌须代表大厅部门名录中一个在用的部门")
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
            throw HallError.invalid(path, "must not contain the NUL character (U+0000)", words: "不得包含空字符（U+0000）")
        }
        do {
            return try context.requestDecoder.decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, let detail):
                throw HallError.invalid(fieldPath(detail.codingPath + [key]), "is required", words: "为必填项")
            case .valueNotFound(_, let detail):
                throw HallError.invalid(fieldPath(detail.codingPath), "must not be null", words: "不能为 null")
            case .typeMismatch(let expected, let detail):
                let kind = describe(expected)
                throw HallError.invalid(fieldPath(detail.codingPath), "must be \(kind.text)", words: "须为\(kind.words)")
            case .dataCorrupted(let detail) where detail.codingPath.isEmpty:
                throw HallError(.malformedBody, "the body is not valid UTF-8 JSON", words: "提交的内容不是有效的 UTF-8 JSON")
            case .dataCorrupted(let detail):
                throw HallError.invalid(fieldPath(detail.codingPath), detail.debugDescription, words: ruleWords(detail.debugDescription))
            @unknown default:
                throw HallError(.malformedBody, "the body cannot be read", words: "无法读取提交的内容")
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
            throw HallError.invalid("path", "must not contain the NUL character (%00)", words: "不得包含空字符（%00）")
        }
        if let query = request.uri.query, query.contains("%00") {
            for (name, value) in request.uri.queryParameters where value.contains("\u{0}") || name.contains("\u{0}") {
                throw HallError.invalid(
                    String(name).replacingOccurrences(of: "\u{0}", with: ""), "must not contain the NUL character (%00)", words: "不得包含空字符（%00）")
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
            let error = HallError(
                .methodNotAllowed,
                "method \(request.method.rawValue) is not allowed: the hall's routes take \(Self.allowed.map(\.rawValue).joined(separator: ", "))",
                words: "不接受 \(request.method.rawValue) 请求：大厅的接口只接受 \(Self.allowed.map(\.rawValue).joined(separator: "、")) 请求")
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

/// The kind of value a field must hold, in the API's words and in the hall's.
private func describe(_ type: Any.Type) -> (text: String, words: String) {
    switch type {
    case is String.Type: return ("a string", "字符串")
    case is Int.Type, is Int64.Type, is Int32.Type: return ("an integer", "整数")
    case is Double.Type: return ("a number", "数字")
    case is Bool.Type: return ("true or false", "true 或 false")
    default: return ("a valid \(type)", "有效的 \(type)")
    }
}

/// A rule a decoder broke (the contracts' `debugDescription`s, `Shared/Contracts`) in the hall's
/// words: the rule alone, as ``HallError/invalid(_:_:words:file:line:)`` takes it. A rule not
/// known here is quoted as it is.
func ruleWords(_ rule: String) -> String {
    let known: [String: String] = [
        "must not be empty": "不能为空",
        "ids must not be empty": "编号不能为空",
        "required (null when none)": "为必填项（没有时填 null）",
        "required (null unless conclude)": "为必填项（步骤不是作出结论（conclude）时填 null）",
        "required (null once done)": "为必填项（完成后填 null）",
        "required when priority is true (Art 40)": "走绿色通道（priority 为 true）时为必填项（第40条）",
        "expected a date YYYY-MM-DD": "须为 YYYY-MM-DD 格式的日期",
        "date outside years 0000–9999": "日期须在 0000–9999 年之间",
        "expected an RFC 3339 date-time such as 2026-01-05T08:30:00.123Z": "须为 RFC 3339 格式的时间，例如 2026-01-05T08:30:00.123Z",
        "expected a UUID such as 0b9e3c1a-5f7d-4c2e-9a61-3d8f2b7e4c10": "须为 UUID，例如 0b9e3c1a-5f7d-4c2e-9a61-3d8f2b7e4c10",
        "Attempted to decode UUID from invalid UUID string.": "须为 UUID，例如 0b9e3c1a-5f7d-4c2e-9a61-3d8f2b7e4c10",
        "expected dotted lowercase segments such as intake.application.accepted": "须为以点分隔的小写名称，例如 intake.application.accepted",
        "expected a lowercase name such as intake": "须为小写名称，例如 intake",
        "expected 1 to 128 bytes": "长度须为 1–128 字节",
        "expected a JSON object": "须为 JSON 对象",
        "Not a JSON value.": "不是有效的 JSON 值",
        "expected Ed25519": "须为 Ed25519",
        "expected 64 lower-case hex digits": "须为 64 位小写十六进制数字",
        "expected 64 lower-case hexadecimal digits": "须为 64 位小写十六进制数字",
        "expected 32 bytes in standard base64": "须为标准 base64 编码的 32 字节",
        "expected 64 bytes in standard base64": "须为标准 base64 编码的 64 字节",
        "an Ed25519 public key: 32 bytes in standard base64": "须为 Ed25519 公钥：标准 base64 编码的 32 字节",
        "expected servicehall.seal.imprint.v1": "须为 servicehall.seal.imprint.v1",
        "1–200 characters of a-z 0-9 . _ -": "须为 1–200 个字符，只能包含 a-z、0-9、“.”、“_”、“-”",
        "must be 1 to 200 characters": "须为 1–200 个字符",
        "must be 0 or more": "不得小于 0",
        "must be after validFrom": "须晚于生效时间（validFrom）",
        "must not be before from": "不得早于开始日期（from）",
        "must not be before fromTime": "不得早于开始时间（fromTime）",
        "is not before acceptedAt": "不得早于受理时间（acceptedAt）",
        "must not exceed legalLimitDays": "不得超过法定时限（legalLimitDays）",
        "expected an amount > 0 fen (omit it when free)": "须为大于 0 的金额（单位：分；不收费时不填）",
        "bundleId and bundleSize go together": "一件事套餐编号（bundleId）与件数（bundleSize）须同时填写",
        "a green-channel approval needs greenChannel true": "只有走绿色通道（greenChannel 为 true）时才能填写绿色通道审批",
        "must list at least one correction": "须至少列出一项补正内容",
        "expected one of committed, joint (an immediate item has no task)": "须为 committed（承诺件）或 joint（联办件）（即办件没有任务）",
        "each staff id at most once": "每个工作人员编号只能出现一次",
        "at least one kind, no repeats": "须至少有一种类型，且不得重复",
        "must be the category's queue": "须为该投诉类别对应的处理队列",
        "is given exactly when the step is conclude": "仅在作出结论（conclude）时填写，且此时必须填写",
        "is given exactly when the step is refer, department-findings or department-return":
            "仅在转办（refer）、部门反馈调查结果（department-findings）或部门退回（department-return）时填写，且此时必须填写",
        "is given exactly when the step is the department's return": "仅在部门反馈调查结果这一步骤填写，且此时必须填写",
        "a sanction rests on at least one complaint": "处理须基于至少一件投诉",
        "is not a sanction on a department": "不是对部门的处理",
        "is the sanctioned department itself": "不能是被处理的部门本身",
        "a removal is proposed on two complaints or more": "调离窗口岗位须基于两件或以上投诉提出",
        "is month or year": "须为 month（月度）或 year（年度）",
        "scores and total are 0–100": "各项得分与总分须在 0–100 之间",
        "is recommended exactly when unfit": "考核为不称职时须建议调换，否则不得建议",
        "expected a notice number YYYY-NNNNNN": "须为 YYYY-NNNNNN 格式的通知书编号",
        "expected an item code (2–32 of A–Z, 0–9, '-')": "须为事项编码（2–32 位，由 A–Z、0–9 和“-”组成）",
        "expected a department id": "须为部门编号",
        "expected a material": "须为材料名称",
    ]
    if let words = known[rule] { return words }
    if rule.hasPrefix("expected an integer ≥ ") { return "须为不小于 \(rule.dropFirst("expected an integer ≥ ".count)) 的整数" }
    if rule.hasPrefix("expected one of ") { return "须为以下之一：" + rule.dropFirst("expected one of ".count).replacingOccurrences(of: ", ", with: "、") }
    if rule.hasPrefix("'"), rule.hasSuffix("' appears twice") { return "“\(rule.dropFirst().dropLast("' appears twice".count))”重复出现" }
    if rule.hasPrefix("envelope member '"), rule.hasSuffix("' is not defined") {
        return "事件信封中没有定义成员“\(rule.dropFirst("envelope member '".count).dropLast("' is not defined".count))”"
    }
    return "不符合规则：\(rule)"
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
                throw HallError(
                    .unauthenticated, "the Authorization header must be 'Bearer <token>'", field: "Authorization",
                    words: "Authorization 请求头须为“Bearer <令牌>”格式")
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
