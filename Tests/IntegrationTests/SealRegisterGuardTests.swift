import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKit
import HallLocalStack
import Logging
import PostgresNIO
import Testing

@testable import seal

/// Two login roles of the test's own — the schema's owner and the role the seal serves as — and the
/// scratch schema handed to the owner, as deploy/sql/bootstrap-roles.sql makes them for the hall.
struct SplitRoles {
    let owner: String
    let runtime: String
    let schema: String
    let ownerURL: String
    let runtimeURL: String

    /// Makes the roles on the stack's database, runs `body`, then drops the schema and the roles.
    static func with(_ body: @Sendable (SplitRoles, ScratchDatabase) async throws -> Void) async throws {
        try await ScratchDatabase.with(migrate: false) { admin in
            let suffix = admin.schema.replacingOccurrences(of: "t_", with: "")
            let password = UUID().uuidString.replacingOccurrences(of: "-", with: "")
            let owner = "tso_\(suffix)"
            let runtime = "tsr_\(suffix)"
            func url(_ role: String) throws -> String {
                guard var components = URLComponents(string: try requireValue(LocalStack.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL")) else {
                    throw HallError(.internalError, "HALL_ADMIN_DATABASE_URL is not a URL")
                }
                components.user = role
                components.password = password
                return components.string ?? ""
            }
            let roles = SplitRoles(owner: owner, runtime: runtime, schema: admin.schema, ownerURL: try url(owner), runtimeURL: try url(runtime))
            let logger = LocalStack.logger()
            for statement in [
                "CREATE ROLE \(owner) LOGIN PASSWORD '\(password)'", "CREATE ROLE \(runtime) LOGIN PASSWORD '\(password)'",
                "CREATE SCHEMA \(admin.schema) AUTHORIZATION \(owner)",
            ] {
                try await admin.client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            do {
                try await body(roles, admin)
            } catch {
                await roles.drop(admin)
                throw error
            }
            await roles.drop(admin)
        }
    }

    func drop(_ admin: ScratchDatabase) async {
        let logger = LocalStack.logger()
        for statement in ["DROP SCHEMA IF EXISTS \(schema) CASCADE", "DROP OWNED BY \(runtime)", "DROP ROLE IF EXISTS \(runtime)", "DROP ROLE IF EXISTS \(owner)"] {
            _ = try? await admin.client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }
}

@Suite("The seal register's anchors: a serving role that cannot rewrite it, published heads, the registered key", .enabled(if: stackAvailable))
struct SealRegisterGuardTests {
    /// The SQL state of a refused privilege.
    static let insufficientPrivilege = "42501"

    func sqlState(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as PSQLError {
            return error.serverInfo?[.sqlState] ?? "?"
        } catch {
            return "\(error)"
        }
    }

    @Test("the serving role seals but cannot change, delete or empty the register or its anchors, nor change the schema; a replaced key and a tail cut by the owner are found")
    func guardedRegister() async throws {
        try await SplitRoles.with { roles, admin in
            let logger = LocalStack.logger()
            let owner = try DatabaseConfiguration(url: roles.ownerURL, key: "owner", schema: roles.schema, poolSize: 1)
            try await SchemaOwner.migrate(
                PlatformMigrations.all + SealMigrations.all, owner: owner, grantingTo: roles.runtime,
                appendOnlyTables: SealMigrations.appendOnlyTables, logger: logger)
            // The superuser may do anything: that is what the start-up check refuses.
            let superuser = try await SchemaOwner.appendOnlyProblem(SealMigrations.appendOnlyTables, schema: roles.schema, client: admin.client, logger: logger)
            #expect(superuser?.table == "imprints")

            try await ScratchDatabase.connected(url: roles.runtimeURL, schema: roles.schema) { serving in
                #expect(try await SchemaOwner.appendOnlyProblem(SealMigrations.appendOnlyTables, schema: roles.schema, client: serving.client, logger: logger) == nil)
                let fixture = SealFixture(serving)
                try await fixture.seedDirectory()
                let seal = try await fixture.repository.registerSeal(fixture.registration("d-market"), by: "admin-zhao")
                for n in 1...3 { _ = try fixture.sealed(try await fixture.repository.apply(SealFixture.request(n))) }

                // Every way of rewriting the register or its anchors as the serving role is refused by the database.
                let attacks = [
                    "UPDATE \(roles.schema).imprints SET case_id = 'C-forged' WHERE serial = 2",
                    "DELETE FROM \(roles.schema).imprints WHERE serial = 3",
                    "TRUNCATE \(roles.schema).imprints",
                    "DELETE FROM \(roles.schema).register_heads",
                    "UPDATE \(roles.schema).registered_keys SET public_key = 'x'",
                    "DELETE FROM \(roles.schema).refusals",
                    "UPDATE \(roles.schema).authorisation_changes SET changed_by = 'x'",
                    "DROP TABLE \(roles.schema).imprints",
                    "ALTER TABLE \(roles.schema).imprints DISABLE TRIGGER ALL",
                    "CREATE TABLE \(roles.schema).shadow (x int)",
                ]
                for attack in attacks {
                    let state = await sqlState { try await serving.client.query(PostgresQuery(unsafeSQL: attack), logger: logger) }
                    #expect(state == Self.insufficientPrivilege, "\(attack) gave \(state ?? "success")")
                }
                #expect(try await fixture.repository.verifyRegister(sealId: seal.sealId)?.intact == true)

                // A head published a minute on: serial 3, signed with the key published at registration.
                #expect(try await fixture.repository.publishDueHeads(now: Date(timeIntervalSinceNow: 60), interval: .seconds(60)) == 1)
                let payloads = try await serving.client.query(
                    "SELECT payload FROM \(unescaped: roles.schema).outbox WHERE event_type IN ('seal.seal.registered', 'seal.register.head') ORDER BY id",
                    logger: logger
                ).decode(String.self).collectAll().map { try EventEnvelope.decode(from: Array($0.utf8)) }
                let registered = try #require(try payloads.first { $0.type == SealRegistered.eventType }?.payload(as: SealRegistered.self))
                let heads = try payloads.filter { $0.type == SealRegisterHead.eventType }.map { try $0.payload(as: SealRegisterHead.self) }
                #expect(heads.map(\.occasion) == [.registered, .periodic])
                #expect(heads.map(\.serial) == [0, 3])
                let key = try Curve25519.Signing.PublicKey(rawRepresentation: try #require(Data(base64Encoded: registered.publicKey)))
                for head in heads {
                    #expect(key.isValidSignature(try #require(Data(base64Encoded: head.signature)), for: head.signedBytes))
                }
                #expect(heads.first?.imprintHash == String(repeating: "0", count: 64))

                // The serving role may still edit the seal's row: a replaced public key is found.
                let other = Data(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation).base64EncodedString()
                try await serving.client.query("UPDATE \(unescaped: roles.schema).seals SET public_key = \(other) WHERE seal_id = \(seal.sealId)", logger: logger)
                let replaced = try #require(try await fixture.repository.verifyRegister(sealId: seal.sealId))
                #expect(!replaced.intact)
                #expect(replaced.problem == .keyReplaced)
                let original = Data(seal.publicKey).base64EncodedString()
                try await serving.client.query("UPDATE \(unescaped: roles.schema).seals SET public_key = \(original) WHERE seal_id = \(seal.sealId)", logger: logger)
                #expect(try await fixture.repository.verifyRegister(sealId: seal.sealId)?.intact == true)

                // Whoever holds the owner's password can cut the tail and the seal's record with it:
                // the published head still shows the register reached serial 3.
                try await ScratchDatabase.connected(url: roles.ownerURL, schema: roles.schema) { owning in
                    try await owning.client.query("DELETE FROM \(unescaped: roles.schema).imprints WHERE serial = 3", logger: logger)
                    try await owning.client.query(
                        """
                        UPDATE \(unescaped: roles.schema).seals SET last_serial = 2,
                               last_hash = (SELECT imprint_hash FROM \(unescaped: roles.schema).imprints WHERE serial = 2)
                        """, logger: logger)
                }
                let cut = try #require(try await fixture.repository.verifyRegister(sealId: seal.sealId))
                #expect(!cut.intact)
                #expect(cut.problem == .behindPublishedHead)
                #expect(cut.firstBrokenSerial == 3)
                #expect(cut.checked == 2)
            }
        }
    }

    @Test("the seal executable refuses to start as a role that owns its register, naming the table and HALL_DATABASE_OWNER_URL")
    func refusesUnguardedRole() async throws {
        try await SplitRoles.with { roles, _ in
            let process = Process()
            process.executableURL = ServiceProcess.executable("seal")
            var environment = [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                // The owner serves: it may rewrite its register.
                "HALL_DATABASE_URL": roles.ownerURL,
                "HALL_DATABASE_SCHEMA": roles.schema,
                "HALL_KAFKA_BROKERS": try requireValue(LocalStack.kafkaBrokers, "HALL_KAFKA_BROKERS").joined(separator: ","),
                "HALL_KAFKA_NAMESPACE": roles.schema,
                "HALL_JWT_ISSUER": try requireValue(LocalStack.issuerURL, "HALL_JWT_ISSUER"),
                "HALL_HTTP_PORT": "0",
                "HALL_STARTUP_TIMEOUT": "5s",
                "HALL_SEAL_MASTER_KEY": Data(repeating: 7, count: 32).base64EncodedString(),
            ]
            environment.merge(HallSigners.environment(for: "seal")) { $1 }
            if let path = ProcessInfo.processInfo.environment["LD_LIBRARY_PATH"] { environment["LD_LIBRARY_PATH"] = path }
            process.environment = environment
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let stderr = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 1)
            #expect(stderr.contains("\(roles.schema).imprints"), "\(stderr)")
            #expect(stderr.contains("HALL_DATABASE_OWNER_URL"), "\(stderr)")
        }
    }
}
