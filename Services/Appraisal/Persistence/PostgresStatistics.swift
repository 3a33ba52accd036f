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
        return try await client.withConnection { connection in
            let channels = try await connection.select(
                """
                SELECT COALESCE(c.channel, 'unknown'), count(*)::int FROM \(unescaped: schema).case_facts c
                WHERE (c.accepted_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN \(first)::date AND \(last)::date
                GROUP BY 1 ORDER BY 2 DESC, 1
                """, logger: logger
            ).decode((String, Int).self).collectAll().map { Statistics.ChannelVolume(channel: $0.0, accepted: $0.1) }
            let timeliness = try await connection.select(
                """
                SELECT count(*)::int, count(*) FILTER (WHERE on_time)::int, avg(handling_days)::float8,
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY handling_days)
                FROM \(unescaped: schema).case_facts WHERE completed_day BETWEEN \(first)::date AND \(last)::date
                """, logger: logger
            ).decode((Int, Int, Double?, Double?).self).collectAll().first ?? (0, 0, nil, nil)
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
                SELECT d.item_code, i.name, count(*)::int FROM \(unescaped: schema).desk_outcomes d
                LEFT JOIN \(unescaped: schema).items i ON i.item_code = d.item_code
                WHERE d.outcome = 'accepted' AND d.day BETWEEN \(first)::date AND \(last)::date
                GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 10
                """, logger: logger
            ).decode((String, String?, Int).self).collectAll().map { Statistics.ItemVolume(itemCode: $0.0, name: $0.1, accepted: $0.2) }
            let steps = try await connection.select(
                """
                WITH timed AS (
                    SELECT o.department_id, extract(epoch FROM o.recorded_at - (
                               SELECT max(a.assigned_at) FROM \(unescaped: schema).task_assignments a
                               WHERE a.task_id = o.task_id AND a.assigned_at <= o.recorded_at)) / 3600.0 AS hours
                    FROM \(unescaped: schema).task_opinions o
                    WHERE (o.recorded_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN \(first)::date AND \(last)::date)
                SELECT department_id, count(*)::int, avg(hours)::float8, percentile_cont(0.9) WITHIN GROUP (ORDER BY hours)
                FROM timed WHERE hours IS NOT NULL GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT 10
                """, logger: logger
            ).decode((String, Int, Double, Double).self).collectAll().map {
                Statistics.StepTime(departmentId: $0.0, opinions: $0.1, hoursMean: $0.2, hoursP90: $0.3)
            }
            // Each source grouped by month once, joined to the range's months.
            let trends = try await connection.select(
                """
                WITH months AS (
                    SELECT generate_series(date_trunc('month', \(first)::date::timestamp), date_trunc('month', \(last)::date::timestamp),
                                           interval '1 month')::date AS month),
                accepted AS (
                    SELECT date_trunc('month', day::timestamp)::date AS month, count(*) AS n FROM \(unescaped: schema).desk_outcomes
                    WHERE outcome = 'accepted' AND day BETWEEN \(first)::date AND \(last)::date GROUP BY 1),
                completed AS (
                    SELECT date_trunc('month', completed_day::timestamp)::date AS month, count(*) AS n FROM \(unescaped: schema).case_facts
                    WHERE completed_day BETWEEN \(first)::date AND \(last)::date GROUP BY 1),
                bad AS (
                    SELECT date_trunc('month', day::timestamp)::date AS month, count(*) AS n FROM \(unescaped: schema).ratings
                    WHERE level IN ('dissatisfied', 'very-dissatisfied') AND NOT struck AND day BETWEEN \(first)::date AND \(last)::date GROUP BY 1),
                substantiated AS (
                    SELECT date_trunc('month', day::timestamp)::date AS month, count(*) AS n FROM \(unescaped: schema).complaint_facts
                    WHERE finding IN ('substantiated', 'partly-substantiated') AND day BETWEEN \(first)::date AND \(last)::date GROUP BY 1)
                SELECT m.month::text, COALESCE(a.n, 0)::int, COALESCE(c.n, 0)::int, COALESCE(b.n, 0)::int, COALESCE(s.n, 0)::int
                FROM months m LEFT JOIN accepted a USING (month) LEFT JOIN completed c USING (month) LEFT JOIN bad b USING (month)
                     LEFT JOIN substantiated s USING (month)
                ORDER BY m.month
                """, logger: logger
            ).decode((String, Int, Int, Int, Int).self).collectAll()
            return Statistics(
                from: from, to: to, channels: channels,
                timeliness: .init(
                    completed: timeliness.0, completedOnTime: timeliness.1,
                    onTimeRate: timeliness.0 > 0 ? Double(timeliness.1) / Double(timeliness.0) : nil, handlingDaysMean: timeliness.2,
                    handlingDaysP90: timeliness.3),
                overdueNow: overdue, hotItems: hot, slowestSteps: steps,
                trends: try trends.map {
                    Statistics.MonthTrend(month: try HallDate(stored: $0.0), accepted: $0.1, completed: $0.2, badRatings: $0.3, complaintsSubstantiated: $0.4)
                })
        }
    }
}
