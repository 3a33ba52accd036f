import Foundation
import Logging
import PostgresNIO

/// Where a service's database is and which schema it owns.
public struct DatabaseConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// The schema the service owns; every table of the service lives in it.
    public var schema: String
    /// Connections in the pool.
    public var poolSize: Int
    /// How long a pooled connection may stay idle before it is closed. An idle connection costs
    /// the service CPU while the pool keeps it (about 0.05 % of a core each, measured), so the
    /// connections a load opened close soon after it.
    public var idleTimeout: Duration = .seconds(10)
    /// Whether the service's queries run as named prepared statements, each planned once per
    /// connection (see ``PreparedStatements``). Off suits a pooler that hands one session's
    /// statements to several server connections.
    public var preparedStatements = true

    /// Parses `postgres://user:password@host:port/database`. `key` names the setting in errors.
    public init(url: String, key: String, schema: String, poolSize: Int = 20) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty
        else {
            throw ConfigurationError(key: key, problem: "must look like postgres://role:password@host:port/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw ConfigurationError(key: key, problem: "names no database (…/database at the end)") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        self.schema = schema
        self.poolSize = poolSize
    }

    /// Whether `name` is a plain lowercase identifier (the only form accepted for schema names,
    /// which are the one place SQL is built with `unescaped:`).
    public static func isValidIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) || first == UInt8(ascii: "_") else { return false }
        return name.utf8.count <= 63 && name.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
        }
    }

    /// The postgres-nio client configuration.
    public func clientConfiguration() -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable)
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.connectionIdleTimeout = idleTimeout
        // No JIT compilation: a service's statements are short, and PostgreSQL compiles any plan
        // whose estimate passes `jit_above_cost` — such as counting a large outbox's pending rows,
        // whose estimate grows with the rows kept for the retention — at 100–200 ms a time.
        configuration.options.additionalStartupParameters = [("application_name", "hall-\(schema)"), ("jit", "off")]
        return configuration
    }
}

extension DatabaseConfiguration {
    /// Opens and closes one connection, failing fast with the real reason (refused, unknown host,
    /// authentication failed, no such database) instead of waiting for the pool's circuit breaker.
    public func probe(logger: Logger) async throws {
        let configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        try await connection.close()
    }
}
