import AsyncHTTPClient
import Crypto
import Foundation
import HallKit
import Hummingbird
import NIOCore

/// Staff pages' sign-in: the hall's access token kept in a cookie, and the token that protects
/// every form from other sites.
///
/// - The cookie `hall_session` holds the token the identity provider issued: `HttpOnly` (no script
///   reads it), `SameSite=Strict` (no other site's page sends it), `Path=/`, and `Secure` when the
///   hall is served over HTTPS (`HALL_WEB_SECURE_COOKIES=on`). Every request verifies it as the API
///   verifies a bearer token (signature, issuer, audience, lifetime): a page trusts nothing the
///   cookie merely says. Pages only read the cookie; the JSON API only reads `Authorization`,
///   so no other site can make a browser call the API with the cookie.
/// - Every form carries `csrf`, the HMAC-SHA256 of the session's token under the hall's session
///   key; a POST whose `csrf` does not match is refused (403) before anything is done.
/// - Sign-in: `/login` takes a token the identity provider issued (pasted, or posted by the
///   provider's own sign-in page). A development hall (`HALL_WEB_DEV_SIGNIN=on`) also offers a
///   form that asks the local identity provider (`<HALL_JWT_ISSUER>/token`) for a token of the
///   person and roles entered; the token it returns is verified like any other.
public struct WebSessions: Sendable {
    public static let cookieName = "hall_session"

    let authority: TokenAuthority
    let key: SymmetricKey
    let secureCookies: Bool
    let developmentIssuer: String?

    /// Sessions verified by `authority`, forms protected under `key`.
    public init(authority: TokenAuthority, settings: WebSettings) {
        self.authority = authority
        self.key = settings.sessionKey
        self.secureCookies = settings.secureCookies
        self.developmentIssuer = settings.developmentSignIn ? settings.issuer : nil
    }

    /// The signed-in person of a page request, or nil (no cookie, or a token no longer accepted).
    public func viewer(_ request: Request) async -> (principal: Principal, viewer: PageRenderer.Viewer)? {
        guard let token = Self.cookie(Self.cookieName, in: request), !token.isEmpty, token.utf8.count <= 8192 else { return nil }
        guard let principal = try? await authority.verify(token) else { return nil }
        let viewer = PageRenderer.Viewer(
            subject: principal.subject, roles: principal.roles.map(\.rawValue).sorted(), department: principal.department,
            window: principal.window, csrf: csrf(for: token))
        return (principal, viewer)
    }

