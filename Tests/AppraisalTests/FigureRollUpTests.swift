import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import HallServiceHarness
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import appraisal

@Suite("appraisal: the figures' daily roll-ups against the facts")
struct ValueCountsTests {
    @Test("mean and 90th percentile from counted values are those of the values themselves, as PostgreSQL's avg and percentile_cont give them")
    func percentiles() {
        // Values 1, 2, 2, 3, 9, 9, 9, 10, 14, 20: position 0.9 × 9 = 8.1 → 14 + 0.1 × (20 − 14).
        let counts = ValueCounts(values: [9, 1, 2, 3, 10, 14, 20], counts: [3, 1, 2, 1, 1, 1, 1])
        #expect(counts.total == 10)
        #expect(counts.mean == 7.9)
        #expect(abs((counts.percentile(0.9) ?? 0) - 14.6) < 1e-12)
        #expect(counts.percentile(0.5) == 9)
        #expect(ValueCounts(values: [4], counts: [1]).percentile(0.9) == 4)
        #expect(ValueCounts().mean == nil && ValueCounts().percentile(0.9) == nil)
        // The same value split over days merges.
        #expect(ValueCounts(values: [5, 5, 6], counts: [2, 1, 1]) == ValueCounts([5: 3, 6: 1]))
    }

    @Test("a run of events written by one statement keeps each case's last fact, as applying them one by one would")
    func lastPerCase() {
        let run = [("c-1", 1), ("c-2", 2), ("c-1", 3), ("c-3", 4), ("c-2", 5)]
        #expect(AppraisalConsumer.lastPerCase(run, \.0).map(\.1) == [3, 4, 5])
    }
}

