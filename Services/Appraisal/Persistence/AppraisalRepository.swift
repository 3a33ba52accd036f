import Foundation
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// What the appraisal service reads and writes, behind one protocol: the routes use it, the
/// service runs ``PostgresAppraisalRepository``, route tests run ``MemoryAppraisalRepository``.
protocol AppraisalRepository: Sendable {
    /// The active windows whose service can be rated.
    func windows() async throws -> RatedWindows
    /// The figures `query` asks for, by period and key (ascending).
    func figures(_ query: FiguresQuery) async throws -> [FigureRow]
}

/// The windows whose service can be rated.
struct RatedWindows: Codable, Sendable, Equatable {
    var windows: [DirectoryWindow]
}

/// ``AppraisalRepository`` on the service's schema.
struct PostgresAppraisalRepository: AppraisalRepository {
    let client: PostgresClient
    let schema: String
    let logger: Logger

    func windows() async throws -> RatedWindows {
        RatedWindows(windows: try await DirectoryProjection.activeWindows(client: client, schema: schema, logger: logger))
    }

    /// One statement counts every fact of the range by period and key: the answers at the window,
    /// the completions, the substantiated complaints and the sanctions, joined on (period, key).
    func figures(_ query: FiguresQuery) async throws -> [FigureRow] {
        // The key of each fact for the dimension asked: fixed SQL from the enum, never from input.
        let (desk, done, complaint, sanction): (String, String, String, String) =
            switch query.dimension {
            case .staff: ("d.staff_id", "c.staff_id", "CASE WHEN f.target_kind = 'staff' THEN f.target_id END", "CASE WHEN s.subject_kind = 'staff' THEN s.subject_id END")
            case .window: ("COALESCE(d.window_id, st.window_id)", "c.window_id", "CASE WHEN f.target_kind = 'window' THEN f.target_id END", "NULL::text")
            case .department:
                ("COALESCE(d.department_id, i.lead_department_id)", "c.department_id", "CASE WHEN f.target_kind = 'department' THEN f.target_id END", "s.department_id")
            case .item: ("d.item_code", "c.item_code", "NULL::text", "NULL::text")
            }
        let period = query.period.rawValue
        let (from, to, key) = (query.from.description, query.to.description, query.key)
        let rows = try await client.run(
            """
            WITH desk AS (
                SELECT date_trunc(\(period), d.day::timestamp)::date AS period, \(unescaped: desk) AS key,
                       count(*) FILTER (WHERE d.outcome = 'accepted') AS accepted,
                       count(*) FILTER (WHERE d.outcome = 'refused') AS refused,
                       count(*) FILTER (WHERE d.outcome = 'correction-notified') AS corrections
                FROM \(unescaped: schema).desk_outcomes d
                LEFT JOIN \(unescaped: schema).items i ON i.item_code = d.item_code
                LEFT JOIN \(unescaped: schema).staff st ON st.staff_id = d.staff_id
                WHERE d.day BETWEEN \(from)::date AND \(to)::date
                GROUP BY 1, 2),
            done AS (
                SELECT date_trunc(\(period), c.completed_day::timestamp)::date AS period, \(unescaped: done) AS key,
                       count(*) AS completed, count(*) FILTER (WHERE c.on_time) AS on_time,
                       avg(c.handling_days)::float8 AS mean, percentile_cont(0.9) WITHIN GROUP (ORDER BY c.handling_days) AS p90
                FROM \(unescaped: schema).case_facts c
                WHERE c.completed_day BETWEEN \(from)::date AND \(to)::date
                GROUP BY 1, 2),
            complained AS (
                SELECT date_trunc(\(period), f.day::timestamp)::date AS period, \(unescaped: complaint) AS key, count(*) AS substantiated
                FROM \(unescaped: schema).complaint_facts f
                WHERE f.day BETWEEN \(from)::date AND \(to)::date AND f.finding IN ('substantiated', 'partly-substantiated')
                GROUP BY 1, 2),
            sanctioned AS (
                SELECT date_trunc(\(period), s.day::timestamp)::date AS period, \(unescaped: sanction) AS key, count(*) AS sanctions
                FROM \(unescaped: schema).sanction_facts s
                WHERE s.day BETWEEN \(from)::date AND \(to)::date
                GROUP BY 1, 2)
            SELECT period::text, key, COALESCE(accepted, 0)::int, COALESCE(refused, 0)::int, COALESCE(corrections, 0)::int,
                   COALESCE(completed, 0)::int, COALESCE(on_time, 0)::int, mean, p90, COALESCE(substantiated, 0)::int, COALESCE(sanctions, 0)::int
            FROM desk FULL JOIN done USING (period, key) FULL JOIN complained USING (period, key) FULL JOIN sanctioned USING (period, key)
            WHERE key IS NOT NULL AND (\(key)::text IS NULL OR key = \(key))
            ORDER BY period, key
            LIMIT 100000
            """, logger: logger
        ).decode((String, String, Int, Int, Int, Int, Int, Double?, Double?, Int, Int).self).collectAll()
        return try rows.map { row in
            FigureRow(
                period: try HallDate(stored: row.0), key: row.1, accepted: row.2, refused: row.3, correctionNotified: row.4, completed: row.5,
                completedOnTime: row.6, onTimeRate: row.5 > 0 ? Double(row.6) / Double(row.5) : nil, handlingDaysMean: row.7, handlingDaysP90: row.8,
                complaintsSubstantiated: row.9, sanctions: row.10)
        }
    }
}
