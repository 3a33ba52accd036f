import Foundation
import HallCalendar
import Logging
import PostgresNIO

/// Decision numbers (文号): `<code><series>〔<year>〕<n>号` — the department's document code
/// (文号代字) as the service's directory holds it, or its id when none is recorded; a series mark
/// (empty for the coordinator's decisions, `即` for those taken on the spot at a window, so that
/// each number is given by exactly one service); the year in the hall's time zone; and a number
/// gap-free within the department's series and year.
///
/// The counter is a row of the service's `decision_numbers` table (``table``): taking a number
/// locks it until the deciding transaction ends, so numbers are never skipped or given twice.
public enum DecisionNumbers {
    /// The counter table, for the service's migration.
    public static let table = """
        CREATE TABLE decision_numbers (
            department_id text NOT NULL,
            year int NOT NULL,
            last int NOT NULL,
            PRIMARY KEY (department_id, year)
        )
        """

    /// The number as written: `<code><series>〔<year>〕<n>号`.
    public static func format(code: String, series: String = "", year: Int, number: Int) -> String {
        "\(code)\(series)〔\(year)〕\(number)号"
    }

    /// Takes the department's next number for a decision made at `decidedAt`.
    ///
    /// - Parameters:
    ///   - departments: the service's table of departments and its key column, whose
    ///     `document_code` gives the code (e.g. `("departments", "department_id")`).
    public static func next(
        departmentId: String, decidedAt: Date, series: String = "", schema: String, departments: (table: String, key: String),
        on connection: PostgresConnection, logger: Logger
    ) async throws -> String {
        let year = LocalDate.inHall(decidedAt).year
        let rows = try await connection.query(
            """
            WITH n AS (
                INSERT INTO \(unescaped: schema).decision_numbers AS d (department_id, year, last) VALUES (\(departmentId), \(year), 1)
                ON CONFLICT (department_id, year) DO UPDATE SET last = d.last + 1
                RETURNING last)
            SELECT n.last, (SELECT document_code FROM \(unescaped: schema).\(unescaped: departments.table) WHERE \(unescaped: departments.key) = \(departmentId))
            FROM n
            """, logger: logger
        ).decode((Int, String?).self).collectAll()
        guard let row = rows.first else { throw HallError(.conflict, "no decision number for \(departmentId)") }
        return format(code: row.1 ?? departmentId, series: series, year: year, number: row.0)
    }
}
