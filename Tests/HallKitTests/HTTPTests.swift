import Foundation
import HallKit
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP errors and authentication (router in process)")
struct HTTPTests {
    static let secret = String(repeating: "s", count: 40)

    func makeApplication() async -> some ApplicationProtocol {
        let authority = await TokenAuthority(secret: Self.secret)
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(MethodNotAllowedMiddleware<HallRequestContext>())
        router.middlewares.add(NulCharacterMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: authority))
        router.get("/search") { request, _ in request.uri.queryParameters.get("q") ?? "" }
        router.post("/echo") { request, context -> String in
            struct Body: Decodable { var name: String; var items: [String] }
            return try await request.decodeBody(as: Body.self, context: context).name
        }
        router.get("/public") { _, _ in "hello" }
        router.get("/clerk-only") { _, context -> String in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .clerk)
            return principal.department ?? ""
        }
        router.post("/items") { _, _ -> String in
            throw HallError.invalid("legalLimitDays", "must be at least the promised limit (5)")
        }
        router.get("/crash") { _, _ -> String in
            struct DatabaseLeak: Error { var secret = "password=hunter2" }
            throw DatabaseLeak()
        }
        return Application(router: router)
    }

    func token(roles: [Role], department: String? = "d-market", secret: String = secret, ttl: TimeInterval = 3600) async throws -> String {
        try await TokenAuthority(secret: secret).issue(HallClaims(subject: "clerk-7", roles: roles, department: department, ttl: ttl))
    }

    @Test("a token verified once is accepted from memory only until it expires; an altered copy is still refused")
    func rememberedTokens() async throws {
        let authority = await TokenAuthority(secret: Self.secret)
        let issued = Date()
        let token = try await authority.issue(HallClaims(subject: "clerk-7", roles: [.clerk], department: "d-market", issuedAt: issued, ttl: 60))
        let first = try await authority.verify(token, now: issued)
        #expect(try await authority.verify(token, now: issued.addingTimeInterval(30)) == first)
        await #expect(throws: HallError.self) { try await authority.verify(token, now: issued.addingTimeInterval(61)) }
        // The signature's first character changed (every bit of it counts, unlike the last one's
        // padding bits): not the remembered text, and not a valid signature.
        let dot = token.lastIndex(of: ".")!
        let signatureStart = token[token.index(after: dot)]
        let altered = String(token[...dot]) + (signatureStart == "A" ? "B" : "A") + String(token[token.index(dot, offsetBy: 2)...])
        await #expect(throws: HallError.self) { try await authority.verify(altered, now: issued) }
        // A token of another secret is refused even though a token of the same subject is remembered.
        let foreign = try await self.token(roles: [.clerk], secret: String(repeating: "x", count: 40))
        await #expect(throws: HallError.self) { try await authority.verify(foreign, now: issued) }
    }

    func problem(_ response: TestResponse) throws -> ProblemDetails {
        #expect(response.headers[.contentType] == "application/problem+json")
        return try JSONDecoder().decode(ProblemDetails.self, from: Data(buffer: response.body))
    }

    @Test("a field error is problem+json naming the field and the rule")
    func fieldError() async throws {
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/items", method: .post) { response in
                #expect(response.status == .badRequest)
                let problem = try problem(response)
                #expect(problem.field == "legalLimitDays")
                #expect(problem.detail?.contains("promised") == true)
                #expect(problem.type.hasSuffix("/invalid-field"))
                #expect(problem.requestId != nil)
            }
        }
    }

    @Test("a NUL character in a query parameter, the path or a JSON string is a 400 naming the field, never a 500")
    func nulCharacters() async throws {
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/search?q=%00", method: .get) { response in
                #expect(response.status == .badRequest)
                let field = try problem(response).field
                #expect(field == "q")
            }
            try await client.execute(uri: "/search?q=ok", method: .get) { #expect(String(buffer: $0.body) == "ok") }
            try await client.execute(uri: "/a%00b", method: .get) { response in
                #expect(response.status == .badRequest)
                let field = try problem(response).field
                #expect(field == "path")
            }
            try await client.execute(uri: "/echo", method: .post, body: ByteBuffer(string: #"{"name":"a","items":["x","y\u0000"]}"#)) { response in
                #expect(response.status == .badRequest)
                let field = try problem(response).field
                #expect(field == "items[1]")
            }
            // An escaped backslash before "u0000" is ordinary text.
            try await client.execute(uri: "/echo", method: .post, body: ByteBuffer(string: #"{"name":"a\\u0000","items":[]}"#)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"a\u0000"#)
            }
        }
    }

    @Test("TRACE, CONNECT and unknown methods are a problem+json 405 with Allow, on any path")
    func methodNotAllowed() async throws {
        try await makeApplication().test(.router) { client in
            for method in [HTTPRequest.Method.trace, .connect, HTTPRequest.Method("PROPFIND")!] {
                for uri in ["/public", "/nowhere"] {
                    try await client.execute(uri: uri, method: method) { response in
                        #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                        #expect(response.headers[.allow] == "GET, HEAD, POST, PUT, PATCH, DELETE")
                        let type = try problem(response).type
                        #expect(type.hasSuffix("/method-not-allowed"))
                    }
                }
            }
            try await client.execute(uri: "/public", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("an unknown route is a problem+json 404")
    func notFound() async throws {
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                let decoded = try problem(response)
                #expect(decoded.status == 404)
            }
        }
    }

    @Test("an internal error hides its details and gives a request id")
    func internalError() async throws {
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/crash", method: .get, headers: [.xRequestID: "req-42"]) { response in
                #expect(response.status == .internalServerError)
                let body = String(buffer: response.body)
                #expect(!body.contains("hunter2"))
                let decoded = try problem(response)
                #expect(decoded.requestId == "req-42")
                #expect(response.headers[.xRequestID] == "req-42")
            }
        }
    }

    @Test("public routes need no token; protected ones check token, role and expiry")
    func authentication() async throws {
        let clerk = try await token(roles: [.clerk])
        let admin = try await token(roles: [.centreAdmin])
        let forged = try await token(roles: [.clerk], secret: String(repeating: "x", count: 40))
        let expired = try await token(roles: [.clerk], ttl: -60)
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/public", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/clerk-only", method: .get) { response in
                #expect(response.status == .unauthorized)
                let decoded = try problem(response)
                #expect(decoded.type.hasSuffix("/unauthenticated"))
            }
            try await client.execute(uri: "/clerk-only", method: .get, headers: [.authorization: "Bearer \(clerk)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "d-market")
            }
            try await client.execute(uri: "/clerk-only", method: .get, headers: [.authorization: "Bearer \(admin)"]) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/clerk-only", method: .get, headers: [.authorization: "Bearer \(forged)"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/clerk-only", method: .get, headers: [.authorization: "Bearer \(expired)"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/public", method: .get, headers: [.authorization: "Basic abc"]) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test("a principal acts only for its own department")
    func department() throws {
        let principal = Principal(subject: "p", roles: [.chiefRepresentative], department: "d-tax", window: nil)
        #expect(throws: Never.self) { try principal.require(department: "d-tax") }
        #expect(throws: HallError.self) { try principal.require(department: "d-market") }
    }
}

@Suite("The services' JSON answers")
struct ResponseEncodingTests {
    struct Answer: Encodable {
        var caseId = UUID(uuidString: "0F8FAD5B-D9CB-469F-A165-70867728950E")!
        var imprintIds = [UUID(uuidString: "7C9E6679-7425-40DE-944B-E07FC1F90AE7")!]
        var note = "see 0F8FAD5B-D9CB-469F-A165-70867728950E in the log"
        var code = "ABCDEFAB-ABCD-ABCD-ABCD-ABCDEFABCDEX"
    }

    @Test("every UUID is written in lower case, as in the events; other text, even UUID-like, is left as it is")
    func lowercaseUUIDs() throws {
        let text = String(decoding: try HallResponseEncoder().encode(Answer()), as: UTF8.self)
        #expect(text.contains(#""caseId":"0f8fad5b-d9cb-469f-a165-70867728950e""#))
        #expect(text.contains(#""imprintIds":["7c9e6679-7425-40de-944b-e07fc1f90ae7"]"#))
        #expect(text.contains("see 0F8FAD5B-D9CB-469F-A165-70867728950E in the log"))
        #expect(text.contains("ABCDEFAB-ABCD-ABCD-ABCD-ABCDEFABCDEX"))
    }
}
