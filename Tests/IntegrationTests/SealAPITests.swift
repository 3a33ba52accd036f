import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKafka
import HallKit
import HallLocalStack
import HallServiceHarness
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import seal

@Suite("Seal HTTP API and Kafka consumer", .enabled(if: stackAvailable))
struct SealAPITests {
    static let secret = String(repeating: "s", count: 40)

    func token(_ authority: TokenAuthority, _ subject: String, _ roles: [Role], department: String? = nil, window: String? = nil) async throws -> String {
        try await authority.issue(HallClaims(subject: subject, roles: roles, department: department, window: window, ttl: 600))
    }

    @Test("register, seal over HTTP (201, repeat 200, refusal 422 with the reason), verify publicly, re-verify the register")
    func http() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            let authority = await TokenAuthority(secret: Self.secret)
            let router = Router(context: HallRequestContext.self)
            if let directory = LocalStack.recordResponses {
                router.middlewares.add(ResponseRecorder<HallRequestContext>(service: "seal", directory: directory))
            }
            router.middlewares.add(ProblemMiddleware<HallRequestContext>())
            router.middlewares.add(BearerAuthMiddleware(authority: authority))
            SealService.addRoutes(to: router, repository: hall.repository)
            let app = Application(router: router)
            let admin = try await token(authority, "admin-zhao", [.centreAdmin])
            let chief = try await token(authority, "s-zhang", [.chiefRepresentative], department: "d-market", window: "w-07")
            let otherDepartment = try await token(authority, "s-qian", [.chiefRepresentative], department: "d-tax", window: "w-07")
            let clerk = try await token(authority, "s-wang", [.clerk], department: "d-market", window: "w-07")
            let operatorToken = try await token(authority, "ops", [.operator])
            @Sendable func body(_ object: [String: JSONValue]) throws -> ByteBuffer {
                ByteBuffer(bytes: try EventEnvelope.encoder().encode(JSONValue.object(object)))
            }
            @Sendable func auth(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }
            @Sendable func object(_ response: TestResponse) -> JSONValue { (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null }
            let hash = Hex.encode(SHA256.hash(data: Array("decision C-9".utf8)))
            let document: [String: JSONValue] = ["documentKind": "approval-decision", "documentHash": .string(hash), "caseId": "C-9", "departmentId": "d-market"]

            try await app.test(.router) { client in
                let registration: [String: JSONValue] = [
                    "departmentId": "d-market", "name": "市场监管局行政审批专用章", "code": "SC-M-1", "custodianStaffId": "s-zhang",
                    "validFrom": "2026-01-01T00:00:00.000Z", "validUntil": "2099-01-01T00:00:00.000Z",
                    "authorisations": [["staffId": "s-wang", "documentKinds": ["acceptance-notice"]]] as JSONValue,
                ]
                try await client.execute(uri: "/v1/seals", method: .post, headers: auth(chief), body: try body(registration)) { #expect($0.status == .forbidden) }
                var sealId = ""
                try await client.execute(uri: "/v1/seals", method: .post, headers: auth(admin), body: try body(registration)) { response in
                    #expect(response.status == .created)
                    let seal = object(response)
                    sealId = seal["sealId"]?.stringValue ?? ""
                    #expect(seal["publicKey"]?.stringValue.flatMap { Data(base64Encoded: $0) }?.count == 32)
                    #expect(!String(buffer: response.body).contains("encrypted") && !String(buffer: response.body).contains("private"))
                }
                var missing = registration
                missing.removeValue(forKey: "code")
                try await client.execute(uri: "/v1/seals", method: .post, headers: auth(admin), body: try body(missing)) { response in
                    #expect(response.status == .badRequest)
                    #expect(object(response)["field"] == "code")
                }

                // Tokens of roles that never apply a seal, carrying the custodian's id and department: refused, nothing sealed.
                for role in [Role.complaintsHandler, .disciplineInspector, .operator, .departmentSystem, .centreAdmin] {
                    let impostor = try await token(authority, "s-zhang", [role], department: "d-market", window: "w-07")
                    try await client.execute(uri: "/v1/seal-requests", method: .post, headers: auth(impostor), body: try body(document)) { response in
                        #expect(response.status == .forbidden && object(response)["field"] == "roles", "\(role)")
                    }
                }
                var imprintId = ""
                try await client.execute(uri: "/v1/seal-requests", method: .post, headers: auth(chief), body: try body(document)) { response in
                    #expect(response.status == .created)
                    let imprint = object(response)
                    imprintId = imprint["imprintId"]?.stringValue ?? ""
                    #expect(imprint["serial"] == 1 && imprint["requestedBy"] == "s-zhang" && imprint["windowId"] == "w-07")
                }
                try await client.execute(uri: "/v1/seal-requests", method: .post, headers: auth(chief), body: try body(document)) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["imprintId"]?.stringValue == imprintId)
                }
                // Replayed by another department: refused, with the reason.
                try await client.execute(uri: "/v1/seal-requests", method: .post, headers: auth(otherDepartment), body: try body(document)) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let problem = object(response)
                    #expect(problem["type"] == .string(ProblemDetails.typeBase + "seal-refused/department-mismatch"))
                    #expect(problem["field"] == "departmentId")
                }
                var clerkDecision = document
                clerkDecision["caseId"] = "C-10"
                try await client.execute(uri: "/v1/seal-requests", method: .post, headers: auth(clerk), body: try body(clerkDecision)) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(object(response)["type"] == .string(ProblemDetails.typeBase + "seal-refused/department-mismatch"))
                }
                var bad = document
                bad["documentHash"] = "1234"
                try await client.execute(uri: "/v1/seal-requests", method: .post, headers: auth(chief), body: try body(bad)) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(object(response)["field"] == "documentHash")
                }
                try await client.execute(uri: "/v1/seal-requests", method: .post, body: try body(document)) { #expect($0.status == .unauthorized) }

                // Public verification, no token.
                try await client.execute(uri: "/v1/imprints/\(imprintId)", method: .get) { response in
                    #expect(response.status == .ok)
                    let result = object(response)
                    #expect(result["valid"] == true && result["chainIntact"] == true && result["departmentId"] == "d-market")
                }
                try await client.execute(uri: "/v1/verify?documentHash=\(hash.uppercased())", method: .get) { response in
                    let result = object(response)
                    #expect(result["found"] == true && result["valid"] == true)
                }
                try await client.execute(uri: "/v1/verify?documentHash=\(String(repeating: "0", count: 64))", method: .get) { response in
                    #expect(object(response)["found"] == false)
                }
                try await client.execute(uri: "/v1/verify?documentHash=nope", method: .get) { #expect($0.status == .badRequest) }
                try await client.execute(uri: "/v1/seals", method: .get) { response in
                    guard case .array(let seals) = object(response) else { Issue.record("not an array"); return }
                    #expect(seals.count == 1)
                }

                try await client.execute(uri: "/v1/seals/\(sealId)/verify-register", method: .post, headers: auth(clerk)) { #expect($0.status == .forbidden) }
                try await client.execute(uri: "/v1/seals/\(sealId)/verify-register", method: .post, headers: auth(operatorToken)) { response in
                    #expect(object(response)["intact"] == true)
                }
                try await hall.sql("UPDATE \(database.schema).imprints SET case_id = 'C-X'")
                try await client.execute(uri: "/v1/seals/\(sealId)/verify-register", method: .post, headers: auth(operatorToken)) { response in
                    let report = object(response)
                    #expect(report["intact"] == false && report["firstBrokenSerial"] == 1 && report["problem"] == "hash-mismatch")
                }
                try await client.execute(uri: "/v1/imprints/\(imprintId)", method: .get) { response in
                    #expect(object(response)["valid"] == false)
                }

                try await client.execute(uri: "/v1/seals/\(sealId)/revoke", method: .post, headers: auth(admin), body: try body(["reason": "damaged"])) { response in
                    #expect(response.status == .ok)
                }
                var after = document
                after["caseId"] = "C-11"
                try await client.execute(uri: "/v1/seal-requests", method: .post, headers: auth(chief), body: try body(after)) { response in
                    #expect(object(response)["type"] == .string(ProblemDetails.typeBase + "seal-refused/seal-revoked"))
                }
            }
        }
    }

    @Test("over Kafka: directory events build the projections, a request is sealed once, repeats answer with the same imprint")
    func kafka() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            let topic = try await kafka.makeTopics(["seal-in"], partitions: 2)[0]
            let producer = try kafka.producer()
            func send(_ payload: some EventPayload, key: String, caseId: String? = nil) async throws -> EventEnvelope {
                let envelope = try EventEnvelope(payload: payload, producer: "intake", caseId: caseId)
                _ = try await producer.sendSigned(KafkaProducerMessage(topic: topic, key: key, value: try envelope.encoded()))
                return envelope
            }
            _ = try await send(
                DepartmentChanged(departmentId: "d-market", name: "m", active: true, chiefRepresentative: .init(staffId: "s-zhang", name: "张"), substitute: nil),
                key: "d-market")
            _ = try await send(StaffChanged(staffId: "s-zhang", name: "张", departmentId: "d-market", windowId: nil, qualified: true, active: true), key: "s-zhang")
            _ = try await send(WindowChanged(windowId: "w-07", name: "7", kind: .comprehensive, departmentIds: [], active: true), key: "w-07")

            let running = hall.consume(topic, kafka: kafka, producer: producer)
            defer { running.cancel() }
            try await eventually("the directory is projected") {
                // Directory events of different entities may apply in different lanes: wait for all three.
                let windows = try await database.count("SELECT count(*)::bigint FROM \(database.schema).windows")
                let departments = try await database.count("SELECT count(*)::bigint FROM \(database.schema).departments")
                let staff = try await database.count("SELECT count(*)::bigint FROM \(database.schema).staff")
                return windows == 1 && departments == 1 && staff == 1
            }
            _ = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            let request = SealDocumentRequested(
                documentKind: .approvalDecision, documentHash: Hex.encode(SHA256.hash(data: Array("k".utf8))), caseId: "C-K", departmentId: "d-market",
                requestedBy: "s-zhang", windowId: "w-07")
            let first = try await send(request, key: "C-K", caseId: "C-K")
            _ = try await producer.sendSigned(KafkaProducerMessage(topic: topic, key: "C-K", value: try first.encoded()))  // redelivery
            _ = try await send(request, key: "C-K", caseId: "C-K")  // a second request for the same document
            var refused = request
            refused.requestedBy = "s-nobody"
            refused.caseId = "C-R"
            _ = try await send(refused, key: "C-R", caseId: "C-R")
            try await eventually("three answers in the outbox") {
                let answers = try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox WHERE event_type LIKE 'seal.document.%'")
                let applied = try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox")
                return answers == 3 && applied >= 6
            }
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).imprints") == 1)
            let answers = try await database.client.query(
                "SELECT payload FROM \(unescaped: database.schema).outbox WHERE event_type LIKE 'seal.document.%' ORDER BY id", logger: hall.logger
            ).decode(String.self).collectAll().map { try EventEnvelope.decode(from: Array($0.utf8)) }
            let sealed = try answers.filter { $0.type == DocumentSealed.eventType }.map { try $0.payload(as: DocumentSealed.self) }
            #expect(sealed.count == 2 && Set(sealed.map(\.imprintId)).count == 1)
            // Different cases are applied in parallel lanes, so only the same case's answers are ordered.
            #expect(answers.first { $0.type == DocumentSealed.eventType }?.causationId == first.id)
            let refusal = try #require(answers.first { $0.type == DocumentRefused.eventType })
            #expect(try refusal.payload(as: DocumentRefused.self).reason == .notAuthorised)
            await producer.close()
        }
    }

    @Test("over Kafka under load: requests for two seals spread over partitions and lanes are all sealed once, serials gap-free, nothing dead-lettered")
    func kafkaLanes() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            _ = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            _ = try await hall.repository.registerSeal(hall.registration("d-tax"), by: "admin")
            let topic = try await kafka.makeTopics(["seal-lanes"], partitions: 3)[0]
            let producer = try kafka.producer()
            let messages = try (0..<120).map { try SealFixture.requestMessage($0, topic: topic) }
            for result in await producer.sendSigned(messages) { _ = try result.get() }
            let running = hall.consume(topic, kafka: kafka, producer: producer)
            defer { running.cancel() }
            try await eventually("120 imprints", timeout: .seconds(90)) {
                try await database.count("SELECT count(*)::bigint FROM \(database.schema).imprints") == 120
            }
            let serials = try await database.client.query(
                "SELECT department_id, array_agg(serial ORDER BY serial) FROM \(unescaped: database.schema).imprints GROUP BY department_id",
                logger: hall.logger
            ).decode((String, [Int]).self).collectAll()
            #expect(serials.count == 2 && serials.allSatisfy { $0.1 == Array(1...60) })
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox WHERE status <> 'applied'") == 0)
            await producer.close()
        }
    }

    @Test("the OpenAPI document lists exactly the routes the service serves")
    func openAPIMatchesRoutes() {
        let router = Router(context: HallRequestContext.self)
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", username: "x", password: nil, database: nil, tls: .disable))
        let repository = PostgresSealRepository(
            client: client, schema: "seal", vault: KeyVault(masterKey: Array(repeating: 0, count: 32)), logger: LocalStack.logger())
        SealService.addRoutes(to: router, repository: repository)
        #expect(servedRoutes(router) == documentedRoutes(SealOpenAPI.document))
    }
}