    /// The CSRF token of a session.
    func csrf(for token: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: key).hexDigits
    }

    /// Refuses a form whose `csrf` field is not the session's (compared in constant time).
    public func checkForm(_ form: WebForm, viewer: PageRenderer.Viewer) throws {
        let given = Array((form.first("csrf") ?? "").utf8), expected = Array(viewer.csrf.utf8)
        guard given.count == expected.count, zip(given, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw HallError(
                .forbidden, "the form did not come from this hall's page (its csrf token does not match the session); reload the page and try again",
                field: "csrf", words: "表单不是由本大厅页面提交的（表单校验码与登录会话不符），请刷新页面后重试")
        }
    }

    /// The value of cookie `name`.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
            }
        }
        return nil
    }

    func sessionCookie(_ token: String) -> String {
        "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
    }

    /// Where a sign-in may return to: a path of this site only.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.utf8.count <= 512 else { return "/" }
        return next
    }

    /// `GET /login`, `POST /login` and `POST /logout`.
    public func routes(renderer: PageRenderer) -> RouteCollection<HallRequestContext> {
        struct LoginPage {
            var next: String
            var developmentSignIn: Bool
            var roles: [String]
            var problem: String?
        }
        let routes = RouteCollection(context: HallRequestContext.self)
        let roles = Role.allCases.map(\.rawValue)
        routes.get("/login") { request, _ in
            renderer.render(
                "login", title: "工作人员登录",
                page: LoginPage(next: Self.safeNext(request.uri.queryParameters.get("next")), developmentSignIn: developmentIssuer != nil, roles: roles))
        }
        routes.post("/login") { request, _ in
            let form = try await WebForm(request)
            let next = Self.safeNext(form.first("next"))
            func again(_ problem: String) -> Response {
                renderer.render(
                    "login", title: "工作人员登录",
                    page: LoginPage(next: next, developmentSignIn: developmentIssuer != nil, roles: roles, problem: problem), status: .unauthorized)
            }
            var token = form.first("token")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if token.isEmpty, let issuer = developmentIssuer, let subject = form.first("subject"), !subject.isEmpty {
                guard let minted = try? await Self.developmentToken(
                    issuer: issuer, subject: subject, roles: form.all("role"), department: form.first("department"), window: form.first("window"))
                else { return again("本地身份服务未签发令牌（人员编号与角色是否填写？）") }
                token = minted
            }
            guard !token.isEmpty else { return again("请填写令牌") }
            guard (try? await authority.verify(token)) != nil else { return again("令牌无效或已过期") }
            return PageRenderer.seeOther(next, headers: [.setCookie: sessionCookie(token)])
        }
        routes.post("/logout") { _, _ in
            PageRenderer.seeOther(
                "/login", headers: [.setCookie: "\(Self.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + (secureCookies ? "; Secure" : "")])
        }
        return routes
    }

    /// Asks the local identity provider of a development hall for a token.
    static func developmentToken(issuer: String, subject: String, roles: [String], department: String?, window: String?) async throws -> String {
        var body: [String: Any] = ["sub": subject, "roles": roles]
        if let department, !department.isEmpty { body["department"] = department }
        if let window, !window.isEmpty { body["window"] = window }
        var request = HTTPClientRequest(url: issuer + "/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 16 * 1024)
        guard response.status == .ok, let object = try JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any],
            let token = object["token"] as? String
        else { throw HallError(.unauthenticated, "the identity provider issued no token", words: "身份服务未签发令牌") }
        return token
    }
}

/// The pages' settings.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `HALL_WEB_SESSION_KEY` | key (≥ 32 characters) of the forms' CSRF tokens; the same for every instance of a service | derived from `HALL_JWT_SECRET`, else a key of the instance's own (one instance only) |
/// | `HALL_WEB_SECURE_COOKIES` | `on`: the session cookie is sent over HTTPS only | off |
/// | `HALL_WEB_DEV_SIGNIN` | `on`: the sign-in page asks the local identity provider for a token of any person (a development hall only) | off |
/// | `HALL_WEB_SEAL_URL` | the seal service's public address, for the verification link and QR code of printed notices | `http://127.0.0.1:8083` |
/// | `HALL_WEB_INTAKE_URL` / `HALL_WEB_COORDINATOR_URL` | the front desk's and the department worklist's public addresses, for links between the pages | `http://127.0.0.1:8081` / `:8082` |
/// | `HALL_WEB_STATUS_CACHE` | how long a public case-status page, once asked for a second time, is shown again to the same receipt code and identity number (`0s`: never) | `1s` |
/// | `HALL_WEB_TEMPLATE_CHECK` | `on`: every page is rendered by the compiled templates and by swift-mustache too, a difference stops the service (``PageRenderer``) | off |
public struct WebSettings: Sendable {
    public var sessionKey: SymmetricKey
    public var secureCookies: Bool
    public var developmentSignIn: Bool
    public var issuer: String?
    public var sealURL: String
    public var intakeURL: String
    public var coordinatorURL: String
    /// `HALL_WEB_STATUS_CACHE`; zero keeps nothing.
    public var statusPageCache: Duration

    public init(environment: EnvironmentReader) throws {
        if let key = environment.raw("HALL_WEB_SESSION_KEY"), !key.isEmpty {
            guard key.utf8.count >= 32 else { throw ConfigurationError(key: "HALL_WEB_SESSION_KEY", problem: "must be at least 32 characters long") }
            sessionKey = SymmetricKey(data: Data(key.utf8))
        } else if let secret = environment.raw("HALL_JWT_SECRET"), secret.utf8.count >= 32 {
            sessionKey = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)), info: Data("servicehall web sessions v1".utf8), outputByteCount: 32)
        } else {
            // One instance's own key: its forms work, another instance's would not accept them.
            sessionKey = SymmetricKey(size: .bits256)
        }
        secureCookies = environment.raw("HALL_WEB_SECURE_COOKIES") == "on"
        developmentSignIn = environment.raw("HALL_WEB_DEV_SIGNIN") == "on"
        issuer = environment.raw("HALL_JWT_ISSUER").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        sealURL = environment.raw("HALL_WEB_SEAL_URL") ?? "http://127.0.0.1:8083"
        intakeURL = environment.raw("HALL_WEB_INTAKE_URL") ?? "http://127.0.0.1:8081"
        coordinatorURL = environment.raw("HALL_WEB_COORDINATOR_URL") ?? "http://127.0.0.1:8082"
        statusPageCache = try environment.duration("HALL_WEB_STATUS_CACHE", default: .seconds(1))
    }
}

/// An `application/x-www-form-urlencoded` body (at most 256 KiB), as every value of each name.
public struct WebForm: Sendable {
    public let values: [String: [String]]

    public init(_ request: Request) async throws {
        let body = try await request.body.collect(upTo: 256 * 1024)
        self.init(String(buffer: body))
    }

    public init(_ text: String) {
        var values: [String: [String]] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decoded(parts[0])
            values[name, default: []].append(parts.count > 1 ? Self.decoded(parts[1]) : "")
        }
        self.values = values
    }

    /// A name or value of an `application/x-www-form-urlencoded` body: `+` is a space, `%XX` a
    /// byte; "" when an escape is not two hexadecimal digits or the bytes are not UTF-8. Byte by
    /// byte: Foundation's replacing and `removingPercentEncoding` were 3 % of a case-status page.
    /// Hummingbird's own decoding is internal to its package, and its query parameters read
    /// neither a name's escapes nor `+` as a space.
    public static func decoded(_ part: Substring) -> String {
        let utf8 = part.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(part) }
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            index = utf8.index(after: index)
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index != utf8.endIndex, let high = hex(utf8[index]) else { return "" }
                index = utf8.index(after: index)
                guard index != utf8.endIndex, let low = hex(utf8[index]) else { return "" }
                index = utf8.index(after: index)
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? ""
    }

    /// The first value of `name`, trimmed; nil when absent or empty.
    public func first(_ name: String) -> String? {
        guard let value = values[name]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// Every non-empty value of `name`.
    public func all(_ name: String) -> [String] {
        (values[name] ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Whether a checkbox `name` was ticked.
    public func ticked(_ name: String) -> Bool { values[name] != nil }
}
