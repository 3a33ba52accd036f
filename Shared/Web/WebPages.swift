import Foundation
import HallKit
import Hummingbird

/// What a service's page handlers share: the renderer, the sessions and the settings; and the
/// two ways a page is answered — for staff (signed in, with one of the page's roles) or for the public.
public struct WebPages: Sendable {
    public let renderer: PageRenderer
    public let sessions: WebSessions
    public let settings: WebSettings
    /// The names the header shows for the signed-in person and their department; nil: their ids.
    public let names: DirectoryNames?

    public init(renderer: PageRenderer, sessions: WebSessions, settings: WebSettings, names: DirectoryNames? = nil) {
        self.renderer = renderer
        self.sessions = sessions
        self.settings = settings
        self.names = names
    }

    /// The pages of a service whose templates are in `templates`, with the routes every service
    /// with pages serves (sign-in, sign-out, the assets) added to `router`.
    ///
    /// The templates are part of the build: a service that cannot read them stops at once.
    public static func add(
        to router: Router<HallRequestContext>, serviceTitle: String, templates: URL?, settings: WebSettings, authority: TokenAuthority,
        names: DirectoryNames? = nil
    ) -> WebPages {
        let renderer: PageRenderer
        do {
            renderer = try PageRenderer(serviceTitle: serviceTitle, serviceTemplates: templates)
        } catch {
            fatalError("the page templates cannot be read: \(error)")
        }
        let pages = WebPages(renderer: renderer, sessions: WebSessions(authority: authority, settings: settings), settings: settings, names: names)
        router.addRoutes(pages.sessions.routes(renderer: renderer))
        router.addRoutes(renderer.assets.routes(context: HallRequestContext.self))
        return pages
    }

    /// A staff page. Without a session the browser is sent to sign in (and back); a person without
    /// one of `roles` is shown 403. `body` runs with the person as the context's principal, so the
    /// page goes through the same checks as the JSON API; a POST's form is checked for its CSRF
    /// token first. Every ``HallError`` becomes a page naming the rule and the field.
    public func staff(
        _ request: Request, _ context: HallRequestContext, roles: Set<Role>,
        _ body: (HallRequestContext, PageRenderer.Viewer, WebForm?) async throws -> Response
    ) async throws -> Response {
        guard let (principal, signedIn) = await sessions.viewer(request) else {
            let target = request.method == .get ? request.uri.description : "/"
            return PageRenderer.seeOther("/login?next=" + (target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
        }
        var viewer = signedIn
        if let names { (viewer.name, viewer.departmentName) = await names.names(staff: principal.subject, department: principal.department) }
        var context = context
        context.principal = principal
        do {
            guard !principal.roles.isDisjoint(with: roles) else {
                throw HallError(.forbidden, "这个页面需要以下角色之一：\(roles.map(\.rawValue).sorted().joined(separator: "、"))")
            }
            var form: WebForm?
            if request.method == .post {
                let posted = try await WebForm(request)
                try sessions.checkForm(posted, viewer: viewer)
                form = posted
            }
            return try await body(context, viewer, form)
        } catch let error as HallError {
            return renderer.error(error, viewer: viewer)
        }
    }

    /// A public page: every ``HallError`` becomes a page naming the rule and the field.
    public func publicPage(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as HallError {
            return renderer.error(error)
        }
    }
}
