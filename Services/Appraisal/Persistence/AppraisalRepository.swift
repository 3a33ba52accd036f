import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// What the appraisal service reads and writes, behind one protocol: the routes use it, the
/// service runs ``PostgresAppraisalRepository``, route tests run ``MemoryAppraisalRepository``.
protocol AppraisalRepository: Sendable {
    /// The published formula of the staff appraisal's computed dimensions (``AppraisalSettings``).
    var formula: AppraisalFormula { get }
    /// The active windows whose service can be rated.
    func windows() async throws -> RatedWindows
    /// The figures `query` asks for, by period and key (ascending).
    func figures(_ query: FiguresQuery) async throws -> [FigureRow]
    /// Whether `departmentId` is an active department of the directory.
    func isActiveDepartment(_ departmentId: String) async throws -> Bool
    /// Rates a completed case for its applicant (once, within the rating period); a bad rating opens a rectification.
    func rate(_ submission: RatingSubmission, client: String, at: Date) async throws -> RatingAnswer
    /// Rates a bundle (一件事) as a whole, once all its cases are complete: recorded for each case.
    func rateBundle(_ submission: BundleRatingSubmission, client: String, at: Date) async throws -> BundleRatingAnswer
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
    /// The discipline room's input to an appraisal (Art 44), until it is finalised.
    func addDisciplineInput(_ input: DisciplineInput, period: AppraisalPeriod, staffId: String, by actor: String, at: Date) async throws -> StaffAppraisal
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

    /// The figures from the daily roll-ups (recounted first where marked), summed by period and key;
    /// the unrated policy's cases from the roll-ups of the days whose rating period has ended, and
    /// from the facts for the one ending today.
    func figures(_ query: FiguresQuery) async throws -> [FigureRow] {
        try await recountFigureDays(limit: Int.max)
        // The key of an unrated case's facts for the dimension asked: fixed SQL from the enum, never from input.
        let done: String =
            switch query.dimension {
            case .staff: "c.staff_id"
            case .window: "c.window_id"
            case .department: "c.department_id"
            case .item: "c.item_code"
            }
        let (period, dimension, days) = (query.period.rawValue, query.dimension.rawValue, ratings.ratingDays)
        let (from, to, key, today) = (query.from.description, query.to.description, query.key, LocalDate.inHall(Date()).description)
        let rows = try await client.run(
            """
            WITH f AS (
                SELECT date_trunc(\(period), day::timestamp)::date AS period, * FROM \(unescaped: schema).figure_days
                WHERE dimension = \(dimension) AND day BETWEEN \(from)::date AND \(to)::date AND (\(key)::text IS NULL OR key = \(key))),
            totals AS (
                SELECT period, key, sum(accepted) AS accepted, sum(refused) AS refused, sum(corrections) AS corrections, sum(completed) AS completed,
                       sum(on_time) AS on_time, sum(substantiated) AS substantiated, sum(sanctions) AS sanctions, sum(r1) AS r1, sum(r2) AS r2,
                       sum(r3) AS r3, sum(r4) AS r4, sum(r5) AS r5, sum(rectified) AS rectified, sum(rectified_on_time) AS rectified_on_time
                FROM f GROUP BY 1, 2),
            handling AS (
                SELECT period, key, array_agg(days ORDER BY days) AS days, array_agg(n ORDER BY days) AS n
                FROM (SELECT f.period, f.key, h.key::int AS days, sum(h.value::int)::int AS n FROM f, jsonb_each_text(f.handling) h GROUP BY 1, 2, 3) x
                GROUP BY 1, 2),
            unrated AS (
                SELECT date_trunc(\(period), (u.day + \(days)::int)::timestamp)::date AS period, u.key, sum(u.completed - u.rated_completed) AS n
                FROM \(unescaped: schema).figure_days u
                WHERE \(unratedCountAsBasicallySatisfied) AND u.dimension = \(dimension) AND (\(key)::text IS NULL OR u.key = \(key))
                  AND u.day BETWEEN \(from)::date - \(days)::int AND \(to)::date - \(days)::int AND u.day < \(today)::date - \(days)::int
                GROUP BY 1, 2
                UNION ALL
                SELECT date_trunc(\(period), (c.completed_day + \(days)::int)::timestamp)::date, \(unescaped: done), count(*)
                FROM \(unescaped: schema).case_facts c
                WHERE \(unratedCountAsBasicallySatisfied) AND c.completed_day = \(today)::date - \(days)::int
                  AND \(today)::date BETWEEN \(from)::date AND \(to)::date AND c.completed_at + make_interval(days => \(days)::int) < now()
                  AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema).ratings r WHERE r.case_id = c.case_id)
                GROUP BY 1, 2),
            unrated_total AS (
                SELECT period, key, sum(n) AS unrated FROM unrated WHERE key IS NOT NULL AND (\(key)::text IS NULL OR key = \(key))
                GROUP BY 1, 2 HAVING sum(n) > 0)
            SELECT period::text, key, COALESCE(accepted, 0)::int, COALESCE(refused, 0)::int, COALESCE(corrections, 0)::int,
                   COALESCE(completed, 0)::int, COALESCE(on_time, 0)::int, COALESCE(days, '{}'), COALESCE(n, '{}'), COALESCE(substantiated, 0)::int,
                   COALESCE(sanctions, 0)::int, COALESCE(r1, 0)::int, COALESCE(r2, 0)::int, COALESCE(r3, 0)::int, COALESCE(r4, 0)::int,
                   COALESCE(r5, 0)::int, COALESCE(unrated, 0)::int, COALESCE(rectified, 0)::int, COALESCE(rectified_on_time, 0)::int
            FROM totals FULL JOIN unrated_total USING (period, key) LEFT JOIN handling USING (period, key)
            ORDER BY period, key
            LIMIT 100000
            """, logger: logger
        )
        var figures: [FigureRow] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            func int(_ index: Int) throws -> Int { try r[index].decode(Int.self) }
            let completed = try int(5), onTime = try int(6)
            let handling = ValueCounts(values: try r[7].decode([Int].self), counts: try r[8].decode([Int].self))
            figures.append(
                FigureRow(
                    period: try HallDate(stored: try r[0].decode(String.self)), key: try r[1].decode(String.self), accepted: try int(2), refused: try int(3),
                    correctionNotified: try int(4), completed: completed, completedOnTime: onTime,
                    onTimeRate: completed > 0 ? Double(onTime) / Double(completed) : nil, handlingDaysMean: handling.mean,
                    handlingDaysP90: handling.percentile(0.9), complaintsSubstantiated: try int(9), sanctions: try int(10),
                    ratings: .init(
                        verySatisfied: try int(11), satisfied: try int(12), basicallySatisfied: try int(13), dissatisfied: try int(14),
                        veryDissatisfied: try int(15)),
                    unratedCountedBasicallySatisfied: try int(16), rectificationsDone: try int(17), rectificationsDoneOnTime: try int(18)
                ).withRectificationRates())
        }
        return figures
    }
}
