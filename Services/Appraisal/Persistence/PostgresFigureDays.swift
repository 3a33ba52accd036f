import Foundation
import HallKit
import Logging
import PostgresNIO

/// The daily roll-ups the figures and statistics are read from (`figure_days`, `step_days`).
///
/// A roll-up is never incremented: the facts' triggers mark each day a changed fact belongs to
/// (`figure_dirty`, in the writing transaction), and a recount replaces every marked day's rows by
/// counting that day's facts again. So a roll-up is always a function of the facts — exact
/// whatever the order or repetition of the events — and a year is read from ~45,000 rows instead
/// of millions of facts. The service recounts in the background, and every read recounts what is
/// still marked first, so an answer includes every fact committed before it was asked.
extension PostgresAppraisalRepository {
    /// Recounts the days marked since the last recount (the oldest `limit` days of them); answers how many.
    @discardableResult
    func recountFigureDays(limit: Int = 400) async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            // One recount at a time: two would count a day twice.
            try await connection.run("SELECT pg_advisory_xact_lock(hashtext(\(schema + ".figure_days")))", logger: logger)
            // The marks up to the `limit`-th marked day go, and exactly the days of the marks that went are recounted: a mark
            // committed after the DELETE stays for the next recount, and the facts of every mark that went are seen below.
            // (Sets, not `= ANY($1)`: an array parameter is taken apart again for every row it is compared with.)
            let marked = try await connection.select(
                """
                WITH last AS (SELECT max(day) AS day FROM (SELECT DISTINCT day FROM \(unescaped: schema).figure_dirty ORDER BY day LIMIT \(limit)) d),
                gone AS (DELETE FROM \(unescaped: schema).figure_dirty WHERE day <= (SELECT day FROM last) RETURNING day)
                SELECT DISTINCT day::text FROM gone ORDER BY 1
                """, logger: logger
            ).decode(String.self).collectAll()
            guard !marked.isEmpty else { return 0 }
            try await connection.run(
                "DELETE FROM \(unescaped: schema).figure_days WHERE day IN (SELECT unnest(\(marked)::date[]))", logger: logger)
            try await connection.run(
                "DELETE FROM \(unescaped: schema).step_days WHERE day IN (SELECT unnest(\(marked)::date[]))", logger: logger)
            try await connection.run(Self.recountFigures(schema: schema, days: marked), logger: logger)
            try await connection.run(Self.recountSteps(schema: schema, days: marked), logger: logger)
            return marked.count
        }
    }

    /// Every dimension's figures of `days`, from the facts. The key of each fact per dimension is
    /// the one ``figures(_:)`` documents: the answer's window or else the clerk's, the event's
    /// department or else the item's lead department; a case's own for completions, ratings and
    /// rectifications; the complaint's target; a sanction's subject and department.
    static func recountFigures(schema: String, days: [String]) -> PostgresQuery {
        """
        WITH days AS (SELECT unnest(\(days)::date[]) AS day),
        desk AS (
            SELECT d.day, k.dimension, k.key, count(*) FILTER (WHERE d.outcome = 'accepted') AS accepted,
                   count(*) FILTER (WHERE d.outcome = 'refused') AS refused, count(*) FILTER (WHERE d.outcome = 'correction-notified') AS corrections
            FROM \(unescaped: schema).desk_outcomes d
            LEFT JOIN \(unescaped: schema).items i ON i.item_code = d.item_code
            LEFT JOIN \(unescaped: schema).staff st ON st.staff_id = d.staff_id
            CROSS JOIN LATERAL (VALUES ('staff', d.staff_id), ('window', COALESCE(d.window_id, st.window_id)),
                                       ('department', COALESCE(d.department_id, i.lead_department_id)), ('item', d.item_code)) k(dimension, key)
            WHERE d.day IN (SELECT day FROM days) AND k.key IS NOT NULL
            GROUP BY 1, 2, 3),
        completions AS (
            SELECT c.*, r.case_id IS NOT NULL AS rated
            FROM \(unescaped: schema).case_facts c LEFT JOIN \(unescaped: schema).ratings r USING (case_id)
            WHERE c.completed_day IN (SELECT day FROM days)),
        done AS (
            SELECT c.completed_day AS day, k.dimension, k.key, c.on_time, c.handling_days, c.rated
            FROM completions c
            CROSS JOIN LATERAL (VALUES ('staff', c.staff_id), ('window', c.window_id), ('department', c.department_id), ('item', c.item_code)) k(dimension, key)
            WHERE k.key IS NOT NULL),
        handling AS (
            SELECT day, dimension, key, jsonb_object_agg(handling_days::text, n) AS handling
            FROM (SELECT day, dimension, key, handling_days, count(*) AS n FROM done WHERE handling_days IS NOT NULL GROUP BY 1, 2, 3, 4) h
            GROUP BY 1, 2, 3),
        channels AS (
            SELECT (c.accepted_at AT TIME ZONE 'Asia/Shanghai')::date AS day, 'channel' AS dimension, COALESCE(c.channel, 'unknown') AS key, count(*) AS accepted
            FROM \(unescaped: schema).case_facts c
            WHERE (c.accepted_at AT TIME ZONE 'Asia/Shanghai')::date IN (SELECT day FROM days)
            GROUP BY 1, 2, 3),
        complained AS (
            SELECT f.day, f.target_kind AS dimension, f.target_id AS key, count(*) AS substantiated
            FROM \(unescaped: schema).complaint_facts f
            WHERE f.day IN (SELECT day FROM days) AND f.finding IN ('substantiated', 'partly-substantiated')
            GROUP BY 1, 2, 3),
        sanctioned AS (
            SELECT s.day, k.dimension, k.key, count(*) AS sanctions
            FROM \(unescaped: schema).sanction_facts s
            CROSS JOIN LATERAL (VALUES ('staff', CASE WHEN s.subject_kind = 'staff' THEN s.subject_id END), ('department', s.department_id)) k(dimension, key)
            WHERE s.day IN (SELECT day FROM days) AND k.key IS NOT NULL
            GROUP BY 1, 2, 3),
        rated AS (
            SELECT r.day, k.dimension, k.key,
                   count(*) FILTER (WHERE r.level = 'very-satisfied') AS r1, count(*) FILTER (WHERE r.level = 'satisfied') AS r2,
                   count(*) FILTER (WHERE r.level = 'basically-satisfied') AS r3, count(*) FILTER (WHERE r.level = 'dissatisfied') AS r4,
                   count(*) FILTER (WHERE r.level = 'very-dissatisfied') AS r5
            FROM \(unescaped: schema).ratings r JOIN \(unescaped: schema).case_facts c USING (case_id)
            CROSS JOIN LATERAL (VALUES ('staff', c.staff_id), ('window', c.window_id), ('department', c.department_id), ('item', c.item_code)) k(dimension, key)
            WHERE r.day IN (SELECT day FROM days) AND NOT r.struck AND NOT r.suspect AND k.key IS NOT NULL
            GROUP BY 1, 2, 3),
        rectified AS (
            SELECT x.done_day AS day, k.dimension, k.key, count(*) AS rectified, count(*) FILTER (WHERE NOT x.late) AS rectified_on_time
            FROM \(unescaped: schema).rectifications x JOIN \(unescaped: schema).case_facts c USING (case_id)
            CROSS JOIN LATERAL (VALUES ('staff', c.staff_id), ('window', c.window_id), ('department', c.department_id), ('item', c.item_code)) k(dimension, key)
            WHERE x.done_day IN (SELECT day FROM days) AND x.step = 'replied' AND k.key IS NOT NULL
            GROUP BY 1, 2, 3),
        counted (day, dimension, key, accepted, refused, corrections, completed, on_time, rated_completed, substantiated, sanctions,
                 r1, r2, r3, r4, r5, rectified, rectified_on_time) AS (
            SELECT day, dimension, key, accepted, refused, corrections, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM desk
            UNION ALL
            SELECT day, dimension, key, 0, 0, 0, count(*), count(*) FILTER (WHERE on_time), count(*) FILTER (WHERE rated), 0, 0, 0, 0, 0, 0, 0, 0, 0
            FROM done GROUP BY 1, 2, 3
            UNION ALL
            SELECT day, dimension, key, accepted, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM channels
            UNION ALL
            SELECT day, dimension, key, 0, 0, 0, 0, 0, 0, substantiated, 0, 0, 0, 0, 0, 0, 0, 0 FROM complained
            UNION ALL
            SELECT day, dimension, key, 0, 0, 0, 0, 0, 0, 0, sanctions, 0, 0, 0, 0, 0, 0, 0 FROM sanctioned
            UNION ALL
            SELECT day, dimension, key, 0, 0, 0, 0, 0, 0, 0, 0, r1, r2, r3, r4, r5, 0, 0 FROM rated
            UNION ALL
            SELECT day, dimension, key, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, rectified, rectified_on_time FROM rectified)
        INSERT INTO \(unescaped: schema).figure_days (dimension, day, key, accepted, refused, corrections, completed, on_time, handling, rated_completed,
                                                      substantiated, sanctions, r1, r2, r3, r4, r5, rectified, rectified_on_time)
        SELECT c.dimension, c.day, c.key, sum(c.accepted), sum(c.refused), sum(c.corrections), sum(c.completed), sum(c.on_time),
               COALESCE(h.handling, '{}'), sum(c.rated_completed), sum(c.substantiated), sum(c.sanctions), sum(c.r1), sum(c.r2), sum(c.r3), sum(c.r4),
               sum(c.r5), sum(c.rectified), sum(c.rectified_on_time)
        FROM counted c LEFT JOIN handling h USING (day, dimension, key)
        GROUP BY c.dimension, c.day, c.key, h.handling
        """
    }

    /// Each department's opinions of `days`: hours from the task's latest assignment before the opinion.
    static func recountSteps(schema: String, days: [String]) -> PostgresQuery {
        """
        WITH timed AS (
            SELECT (o.recorded_at AT TIME ZONE 'Asia/Shanghai')::date AS day, o.department_id,
                   (extract(epoch FROM o.recorded_at - a.assigned_at) / 3600.0)::float8 AS hours
            FROM \(unescaped: schema).task_opinions o
            CROSS JOIN LATERAL (
                SELECT max(a.assigned_at) AS assigned_at FROM \(unescaped: schema).task_assignments a
                WHERE a.task_id = o.task_id AND a.assigned_at <= o.recorded_at) a
            WHERE (o.recorded_at AT TIME ZONE 'Asia/Shanghai')::date IN (SELECT unnest(\(days)::date[])) AND a.assigned_at IS NOT NULL),
        hourly AS (
            SELECT day, department_id, ceil(hours)::int AS hour, count(*) AS n, sum(hours) AS hours
            FROM timed GROUP BY 1, 2, 3)
        INSERT INTO \(unescaped: schema).step_days (day, department_id, opinions, hours_sum, hours)
        SELECT day, department_id, sum(n), sum(hours), jsonb_object_agg(hour::text, n) FROM hourly GROUP BY 1, 2
        """
    }
}
