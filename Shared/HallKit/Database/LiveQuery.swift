import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// The database connection closed before a query's answer came (the server restarted, the
/// network dropped): the query may or may not have run, and the transaction it belonged to did
/// not commit.
public struct DatabaseConnectionLost: Error, CustomStringConvertible {
    /// The query's text, for the log.
    public var sql: String

    public var description: String { "the database connection closed before the query was answered: \(sql.prefix(120))" }
}

// Every query of the hall goes through `run` (connection) or `run` (client) below, never through
// postgres-nio's `query` directly; `Tests/HallKitTests/LiveQueryTests.swift` checks the sources.
//
// Why: postgres-nio 1.33.2 hands a query to its channel with `channel.write(task, promise: nil)`.
// Once a closed connection's pipeline has been torn down, that write fails at the pipeline's head
// and nothing ever completes the query's promise, so `query` waits forever (upstream #487 fixed it
// and was reverted, #501). A PostgreSQL restart caught consumers between two queries of a
// transaction: their next query (or the ROLLBACK after a failed one) never returned, the consumer
// stopped applying events without an error, and its group evicted it. `run` refuses a query on a
// connection already closed, and gives up on one still unanswered a moment after its connection
// closed (no answer can come from a closed connection).

extension PostgresConnection {
    /// Runs a query and returns its rows; throws ``DatabaseConnectionLost`` instead of waiting
    /// forever when the connection closes first.
    @discardableResult
    public func run(
        _ query: PostgresQuery, arrays: PreparedStatements.ArrayStatements = .unnamed, logger: Logger, file: String = #fileID, line: Int = #line
    ) async throws -> HallRows {
        // Completed by whichever comes first, the query's answer or the connection's close (a
        // promise ignores a second completion).
        let answer = eventLoop.makePromise(of: HallRows.self)
        let candidate = PreparedStatements.shared.id(of: query, arrays: arrays)
        guard let (watch, name) = ConnectionWatch.shared.watch(self, statement: candidate, onClose: { answer.fail(DatabaseConnectionLost(sql: query.sql)) }) else {
            answer.fail(DatabaseConnectionLost(sql: query.sql))
            throw DatabaseConnectionLost(sql: query.sql)
        }
        // The statement whose outcome is noted: none when it runs unnamed on this connection.
        let statement = name == nil ? nil : candidate
        // An unstructured task, so that a query the library never answers can be left behind.
        Task {
            do {
                if let name {
                    // Prepared once on this connection, then executed by name (see PreparedStatements).
                    let rows = try await NamedStatement.$text.withValue(.init(name: name, sql: query.sql)) {
                        try await self.execute(NamedStatement(bindings: query.binds), logger: logger, file: file, line: line)
                    }
                    answer.succeed(HallRows(source: .named(.init(rows: rows))))
                } else {
                    answer.succeed(HallRows(source: .unnamed(try await self.query(query, logger: logger, file: file, line: line))))
                }
            } catch {
                answer.fail(error)
            }
        }
        do {
            let rows = try await answer.futureResult.get()
            ConnectionWatch.shared.unwatch(self, watch, statement: statement, succeeded: true)
            return rows
        } catch {
            ConnectionWatch.shared.unwatch(self, watch, statement: statement, succeeded: false)
            throw error
        }
    }

    /// Runs a query and returns its rows (the name reads better for a SELECT).
    public func select(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws -> HallRows {
        try await run(query, logger: logger, file: file, line: line)
    }
}

extension PostgresClient {
    /// Runs one query on a pooled connection, outside any transaction, and returns all its rows
    /// (collected before the connection goes back to the pool).
    @discardableResult
    public func run(
        _ query: PostgresQuery, arrays: PreparedStatements.ArrayStatements = .unnamed, logger: Logger, file: String = #fileID, line: Int = #line
    ) async throws -> CollectedRows {
        try await withConnection { connection in
            CollectedRows(rows: try await connection.run(query, arrays: arrays, logger: logger, file: file, line: line).collectAll())
        }
    }