@Suite("appraisal: the figures' daily roll-ups on the real database", .enabled(if: LocalStack.isAvailable))
struct FigureRollUpTests {
    /// The figures as counted from the facts themselves, the way the service counted them before
    /// it kept daily roll-ups: the oracle the roll-ups must agree with.
    static func counted(_ database: PostgresClient, _ schema: String, _ query: FiguresQuery, ratingDays: Int) async throws -> [FigureRow] {
        let (desk, done, complaint, sanction): (String, String, String, String) =
            switch query.dimension {
            case .staff: ("d.staff_id", "c.staff_id", "CASE WHEN f.target_kind = 'staff' THEN f.target_id END", "CASE WHEN s.subject_kind = 'staff' THEN s.subject_id END")
            case .window: ("COALESCE(d.window_id, st.window_id)", "c.window_id", "CASE WHEN f.target_kind = 'window' THEN f.target_id END", "NULL::text")
            case .department:
                ("COALESCE(d.department_id, i.lead_department_id)", "c.department_id", "CASE WHEN f.target_kind = 'department' THEN f.target_id END", "s.department_id")
            case .item: ("d.item_code", "c.item_code", "NULL::text", "NULL::text")
            }
        let (period, from, to, key) = (query.period.rawValue, query.from.description, query.to.description, query.key)
        let rows = try await database.run(
            """
            WITH desk AS (
                SELECT date_trunc(\(period), d.day::timestamp)::date AS period, \(unescaped: desk) AS key,
                       count(*) FILTER (WHERE d.outcome = 'accepted') AS accepted, count(*) FILTER (WHERE d.outcome = 'refused') AS refused,
                       count(*) FILTER (WHERE d.outcome = 'correction-notified') AS corrections
                FROM \(unescaped: schema).desk_outcomes d
                LEFT JOIN \(unescaped: schema).items i ON i.item_code = d.item_code LEFT JOIN \(unescaped: schema).staff st ON st.staff_id = d.staff_id
                WHERE d.day BETWEEN \(from)::date AND \(to)::date GROUP BY 1, 2),
            done AS (
                SELECT date_trunc(\(period), c.completed_day::timestamp)::date AS period, \(unescaped: done) AS key,
                       count(*) AS completed, count(*) FILTER (WHERE c.on_time) AS on_time,
                       avg(c.handling_days)::float8 AS mean, percentile_cont(0.9) WITHIN GROUP (ORDER BY c.handling_days) AS p90
                FROM \(unescaped: schema).case_facts c WHERE c.completed_day BETWEEN \(from)::date AND \(to)::date GROUP BY 1, 2),
            complained AS (
                SELECT date_trunc(\(period), f.day::timestamp)::date AS period, \(unescaped: complaint) AS key, count(*) AS substantiated
                FROM \(unescaped: schema).complaint_facts f
                WHERE f.day BETWEEN \(from)::date AND \(to)::date AND f.finding IN ('substantiated', 'partly-substantiated') GROUP BY 1, 2),
            rated AS (
                SELECT date_trunc(\(period), r.day::timestamp)::date AS period, \(unescaped: done) AS key,
                       count(*) FILTER (WHERE r.level = 'very-satisfied') AS r1, count(*) FILTER (WHERE r.level = 'satisfied') AS r2,
                       count(*) FILTER (WHERE r.level = 'basically-satisfied') AS r3, count(*) FILTER (WHERE r.level = 'dissatisfied') AS r4,
                       count(*) FILTER (WHERE r.level = 'very-dissatisfied') AS r5
                FROM \(unescaped: schema).ratings r JOIN \(unescaped: schema).case_facts c USING (case_id)
                WHERE r.day BETWEEN \(from)::date AND \(to)::date AND NOT r.struck AND NOT r.suspect GROUP BY 1, 2),
            rectified AS (
                SELECT date_trunc(\(period), x.done_day::timestamp)::date AS period, \(unescaped: done) AS key,
                       count(*) AS rectified, count(*) FILTER (WHERE NOT x.late) AS rectified_on_time
                FROM \(unescaped: schema).rectifications x JOIN \(unescaped: schema).case_facts c USING (case_id)
                WHERE x.done_day BETWEEN \(from)::date AND \(to)::date AND x.step = 'replied' GROUP BY 1, 2),
            unrated AS (
                SELECT date_trunc(\(period), (c.completed_day + \(ratingDays)::int)::timestamp)::date AS period, \(unescaped: done) AS key, count(*) AS unrated
                FROM \(unescaped: schema).case_facts c
                WHERE c.completed_at + make_interval(days => \(ratingDays)::int) < now()
                  AND c.completed_day + \(ratingDays)::int BETWEEN \(from)::date AND \(to)::date
                  AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema).ratings r WHERE r.case_id = c.case_id)
                GROUP BY 1, 2),
            sanctioned AS (
                SELECT date_trunc(\(period), s.day::timestamp)::date AS period, \(unescaped: sanction) AS key, count(*) AS sanctions
                FROM \(unescaped: schema).sanction_facts s WHERE s.day BETWEEN \(from)::date AND \(to)::date GROUP BY 1, 2)
            SELECT period::text, key, COALESCE(accepted, 0)::int, COALESCE(refused, 0)::int, COALESCE(corrections, 0)::int,
                   COALESCE(completed, 0)::int, COALESCE(on_time, 0)::int, mean, p90, COALESCE(substantiated, 0)::int, COALESCE(sanctions, 0)::int,
                   COALESCE(r1, 0)::int, COALESCE(r2, 0)::int, COALESCE(r3, 0)::int, COALESCE(r4, 0)::int, COALESCE(r5, 0)::int,
                   COALESCE(unrated, 0)::int, COALESCE(rectified, 0)::int, COALESCE(rectified_on_time, 0)::int
            FROM desk FULL JOIN done USING (period, key) FULL JOIN complained USING (period, key) FULL JOIN sanctioned USING (period, key)
                 FULL JOIN rated USING (period, key) FULL JOIN rectified USING (period, key) FULL JOIN unrated USING (period, key)
            WHERE key IS NOT NULL AND (\(key)::text IS NULL OR key = \(key))
            ORDER BY period, key
            """, logger: LocalStack.logger())
        return try rows.rows.map { row in
            let r = row.makeRandomAccess()
            func int(_ index: Int) throws -> Int { try r[index].decode(Int.self) }
            let completed = try int(5), onTime = try int(6)
            return FigureRow(
                period: try HallDate(stored: try r[0].decode(String.self)), key: try r[1].decode(String.self), accepted: try int(2), refused: try int(3),
                correctionNotified: try int(4), completed: completed, completedOnTime: onTime,
                onTimeRate: completed > 0 ? Double(onTime) / Double(completed) : nil, handlingDaysMean: try r[7].decode(Double?.self),
                handlingDaysP90: try r[8].decode(Double?.self), complaintsSubstantiated: try int(9), sanctions: try int(10),
                ratings: .init(verySatisfied: try int(11), satisfied: try int(12), basicallySatisfied: try int(13), dissatisfied: try int(14), veryDissatisfied: try int(15)),
                unratedCountedBasicallySatisfied: try int(16), rectificationsDone: try int(17), rectificationsDoneOnTime: try int(18)
            ).withRectificationRates()
        }
    }

