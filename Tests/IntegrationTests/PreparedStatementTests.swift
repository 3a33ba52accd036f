import Foundation
import HallKit
import HallLocalStack
import PostgresNIO
import Testing

@Suite("Statements prepared once per connection, on the real database", .enabled(if: stackAvailable))
struct PreparedStatementTests {
    private let logger = LocalStack.logger()

    /// The statements prepared on this connection, by text.
    private func prepared(on connection: PostgresConnection, like pattern: String) async throws -> [String] {
        try await connection.select(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE \(pattern)", logger: logger
        ).decode(String.self).collectAll()
    }

    @Test("a query run again on a connection is prepared there once and answers each run with its own values")
    func preparedOnce() async throws {
        try await ScratchDatabase.with { database in
            try await database.client.withConnection { connection in
                var answers: [Int] = []
                for value in [1, 20, 300] {
                    answers += try await connection.select("SELECT \(value)::int8 + 1 AS hall_prepared_once", logger: logger).decode(Int.self).collectAll()
                }
                #expect(answers == [2, 21, 301])
                #expect(try await prepared(on: connection, like: "%hall_prepared_once%").count == 1)
            }
        }
    }

    @Test("a value left empty at the first run and later given, of another type than PostgreSQL would infer, is stored right")
    func emptyThenTyped() async throws {
        try await ScratchDatabase.with { database in
            let schema = database.schema
            try await database.client.run("CREATE TABLE \(unescaped: schema).days (n int8, d date)", logger: logger)
            try await database.client.withConnection { connection in
                // With the empty value PostgreSQL would take $2 for a date; the given one is a text.
                for (n, day) in [(1, nil), (2, "2026-03-20"), (3, nil), (4, "2026-12-07")] as [(Int, String?)] {
                    try await connection.run("INSERT INTO \(unescaped: schema).days (n, d) VALUES (\(n), \(day)::date)", logger: logger)
                }
                let rows = try await connection.select("SELECT n, d::text FROM \(unescaped: schema).days ORDER BY n", logger: logger)
                    .decode((Int, String?).self).collectAll()
                #expect(rows.map(\.0) == [1, 2, 3, 4])
                #expect(rows.map(\.1) == [nil, "2026-03-20", nil, "2026-12-07"])
            }
        }
    }

    @Test("a statement first met in a transaction already aborted fails there, and runs on the same connection once the transaction is over")
    func firstMetInAbortedTransaction() async throws {
        try await ScratchDatabase.with { database in
            try await database.client.withConnection { connection in
                try await connection.run("BEGIN", logger: logger)
                await #expect(throws: PSQLError.self) { try await connection.run("SELECT 1 / \(0)", logger: logger) }
                // Its preparation fails: the transaction is aborted.
                await #expect(throws: PSQLError.self) {
                    try await connection.select("SELECT \(7)::int8 AS hall_after_abort", logger: logger).collect()
                }
                try await connection.run("ROLLBACK", logger: logger)
                let answer = try await connection.select("SELECT \(7)::int8 AS hall_after_abort", logger: logger).decode(Int.self).collectAll()
                #expect(answer == [7])
                #expect(try await connection.select("SELECT \(8)::int8 AS hall_after_abort", logger: logger).decode(Int.self).collectAll() == [8])
            }
        }
    }
}
