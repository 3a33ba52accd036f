import Logging
import PostgresNIO

/// The split between a schema's owner and the service's own role: the owner migrates and grants at
/// start-up; the service's role, which serves every request, may read and write rows but not change
/// the schema, and may only read and add to the service's append-only tables.
///
/// So whoever gets hold of the running service's role — its password in the service's environment,
/// or an SQL injection — still cannot rewrite or delete what the hall keeps for good (the seal
/// register and its anchors).
public enum SchemaOwner {
    /// What the service's role may do to every table of its schema (append-only tables then lose
    /// UPDATE and DELETE).
    static let rowPrivileges = "SELECT, INSERT, UPDATE, DELETE"

    /// Migrates `owner.schema` as the owner, then grants `role` the use of the schema: rows of
    /// every table and sequence, except UPDATE, DELETE and TRUNCATE on `appendOnlyTables`. Safe to
    /// run at every start and from several instances at once (grants are idempotent).
    public static func migrate(
        _ migrations: [Migration], owner: DatabaseConfiguration, grantingTo role: String, appendOnlyTables: [String], logger: Logger
    ) async throws {
        let client = PostgresClient(configuration: owner.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await owner.probe(logger: logger)
            try await Migrator.migrate(migrations, schema: owner.schema, client: client, logger: logger)
            try await grant(schema: owner.schema, to: role, appendOnlyTables: appendOnlyTables, client: client, logger: logger)
        }
    }

    /// The grants of ``migrate(_:owner:grantingTo:appendOnlyTables:logger:)``, in one transaction.
    public static func grant(schema: String, to role: String, appendOnlyTables: [String], client: PostgresClient, logger: Logger) async throws {
        let schemaName = quoted(schema)
        let roleName = quoted(role)
        try await client.transaction(logger: logger) { connection in
            // Serialised with the migrations of other instances starting at the same time.
            try await Migrator.lock(schema: schema, on: connection, logger: logger)
            for statement in [
                "GRANT USAGE ON SCHEMA \(schemaName) TO \(roleName)",
                "REVOKE CREATE ON SCHEMA \(schemaName) FROM \(roleName)",
                "GRANT \(rowPrivileges) ON ALL TABLES IN SCHEMA \(schemaName) TO \(roleName)",
                "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA \(schemaName) FROM \(roleName)",
                "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA \(schemaName) TO \(roleName)",
            ] + appendOnlyTables.map({ "REVOKE UPDATE, DELETE, TRUNCATE ON \(schemaName).\(quoted($0)) FROM \(roleName)" }) {
                try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
        logger.info("schema granted", metadata: ["schema": "\(schema)", "role": "\(role)", "append.only": "\(appendOnlyTables)"])
    }

    /// The first append-only table the connected role may change rows of or empty, with the
    /// privilege (`UPDATE`, `DELETE` or `TRUNCATE`), as the database answers for that role (a
    /// superuser or the tables' owner may do all three); nil when every one is guarded.
    public static func appendOnlyProblem(
        _ tables: [String], schema: String, client: PostgresClient, logger: Logger
    ) async throws -> (table: String, privilege: String)? {
        let rows = try await client.run(
            """
            SELECT t, p FROM unnest(\(tables)::text[]) WITH ORDINALITY AS x (t, n), unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) AS p
            WHERE has_table_privilege(current_user, format('%I.%I', \(schema)::text, t), p)
            ORDER BY n LIMIT 1
            """, logger: logger)
        for try await (table, privilege) in rows.decode((String, String).self) { return (table, privilege) }
        return nil
    }

    /// A double-quoted SQL identifier.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
