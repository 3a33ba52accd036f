import Foundation
import HallKit
import HallWeb
import Hummingbird
import HummingbirdTesting
import Testing

/// The pages' kit on a router in process: sign-in, the session cookie, the forms' CSRF token, the
/// assets' cache headers, error pages, and the QR code read back by a real decoder. The pages of
/// each service are driven in Chromium by deploy/web/test_pages.py.
@Suite("Pages: sign-in, sessions, forms, assets and QR codes")
struct WebTests {
    static let secret = String(repeating: "w", count: 40)

    /// A router with the common pages and one staff page for clerks that echoes a posted field.
    func withPages(_ body: @escaping @Sendable (any TestClientProtocol, TokenAuthority) async throws -> Void) async throws {
        let authority = await TokenAuthority(secret: Self.secret)
        let settings = try WebSettings(environment: EnvironmentReader(["HALL_JWT_SECRET": Self.secret]))
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(BearerAuthMiddleware(authority: authority))
        let pages = WebPages.add(to: router, serviceTitle: "测试", templates: nil, settings: settings, authority: authority)
        let staffPage: @Sendable (Request, HallRequestContext) async throws -> Response = { request, context in
            try await pages.staff(request, context, roles: [.clerk]) { context, viewer, form in
                struct Echo { var heading: String; var detail: String; var status: Int; var field: String? }
                let said = form?.first("say") ?? "-"
                return pages.renderer.render(
                    "error", title: "echo", page: Echo(heading: "你好 \(context.principal?.subject ?? "?")", detail: said, status: 200, field: nil),
                    viewer: viewer)
            }
        }
        // A rule refused deep in a store, with and without the hall's words for it.
        router.get("/refused") { request, context in
            try await pages.staff(request, context, roles: [.clerk]) { _, _, _ in
                if request.uri.queryParameters.get("words") == nil { throw HallError(.conflict, "the clock is stopped") }
                throw HallError(
                    .conflict, "application R1 is ready, not accepted", field: "receiptCode", words: "申请 R1 当前为“待领取”，不能再补正")
            }
        }
        router.get("/staff", use: staffPage)
        router.post("/staff", use: staffPage)
        try await Application(router: router).test(.router) { client in try await body(client, authority) }
    }

    func token(_ authority: TokenAuthority, roles: [Role] = [.clerk]) async throws -> String {
        try await authority.issue(HallClaims(subject: "zx-wang-fang", roles: roles, department: "d-centre", window: "w-c01", ttl: 600))
    }

