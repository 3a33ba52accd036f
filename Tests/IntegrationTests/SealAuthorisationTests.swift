import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKit
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import seal

@Suite("Seal authorisations over HTTP, against the real database and broker", .enabled(if: stackAvailable), .serialized)
struct SealAuthorisationTests {
    static let secret = String(repeating: "a", count: 40)

    /// Runs the seal service in process on a fresh schema (Kafka namespace = the schema) and serves
    /// it on a real port; `body` gets a client over HTTP and the service's schema.
    func withSeal(_ body: @escaping @Sendable (any TestClientProtocol, ScratchDatabase) async throws -> Void) async throws {
        HallMetrics.bootstrap()
        try await ScratchDatabase.with(migrate: false) { database in
            let schema = LocalStack.uniqueName("sealauth")
            let environment = EnvironmentReader([
                "HALL_DATABASE_URL": try requireValue(LocalStack.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL"),
                "HALL_DATABASE_SCHEMA": schema,
                "HALL_KAFKA_BROKERS": try requireValue(LocalStack.kafkaBrokers, "HALL_KAFKA_BROKERS").joined(separator: ","),
                "HALL_JWT_ISSUER": try requireValue(LocalStack.issuerURL, "HALL_JWT_ISSUER"),
                "HALL_HTTP_PORT": "0",
                "HALL_KAFKA_PARTITIONS": "2",
                "HALL_KAFKA_NAMESPACE": schema,
                "HALL_SEAL_MASTER_KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString(),
                // As the superuser, which may do anything (SealRegisterGuardTests runs the seal as a role that may not).
                "HALL_APPEND_ONLY_CHECK": "off",
            ].merging(HallSigners.environment(for: "seal")) { $1 })
            let configuration = try ServiceConfiguration(serviceName: "seal", defaultPort: 0, environment: environment)
            let definition = SealService.definition(try SealSettings(environment: environment))
            let app = try await HallServiceMain.makeApplication(definition, configuration: configuration, logger: LocalStack.logger())
            let scoped = ScratchDatabase(client: database.client, schema: schema, configuration: database.configuration)
            try await app.test(.live) { client in
                try await eventually("seal ready") {
                    try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok }
                }
                try await body(client, scoped)
            }
            try await database.client.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: LocalStack.logger())
        }
    }

    /// Department d-market (chief s-zhang) with clerks s-wang and s-li, comprehensive window w-07.
    func seedDirectory(_ database: ScratchDatabase) async throws {
        let store = SealStore(schema: database.schema, vault: KeyVault(masterKey: Array(repeating: 0, count: 32)))
        let logger = LocalStack.logger()
        let at = Date()
        try await database.client.transaction(logger: logger) { connection in
            try await store.apply(
                DepartmentChanged(departmentId: "d-market", name: "县市场监督管理局", active: true, chiefRepresentative: .init(staffId: "s-zhang", name: "张"), substitute: nil),
                occurredAt: at, on: connection, logger: logger)
            for staff in ["s-zhang", "s-wang", "s-li"] {
                try await store.apply(
                    StaffChanged(staffId: staff, name: staff, departmentId: "d-market", windowId: "w-07", qualified: true, active: true), occurredAt: at,
                    on: connection, logger: logger)
            }
            try await store.apply(
                WindowChanged(windowId: "w-07", name: "综合窗口7", kind: .comprehensive, departmentIds: ["d-market"], active: true), occurredAt: at,
                on: connection, logger: logger)
        }
    }

    func send(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String, _ body: JSONValue? = nil
    ) async throws -> (HTTPResponse.Status, JSONValue, String?) {
        try await client.execute(
            uri: uri, method: method, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
            body: try body.map { ByteBuffer(bytes: try EventEnvelope.encoder().encode($0)) }
        ) { response in
            (response.status, (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null, response.headers[.contentType])
        }
    }

    func document(_ caseId: String, kind: SealDocumentKind = .acceptanceNotice) -> JSONValue {
        [
            "documentKind": .string(kind.rawValue), "documentHash": .string(Hex.encode(SHA256.hash(data: Array("notice \(caseId)".utf8)))),
            "caseId": .string(caseId), "departmentId": "d-market",
        ]
    }

    @Test("a centre admin replaces a seal's authorised staff: audited, published; the new clerk may seal, the removed one is refused with not-authorised")
    func replaceAuthorisations() async throws {
        try await withSeal { client, database in
            try await seedDirectory(database)
            let authority = try await LocalStack.issuer()
            func token(_ subject: String, _ roles: [Role], department: String? = nil) async throws -> String {
                try await authority.issue(HallClaims(subject: subject, roles: roles, department: department, window: department == nil ? nil : "w-07", ttl: 600))
            }
            let admin = try await token("admin-zhao", [.centreAdmin])
            let wang = try await token("s-wang", [.clerk], department: "d-market")
            let li = try await token("s-li", [.clerk], department: "d-market")
            let chief = try await token("s-zhang", [.chiefRepresentative], department: "d-market")

            let (registered, seal, _) = try await send(client, .post, "/v1/seals", token: admin, [
                "departmentId": "d-market", "name": "县市场监督管理局行政审批专用章", "code": "SC-M-AUTH", "custodianStaffId": "s-zhang",
                "validFrom": "2026-01-01T00:00:00.000Z", "validUntil": "2099-01-01T00:00:00.000Z",
                "authorisations": [["staffId": "s-wang", "documentKinds": ["acceptance-notice"]]],
            ])
            #expect(registered == .created)
            let sealId = try #require(seal["sealId"]?.stringValue)
            let path = "/v1/seals/\(sealId)/authorisations"

            #expect(try await send(client, .post, "/v1/seal-requests", token: wang, document("C-1")).0 == .created)
            let (liBefore, liRefusal, _) = try await send(client, .post, "/v1/seal-requests", token: li, document("C-2"))
            #expect(liBefore == .unprocessableContent)
            #expect(liRefusal["type"] == .string(ProblemDetails.typeBase + "seal-refused/not-authorised"))

            // Only a centre admin; bad lists are refused naming the field, as problem+json.
            let newList: JSONValue = ["authorisations": [["staffId": "s-li", "documentKinds": ["acceptance-notice", "refusal-notice"]]]]
            #expect(try await send(client, .put, path, token: chief, newList).0 == .forbidden)
            let (twiceStatus, twice, twiceType) = try await send(client, .put, path, token: admin, [
                "authorisations": [["staffId": "s-li", "documentKinds": ["acceptance-notice"]], ["staffId": "s-li", "documentKinds": ["refusal-notice"]]],
            ])
            #expect(twiceStatus == .badRequest && twiceType == "application/problem+json")
            #expect(twice["field"] == "authorisations[1].staffId")
            let (noKinds, noKindsProblem, _) = try await send(client, .put, path, token: admin, ["authorisations": [["staffId": "s-li", "documentKinds": []]]])
            #expect(noKinds == .badRequest && noKindsProblem["field"] == "authorisations[0].documentKinds")
            let (unknownKind, unknownKindProblem, _) = try await send(
                client, .put, path, token: admin, ["authorisations": [["staffId": "s-li", "documentKinds": ["permit"]]]])
            #expect(unknownKind == .badRequest && unknownKindProblem["field"] == "authorisations[0].documentKinds[0]")
            let (missing, missingProblem, _) = try await send(client, .put, path, token: admin, [:])
            #expect(missing == .badRequest && missingProblem["field"] == "authorisations")
            #expect(try await send(client, .put, "/v1/seals/\(UUID().uuidString.lowercased())/authorisations", token: admin, newList).0 == .notFound)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).authorisation_changes") == 0)

            let (changed, view, _) = try await send(client, .put, path, token: admin, newList)
            #expect(changed == .ok)
            #expect(view["authorisations"] == newList["authorisations"])

            // The newly authorised clerk can seal that kind; the removed one is refused.
            let (liAfter, imprint, _) = try await send(client, .post, "/v1/seal-requests", token: li, document("C-2"))
            #expect(liAfter == .created && imprint["requestedBy"] == "s-li" && imprint["serial"] == 2)
            let (wangAfter, wangRefusal, wangType) = try await send(client, .post, "/v1/seal-requests", token: wang, document("C-3"))
            #expect(wangAfter == .unprocessableContent && wangType == "application/problem+json")
            #expect(wangRefusal["type"] == .string(ProblemDetails.typeBase + "seal-refused/not-authorised"))
            #expect(wangRefusal["field"] == "requestedBy")
            // Still only the kinds given.
            let (decision, _, _) = try await send(client, .post, "/v1/seal-requests", token: li, document("C-4", kind: .approvalDecision))
            #expect(decision == .unprocessableContent)
            #expect(try await send(client, .get, "/v1/seals/\(sealId)", token: admin).1["authorisations"] == newList["authorisations"])

            // Audited with who and when, published as an event with both lists.
            let audit = try await database.client.query(
                """
                SELECT changed_by, changed_at, previous_authorisations::text, authorisations::text
                FROM \(unescaped: database.schema).authorisation_changes
                """, logger: LocalStack.logger()
            ).decode((String, Date, String, String).self).collectAll()
            #expect(audit.count == 1)
            #expect(audit.first?.0 == "admin-zhao")
            #expect(abs((audit.first?.1 ?? .distantPast).timeIntervalSinceNow) < 120)
            #expect(audit.first?.2.contains("s-wang") == true && audit.first?.3.contains("s-li") == true)
            let payloads = try await database.client.query(
                "SELECT payload FROM \(unescaped: database.schema).outbox WHERE event_type = \(SealAuthorisationsChanged.eventType)",
                logger: LocalStack.logger()
            ).decode(String.self).collectAll()
            #expect(payloads.count == 1)
            let event = try EventEnvelope.decode(from: Array(try #require(payloads.first).utf8)).payload(as: SealAuthorisationsChanged.self)
            #expect(event.sealId.uuidString.lowercased() == sealId && event.departmentId == "d-market" && event.changedBy == "admin-zhao")
            #expect(event.authorisations == [SealAuthorisation(staffId: "s-li", documentKinds: [.acceptanceNotice, .refusalNotice])])
            #expect(event.previousAuthorisations == [SealAuthorisation(staffId: "s-wang", documentKinds: [.acceptanceNotice])])

            // A revoked seal's list no longer changes.
            #expect(try await send(client, .post, "/v1/seals/\(sealId)/revoke", token: admin, ["reason": "damaged"]).0 == .ok)
            let (revoked, revokedProblem, _) = try await send(client, .put, path, token: admin, newList)
            #expect(revoked == .conflict && revokedProblem["type"] == .string(ProblemDetails.typeBase + "conflict"))
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).authorisation_changes") == 1)
        }
    }
}