    /// Fractions to nine places, so that the two ways of dividing compare.
    static func rounded(_ rows: [FigureRow]) -> [FigureRow] {
        func round(_ value: Double?) -> Double? { value.map { ($0 * 1e9).rounded() / 1e9 } }
        return rows.map {
            var row = $0
            (row.onTimeRate, row.handlingDaysMean, row.handlingDaysP90) = (round(row.onTimeRate), round(row.handlingDaysMean), round(row.handlingDaysP90))
            (row.rectificationRate, row.rectificationOnTimeRate) = (round(row.rectificationRate), round(row.rectificationOnTimeRate))
            return row
        }
    }

    /// A hundred days of a small hall's facts, with every case the counting distinguishes: answers
    /// without a window or a department (counted at the clerk's window, the item's department),
    /// clerks and items the directory does not know, completions without their acceptance, struck
    /// and held ratings, late rectifications, complaints of each target and finding, sanctions, and
    /// completions whose rating period ends today.
    static func generate(_ database: PostgresClient, _ schema: String) async throws {
        let statements: [PostgresQuery] = [
            """
            INSERT INTO \(unescaped: schema).staff (staff_id, name, department_id, window_id, qualified, active, occurred_at)
            SELECT 's-' || g, '职员', 'd-' || (g % 6), 'w-' || (g % 5), true, true, now() FROM generate_series(0, 9) g
            """,
            """
            INSERT INTO \(unescaped: schema).items (item_code, version, name, lead_department_id)
            SELECT 'I-' || g, 1, '事项', 'd-' || (g % 6) FROM generate_series(0, 19) g
            """,
            """
            INSERT INTO \(unescaped: schema).desk_outcomes (event_id, outcome, receipt_code, item_code, department_id, staff_id, window_id, day)
            SELECT gen_random_uuid(), (ARRAY['accepted', 'accepted', 'accepted', 'refused', 'correction-notified'])[1 + g % 5], 'R' || g, 'I-' || (g % 23),
                   CASE WHEN g % 5 < 3 THEN 'd-' || (g % 7) END, 's-' || (g % 11), CASE WHEN g % 5 <> 4 THEN 'w-' || (g % 5) END,
                   (now() AT TIME ZONE 'Asia/Shanghai')::date - (g % 100)
            FROM generate_series(1, 3000) g
            """,
            """
            INSERT INTO \(unescaped: schema).case_facts (case_id, receipt_code, item_code, department_id, staff_id, window_id, accepted_at, completed_at,
                                                       completed_day, outcome, on_time, handling_days, channel, due_date)
            SELECT 'c-' || g, 'R' || g, 'I-' || (g % 23), 'd-' || (g % 7), CASE WHEN g % 13 <> 0 THEN 's-' || (g % 11) END,
                   CASE WHEN g % 13 <> 0 THEN 'w-' || (g % 5) END, t.accepted, t.completed,
                   (t.completed AT TIME ZONE 'Asia/Shanghai')::date, CASE WHEN t.completed IS NOT NULL THEN 'approved' END,
                   CASE WHEN t.completed IS NOT NULL THEN g % 4 <> 0 END, CASE WHEN t.completed IS NOT NULL THEN g % 13 END,
                   (ARRAY['window', 'online', NULL])[1 + g % 3], (t.accepted AT TIME ZONE 'Asia/Shanghai')::date + 5
            FROM generate_series(1, 2500) g
            CROSS JOIN LATERAL (SELECT now() - (g % 100) * interval '1 day' - (g % 9) * interval '1 hour' AS accepted) a
            CROSS JOIN LATERAL (SELECT a.accepted, CASE WHEN g % 10 = 0 THEN NULL
                                                        WHEN g % 10 = 1 THEN now() - interval '7 days' + (g % 5 - 2) * interval '1 hour'
                                                        ELSE LEAST(now(), a.accepted + (g % 9) * interval '1 day') END AS completed) t
            """,
            """
            INSERT INTO \(unescaped: schema).ratings (rating_id, case_id, receipt_code, level, channel, client, rated_at, day, struck, suspect, review_reason)
            SELECT gen_random_uuid(), c.case_id, c.receipt_code,
                   (ARRAY['very-satisfied', 'satisfied', 'basically-satisfied', 'dissatisfied', 'very-dissatisfied'])[1 + n % 5], 'sms', 'test',
                   c.completed_at + (n % 3) * interval '1 day', (c.completed_at AT TIME ZONE 'Asia/Shanghai')::date + (n % 3)::int,
                   n % 17 = 0, n % 19 = 0, CASE WHEN n % 17 = 0 THEN 'struck' END
            FROM (SELECT c.*, row_number() OVER (ORDER BY case_id) AS n FROM \(unescaped: schema).case_facts c WHERE c.completed_at IS NOT NULL) c
            WHERE n % 3 = 0
            """,
            """
            INSERT INTO \(unescaped: schema).rectifications (rectification_id, rating_id, case_id, receipt_code, department_id, step, late, opened_at, done_at, done_day)
            SELECT gen_random_uuid(), r.rating_id, r.case_id, r.receipt_code, 'd-0', CASE WHEN n % 4 = 0 THEN 'resolved' ELSE 'replied' END, n % 2 = 0,
                   r.rated_at, r.rated_at + interval '2 days', r.day + 2
            FROM (SELECT r.*, row_number() OVER (ORDER BY rating_id) AS n FROM \(unescaped: schema).ratings r WHERE r.level IN ('dissatisfied', 'very-dissatisfied')) r
            """,
            """
            INSERT INTO \(unescaped: schema).complaint_facts (complaint_id, target_kind, target_id, finding, concluded_at, day, category)
            SELECT gen_random_uuid(), (ARRAY['staff', 'window', 'department'])[1 + g % 3],
                   (ARRAY['s-', 'w-', 'd-'])[1 + g % 3] || (g % 5), (ARRAY['substantiated', 'partly-substantiated', 'unsubstantiated'])[1 + g % 7 % 3],
                   now() - (g % 100) * interval '1 day', (now() AT TIME ZONE 'Asia/Shanghai')::date - (g % 100), 'attitude'
            FROM generate_series(1, 200) g
            """,
            """
            INSERT INTO \(unescaped: schema).sanction_facts (sanction_id, kind, subject_kind, subject_id, department_id, day)
            SELECT gen_random_uuid(), 'efficiency-warning', CASE WHEN g % 2 = 0 THEN 'staff' ELSE 'department' END,
                   CASE WHEN g % 2 = 0 THEN 's-' || (g % 5) ELSE 'd-' || (g % 6) END, 'd-' || (g % 6), (now() AT TIME ZONE 'Asia/Shanghai')::date - (g % 100)
            FROM generate_series(1, 50) g
            """,
        ]
        for statement in statements { try await database.run(statement, logger: LocalStack.logger()) }
    }

