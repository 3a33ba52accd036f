import Foundation
import HallCalendar
import Logging
import PostgresNIO

/// Decision numbers (文号): `<code><series>〔<year>〕<n>号` — the department's document code
/// (文号代字) as the service's directory holds it, or its id when none is recorded; a series mark
/// (empty for the coordinator's decisions, `即` for those taken on the spot at a window, so that
/// each number is given by exactly one service); the year in the hall's time zone; and a number
/// within the department's series and year.
///
/// Numbers are never given twice. They are handed out from free slots (`decision_slots`), taken
/// with `SKIP LOCKED` so that transactions deciding for the same department at the same time do
/// not wait for one another (a counter row would hold every other decision of the department
/// until the transaction that took a number commits). The lowest free number is taken; a
/// transaction that rolls back puts its number back. When a department's slots run out, the one
/// that finds none raises the high-water mark in `decision_numbers` by a block and frees the rest of
/// the block. Concurrent decisions may take numbers out of time order; every number up to the
/// high-water mark is used or still free.
///
/// Freed slots are seen by others only once the transaction that freed them commits, and until then
/// the high-water row stays locked: a service whose deciding transactions are long (a consumer's
/// batch) keeps its departments' slots topped up in short transactions of their own
/// (``topUp(year:schema:client:logger:)``), so that deciding seldom has to raise the mark itself.
public enum DecisionNumbers {
    /// The tables, for the service's migration.
    public static let tables = [
        """
        CREATE TABLE decision_numbers (
            department_id text NOT NULL,
            year int NOT NULL,
            last int NOT NULL,
            PRIMARY KEY (department_id, year)
        )
        """,
        """
        CREATE TABLE decision_slots (
            department_id text NOT NULL,
            year int NOT NULL,
            number int NOT NULL,
            PRIMARY KEY (department_id, year, number)
        )
        """,
    ]

    /// Numbers freed at a time when a department's slots run out.
    public static let block = 100

    /// Slots kept free per department by ``topUp(year:schema:client:logger:)``, and how many it frees at once.
    public static let lowWater = 200
    public static let topUpBlock = 1_000

    /// Frees another `topUpBlock` numbers for each department of `year` with fewer than
    /// `lowWater` free, each in a short transaction of its own. Returns the departments topped up.
    @discardableResult
    public static func topUp(year: Int, schema: String, client: PostgresClient, logger: Logger) async throws -> Int {
        let low = try await client.run(
            """
            SELECT n.department_id FROM \(unescaped: schema).decision_numbers n
            WHERE n.year = \(year)
              AND (SELECT count(*) FROM \(unescaped: schema).decision_slots s WHERE s.department_id = n.department_id AND s.year = n.year) < \(lowWater)
            """, logger: logger
        ).decode(String.self).collectAll()
        for department in low {
            try await client.transaction(logger: logger) { connection in
                try await connection.run(
                    """
                    WITH raised AS (
                        UPDATE \(unescaped: schema).decision_numbers SET last = last + \(topUpBlock)
                        WHERE department_id = \(department) AND year = \(year)
                          AND (SELECT count(*) FROM \(unescaped: schema).decision_slots s WHERE s.department_id = \(department) AND s.year = \(year))
                              < \(lowWater)
                        RETURNING last)
                    INSERT INTO \(unescaped: schema).decision_slots (department_id, year, number)
                    SELECT \(department), \(year), n FROM raised, generate_series(raised.last - \(topUpBlock) + 1, raised.last) AS n
                    """, logger: logger)
            }
        }
        return low.count
    }

    /// The number as written: `<code><series>〔<year>〕<n>号`.
    public static func format(code: String, series: String = "", year: Int, number: Int) -> String {
        "\(code)\(series)〔\(year)〕\(number)号"
    }

    /// Takes the department's next number for a decision made at `decidedAt`, in the caller's transaction.
    ///
    /// - Parameters:
    ///   - departments: the service's table of departments and its key column, whose
    ///     `document_code` gives the code (e.g. `("departments", "department_id")`).
    public static func next(
        departmentId: String, decidedAt: Date, series: String = "", schema: String, departments: (table: String, key: String),
        on connection: PostgresConnection, logger: Logger
    ) async throws -> String {
        let year = LocalDate.inHall(decidedAt).year
        // The department's code is read with the number: one round trip on the deciding path.
        var taken = try await connection.select(
            """
            DELETE FROM \(unescaped: schema).decision_slots WHERE (department_id, year, number) = (
                SELECT department_id, year, number FROM \(unescaped: schema).decision_slots
                WHERE department_id = \(departmentId) AND year = \(year) ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING number,
                (SELECT document_code FROM \(unescaped: schema).\(unescaped: departments.table) WHERE \(unescaped: departments.key) = \(departmentId))
            """, logger: logger
        ).decode((Int, String?).self).collectAll().first
        if taken == nil {
            // None free: raise the high-water mark by a block, take its first number, free the others.
            taken = try await connection.select(
                """
                WITH raised AS (
                    INSERT INTO \(unescaped: schema).decision_numbers AS d (department_id, year, last) VALUES (\(departmentId), \(year), \(block))
                    ON CONFLICT (department_id, year) DO UPDATE SET last = d.last + \(block)
                    RETURNING last),
                freed AS (
                    INSERT INTO \(unescaped: schema).decision_slots (department_id, year, number)
                    SELECT \(departmentId), \(year), n FROM raised, generate_series(raised.last - \(block) + 2, raised.last) AS n)
                SELECT last - \(block) + 1,
                    (SELECT document_code FROM \(unescaped: schema).\(unescaped: departments.table) WHERE \(unescaped: departments.key) = \(departmentId))
                FROM raised
                """, logger: logger
            ).decode((Int, String?).self).collectAll().first
        }
        guard let (number, code) = taken else { throw HallError(.conflict, "no decision number for \(departmentId)", words: "未能为部门 \(departmentId) 取得决定书文号") }
        return format(code: code ?? departmentId, series: series, year: year, number: number)
    }
}
