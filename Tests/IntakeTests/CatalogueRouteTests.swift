import Foundation
import HallCalendar
import HallContracts
import HallKit
import Hummingbird
import HummingbirdTesting
import Testing

@testable import intake

/// The centre edits the catalogue and the public reads it, in process over the catalogue in memory:
/// who may publish, what a refusal names, and which version the guide shows on which date.
@Suite("intake: catalogue routes over a repository in memory")
struct CatalogueRouteTests {
    static let secret = String(repeating: "i", count: 40)

    static func app() async throws -> some ApplicationProtocol {
        let repository = MemoryGuideRepository(activeDepartments: ["d-market", "d-tax"])
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: await TokenAuthority(secret: secret)))
        router.addRoutes(GuidesController(repository: repository).routes)
        router.addRoutes(CatalogueController(repository: repository).routes)
        return Application(router: router)
    }

    static func headers(_ subject: String, _ roles: [Role], window: String? = nil) async throws -> HTTPFields {
        let token = try await TokenAuthority(secret: secret).issue(HallClaims(subject: subject, roles: roles, department: nil, window: window, ttl: 600))
        return [.authorization: "Bearer \(token)", .contentType: "application/json"]
    }

    static func item(effectiveFrom: String, promised: Int64 = 10, lead: String = "d-market", fee: JSONValue? = nil) throws -> ByteBuffer {
        var object: [String: JSONValue] = [
            "code": "MKT-101", "name": "食品经营许可", "kind": "committed", "leadDepartmentId": .string(lead), "legalLimitDays": 20,
            "promisedLimitDays": .int(promised), "delegatedToCentre": false, "toleratedGapAllowed": false,
            "effectiveFrom": .string(effectiveFrom), "approvalReference": "批复〔2026〕7号",
            "materials": [["id": "licence-form", "name": "申请书", "form": "original", "copies": 1, "requirement": "required", "toleratedGap": false]],
        ]
        if let fee { object["fee"] = fee }
        return ByteBuffer(bytes: try EventEnvelope.encoder().encode(JSONValue.object(object)))
    }

    static func json(_ response: TestResponse) -> JSONValue { (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null }

    @Test("only a centre admin publishes; a fee without its legal basis and an unknown department are refused naming the field")
    func publishingRules() async throws {
        let admin = try await Self.headers("admin-zhao", [.centreAdmin])
        let clerk = try await Self.headers("clerk-1", [.clerk], window: "w-01")
        try await (try await Self.app()).test(.router) { client in
            try await client.execute(uri: "/v1/items", method: .post, body: try Self.item(effectiveFrom: "2026-01-01")) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/items", method: .post, headers: clerk, body: try Self.item(effectiveFrom: "2026-01-01")) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/v1/items", method: .post, headers: admin, body: try Self.item(effectiveFrom: "2026-01-01", fee: ["amountCents": 5000])
            ) {
                #expect($0.status == .badRequest)
                #expect(Self.json($0)["field"] == "fee.basis")
            }
            try await client.execute(uri: "/v1/items", method: .post, headers: admin, body: try Self.item(effectiveFrom: "2026-01-01", lead: "d-gone")) {
                #expect($0.status == .badRequest)
                #expect(Self.json($0)["field"] == "leadDepartmentId")
            }
            try await client.execute(uri: "/v1/items/MKT-101", method: .get) { #expect($0.status == .notFound, "nothing refused was published") }
        }
    }

    @Test("a new version takes effect from its date: the guide shows the old one before it and the new one from it; a version dated before the current one is refused")
    func versions() async throws {
        let admin = try await Self.headers("admin-zhao", [.centreAdmin])
        try await (try await Self.app()).test(.router) { client in
            try await client.execute(uri: "/v1/items", method: .post, headers: admin, body: try Self.item(effectiveFrom: "2026-01-01")) {
                #expect($0.status == .created)
                #expect(Self.json($0)["version"] == 1)
            }
            try await client.execute(uri: "/v1/items", method: .post, headers: admin, body: try Self.item(effectiveFrom: "2027-03-01", promised: 7)) {
                #expect($0.status == .created)
                #expect(Self.json($0)["version"] == 2)
            }
            try await client.execute(uri: "/v1/items", method: .post, headers: admin, body: try Self.item(effectiveFrom: "2027-02-01")) {
                #expect($0.status == .badRequest)
                #expect(Self.json($0)["field"] == "effectiveFrom")
            }
            try await client.execute(uri: "/v1/items/MKT-101?on=2027-02-28", method: .get) {
                #expect(Self.json($0)["version"] == 1 && Self.json($0)["promisedLimitDays"] == 10)
            }
            try await client.execute(uri: "/v1/items/MKT-101?on=2027-03-01", method: .get) {
                #expect(Self.json($0)["version"] == 2 && Self.json($0)["promisedLimitDays"] == 7)
            }
        }
    }
}
