import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HallContracts
import HallKit
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Testing

@Suite("A hall service boots, migrates, serves health and metrics, and refuses bad configuration", .enabled(if: stackAvailable))
struct ServiceBootTests {
    func environment(schema: String, _ changes: [String: String] = [:]) throws -> [String: String] {
        var values = [
            "HALL_DATABASE_URL": try requireValue(LocalStack.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL"),
            "HALL_DATABASE_SCHEMA": schema,
            "HALL_KAFKA_BROKERS": try requireValue(LocalStack.kafkaBrokers, "HALL_KAFKA_BROKERS").joined(separator: ","),
            "HALL_JWT_ISSUER": try requireValue(LocalStack.issuerURL, "HALL_JWT_ISSUER"),
            "HALL_APPLICANT_KEY": String(repeating: "a", count: 40),
            "HALL_HTTP_PORT": "0",
            "HALL_KAFKA_PARTITIONS": "2",
            "HALL_STARTUP_TIMEOUT": "3s",
            // Its own topics and consumer groups: a test instance must never join the groups of a hall
            // running on the same stack (`deploy/hall run`), or that hall's consumers wait on it.
            "HALL_KAFKA_NAMESPACE": schema,
        ]
        values.merge(HallSigners.environment(for: "intake")) { $1 }
        for (key, value) in changes { values[key] = value }
        return values
    }

    @Test("in process: ready after start-up, schema migrated, metrics exposed")
    func boots() async throws {
        HallMetrics.bootstrap()
        let schema = LocalStack.uniqueName("boot")
        let configuration = try ServiceConfiguration(
            serviceName: "intake", defaultPort: 0, environment: EnvironmentReader(try environment(schema: schema)))
        let app = try await HallServiceMain.makeApplication(
            HallServiceDefinition(name: .intake, defaultPort: 0), configuration: configuration, logger: LocalStack.logger())
        try await app.test(.live) { client in
            try await eventually("ready") {
                try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok }
            }
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("hall_outbox_backlog"))
                #expect(text.contains("hall_requests") || text.contains("hb_requests"))
            }
        }
        try await ScratchDatabase.with(migrate: false) { database in
            #expect(try await database.count("SELECT count(*)::bigint FROM \(schema).schema_migrations") == PlatformMigrations.all.count)
            try await database.client.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: LocalStack.logger())
        }
    }

    /// Runs the real `intake` executable with the given environment and returns (exit code, stderr).
    func runIntake(_ environment: [String: String]) async throws -> (Int32, String) {
        let binary = URL(fileURLWithPath: Worker.binary).deletingLastPathComponent().appendingPathComponent("intake").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("the executable stops with one line naming what is wrong")
    func refusesBadConfiguration() async throws {
        let schema = LocalStack.uniqueName("bad")
        let closedPort = try freePort()

        let (missingCode, missing) = try await runIntake(try environment(schema: schema).filter { $0.key != "HALL_JWT_ISSUER" })
        #expect(missingCode == 1)
        #expect(missing.trimmingCharacters(in: .newlines).hasPrefix("intake: configuration error: HALL_JWT_ISSUER is not set (the identity provider's issuer URL"))

        let (databaseCode, database) = try await runIntake(
            try environment(schema: schema, ["HALL_DATABASE_URL": "postgres://intake:x@127.0.0.1:\(closedPort)/hall"]))
        #expect(databaseCode == 1)
        #expect(database.contains("HALL_DATABASE_URL"))
        #expect(database.split(separator: "\n").last?.hasPrefix("intake: cannot use the database at 127.0.0.1:\(closedPort)") == true)

        let (brokerCode, broker) = try await runIntake(try environment(schema: schema, ["HALL_KAFKA_BROKERS": "127.0.0.1:\(closedPort)"]))
        #expect(brokerCode == 1)
        #expect(broker.split(separator: "\n").last?.contains("no Kafka broker answers at 127.0.0.1:\(closedPort) (HALL_KAFKA_BROKERS)") == true)
        try await ScratchDatabase.with(migrate: false) { database in
            try await database.client.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: LocalStack.logger())
        }
    }

    @Test("the executable serves readiness, then on SIGTERM shuts down gracefully with exit code 0")
    func gracefulShutdown() async throws {
        let schema = LocalStack.uniqueName("term")
        let port = try freePort()
        let binary = URL(fileURLWithPath: Worker.binary).deletingLastPathComponent().appendingPathComponent("intake").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.environment = try environment(schema: schema, ["HALL_HTTP_PORT": String(port)])
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try await eventually("intake ready on \(port)", timeout: .seconds(30)) {
            guard let url = URL(string: "http://127.0.0.1:\(port)/health/ready") else { return false }
            let status = await httpStatus(url)
            return status == 200
        }
        process.terminate()
        try await eventually("intake to exit", timeout: .seconds(20)) { !process.isRunning }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        try await ScratchDatabase.with(migrate: false) { database in
            try await database.client.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: LocalStack.logger())
        }
    }

    @Test("a service's database role owns its schema and cannot touch another service's", .enabled(if: ProcessInfo.processInfo.environment["HALL_INTAKE_DATABASE_URL"] != nil))
    func roleIsolation() async throws {
        let url = try requireValue(ProcessInfo.processInfo.environment["HALL_INTAKE_DATABASE_URL"], "HALL_INTAKE_DATABASE_URL")
        try await ScratchDatabase.connected(url: url, schema: "intake", poolSize: 1) { intake in
            let logger = LocalStack.logger()
            let table = LocalStack.uniqueName("own")
            try await intake.client.query("CREATE TABLE intake.\(unescaped: table) (id int)", logger: logger)
            try await intake.client.query("DROP TABLE intake.\(unescaped: table)", logger: logger)
            for other in ["seal", "coordinator", "public"] {
                await #expect(throws: PSQLError.self, "intake must not create tables in \(other)") {
                    try await intake.client.query("CREATE TABLE \(unescaped: other).\(unescaped: table) (id int)", logger: logger)
                }
            }
        }
    }

    @Test("the seal's database role does not own its schema: it cannot create, drop or change tables there (seal_owner migrates)", .enabled(if: ProcessInfo.processInfo.environment["HALL_SEAL_DATABASE_URL"] != nil))
    func sealRoleOwnsNothing() async throws {
        let url = try requireValue(ProcessInfo.processInfo.environment["HALL_SEAL_DATABASE_URL"], "HALL_SEAL_DATABASE_URL")
        try await ScratchDatabase.connected(url: url, schema: "seal", poolSize: 1) { seal in
            let logger = LocalStack.logger()
            let owner = try await seal.client.query("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'seal'", logger: logger)
                .decode(String.self).collectAll()
            #expect(owner == ["seal_owner"])
            await #expect(throws: PSQLError.self, "seal must not create tables in its schema") {
                try await seal.client.query("CREATE TABLE seal.\(unescaped: LocalStack.uniqueName("own")) (id int)", logger: logger)
            }
        }
    }
}

/// The HTTP status of a GET, or nil when nothing answers.
func httpStatus(_ url: URL) async -> Int? {
    await withCheckedContinuation { continuation in
        var request = URLRequest(url: url)
        request.timeoutInterval = 2
        URLSession.shared.dataTask(with: request) { _, response, _ in
            continuation.resume(returning: (response as? HTTPURLResponse)?.statusCode)
        }.resume()
    }
}
