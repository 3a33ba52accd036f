import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKit
import Hummingbird
import HummingbirdTesting
import Testing

@testable import seal

/// The seal's HTTP API in process, over the repository in memory (no database, no broker): who may
/// do what, what each answer says, and that the register it keeps verifies.
@Suite("seal: routes over a repository in memory")
struct SealRouteTests {
    static let secret = String(repeating: "r", count: 40)
    static let directory = (
        departments: [
            DepartmentRecord(departmentId: "d-market", name: "市场监管局", active: true, chiefRepresentative: "s-zhang", substitute: nil),
            DepartmentRecord(departmentId: "d-tax", name: "税务局", active: true, chiefRepresentative: "s-qian", substitute: nil),
        ],
        windows: [WindowRecord(windowId: "w-07", kind: .department, departmentIds: ["d-market"], active: true)],
        staff: [
            StaffRecord(staffId: "s-zhang", departmentId: "d-market", qualified: true, active: true, windowId: "w-07"),
            StaffRecord(staffId: "s-wang", departmentId: "d-market", qualified: true, active: true, windowId: "w-07"),
        ])

    /// The seal's routes behind the hall's problem and token middleware, over a fresh memory repository.
    static func app() async -> some ApplicationProtocol {
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: await TokenAuthority(secret: secret)))
        SealService.addRoutes(
            to: router, repository: MemorySealRepository(departments: directory.departments, windows: directory.windows, staff: directory.staff))
        return Application(router: router)
    }

    static func headers(_ subject: String, _ roles: [Role], department: String? = nil, window: String? = nil) async throws -> HTTPFields {
        let token = try await TokenAuthority(secret: secret).issue(HallClaims(subject: subject, roles: roles, department: department, window: window, ttl: 600))
        return [.authorization: "Bearer \(token)", .contentType: "application/json"]
    }

    static func body(_ object: [String: JSONValue]) throws -> ByteBuffer {
        ByteBuffer(bytes: try EventEnvelope.encoder().encode(JSONValue.object(object)))
    }

    static func json(_ response: TestResponse) -> JSONValue { (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null }

    static func registration(_ code: String, custodian: String = "s-zhang", department: String = "d-market") -> [String: JSONValue] {
        [
            "departmentId": .string(department), "name": "行政审批专用章", "code": .string(code), "custodianStaffId": .string(custodian),
            "validFrom": "2026-01-01T00:00:00.000Z", "validUntil": "2099-01-01T00:00:00.000Z",
        ]
    }

    @Test("only a centre admin registers and revokes; the custodian must be the chief representative; one active seal per department; a successor is listed with its predecessor")
    func registrationAndRevocation() async throws {
        let admin = try await Self.headers("admin-zhao", [.centreAdmin])
        let chief = try await Self.headers("s-zhang", [.chiefRepresentative], department: "d-market", window: "w-07")
        try await (await Self.app()).test(.router) { client in
            try await client.execute(uri: "/v1/seals", method: .post, body: try Self.body(Self.registration("SC-1"))) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/seals", method: .post, headers: chief, body: try Self.body(Self.registration("SC-1"))) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/seals", method: .post, headers: admin, body: try Self.body(Self.registration("SC-1", custodian: "s-wang"))) {
                #expect($0.status == .badRequest)
                #expect(Self.json($0)["field"] == "custodianStaffId")
            }
            var first = ""
            try await client.execute(uri: "/v1/seals", method: .post, headers: admin, body: try Self.body(Self.registration("SC-1"))) {
                #expect($0.status == .created)
                first = Self.json($0)["sealId"]?.stringValue ?? ""
                #expect(Self.json($0)["status"] == "active" && Self.json($0)["custodianStaffId"] == "s-zhang")
            }
            try await client.execute(uri: "/v1/seals", method: .post, headers: admin, body: try Self.body(Self.registration("SC-2"))) {
                #expect($0.status == .conflict, "d-market already has an active seal")
            }
            let revocation: [String: JSONValue] = ["reason": "印章损坏", "successor": .object(Self.registration("SC-2"))]
            try await client.execute(uri: "/v1/seals/\(first)/revoke", method: .post, headers: chief, body: try Self.body(revocation)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/seals/\(first)/revoke", method: .post, headers: admin, body: try Self.body(["reason": "  "])) {
                #expect($0.status == .badRequest && Self.json($0)["field"] == "reason")
            }
            var successor = ""
            try await client.execute(uri: "/v1/seals/\(first)/revoke", method: .post, headers: admin, body: try Self.body(revocation)) {
                #expect($0.status == .ok)
                #expect(Self.json($0)["revoked"]?["status"] == "revoked" && Self.json($0)["revoked"]?["revocationReason"] == "印章损坏")
                successor = Self.json($0)["successor"]?["sealId"]?.stringValue ?? ""
                #expect(Self.json($0)["successor"]?["predecessorSealId"] == .string(first))
            }
            try await client.execute(uri: "/v1/seals?departmentId=d-market", method: .get) {
                #expect($0.status == .ok)
                #expect(Self.json($0).arrayValue?.compactMap { $0["sealId"]?.stringValue } == [first, successor], "every seal ever issued, oldest first")
            }
            try await client.execute(uri: "/v1/seals/not-a-uuid", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test("the custodian and an authorised clerk at their window seal; a repeat answers the same imprint; a revoked seal seals nothing; every imprint verifies publicly")
    func sealingAndVerification() async throws {
        let admin = try await Self.headers("admin-zhao", [.centreAdmin])
        let chief = try await Self.headers("s-zhang", [.chiefRepresentative], department: "d-market", window: "w-07")
        let clerk = try await Self.headers("s-wang", [.clerk], department: "d-market", window: "w-07")
        @Sendable func document(_ caseId: String, kind: String = "approval-decision") -> [String: JSONValue] {
            ["documentKind": .string(kind), "documentHash": .string(Hex.encode(SHA256.hash(data: Array(caseId.utf8)))), "caseId": .string(caseId), "departmentId": "d-market"]
        }
        try await (await Self.app()).test(.router) { client in
            var sealId = ""
            try await client.execute(uri: "/v1/seals", method: .post, headers: admin, body: try Self.body(Self.registration("SC-1"))) {
                sealId = Self.json($0)["sealId"]?.stringValue ?? ""
            }
            var first = ""
            try await client.execute(uri: "/v1/seal-requests", method: .post, headers: chief, body: try Self.body(document("C-1"))) {
                #expect($0.status == .created)
                first = Self.json($0)["imprintId"]?.stringValue ?? ""
                #expect(Self.json($0)["serial"] == 1)
            }
            try await client.execute(uri: "/v1/seal-requests", method: .post, headers: chief, body: try Self.body(document("C-1"))) {
                #expect($0.status == .ok && Self.json($0)["imprintId"] == .string(first))
            }
            // The clerk is not authorised yet, then is, for acceptance notices only.
            try await client.execute(uri: "/v1/seal-requests", method: .post, headers: clerk, body: try Self.body(document("C-2", kind: "acceptance-notice"))) {
                #expect($0.status == .unprocessableContent)
                #expect(Self.json($0)["type"] == .string(ProblemDetails.typeBase + "seal-refused/not-authorised"))
            }
            let authorisations: [String: JSONValue] = ["authorisations": [["staffId": "s-wang", "documentKinds": ["acceptance-notice"]]] as JSONValue]
            try await client.execute(uri: "/v1/seals/\(sealId)/authorisations", method: .put, headers: admin, body: try Self.body(authorisations)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/seal-requests", method: .post, headers: clerk, body: try Self.body(document("C-2", kind: "acceptance-notice"))) {
                #expect($0.status == .created && Self.json($0)["serial"] == 2 && Self.json($0)["requestedBy"] == "s-wang")
            }
            try await client.execute(uri: "/v1/seal-requests", method: .post, headers: clerk, body: try Self.body(document("C-3"))) {
                #expect($0.status == .unprocessableContent, "authorised for acceptance notices, not decisions")
            }
            try await client.execute(uri: "/v1/seal-requests", method: .post, headers: chief, body: try Self.body(["documentKind": "receipt"])) {
                #expect($0.status == .badRequest && Self.json($0)["field"] == "documentKind")
            }

            try await client.execute(uri: "/v1/seals/\(sealId)/revoke", method: .post, headers: admin, body: try Self.body(["reason": "遗失"])) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/seal-requests", method: .post, headers: chief, body: try Self.body(document("C-4"))) {
                #expect(Self.json($0)["type"] == .string(ProblemDetails.typeBase + "seal-refused/seal-revoked"))
            }

            // Public verification: no token.
            try await client.execute(uri: "/v1/imprints/\(first)", method: .get) {
                #expect($0.status == .ok)
                #expect(Self.json($0)["valid"] == true && Self.json($0)["seal"]?["status"] == "revoked", "sealed while the seal was valid")
            }
            try await client.execute(uri: "/v1/verify?documentHash=\(Hex.encode(SHA256.hash(data: Array("C-2".utf8))))", method: .get) {
                #expect(Self.json($0)["found"] == true && Self.json($0)["valid"] == true)
            }
            try await client.execute(uri: "/v1/verify?documentHash=\(Hex.encode(SHA256.hash(data: Array("C-4".utf8))))", method: .get) {
                #expect(Self.json($0)["found"] == false && Self.json($0)["valid"] == false)
            }
            try await client.execute(uri: "/v1/verify?documentHash=xyz", method: .get) {
                #expect($0.status == .badRequest && Self.json($0)["field"] == "documentHash")
            }
            let operatorToken = try await Self.headers("ops", [.operator])
            try await client.execute(uri: "/v1/seals/\(sealId)/verify-register", method: .post, headers: operatorToken) {
                #expect($0.status == .ok && Self.json($0)["intact"] == true && Self.json($0)["checked"] == 2)
            }
        }
    }
}