    /// Runs `body` in a transaction; errors thrown by `body` come out as themselves, so callers can
    /// match them. A transaction whose connection closed is not rolled back (there is nothing to
    /// roll back, and the connection can take no query).
    public func transaction<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        let hooks = TransactionHooks()
        let value = try await withConnection { connection in
            try await connection.run("BEGIN", logger: logger)
            let value: Result
            do {
                value = try await TransactionHooks.$current.withValue(hooks) { try await body(connection) }
            } catch {
                if !connection.isClosed {
                    do {
                        try await connection.run("ROLLBACK", logger: logger)
                    } catch {
                        logger.debug("rollback failed", metadata: [LogKey.error: "\(error)"])
                    }
                }
                throw error
            }
            try await connection.run("COMMIT", logger: logger)
            return value
        }
        hooks.committed()
        return value
    }
}

/// Rows collected from a query, readable like postgres-nio's row sequence (`decode`, `for try await`).
public struct CollectedRows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow
    /// The rows, in order.
    public let rows: [PostgresRow]

    /// Wraps rows already read.
    public init(rows: [PostgresRow]) { self.rows = rows }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[PostgresRow]>
        public mutating func next() async throws -> PostgresRow? { base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: rows.makeIterator()) }

    /// The rows (the same call as on postgres-nio's row sequence).
    public func collect() -> [PostgresRow] { rows }
}

/// Tells the queries waiting on a connection when it closes: one close callback per connection
/// (not one per query, which would pile up on a long-lived connection), and each waiting query
/// given up a moment later unless its answer came.
final class ConnectionWatch: Sendable {
    static let shared = ConnectionWatch()

    /// How long a query still unanswered after its connection closed is waited for.
    static let grace: TimeAmount = .milliseconds(500)

    private struct Watched {
        var nextId = 0
        var onClose: [Int: @Sendable () -> Void] = [:]
        /// The connection's prepared statements, by their number in ``PreparedStatements``.
        var statements: [Int: Statement] = [:]
    }

    /// A statement's name on one connection, and whether it executed under it (so was prepared).
    private struct Statement {
        var renames = 0
        var prepared = false
    }

    private let connections = NIOLockedValueBox([ObjectIdentifier: Watched]())

    /// Registers `onClose` for the connection and returns its number with the name to execute
    /// `statement` under on this connection (nil: unnamed); nil when the connection has closed already.
    func watch(_ connection: PostgresConnection, statement: Int?, onClose: @escaping @Sendable () -> Void) -> (Int, String?)? {
        let key = ObjectIdentifier(connection)
        let (id, name, isNew) = connections.withLockedValue { connections -> (Int, String?, Bool) in
            let isNew = connections[key] == nil
            var watched = connections[key] ?? Watched()
            let id = watched.nextId
            watched.nextId += 1
            watched.onClose[id] = onClose
            var name: String?
            if let statement {
                let renames = watched.statements[statement]?.renames ?? 0
                if renames <= PreparedStatements.maximumRenames { name = "hall_\(statement)_\(renames)" }
            }
            connections[key] = watched
            return (id, name, isNew)
        }
        if isNew {
            connection.closeFuture.whenComplete { [weak self] _ in self?.closed(connection) }
        }
        if connection.isClosed {
            unwatch(connection, id, statement: nil, succeeded: false)
            return nil
        }
        return (id, name)
    }

    /// Forgets the query's close callback and notes how its statement fared: executed, it is
    /// prepared for good; failed before it ever executed, it is renamed, since its preparation may
    /// be what failed.
    func unwatch(_ connection: PostgresConnection, _ id: Int, statement: Int?, succeeded: Bool) {
        let key = ObjectIdentifier(connection)
        connections.withLockedValue { connections in
            guard var watched = connections[key] else { return }
            watched.onClose[id] = nil
            if let statement {
                var state = watched.statements[statement] ?? Statement()
                if succeeded {
                    state.prepared = true
                } else if !state.prepared {
                    state.renames += 1
                }
                watched.statements[statement] = state
            }
            connections[key] = watched
        }
    }

    /// Gives up the queries still waiting a moment after the connection closed. The connection is
    /// held until then, so that no new connection can take its address (and its key) meanwhile.
    private func closed(_ connection: PostgresConnection) {
        connection.eventLoop.scheduleTask(in: Self.grace) {
            let key = ObjectIdentifier(connection)
            let waiting = self.connections.withLockedValue { $0.removeValue(forKey: key) }
            for onClose in waiting.map({ Array($0.onClose.values) }) ?? [] { onClose() }
        }
    }
}

extension PostgresRandomAccessRow {
    /// The column decoded as `T`.
    public func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}
