import Foundation
import HallContracts
import HallKafka
import HallKit
import Logging
import PostgresNIO

/// Where the local stack's real PostgreSQL and broker are (set by `deploy/hall test`; `source .hall/env` after `deploy/hall stack up`).
public enum LocalStack {
    /// `HALL_ADMIN_DATABASE_URL`: a superuser URL of the stack's cluster.
    public static var adminDatabaseURL: String? { ProcessInfo.processInfo.environment["HALL_ADMIN_DATABASE_URL"] }
    /// Where the services under test record their JSON answers (`deploy/hall test` sets it, and
    /// `deploy/check-contracts.py --responses` checks them against the OpenAPI documents).
    public static var recordResponses: String? { ProcessInfo.processInfo.environment["HALL_RECORD_RESPONSES"] }
    /// `HALL_KAFKA_BROKERS`: the stack's broker.
    public static var kafkaBrokers: [String]? {
        ProcessInfo.processInfo.environment["HALL_KAFKA_BROKERS"].map { $0.split(separator: ",").map(String.init) }
    }
    /// `HALL_JWT_ISSUER`: the local identity provider (`deploy/issuer.py`) whose keys the services verify tokens with.
    public static var issuerURL: String? { ProcessInfo.processInfo.environment["HALL_JWT_ISSUER"] }

    /// The local identity provider's issuer (`HALL_JWT_ISSUER`, key file `HALL_JWT_ISSUER_KEY`): tests mint
    /// their tokens with it, and the services under test verify them as they would a real provider's.
    public static func issuer() async throws -> TokenIssuer {
        let url = try requireValue(issuerURL, "HALL_JWT_ISSUER")
        let keyFile = try requireValue(ProcessInfo.processInfo.environment["HALL_JWT_ISSUER_KEY"], "HALL_JWT_ISSUER_KEY")
        return try await TokenIssuer(issuer: url, base64PrivateKey: try String(contentsOfFile: keyFile, encoding: .ascii))
    }

    /// `HALL_TANSU_BIN`: the broker binary, for tests that start, pause or restart their own broker.
    public static var tansuBinary: String? { ProcessInfo.processInfo.environment["HALL_TANSU_BIN"] }

    /// Whether the integration tests can run. `deploy/hall test` sets everything; when `CI` is set
    /// and the stack is missing, tests fail instead of being skipped.
    public static var isAvailable: Bool {
        let available = adminDatabaseURL != nil && kafkaBrokers != nil && issuerURL != nil
        if !available && ProcessInfo.processInfo.environment["CI"] != nil {
            fatalError("CI is set but HALL_ADMIN_DATABASE_URL / HALL_KAFKA_BROKERS / HALL_JWT_ISSUER are not: run the tests through deploy/hall test")
        }
        return available
    }

    /// A quiet logger for tests (`HALL_TEST_LOG_LEVEL` raises it).
    public static func logger(_ label: String = "test") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["HALL_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return logger
    }

    /// A short random suffix for names of schemas, topics and groups.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// A PostgreSQL pool for one test, on its own fresh schema, dropped afterwards.
public struct ScratchDatabase: Sendable {
    /// The pool (superuser of the local stack).
    public let client: PostgresClient
    /// The test's schema.
    public let schema: String
    /// The database configuration the pool was made from.
    public let configuration: DatabaseConfiguration

    /// A view of the same pool on another schema (e.g. a service's schema made during the test).
    public init(client: PostgresClient, schema: String, configuration: DatabaseConfiguration) {
        self.client = client
        self.schema = schema
        self.configuration = configuration
    }

    /// Runs `body` with a running pool signed in as `url`'s role on `schema` (made and dropped by
    /// nobody here): what a service's own role may and may not do.
    public static func connected<T: Sendable>(
        url: String, schema: String, poolSize: Int = 4, _ body: @Sendable (ScratchDatabase) async throws -> T
    ) async throws -> T {
        let configuration = try DatabaseConfiguration(url: url, key: "database URL", schema: schema, poolSize: poolSize)
        let client = PostgresClient(configuration: configuration.clientConfiguration(), backgroundLogger: LocalStack.logger())
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(ScratchDatabase(client: client, schema: schema, configuration: configuration))
        }
    }

    /// Runs `body` with a running pool on a new schema (already migrated with the platform tables
    /// when `migrate` is true), then drops the schema.
    public static func with<T: Sendable>(
        migrate: Bool = true, extra: [Migration] = [], poolSize: Int = 20,
        _ body: @Sendable (ScratchDatabase) async throws -> T
    ) async throws -> T {
        let url = try requireValue(LocalStack.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL")
        let schema = LocalStack.uniqueName("t")
        let configuration = try DatabaseConfiguration(url: url, key: "HALL_ADMIN_DATABASE_URL", schema: schema, poolSize: poolSize)
        let client = PostgresClient(configuration: configuration.clientConfiguration(), backgroundLogger: LocalStack.logger())
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let database = ScratchDatabase(client: client, schema: schema, configuration: configuration)
            do {
                if migrate {
                    try await Migrator.migrate(PlatformMigrations.all + extra, schema: schema, client: client, logger: LocalStack.logger())
                }
                let result = try await body(database)
                _ = try? await client.run("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: LocalStack.logger())
                return result
            } catch {
                _ = try? await client.run("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: LocalStack.logger())
                throw error
            }
        }
    }
}

/// Thrown when a required test setting is missing.
public struct MissingStackSetting: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "\(name) is not set: run through deploy/hall (test or bench), or source .hall/env after deploy/hall stack up" }
}

/// Unwraps a test setting or throws ``MissingStackSetting``.
public func requireValue<T>(_ value: T?, _ name: String) throws -> T {
    guard let value else { throw MissingStackSetting(name: name) }
    return value
}
