import Foundation
import PostgresNIO
import Testing

@testable import HallKit

@Suite("Which statements are prepared, and the types of their values")
struct PreparedStatementsTests {
    @Test("queries and data changes are prepared; transaction control, settings and DDL are not", arguments: [
        ("SELECT 1", true), ("  \n\tselect 1", true), ("WITH x AS (SELECT 1) SELECT * FROM x", true), ("INSERT INTO t VALUES (1)", true),
        ("update t set a = 1", true), ("DELETE FROM t", true), ("-- a comment\nSELECT 1", true),
        ("BEGIN", false), ("COMMIT", false), ("SAVEPOINT hall_event", false), ("SET LOCAL x = 1", false),
        ("CREATE TABLE t (a int)", false), ("DO $$ BEGIN END $$", false), ("", false), ("selectx", false),
    ])
    func preparable(sql: String, prepared: Bool) {
        #expect(PreparedStatements.isPreparable(sql) == prepared)
    }

    @Test("the types of the bound values are read from postgres-nio's bindings, an empty value as null")
    func bindingTypes() throws {
        #expect(BindingTypes.readable, "the layout of postgres-nio's bindings is the one expected")
        let date: String? = nil
        let query: PostgresQuery = "INSERT INTO t VALUES (\(42), \("x"), \(date)::date, \([1, 2]), \(true))"
        #expect(BindingTypes.of(query.binds) == [.int8, .text, .null, .int8Array, .bool])
    }

    @Test("a statement given an array (a batch's values) runs unnamed; the same without one is prepared")
    func arraysRunUnnamed() {
        let statements = PreparedStatements()
        let ids: [UUID] = [UUID(), UUID()]
        #expect(statements.id(of: "SELECT * FROM unnest(\(ids)::uuid[]) AS hall_batch") == nil)
        #expect(statements.id(of: "SELECT * FROM unnest(\(["a", "b"])::text[]) AS hall_batch") == nil)
        #expect(statements.id(of: "SELECT \(ids[0])::uuid AS hall_single") != nil)
    }
}
