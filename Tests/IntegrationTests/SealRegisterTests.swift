import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKafka
import HallKit
import HallLocalStack
import Logging
import PostgresNIO
import Testing

@testable import seal

/// A seal service state on a test schema: the directory, one seal per department, and the repository.
struct SealFixture {
    let database: ScratchDatabase
    let repository: PostgresSealRepository
    var store: SealStore { repository.store }
    var logger: Logger { LocalStack.logger() }

    static let vault = KeyVault(masterKey: Array(repeating: 42, count: 32))

    init(_ database: ScratchDatabase, vault: KeyVault = SealFixture.vault) {
        self.database = database
        self.repository = PostgresSealRepository(client: database.client, schema: database.schema, vault: vault, logger: LocalStack.logger())
    }

    /// Departments d-market and d-tax (chiefs s-zhang, s-qian), comprehensive window w-07, department window w-09 (d-tax),
    /// discipline window w-99, clerk s-wang at w-07 (centre staff).
    func seedDirectory() async throws {
        let at = Date()
        try await database.client.transaction(logger: logger) { connection in
            for (id, chief) in [("d-market", "s-zhang"), ("d-tax", "s-qian")] {
                try await store.apply(
                    DepartmentChanged(departmentId: id, name: id, active: true, chiefRepresentative: .init(staffId: chief, name: chief), substitute: nil),
                    occurredAt: at, on: connection, logger: logger)
                try await store.apply(
                    StaffChanged(staffId: chief, name: chief, departmentId: id, windowId: nil, qualified: true, active: true), occurredAt: at,
                    on: connection, logger: logger)
            }
            try await store.apply(
                StaffChanged(staffId: "s-wang", name: "王芳", departmentId: "d-centre", windowId: "w-07", qualified: true, active: true), occurredAt: at,
                on: connection, logger: logger)
            try await store.apply(WindowChanged(windowId: "w-07", name: "7", kind: .comprehensive, departmentIds: ["d-market", "d-tax"], active: true), occurredAt: at, on: connection, logger: logger)
            try await store.apply(WindowChanged(windowId: "w-09", name: "9", kind: .department, departmentIds: ["d-tax"], active: true), occurredAt: at, on: connection, logger: logger)
            try await store.apply(WindowChanged(windowId: "w-99", name: "纪委", kind: .discipline, departmentIds: [], active: true), occurredAt: at, on: connection, logger: logger)
        }
    }

    func registration(_ department: String, code: String? = nil) -> SealRegistration {
        SealRegistration(
            departmentId: department, name: "\(department) 行政审批专用章", code: code ?? "SC-\(department)-\(UUID().uuidString.prefix(8))",
            custodianStaffId: department == "d-market" ? "s-zhang" : "s-qian",
            authorisations: [SealAuthorisation(staffId: "s-wang", documentKinds: [.acceptanceNotice, .refusalNotice])],
            validFrom: Date(timeIntervalSinceNow: -3600), validUntil: Date(timeIntervalSinceNow: 86_400 * 365))
    }

    static func request(_ n: Int, department: String = "d-market", kind: SealDocumentKind = .approvalDecision, by staff: String = "s-zhang", window: String = "w-07") -> SealingRequest {
        SealingRequest(
            documentKind: kind, documentHash: Hex.encode(SHA256.hash(data: Array("document \(department) \(n)".utf8))), caseId: "C-\(n)",
            departmentId: department, requestedBy: staff, windowId: window)
    }

    /// The seal service's consumer on `topic` of `kafka` (dead letters to `<topic>.dlq`), running until cancelled.
    func consume(_ topic: String, kafka: LocalKafka, producer: KafkaProducer) -> Task<Void, any Error> {
        var configuration = InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: LocalStack.uniqueName("g"), topics: [topic]))
        configuration.deadLetterTopic = topic + ".dlq"
        let consumer = InboxConsumer(
            configuration: configuration, client: database.client, schema: database.schema, serviceName: "seal",
            handler: SealConsumer.router(store: store), deadLetters: producer, logger: LocalStack.logger())
        return Task { try await consumer.run() }
    }

    func sealed(_ outcome: SealingOutcome) throws -> Imprint {
        guard case .sealed(let imprint, _) = outcome else { throw HallError(.internalError, "expected sealed, got \(outcome)") }
        return imprint
    }

    func sql(_ text: String) async throws {
        try await database.client.query(PostgresQuery(unsafeSQL: text), logger: logger)
    }

    func outboxTypes() async throws -> [String] {
        let rows = try await database.client.query(
            PostgresQuery(unsafeSQL: "SELECT event_type FROM \(database.schema).outbox ORDER BY id"), logger: logger)
        return try await rows.decode(String.self).collectAll()
    }
}