    static func body(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test("a staff page without a session sends the browser to sign in and back; a token that does not verify counts as none")
    func signInFirst() async throws {
        try await withPages { client, _ in
            try await client.execute(uri: "/staff?x=1", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/login?next=%2Fstaff%3Fx%3D1")
            }
            try await client.execute(uri: "/staff", method: .get, headers: [.cookie: "hall_session=forged.token.here"]) { response in
                #expect(response.status == .seeOther)
            }
        }
    }

    @Test("signing in with a token sets an HttpOnly, SameSite=Strict cookie and returns to the page asked; another site's address is not followed")
    func signIn() async throws {
        try await withPages { client, authority in
            let token = try await token(authority)
            let form = "token=\(token)&next=%2Fstaff"
            try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)
            ) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/staff")
                let cookie = try #require(response.headers[.setCookie])
                #expect(cookie.hasPrefix("hall_session=\(token);") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            }
            for next in ["//evil.example/x", "https://evil.example/", "/\\evil.example"] {
                let escaped = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                try await client.execute(
                    uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "token=\(token)&next=\(escaped)")
                ) { response in
                    #expect(response.headers[.location] == "/", "\(next)")
                }
            }
            try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "token=nonsense")
            ) { response in
                #expect(response.status == .unauthorized && response.headers[.setCookie] == nil)
                #expect(Self.body(response).contains("令牌无效或已过期"))
            }
        }
    }

    @Test("the signed-in clerk sees the page; a person without the page's role is shown 403; a form without the session's CSRF token changes nothing")
    func rolesAndForms() async throws {
        try await withPages { client, authority in
            let clerk = try await token(authority)
            let cookie: HTTPFields = [.cookie: "other=1; hall_session=\(clerk)"]
            var csrf = ""
            try await client.execute(uri: "/staff", method: .get, headers: cookie) { response in
                #expect(response.status == .ok)
                let html = Self.body(response)
                #expect(html.contains("你好 zx-wang-fang") && html.contains("窗口 w-c01"))
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                csrf = try #require(html.firstMatch(of: #/name="csrf" value="([0-9a-f]{64})"/#).map { String($0.1) })
            }
            let officer = try await token(authority, roles: [.departmentOfficer])
            try await client.execute(uri: "/staff", method: .get, headers: [.cookie: "hall_session=\(officer)"]) { response in
                #expect(response.status == .forbidden && Self.body(response).contains("clerk"))
            }
            var form = cookie
            form[.contentType] = "application/x-www-form-urlencoded"
            try await client.execute(uri: "/staff", method: .post, headers: form, body: ByteBuffer(string: "say=%E4%BD%A0+%26+me&csrf=\(csrf)")) { response in
                #expect(response.status == .ok && Self.body(response).contains("你 &amp; me"))
            }
            for forged in ["", "csrf=\(String(repeating: "0", count: 64))", "csrf=\(csrf.dropLast())"] {
                try await client.execute(uri: "/staff", method: .post, headers: form, body: ByteBuffer(string: "say=x&" + forged)) { response in
                    #expect(response.status == .forbidden)
                    #expect(Self.body(response).contains("csrf") && !Self.body(response).contains("say=x"))
                }
            }
        }
    }

    @Test("a rule refused deep in a store is shown in the hall's words, naming the field in words and by name; an error without words shows the API's message")
    func errorWords() async throws {
        try await withPages { client, authority in
            let cookie: HTTPFields = [.cookie: "hall_session=\(try await token(authority))"]
            try await client.execute(uri: "/refused?words", method: .get, headers: cookie) { response in
                let html = Self.body(response)
                #expect(response.status == .conflict)
                #expect(html.contains("当前状态下不能办理") && html.contains("申请 R1 当前为“待领取”，不能再补正"))
                #expect(html.contains("受理编号") && html.contains("receiptCode"))
                #expect(!html.contains("not accepted"))
            }
            try await client.execute(uri: "/refused", method: .get, headers: cookie) { response in
                #expect(response.status == .conflict && Self.body(response).contains("the clock is stopped"))
            }
        }
        let refused = HallError(.conflict, "application R1 is ready", field: "receiptCode", words: "申请 R1 当前为“待领取”")
        #expect(refused.pageText == "申请 R1 当前为“待领取”（受理编号 receiptCode）")
        #expect(HallError(.conflict, "the clock is stopped").pageText == "the clock is stopped")
    }

    @Test("what a person typed is escaped in the page: a hostile return address cannot add markup")
    func escaping() async throws {
        try await withPages { client, _ in
            try await client.execute(uri: "/login?next=%2F%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", method: .get) { response in
                let html = Self.body(response)
                #expect(!html.contains("<script>alert(1)</script>"))
                #expect(html.contains("&lt;script&gt;"))
            }
        }
    }

    @Test("the style sheet is served by its content's hash for a year, immutable; a stale hash is not served; a repeat gets 304")
    func assets() async throws {
        try await withPages { client, _ in
            var path = ""
            try await client.execute(uri: "/login", method: .get) { response in
                let html = Self.body(response)
                path = try #require(html.firstRange(of: #//static/[0-9a-f]{12}/hall\.css/#).map { String(html[$0]) })
            }
            var eTag = ""
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "text/css; charset=utf-8")
                #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                eTag = try #require(response.headers[.eTag])
            }
            try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: eTag]) { #expect($0.status == .notModified) }
            try await client.execute(uri: "/static/000000000000/hall.css", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/assets/hall.css", method: .get) { #expect($0.headers[.cacheControl] == "public, max-age=300") }
        }
    }

    @Test("form bodies: '+' is a space, escapes are decoded, a name may repeat, an empty value counts as absent")
    func forms() {
        let form = WebForm("role=clerk&role=centre-admin&name=%E5%BC%A0+%E4%B8%89&empty=&flag")
        #expect(form.all("role") == ["clerk", "centre-admin"])
        #expect(form.first("name") == "张 三")
        #expect(form.first("empty") == nil && form.ticked("empty") && form.ticked("flag") && !form.ticked("missing"))
        // A broken escape or bytes that are not UTF-8 read as empty, as Foundation's decoding has it.
        let broken = WebForm("a=%zz&b=100%&c=%E5%BC&d=%e5%bc%a0&e=50%25+off")
        #expect(broken.first("a") == nil && broken.first("b") == nil && broken.first("c") == nil && broken.ticked("c"))
        #expect(broken.first("d") == "张" && broken.first("e") == "50% off")
    }

    @Test("a form's names and values decode as Foundation's percent-decoding does, for random text of escapes, pluses and characters (bytes that are not UTF-8 read as empty)")
    func formDecodingMatchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["%", "%2", "%25", "%2B", "%E5%BC%A0", "%e5%bc", "%C3", "%FF", "%A9", "%zz", "+", "a", "Z", "9", "张", "-", "~", "%0A", "%00"]
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let foundation = text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            // Foundation reads a lone continuation byte (`%A9`) as U+FFFD but refuses other bytes
            // that are not UTF-8; the form refuses them all.
            #expect(WebForm.decoded(Substring(text)) == (foundation.contains("\u{FFFD}") ? "" : foundation), "\(text)")
        }
    }

    @Test("a chart drawn on the server: one bar per value, the tallest for the largest, every label escaped, a colour not of the palette's form drawn grey")
    func barChart() throws {
        let chart = BarChart(
            title: "<script>按月</script>", labels: ["2026-01", "a&b"],
            series: [.init(name: "受理", values: [10, 40], colour: "#1f5fa8"), .init(name: "办结", values: [5, 20], colour: "red;x")])
        let svg = chart.svg
        #expect(!svg.contains("<script>") && svg.contains("&lt;script&gt;按月"))
        #expect(svg.contains(">a&amp;b</text>"))
        let heights = svg.components(separatedBy: "height=\"").dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }
        // Month by month, each series' bar: 10 and 5, then 40 and 20; the two legend squares after them.
        let bars = Array(heights.prefix(4))
        #expect(bars.count == 4 && bars.max() == bars[2], "\(bars)")
        #expect(abs(bars[0] * 4 - bars[2]) < 0.5 && abs(bars[1] * 2 - bars[0]) < 0.5, "bars in proportion: \(bars)")
        #expect(svg.contains("fill=\"#888888\"") && !svg.contains("red;x"))
    }

    @Test("a QR code of a verification address reads back exactly with zbar, and its SVG path draws exactly its dark modules")
    func qrCode() throws {
        let url = "http://127.0.0.1:8083/verify?documentHash=" + String(repeating: "0123456789abcdef", count: 4)
        // Up to version 9 a code is made a row at a time; the last text (336 bytes) takes a version above 9, made module by module.
        for text in [url, "受理通知书 2026-000001", "A", String(repeating: "https://hall.example/verify?", count: 12)] {
            let code = try QRCode(text: text)
            let svg = code.svg(title: "<验证> & \"引号\"")
            #expect(svg.contains("<title>&lt;验证&gt; &amp; &quot;引号&quot;</title>"))
            #expect(try Self.zbar(code) == text)
            #expect(Self.drawn(svg, size: code.size) == (0..<code.size).map { y in (0..<code.size).map { x in code.module(x: x, y: y) } })
        }
        #expect(throws: QRCode.TooLong.self) { try QRCode(bytes: Array(repeating: 0x41, count: 3000)) }
    }

    /// The modules the SVG's path draws dark: each `M x y.5 h n` or `m gap 0 h n` a line along the
    /// middle of a row, one module wide (the quiet zone of 4 taken off).
    static func drawn(_ svg: String, size: Int) -> [[Bool]] {
        var modules = Array(repeating: Array(repeating: false, count: size), count: size)
        guard let d = svg.split(separator: " d=\"").last?.split(separator: "\"").first else { return modules }
        var x = 0, y = 0
        let scanner = Scanner(string: String(d))
        while !scanner.isAtEnd {
            switch scanner.scanCharacter() {
            case "M":
                guard let nx = scanner.scanInt(), let ny = scanner.scanDouble(), ny.truncatingRemainder(dividingBy: 1) == 0.5 else { return [] }
                (x, y) = (nx - 4, Int(ny) - 4)
            case "m":
                guard let gap = scanner.scanInt(), scanner.scanInt() == 0 else { return [] }
                x += gap
            case "h":
                guard let run = scanner.scanInt(), run > 0, (0..<size).contains(y), x >= 0, x + run <= size else { return [] }
                for column in x..<x + run { modules[y][column] = true }
                x += run
            default:
                return []
            }
        }
        return modules
    }

    /// Draws the code as a grey-map image (4 pixels a module, the quiet zone) and reads it with `zbarimg`.
    static func zbar(_ code: QRCode) throws -> String {
        let scale = 4, side = (code.size + 8) * scale
        var pixels = [UInt8](repeating: 255, count: side * side)
        for y in 0..<code.size { for x in 0..<code.size where code.module(x: x, y: y) {
            for dy in 0..<scale { for dx in 0..<scale { pixels[((y + 4) * scale + dy) * side + (x + 4) * scale + dx] = 0 } }
        } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString).pgm")
        defer { try? FileManager.default.removeItem(at: file) }
        try (Data("P5\n\(side) \(side)\n255\n".utf8) + Data(pixels)).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
        process.arguments = ["--raw", "-q", "-Sdisable", "-Sqrcode.enable", "-Sqrcode.binary", file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
