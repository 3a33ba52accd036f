import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

extension PostgresAppraisalRepository {
    /// The centre's statistics over `from` … `to` (the cases overdue as of `now`), from the facts.
    func statistics(from: HallDate, to: HallDate, now: Date) async throws -> Statistics {
        let (first, last) = (from.description, to.description)
        let today = LocalDate.inHall(now)
        try await recountFigureDays(limit: Int.max)
        return try await client.withConnection { connection in
            let channels = try await connection.select(
                """
                SELECT key, sum(accepted)::int FROM \(unescaped: schema).figure_days
                WHERE dimension = 'channel' AND day BETWEEN \(first)::date AND \(last)::date
                GROUP BY 1 ORDER BY 2 DESC, 1
                """, logger: logger
            ).decode((String, Int).self).collectAll().map { Statistics.ChannelVolume(channel: $0.0, accepted: $0.1) }
            var units: [String: [Statistics.UnitVolume]] = [:]
            for (dimension, key, accepted, refused, corrections, completed, onTime) in try await connection.select(
                """
                SELECT dimension, key, sum(accepted)::int, sum(refused)::int, sum(corrections)::int, sum(completed)::int, sum(on_time)::int
                FROM \(unescaped: schema).figure_days
                WHERE dimension IN ('department', 'window') AND day BETWEEN \(first)::date AND \(last)::date
                GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2
                """, logger: logger
            ).decode((String, String, Int, Int, Int, Int, Int).self).collectAll() {
                units[dimension, default: []].append(
                    .init(key: key, accepted: accepted, refused: refused, correctionNotified: corrections, completed: completed, completedOnTime: onTime))
            }
            // Every completed case has a lead department: the department roll-ups sum to the hall's.
            let timeliness = try await connection.select(
                """
                WITH f AS (SELECT * FROM \(unescaped: schema).figure_days WHERE dimension = 'department' AND day BETWEEN \(first)::date AND \(last)::date),
                handling AS (SELECT h.key::int AS days, sum(h.value::int)::int AS n FROM f, jsonb_each_text(f.handling) h GROUP BY 1)
                SELECT COALESCE((SELECT sum(completed) FROM f), 0)::int, COALESCE((SELECT sum(on_time) FROM f), 0)::int,
                       COALESCE((SELECT array_agg(days ORDER BY days) FROM handling), '{}'), COALESCE((SELECT array_agg(n ORDER BY days) FROM handling), '{}')
                """, logger: logger
            ).decode((Int, Int, [Int], [Int]).self).collectAll().first ?? (0, 0, [], [])
            let handling = ValueCounts(values: timeliness.2, counts: timeliness.3)
            let overdueRows = try await connection.select(
                """
                WITH open AS (
                    SELECT c.receipt_code, c.item_code, c.department_id, c.window_id,
                           COALESCE((SELECT k.due_date_after FROM \(unescaped: schema).clock_changes k WHERE k.case_id = c.case_id
                                     ORDER BY k.sequence DESC LIMIT 1), c.due_date) AS due
                    FROM \(unescaped: schema).case_facts c
                    WHERE c.completed_at IS NULL AND c.due_date IS NOT NULL)
                SELECT receipt_code, item_code, department_id, window_id, due::text, count(*) OVER ()::int
                FROM open WHERE due < \(today.description)::date
                ORDER BY due, receipt_code LIMIT 100
                """, logger: logger
            ).decode((String, String, String, String?, String, Int).self).collectAll()
            let overdue = Statistics.Overdue(
                count: overdueRows.first?.5 ?? 0,
                cases: try overdueRows.map { row in
                    let due = try HallDate(stored: row.4)
                    return Statistics.OverdueCase(
                        receiptCode: row.0, itemCode: row.1, departmentId: row.2, windowId: row.3, dueDate: due,
                        workingDaysOverdue: rectification.calendar.workingDays(from: LocalDate(due), to: today).value)
                })
            let hot = try await connection.select(
                """
                SELECT f.key, i.name, sum(f.accepted)::int, i.withdrawn_from::text FROM \(unescaped: schema).figure_days f
                LEFT JOIN \(unescaped: schema).items i ON i.item_code = f.key
                WHERE f.dimension = 'item' AND f.day BETWEEN \(first)::date AND \(last)::date AND f.accepted > 0
                GROUP BY 1, 2, 4 ORDER BY 3 DESC, 1 LIMIT 10
                """, logger: logger
            ).decode((String, String?, Int, String?).self).collectAll().map {
                Statistics.ItemVolume(itemCode: $0.0, name: $0.1, accepted: $0.2, withdrawnFrom: try $0.3.map(HallDate.init(stored:)))
            }
            // The 90th percentile of hours rounded up to the whole hour; the mean exact.
            let stepRows = try await connection.select(
                """
                WITH s AS (SELECT * FROM \(unescaped: schema).step_days WHERE day BETWEEN \(first)::date AND \(last)::date),
                hourly AS (SELECT s.department_id, h.key::int AS hour, sum(h.value::int)::int AS n FROM s, jsonb_each_text(s.hours) h GROUP BY 1, 2)
                SELECT s.department_id, sum(s.opinions)::int, (sum(s.hours_sum) / sum(s.opinions))::float8,
                       (SELECT array_agg(hour ORDER BY hour) FROM hourly x WHERE x.department_id = s.department_id),
                       (SELECT array_agg(n ORDER BY hour) FROM hourly x WHERE x.department_id = s.department_id)
                FROM s GROUP BY 1
                """, logger: logger
            ).decode((String, Int, Double, [Int], [Int]).self).collectAll()
            let steps = stepRows.compactMap { row -> Statistics.StepTime? in
                guard let p90 = ValueCounts(values: row.3, counts: row.4).percentile(0.9) else { return nil }
                return Statistics.StepTime(departmentId: row.0, opinions: row.1, hoursMean: row.2, hoursP90: p90)
            }.sorted { ($0.hoursMean, $1.departmentId) > ($1.hoursMean, $0.departmentId) }.prefix(10)
            // Accepted from the items' roll-ups, completed and bad ratings from the departments', substantiated complaints from their targets'.
            let trends = try await connection.select(
                """
                WITH months AS (
                    SELECT generate_series(date_trunc('month', \(first)::date::timestamp), date_trunc('month', \(last)::date::timestamp),
                                           interval '1 month')::date AS month),
                counted AS (
                    SELECT date_trunc('month', day::timestamp)::date AS month,
                           sum(accepted) FILTER (WHERE dimension = 'item') AS accepted,
                           sum(completed) FILTER (WHERE dimension = 'department') AS completed,
                           sum(r4 + r5) FILTER (WHERE dimension = 'department') AS bad,
                           sum(substantiated) FILTER (WHERE dimension IN ('staff', 'window', 'department')) AS substantiated
                    FROM \(unescaped: schema).figure_days
                    WHERE dimension IN ('item', 'department', 'staff', 'window') AND day BETWEEN \(first)::date AND \(last)::date
                    GROUP BY 1)
                SELECT m.month::text, COALESCE(c.accepted, 0)::int, COALESCE(c.completed, 0)::int, COALESCE(c.bad, 0)::int, COALESCE(c.substantiated, 0)::int
                FROM months m LEFT JOIN counted c USING (month)
                ORDER BY m.month
                """, logger: logger
            ).decode((String, Int, Int, Int, Int).self).collectAll()
            return Statistics(
                from: from, to: to, channels: channels, departments: units["department"] ?? [], windows: units["window"] ?? [],
                timeliness: .init(
                    completed: timeliness.0, completedOnTime: timeliness.1,
                    onTimeRate: timeliness.0 > 0 ? Double(timeliness.1) / Double(timeliness.0) : nil, handlingDaysMean: handling.mean,
                    handlingDaysP90: handling.percentile(0.9)),
                overdueNow: overdue, hotItems: hot, slowestSteps: Array(steps),
                trends: try trends.map {
                    Statistics.MonthTrend(month: try HallDate(stored: $0.0), accepted: $0.1, completed: $0.2, badRatings: $0.3, complaintsSubstantiated: $0.4)
                })
        }
    }
}