@Suite("Seal register on PostgreSQL: sealing, idempotency, concurrency, tampering, revocation", .enabled(if: stackAvailable))
struct SealRegisterTests {
    @Test("documents get gap-free serials chained from genesis; a repeat returns the same imprint and publishes nothing new")
    func sealAndRepeat() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            let seal = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin-zhao")
            var imprints: [Imprint] = []
            for n in 1...5 { imprints.append(try hall.sealed(try await hall.repository.apply(SealFixture.request(n)))) }
            #expect(imprints.map(\.serial) == [1, 2, 3, 4, 5])
            #expect(imprints[0].previousHash == Imprint.genesisHash)
            #expect(zip(imprints, imprints.dropFirst()).allSatisfy { $0.imprintHash == $1.previousHash })
            let repeated = try await hall.repository.apply(SealFixture.request(3))
            #expect(repeated == .sealed(imprints[2], repeated: true))
            #expect(try await hall.repository.verifyRegister(sealId: seal.sealId)?.intact == true)
            let verification = try #require(try await hall.repository.verifyImprint(id: imprints[3].imprintId))
            #expect(verification.valid && verification.chain.checked == 4 && verification.seal.departmentId == "d-market")
            #expect(try await hall.repository.verifyDocument(hash: Hex.encode(imprints[1].documentHash)).map(\.imprint.imprintId) == [imprints[1].imprintId])
            let types = try await hall.outboxTypes()
            #expect(types == ["seal.seal.registered", "seal.register.head"] + Array(repeating: "seal.document.sealed", count: 5))
            // The private key is stored encrypted, never in the outbox.
            let key = try await database.client.query(
                "SELECT encrypted_private_key FROM \(unescaped: database.schema).seals", logger: hall.logger).decode(String.self).collectAll()[0]
            let plain = try SealFixture.vault.decrypt(Array(Data(base64Encoded: key)!), sealId: seal.sealId)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox WHERE payload LIKE '%\(Data(plain.rawRepresentation).base64EncodedString())%'") == 0)
        }
    }

    @Test("two instances asked for the same document at once seal it once; concurrent documents on one seal get serials without gaps")
    func concurrency() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            let seal = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            // Two "instances": two repositories on two pools of their own.
            try await ScratchDatabase.with(migrate: false) { other in
                let second = PostgresSealRepository(client: other.client, schema: database.schema, vault: SealFixture.vault, logger: hall.logger)
                let results = try await withThrowingTaskGroup(of: SealingOutcome.self) { group in
                    for index in 0..<20 {
                        let repository = index.isMultiple(of: 2) ? hall.repository : second
                        group.addTask { try await repository.apply(SealFixture.request(1)) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let imprints = try results.map { try hall.sealed($0) }
                #expect(Set(imprints.map(\.imprintId)).count == 1)
                #expect(results.filter { if case .sealed(_, false) = $0 { true } else { false } }.count == 1)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for n in 2...61 {
                        let repository = n.isMultiple(of: 2) ? hall.repository : second
                        group.addTask { _ = try await repository.apply(SealFixture.request(n)) }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).imprints") == 61)
            #expect(try await database.count("SELECT max(serial) FROM \(database.schema).imprints") == 61)
            #expect(try await hall.repository.verifyRegister(sealId: seal.sealId) == .init(intact: true, checked: 61, firstBrokenSerial: nil, problem: nil))
        }
    }

    @Test("a row edited or deleted in SQL, or a forged signature, is found at its serial")
    func tampering() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            let seal = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            var imprints: [Imprint] = []
            for n in 1...8 { imprints.append(try hall.sealed(try await hall.repository.apply(SealFixture.request(n)))) }
            let table = "\(database.schema).imprints"
            func report() async throws -> ChainVerifier.Report { try #require(try await hall.repository.verifyRegister(sealId: seal.sealId)) }

            // A changed document hash.
            try await hall.sql("UPDATE \(table) SET document_hash = '\(String(repeating: "0", count: 64))' WHERE serial = 5")
            #expect(try await report() == .init(intact: false, checked: 4, firstBrokenSerial: 5, problem: .hashMismatch))
            let five = try #require(try await hall.repository.verifyImprint(id: imprints[4].imprintId))
            #expect(!five.valid && !five.signatureValid)
            let three = try #require(try await hall.repository.verifyImprint(id: imprints[2].imprintId))
            #expect(three.valid, "imprints before the damage still verify")
            try await hall.sql("UPDATE \(table) SET document_hash = '\(Hex.encode(imprints[4].documentHash))' WHERE serial = 5")
            #expect(try await report().intact)

            // A changed sealing time (e.g. to make a late case look on time).
            try await hall.sql("UPDATE \(table) SET sealed_at = sealed_at - interval '1 day' WHERE serial = 3")
            #expect(try await report().firstBrokenSerial == 3)
            let seven = try #require(try await hall.repository.verifyImprint(id: imprints[6].imprintId))
            #expect(seven.signatureValid && !seven.chain.intact && seven.chain.firstBrokenSerial == 3)
            try await hall.sql("UPDATE \(table) SET sealed_at = sealed_at + interval '1 day' WHERE serial = 3")

            // A document kind changed to one the hall does not know is not read as a known one: the row is broken there.
            try await hall.sql("UPDATE \(table) SET document_kind = 'approval-decision-v2' WHERE serial = 4")
            #expect(try await report() == .init(intact: false, checked: 3, firstBrokenSerial: 4, problem: .hashMismatch))
            #expect(try await hall.repository.verifyImprint(id: imprints[3].imprintId)?.valid == false)
            try await hall.sql("UPDATE \(table) SET document_kind = '\(imprints[3].documentKind.rawValue)' WHERE serial = 4")
            #expect(try await report().intact)

            // A forged signature (another key).
            let forged = Data(try Curve25519.Signing.PrivateKey().signature(for: imprints[5].imprintHash)).base64EncodedString()
            try await hall.sql("UPDATE \(table) SET signature = '\(forged)' WHERE serial = 6")
            #expect(try await report() == .init(intact: false, checked: 5, firstBrokenSerial: 6, problem: .badSignature))
            try await hall.sql("UPDATE \(table) SET signature = '\(Data(imprints[5].signature).base64EncodedString())' WHERE serial = 6")
            #expect(try await report().intact)

            // A deleted row makes a gap; a deleted last row is a truncation.
            try await hall.sql("DELETE FROM \(table) WHERE serial = 8")
            #expect(try await report() == .init(intact: false, checked: 7, firstBrokenSerial: 8, problem: .truncated))
            try await hall.sql("DELETE FROM \(table) WHERE serial = 4")
            #expect(try await report() == .init(intact: false, checked: 3, firstBrokenSerial: 4, problem: .gap))
        }
    }

    @Test("refusals are values and events: malformed hash, another department, no seal, revoked, discipline window, unauthorised kind")
    func refusals() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            func reason(_ request: SealingRequest) async throws -> SealRefusalReason? {
                if case .refused(let refusal) = try await hall.repository.apply(request) { return refusal.reason }
                return nil
            }
            #expect(try await reason(SealFixture.request(1)) == .noSeal)
            let seal = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            var malformed = SealFixture.request(1)
            malformed.documentHash = "xyz"
            #expect(try await reason(malformed) == .malformedDocumentHash)
            var replayed = SealFixture.request(1)
            replayed.callerDepartment = "d-tax"
            #expect(try await reason(replayed) == .departmentMismatch)
            #expect(try await reason(SealFixture.request(1, window: "w-99")) == .windowNotHallWindow)
            #expect(try await reason(SealFixture.request(1, window: "w-09")) == .windowNotHallWindow)
            #expect(try await reason(SealFixture.request(1, window: "w-nowhere")) == .windowNotHallWindow)
            #expect(try await reason(SealFixture.request(1, by: "s-wang")) == .departmentMismatch)
            #expect(try await reason(SealFixture.request(1, kind: .acceptanceNotice, by: "s-wang")) == nil)
            #expect(try await reason(SealFixture.request(2, by: "s-qian")) == .departmentMismatch)

            // Revoke with a successor: the old register stays verifiable, new documents get the successor's serial 1.
            let (revoked, successor) = try await hall.repository.revokeSeal(
                id: seal.sealId, reason: "seal lost", by: "admin-zhao", successor: hall.registration("d-market"))
            #expect(revoked.status == .revoked && revoked.revokedBy == "admin-zhao" && revoked.revocationReason == "seal lost")
            #expect(revoked.successorSealId == successor?.sealId && successor?.predecessorSealId == seal.sealId)
            let next = try hall.sealed(try await hall.repository.apply(SealFixture.request(3)))
            #expect(next.sealId == successor?.sealId && next.serial == 1)
            #expect(try await hall.repository.verifyRegister(sealId: seal.sealId)?.intact == true)
            _ = try await hall.repository.revokeSeal(id: successor!.sealId, reason: "department left the hall", by: "admin", successor: nil)
            #expect(try await reason(SealFixture.request(4)) == .sealRevoked)
            // The document sealed before revocation still answers with its imprint.
            #expect(try await reason(SealFixture.request(1, kind: .acceptanceNotice, by: "s-wang")) == nil)

            let types = try await hall.outboxTypes()
            #expect(types.filter { $0 == "seal.document.refused" }.count == 9)
            #expect(types.filter { $0 == "seal.seal.revoked" }.count == 2)
            #expect(types.filter { $0 == "seal.seal.registered" }.count == 2)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).refusals") == 9)
        }
    }

    @Test("the database allows one active seal per department; a custodian must be the chief representative")
    func registry() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            _ = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            let second = try await #require(throws: HallError.self) { try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin") }
            #expect(second.code == .conflict)
            var wrong = hall.registration("d-tax")
            wrong.custodianStaffId = "s-wang"
            let custodian = try await #require(throws: HallError.self) { try await hall.repository.registerSeal(wrong, by: "admin") }
            #expect(custodian.field == "custodianStaffId")
            // Even bypassing the code, the partial unique index refuses a second active seal.
            await #expect(throws: PSQLError.self) {
                try await hall.sql(
                    "INSERT INTO \(database.schema).seals (seal_id, department_id, name, code, custodian_staff_id, authorisations, valid_from, valid_until, public_key, encrypted_private_key, master_key_fingerprint, status, registered_by, registered_at) SELECT gen_random_uuid(), department_id, name, code || '-2', custodian_staff_id, authorisations, valid_from, valid_until, public_key || 'x', encrypted_private_key, master_key_fingerprint, 'active', registered_by, registered_at FROM \(database.schema).seals")
            }
        }
    }

    @Test("Art 32 custody: the seal shows who keeps it today — the substitute within a filed notice's days, else the chief representative — and logs each hand-over once")
    func custody() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            let seal = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            func custody() async throws -> SealCustody {
                let current = try #require(try await hall.repository.seal(id: seal.sealId))
                return try #require(try await hall.repository.custody(of: [current])[seal.sealId])
            }
            var now = try await custody()
            #expect(now.current == Custodian(staffId: "s-zhang", capacity: .chiefRepresentative, noticeReference: nil, from: nil, to: nil))
            #expect(now.log.map(\.chiefRepresentativeId) == ["s-zhang"] && now.log[0].substitute == nil)

            // The chief representative files a substitute for today and the next two days.
            let today = SealPolicy.hallDay(Date())
            let later = SealPolicy.hallDay(Date(timeIntervalSinceNow: 2 * 86_400))
            let filed = DepartmentChanged(
                departmentId: "d-market", name: "d-market", active: true, chiefRepresentative: .init(staffId: "s-zhang", name: "s-zhang"),
                substitute: DirectorySubstitute(staffId: "s-li", name: "李", noticeReference: "市监〔2026〕7号", from: today, to: later))
            for _ in 0..<2 {  // a redelivery logs nothing more
                try await database.client.withConnection { connection in
                    try await hall.store.apply(filed, occurredAt: Date(), on: connection, logger: hall.logger)
                }
            }
            now = try await custody()
            #expect(now.current == Custodian(staffId: "s-li", capacity: .substitute, noticeReference: "市监〔2026〕7号", from: today, to: later))
            #expect(now.log.count == 2 && now.log[1].substitute?.staffId == "s-li")

            // A new chief representative; the notice has lapsed.
            let replaced = DepartmentChanged(
                departmentId: "d-market", name: "d-market", active: true, chiefRepresentative: .init(staffId: "s-zhao", name: "赵"), substitute: nil)
            try await database.client.withConnection { connection in
                try await hall.store.apply(replaced, occurredAt: Date(), on: connection, logger: hall.logger)
            }
            now = try await custody()
            #expect(now.current?.staffId == "s-zhao" && now.current?.capacity == .chiefRepresentative)
            #expect(now.log.map(\.chiefRepresentativeId) == ["s-zhang", "s-zhang", "s-zhao"])

            // A revoked seal is kept by nobody; its log stops at revocation.
            _ = try await hall.repository.revokeSeal(id: seal.sealId, reason: "lost", by: "admin", successor: nil)
            now = try await custody()
            #expect(now.current == nil && now.log.count == 3)
        }
    }

    @Test("directory events apply idempotently and the later occurredAt wins")
    func projections() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            let early = Date(timeIntervalSinceNow: -60)
            let late = Date()
            try await database.client.transaction(logger: hall.logger) { connection in
                try await hall.store.apply(
                    DepartmentChanged(departmentId: "d-1", name: "new", active: true, chiefRepresentative: .init(staffId: "s-new", name: "n"), substitute: nil),
                    occurredAt: late, on: connection, logger: hall.logger)
                try await hall.store.apply(
                    DepartmentChanged(departmentId: "d-1", name: "old", active: false, chiefRepresentative: .init(staffId: "s-old", name: "o"), substitute: nil),
                    occurredAt: early, on: connection, logger: hall.logger)
                let department = try await hall.store.department("d-1", on: connection, logger: hall.logger)
                #expect(department?.name == "new" && department?.chiefRepresentative == "s-new" && department?.active == true)
            }
        }
    }

    @Test("a seal schema made before the shared directory projection keeps its directory on upgrade: the filed substitute's dates become dates and still read back, and later events apply")
    func directoryUpgrade() async throws {
        try await ScratchDatabase.with(migrate: false) { database in
            let hall = SealFixture(database)
            let before = SealMigrations.all.filter { $0.component != "directory" }
            try await Migrator.migrate(PlatformMigrations.all + before, schema: database.schema, client: database.client, logger: hall.logger)
            try await hall.sql(
                """
                INSERT INTO \(database.schema).departments (department_id, name, active, chief_staff_id, substitute_staff_id, substitute_notice,
                    substitute_from, substitute_to, occurred_at)
                VALUES ('d-1', '市场监管局', true, 's-chief', 's-sub', 'notice-7', '2026-10-01', '2026-10-08', now() - interval '1 day')
                """)
            try await Migrator.migrate(PlatformMigrations.all + SealMigrations.all, schema: database.schema, client: database.client, logger: hall.logger)
            try await database.client.withConnection { connection in
                let department = try await hall.store.department("d-1", on: connection, logger: hall.logger)
                #expect(department?.substitute?.from == "2026-10-01" && department?.substitute?.to == "2026-10-08")
                #expect(department?.chiefRepresentative == "s-chief")
                try await hall.store.apply(
                    WindowChanged(windowId: "w-1", name: "综合窗口", kind: .comprehensive, departmentIds: ["d-1"], active: true),
                    occurredAt: Date(), on: connection, logger: hall.logger)
            }
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).windows WHERE name = '综合窗口'") == 1)
        }
    }
}