    /// What changes a fact after it was counted, one change at a time: the directory moves a clerk,
    /// the catalogue moves an item, a late rating of a case completed weeks ago, the centre strikes
    /// ratings and keeps held ones, a review clears complaints on a later day, late completions
    /// arrive, and completions' acceptances arrive after them.
    static func changes(_ schema: String) -> [(String, PostgresQuery)] {
        [
            ("a clerk moved", "UPDATE \(unescaped: schema).staff SET window_id = 'w-9' WHERE staff_id = 's-3'"),
            ("an item moved", "UPDATE \(unescaped: schema).items SET lead_department_id = 'd-9', version = 2 WHERE item_code = 'I-4'"),
            ("a case completed weeks ago rated", """
                INSERT INTO \(unescaped: schema).ratings (rating_id, case_id, receipt_code, level, channel, client, rated_at, day)
                SELECT gen_random_uuid(), c.case_id, c.receipt_code, 'satisfied', 'sms', 'test', now(), (now() AT TIME ZONE 'Asia/Shanghai')::date
                FROM \(unescaped: schema).case_facts c
                WHERE c.completed_day < (now() AT TIME ZONE 'Asia/Shanghai')::date - 20 AND c.staff_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema).ratings r WHERE r.case_id = c.case_id)
                ORDER BY c.case_id LIMIT 3
                """),
            ("ratings struck", """
                UPDATE \(unescaped: schema).ratings SET struck = true, review_reason = 'struck' WHERE level = 'very-satisfied' AND rated_at < now() - interval '50 days'
                """),
            ("held ratings kept", "UPDATE \(unescaped: schema).ratings SET suspect = false WHERE suspect"),
            ("complaints cleared on review", """
                UPDATE \(unescaped: schema).complaint_facts SET finding = 'unsubstantiated', concluded_at = concluded_at + interval '3 days', day = day + 3
                WHERE finding = 'substantiated' AND day < (now() AT TIME ZONE 'Asia/Shanghai')::date - 10
                """),
            ("late completions", """
                UPDATE \(unescaped: schema).case_facts SET completed_at = accepted_at + interval '2 days',
                    completed_day = (accepted_at AT TIME ZONE 'Asia/Shanghai')::date + 2, outcome = 'approved', on_time = true, handling_days = 2
                WHERE completed_at IS NULL AND accepted_at < now() - interval '3 days'
                """),
            ("acceptances after their completions", "UPDATE \(unescaped: schema).case_facts SET staff_id = 's-1', window_id = 'w-1' WHERE staff_id IS NULL"),
        ]
    }

