import Foundation
import HallKit
import Hummingbird
import Mustache
import HTTPTypes

/// The hall's pages, rendered on the server from Mustache templates: the shared layout, sign-in
/// and error pages (this module's `Templates`) and the service's own pages (its `Pages/Templates`).
///
/// swift-mustache is the Hummingbird project's template engine: logic-less templates that a
/// hall can restyle without touching Swift, HTML-escaped by default, with layout inheritance
/// (`{{<layout}}…{{/layout}}`). Every page template renders an object with two members: `site`
/// (the layout's: title, assets, the signed-in person, the CSRF token) and `page` (the page's own
/// view), and wraps its blocks in `{{#page}}…{{/page}}`.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary
    /// The same templates, rendered without the library's run-time look-ups (``CompiledTemplates``).
    let compiled: CompiledTemplates
    /// `HALL_WEB_TEMPLATE_CHECK=on`: every page is rendered by both and a difference stops the
    /// process (the test suites' setting).
    let check: Bool
    /// The style sheet and script, served with far-future cache headers.
    public let assets: WebAssets
    /// The service's name in the layout's header (`前台受理`, `部门审批`, `印章验证`).
    public let serviceTitle: String

    /// Loads the shared templates and the service's own from `serviceTemplates` (a folder of
    /// `.mustache` files; each is known by its file name without the extension).
    public init(serviceTitle: String, serviceTemplates: URL?) throws {
        HTMLText.register()
        var library = MustacheLibrary()
        var compiled = CompiledTemplates()
        var folders: [URL] = []
        if let shared = Bundle.module.url(forResource: "Templates", withExtension: nil) { folders.append(shared) }
        if let serviceTemplates { folders.append(serviceTemplates) }
        for folder in folders {
            let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            for file in files where file.pathExtension == "mustache" {
                let text = try String(contentsOf: file, encoding: .utf8)
                try library.register(HTMLText.pragma + text, named: file.deletingPathExtension().lastPathComponent)
                // A template the compiled renderer does not handle is rendered by the library.
                try? compiled.register(HTMLText.pragma + text, named: file.deletingPathExtension().lastPathComponent)
            }
        }
        self.library = library
        self.compiled = compiled
        self.check = ProcessInfo.processInfo.environment["HALL_WEB_TEMPLATE_CHECK"] == "on"
        self.assets = try WebAssets()
        self.serviceTitle = serviceTitle
    }

    /// Who the page is shown to, for the layout.
    public struct Viewer: Sendable {
        public var subject: String
        public var roles: [String]
        public var department: String?
        public var window: String?
        /// The token that protects the page's forms from other sites (see ``WebSessions``).
        public var csrf: String
        /// The person's and the department's names in the service's copy of the directory.
        public var name: String?
        public var departmentName: String?

        public init(subject: String, roles: [String], department: String?, window: String?, csrf: String) {
            self.subject = subject
            self.roles = roles
            self.department = department
            self.window = window
            self.csrf = csrf
        }
    }

    /// What the layout shows around every page.
    struct Site: TemplateFields {
        var title: String
        var serviceTitle: String
        var css: String
        var js: String
        var viewer: Viewer?
        var csrf: String?

        var templateFields: KeyValuePairs<String, Any?> {
            ["title": title, "serviceTitle": serviceTitle, "css": css, "js": js, "viewer": viewer, "csrf": csrf]
        }
    }

    /// How a page may be kept by browsers and proxies.
    public enum Caching: Sendable {
        /// A page for one person (staff pages, a case's status): never stored.
        case privateNoStore
        /// A public page that changes rarely (a guide): kept for `seconds`.
        case publicFor(seconds: Int)
    }

    /// Renders the template `name` with `page` as a complete HTML response.
    public func render(
        _ name: String, title: String, page: Any, viewer: Viewer? = nil, status: HTTPResponse.Status = .ok, caching: Caching = .privateNoStore
    ) -> Response {
        response(html(name, title: title, page: page, viewer: viewer), status: status, caching: caching)
    }

    /// The HTML of the template `name` with `page` (to keep a public page rendered for a while).
    public func html(_ name: String, title: String, page: Any, viewer: Viewer? = nil) -> String {
        let site = Site(
            title: title, serviceTitle: serviceTitle, css: assets.path("hall.css"), js: assets.path("hall.js"), viewer: viewer, csrf: viewer?.csrf)
        let root = ["site": site, "page": page] as [String: Any]
        let library = { self.library.render(TemplateValues.plain(root) ?? [:], withTemplate: name) ?? "template \(name) is missing" }
        guard compiled.templates[name] != nil, let values = try? TemplateValues.value(root), let html = try? compiled.render(values, template: name)
        else { return library() }
        if check {
            let expected = library()
            if html != expected {
                let at = zip(html.utf8, expected.utf8).prefix { $0 == $1 }.count
                fatalError("""
                    the compiled template \(name) renders differently from swift-mustache at byte \(at):
                    compiled: \(String(decoding: html.utf8.dropFirst(max(0, at - 80)).prefix(240), as: UTF8.self))
                    library:  \(String(decoding: expected.utf8.dropFirst(max(0, at - 80)).prefix(240), as: UTF8.self))
                    """)
            }
        }
        return html
    }

    /// `html` as a page, with the security and cache headers.
    public func response(_ html: String, status: HTTPResponse.Status = .ok, caching: Caching = .privateNoStore) -> Response {
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        switch caching {
        case .privateNoStore: headers[.cacheControl] = "no-store"
        case .publicFor(let seconds): headers[.cacheControl] = "public, max-age=\(seconds)"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// What every page answers with: only this origin's scripts, styles and forms; never framed.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
    ]

    /// A page that says what went wrong in the hall's words: the rule and the field it concerns,
    /// with the status the JSON API would give.
    public func error(_ error: HallError, viewer: Viewer? = nil) -> Response {
        struct ErrorPage {
            var status: Int
            var heading: String
            var detail: String
            var field: String?
            /// The field in the hall's words, when it has some.
            var fieldWords: String?
        }
        let heading: String =
            switch error.code.status.code {
            case 400, 422: "提交的内容不符合规则"
            case 401: "请先登录"
            case 403: "无权查看或办理"
            case 404: "未找到"
            case 409: "当前状态下不能办理"
            case 429: "请求过于频繁，请稍后再试"
            default: "系统暂时无法完成"
            }
        let detail = error.code.status.code >= 500 ? "请稍后再试；如仍不行，请联系大厅管理员。" : error.words ?? error.message
        return render(
            "error", title: heading, page: ErrorPage(status: error.code.status.code, heading: heading, detail: detail, field: error.field, fieldWords: error.field.flatMap(Words.field)),
            viewer: viewer, status: error.code.status)
    }

    /// A redirect after a form (303: the browser follows it with GET).
    public static func seeOther(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }
}

