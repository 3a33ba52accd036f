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
    /// Whether `departmentId` is an active department of the directory.
    func isActiveDepartment(_ departmentId: String) async throws -> Bool
    /// Rates a completed case for its applicant (once, within the rating period); a bad rating opens a rectification.
    func rate(_ submission: RatingSubmission, client: String, at: Date) async throws -> RatingAnswer
    /// The ratings, newest first, struck ones included (only those held or appealed and not reviewed yet; of one window).
    func ratings(heldOrAppealedOnly: Bool, windowId: String?) async throws -> [RatingRecord]
    /// The rated window or department appeals a rating, once.
    func appeal(_ id: UUID, reason: String, by appellant: Appellant, at: Date) async throws -> RatingRecord
    /// The centre's review of a rating: strike it (it leaves the figures and closes its rectification) or keep it, with the reason.
    func review(_ id: UUID, strike: Bool, reason: String, by actor: String, at: Date) async throws -> RatingRecord
    /// Rectifications, newest first (of one department, or all).
    func rectifications(department: String?) async throws -> [Rectification]
    /// The department's next step of a rectification (`department` nil: the centre's).
    func rectify(_ id: UUID, step: RectificationStep, note: String?, department: String?, actor: String, at: Date) async throws -> Rectification
    /// Bad ratings whose case is also the subject of complaints: one follow-up each, newest first.
    func followUps() async throws -> [FollowUp]
    /// Flags the rectifications past their step's day; answers how many deadlines passed.
    func fireDueTimers(now: Date, limit: Int) async throws -> Int
    /// The centre's statistics over `from` … `to`; the cases overdue as of `now`.
    func statistics(from: HallDate, to: HallDate, now: Date) async throws -> Statistics
    /// The appraisals of the active window staff (or one) for a month or a year.
    func staffAppraisals(_ period: AppraisalPeriod, staffId: String?) async throws -> [StaffAppraisal]
    /// The centre's entry of conduct and skills, until finalised.
    func enter(_ entry: AppraisalEntry, period: AppraisalPeriod, staffId: String, by actor: String, at: Date) async throws -> StaffAppraisal
    /// Finalises an appraisal once (published to the staff member's department).
    func finalise(period: AppraisalPeriod, staffId: String, by actor: String, at: Date) async throws -> StaffAppraisal
    /// A department's annual figure from its staff's finalised annual results.
    func departmentAnnual(_ departmentId: String, year: Int) async throws -> DepartmentAnnual
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
    var ratings: RatingRules
    var rectification: RectificationDeadlines
    /// Cases not rated within the rating period count as basically satisfied.
    var unratedCountAsBasicallySatisfied = false
    /// The published formula of the staff appraisal's computed dimensions.
    var formula = AppraisalFormula()

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
            rated AS (
                SELECT date_trunc(\(period), r.day::timestamp)::date AS period, \(unescaped: done) AS key,
                       count(*) FILTER (WHERE r.level = 'very-satisfied') AS r1, count(*) FILTER (WHERE r.level = 'satisfied') AS r2,
                       count(*) FILTER (WHERE r.level = 'basically-satisfied') AS r3, count(*) FILTER (WHERE r.level = 'dissatisfied') AS r4,
                       count(*) FILTER (WHERE r.level = 'very-dissatisfied') AS r5
                FROM \(unescaped: schema).ratings r JOIN \(unescaped: schema).case_facts c USING (case_id)
                WHERE r.day BETWEEN \(from)::date AND \(to)::date AND NOT r.struck AND NOT r.suspect
                GROUP BY 1, 2),
            rectified AS (
                SELECT date_trunc(\(period), x.done_day::timestamp)::date AS period, \(unescaped: done) AS key,
                       count(*) AS rectified, count(*) FILTER (WHERE NOT x.late) AS rectified_on_time
                FROM \(unescaped: schema).rectifications x JOIN \(unescaped: schema).case_facts c USING (case_id)
                WHERE x.done_day BETWEEN \(from)::date AND \(to)::date AND x.step = 'replied'
                GROUP BY 1, 2),
            unrated AS (
                SELECT date_trunc(\(period), (c.completed_day + \(ratings.ratingDays)::int)::timestamp)::date AS period, \(unescaped: done) AS key,
                       count(*) AS unrated
                FROM \(unescaped: schema).case_facts c
                WHERE \(unratedCountAsBasicallySatisfied) AND c.completed_at + make_interval(days => \(ratings.ratingDays)::int) < now()
                  AND c.completed_day + \(ratings.ratingDays)::int BETWEEN \(from)::date AND \(to)::date
                  AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema).ratings r WHERE r.case_id = c.case_id)
                GROUP BY 1, 2),
            sanctioned AS (
                SELECT date_trunc(\(period), s.day::timestamp)::date AS period, \(unescaped: sanction) AS key, count(*) AS sanctions
                FROM \(unescaped: schema).sanction_facts s
                WHERE s.day BETWEEN \(from)::date AND \(to)::date
                GROUP BY 1, 2)
            SELECT period::text, key, COALESCE(accepted, 0)::int, COALESCE(refused, 0)::int, COALESCE(corrections, 0)::int,
                   COALESCE(completed, 0)::int, COALESCE(on_time, 0)::int, mean, p90, COALESCE(substantiated, 0)::int, COALESCE(sanctions, 0)::int,
                   COALESCE(r1, 0)::int, COALESCE(r2, 0)::int, COALESCE(r3, 0)::int, COALESCE(r4, 0)::int, COALESCE(r5, 0)::int,
                   COALESCE(unrated, 0)::int, COALESCE(rectified, 0)::int, COALESCE(rectified_on_time, 0)::int
            FROM desk FULL JOIN done USING (period, key) FULL JOIN complained USING (period, key) FULL JOIN sanctioned USING (period, key)
                 FULL JOIN rated USING (period, key) FULL JOIN rectified USING (period, key) FULL JOIN unrated USING (period, key)
            WHERE key IS NOT NULL AND (\(key)::text IS NULL OR key = \(key))
            ORDER BY period, key
            LIMIT 100000
            """, logger: logger
        )
        var figures: [FigureRow] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            func int(_ index: Int) throws -> Int { try r[index].decode(Int.self) }
            let completed = try int(5), onTime = try int(6)
            figures.append(
                FigureRow(
                    period: try HallDate(stored: try r[0].decode(String.self)), key: try r[1].decode(String.self), accepted: try int(2), refused: try int(3),
                    correctionNotified: try int(4), completed: completed, completedOnTime: onTime,
                    onTimeRate: completed > 0 ? Double(onTime) / Double(completed) : nil, handlingDaysMean: try r[7].decode(Double?.self),
                    handlingDaysP90: try r[8].decode(Double?.self), complaintsSubstantiated: try int(9), sanctions: try int(10),
                    ratings: .init(
                        verySatisfied: try int(11), satisfied: try int(12), basicallySatisfied: try int(13), dissatisfied: try int(14),
                        veryDissatisfied: try int(15)),
                    unratedCountedBasicallySatisfied: try int(16), rectificationsDone: try int(17), rectificationsDoneOnTime: try int(18)))
        }
        return figures
    }
}