    @Test("the figures read from the daily roll-ups equal the figures counted from the facts, for every dimension, period and key, before and after the facts change")
    func rollUpsEqualFacts() async throws {
        try await ServiceHarness.run(
            .appraisal, extra: ["HALL_APPRAISAL_UNRATED": "basically-satisfied", "HALL_APPRAISAL_RECOUNT_INTERVAL_MS": "50"],
            definition: { AppraisalService.definition(try AppraisalSettings(environment: $0)) }
        ) { service in
            let (database, schema) = (service.database.client, service.schema)
            let token = try await LocalStack.issuer().issue(
                HallClaims(subject: "admin-sun", roles: [.centreAdmin], department: nil, ttl: 600))
            let today = LocalDate.inHall(Date())
            let from = today.adding(days: -110).description, to = today.adding(days: 10).description
            func compare(_ stage: String, periods: [FigurePeriod] = FigurePeriod.allCases, keys: [String?] = [nil, "s-3", "w-1", "d-9", "I-4"]) async throws {
                var rows = 0
                for dimension in FigureDimension.allCases {
                    for period in periods {
                        for key in keys {
                            let query = try FiguresQuery(by: dimension.rawValue, period: period.rawValue, from: from, to: to, key: key)
                            let expected = try await Self.counted(database, schema, query, ratingDays: 7)
                            let keyParameter = key.map { "&key=\($0)" } ?? ""
                            let read = try await service.client.execute(
                                uri: "/v1/figures?by=\(dimension.rawValue)&period=\(period.rawValue)&from=\(from)&to=\(to)\(keyParameter)", method: .get,
                                headers: [.authorization: "Bearer \(token)"]
                            ) { try JSONDecoder().decode([FigureRow].self, from: $0.body) }
                            #expect(Self.rounded(read) == Self.rounded(expected), "\(stage): \(dimension) by \(period), key \(key ?? "all")")
                            rows += read.count
                        }
                    }
                }
                // Not a vacuous agreement: the hall's days have figures of every kind.
                #expect(rows > 1_000, "\(stage)")
            }
            try await Self.generate(database, schema)
            let all = try await Self.counted(database, schema, try FiguresQuery(by: "department", period: "year", from: from, to: to, key: nil), ratingDays: 7)
            #expect(all.contains { $0.accepted > 0 && $0.refused > 0 && $0.correctionNotified > 0 && $0.completed > 0 && $0.complaintsSubstantiated > 0 })
            #expect(all.contains { $0.sanctions > 0 && $0.ratings.dissatisfied > 0 && $0.unratedCountedBasicallySatisfied > 0 && $0.rectificationsDone > 0 })
            try await compare("as generated")
            // Each change alone, so that one change's marks cannot cover another's days.
            for (change, statement) in Self.changes(schema) {
                try await database.run(statement, logger: LocalStack.logger())
                try await compare("after \(change)", periods: [.day], keys: [nil])
            }
            try await compare("after every change")
            // The service's own recount leaves nothing marked once it has caught up.
            try await ServiceHarness.eventually("every marked day recounted") {
                try await database.run("SELECT count(*) FROM \(unescaped: schema).figure_dirty", logger: LocalStack.logger()).rows.first?.decode(Int.self) == 0
            }
        }
    }
}