/// The pages' text escaped for HTML as swift-mustache's own `HTML` content type escapes it
/// (`<`, `>`, `&`, `"` and `'`), a byte at a time: the library looks each character up in a
/// dictionary, and a notice's text made that a twentieth of a case-status page. Every template
/// starts with this content type's pragma (a partial starts again with the library's default).
struct HTMLText: MustacheContentType {
    static let name = "HALL-HTML"
    static let pragma = "{{% CONTENT_TYPE: \(name)}}"

    static func register() {
        MustacheContentTypes.register(HTMLText(), named: name)
    }

    func escapeText(_ text: String) -> String {
        Self.escaped(text)
    }

    /// The entity of a byte that must be escaped, nil for every other byte.
    static func entity(_ byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "\""): "&quot;"
        case UInt8(ascii: "'"): "&#39;"
        default: nil
        }
    }

    static func escaped(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.contains(where: { entity($0) != nil }) else { return nil }
            var escaped: [UInt8] = []
            escaped.reserveCapacity(bytes.count + 32)
            for byte in bytes {
                if let entity = entity(byte) { escaped.append(contentsOf: entity.utf8) } else { escaped.append(byte) }
            }
            return String(decoding: escaped, as: UTF8.self)
        } ?? text
    }
}

/// A string renders as itself: swift-mustache would otherwise ask, at every tag, whether the value
/// is a lambda or an optional and then print it with `String(describing:)`, a chain of dynamic
/// casts for what is already the text.
extension String: @retroactive MustacheCustomRenderable {
    public var renderText: String { self }
    public var isNull: Bool { false }
}
