import Logging
import PostgresNIO

/// One numbered change to a service's schema.
///
/// Statements run in order in one transaction with `search_path` set to the service's schema, so
/// they name tables without a schema prefix. A migration is applied once; its checksum is kept and
/// a later change to an applied migration stops the service at start-up.
public struct Migration: Sendable {
    /// Who owns the migration: `platform` (outbox, inbox) or the service's name.
    public var component: String
    /// Position within the component; applied in increasing order.
    public var version: Int
    /// A short description, recorded with the migration.
    public var name: String
    /// SQL statements, one per string (the extended protocol runs one statement at a time).
    public var statements: [String]

    /// Creates a migration.
    public init(component: String, version: Int, name: String, statements: [String]) {
        self.component = component
        self.version = version
        self.name = name
        self.statements = statements
    }

    /// A stable checksum of the statements (FNV-1a 64), to detect edits to applied migrations.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in statements.joined(separator: "\u{1F}").utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// Applies migrations to a schema: once each, in order, safely when several instances start together.
public enum Migrator {
    /// Applies every migration not yet recorded in `<schema>.schema_migrations`: components in the
    /// order they first appear in `migrations` (the platform's, then the service's own, then
    /// shared components such as ``DirectoryProjection`` that build on what the service made),
    /// each component's migrations by version.
    ///
    /// Concurrent callers serialise on a transaction-level advisory lock derived from the schema
    /// name, so two instances starting at once apply each migration exactly once; a second run is
    /// a no-op. Creates the schema when it is missing and the role may create it.
    ///
    /// - Returns: the migrations applied by this call.
    /// - Throws: ``HallError`` with code `migration` naming the migration that failed or changed.
    @discardableResult
    public static func migrate(_ migrations: [Migration], schema: String, client: PostgresClient, logger: Logger) async throws -> [Migration] {
        precondition(DatabaseConfiguration.isValidIdentifier(schema), "schema names are validated by the configuration")
        var rank: [String: Int] = [:]
        for migration in migrations where rank[migration.component] == nil { rank[migration.component] = rank.count }
        let ordered = migrations.sorted { (rank[$0.component] ?? 0, $0.version) < (rank[$1.component] ?? 0, $1.version) }
        return try await client.transaction(logger: logger) { connection in
            try await lock(schema: schema, on: connection, logger: logger)
            let exists = try await connection.run("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: logger)
                .collect().isEmpty == false
            if !exists {
                try await connection.run("CREATE SCHEMA \(unescaped: schema)", logger: logger)
            }
            try await connection.run("SET LOCAL search_path TO \(unescaped: schema)", logger: logger)
            try await connection.run(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    component text NOT NULL,
                    version integer NOT NULL,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (component, version)
                )
                """, logger: logger)
            var applied: [String: String] = [:]
            for try await (component, version, checksum) in try await connection.run(
                "SELECT component, version, checksum FROM schema_migrations", logger: logger
            ).decode((String, Int, String).self) {
                applied["\(component)#\(version)"] = checksum
            }
            var done: [Migration] = []
            for migration in ordered {
                if let checksum = applied["\(migration.component)#\(migration.version)"] {
                    guard checksum == migration.checksum else {
                        throw HallError(
                            .migration,
                            "migration \(migration.component) #\(migration.version) '\(migration.name)' was changed after it was applied to schema \(schema)",
                            words: "数据库迁移 \(migration.component) #\(migration.version)（\(migration.name)）已在模式 \(schema) 中执行，之后又被修改")
                    }
                    continue
                }
                do {
                    for statement in migration.statements {
                        try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                } catch {
                    logger.error("migration failed", metadata: ["migration": "\(migration.component)#\(migration.version)", LogKey.error: "\(String(reflecting: error))"])
                    throw HallError(
                        .migration, "migration \(migration.component) #\(migration.version) '\(migration.name)' failed in schema \(schema): \(error)",
                        words: "数据库迁移 \(migration.component) #\(migration.version)（\(migration.name)）在模式 \(schema) 中执行失败：\(error)")
                }
                try await connection.run(
                    "INSERT INTO schema_migrations (component, version, name, checksum) VALUES (\(migration.component), \(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger)
                done.append(migration)
                logger.info("migration applied", metadata: ["migration": "\(migration.component)#\(migration.version) \(migration.name)", "schema": "\(schema)"])
            }
            return done
        }
    }

    /// Takes the transaction-level lock that serialises everything done to `schema`'s structure at
    /// start-up (migrations, ``SchemaOwner``'s grants) across instances.
    static func lock(schema: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run("SELECT pg_advisory_xact_lock(hashtext(\("hall.migrate." + schema)))", logger: logger)
    }
}
