import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb

/// The complaints service's own settings, read by HallKit's ``EnvironmentReader`` on top of the
/// shared ``ServiceConfiguration``; a missing or malformed value stops the service at start-up with
/// one line naming the key. Deadlines are in working days of the hall's official calendar; the day
/// a step starts is not counted.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `HALL_COMPLAINTS_ACCEPT_DAYS` | from filing to the decision to accept or not, 1–30 | 2 |
/// | `HALL_COMPLAINTS_DEPARTMENT_DAYS` | from passing to a department to its return, 1–60 | 5 |
/// | `HALL_COMPLAINTS_CONCLUDE_DAYS` | from acceptance (or a review request) to the conclusion, 1–60 | 10 |
/// | `HALL_COMPLAINTS_SANCTION_DAYS` | from a substantiated conclusion to the sanction decision, 1–30 | 3 |
/// | `HALL_COMPLAINTS_REPLY_DAYS` | from the conclusion, sanction decision or non-acceptance to the reply, 1–30 | 2 |
/// | `HALL_COMPLAINTS_REVIEW_DAYS` | after the reply, how long the complainant may ask for a review, 1–60 | 15 |
/// | `HALL_COMPLAINTS_TIMER_INTERVAL_MS` | how often due deadline flags are looked for, 10–60000 | 1000 |
/// | `HALL_COMPLAINTS_TIMER_IDLE_MAX_MS` | while none is due, each empty look doubles the wait up to this (a flag is raised at most this late; deadlines are whole days), 10–600000 | 60000 |
/// | `HALL_CALENDAR_DIR` | extra official calendar year files (`YYYY.json`) | none |
struct ComplaintsSettings: Sendable {
    var deadlines: ComplaintDeadlines
    var timerInterval: Duration
    var timerIdleMax: Duration
    /// The complainant's pages' settings (``WebSettings``).
    var web: WebSettings

    /// Reads the settings; throws ``ConfigurationError`` naming the key.
    init(environment: EnvironmentReader = EnvironmentReader()) throws {
        deadlines = ComplaintDeadlines(
            calendar: try environment.calendar(),
            acceptDays: try environment.int("HALL_COMPLAINTS_ACCEPT_DAYS", default: 2, in: 1...30),
            departmentDays: try environment.int("HALL_COMPLAINTS_DEPARTMENT_DAYS", default: 5, in: 1...60),
            concludeDays: try environment.int("HALL_COMPLAINTS_CONCLUDE_DAYS", default: 10, in: 1...60),
            sanctionDays: try environment.int("HALL_COMPLAINTS_SANCTION_DAYS", default: 3, in: 1...30),
            replyDays: try environment.int("HALL_COMPLAINTS_REPLY_DAYS", default: 2, in: 1...30),
            reviewDays: try environment.int("HALL_COMPLAINTS_REVIEW_DAYS", default: 15, in: 1...60))
        timerInterval = .milliseconds(try environment.int("HALL_COMPLAINTS_TIMER_INTERVAL_MS", default: 1_000, in: 10...60_000))
        timerIdleMax = .milliseconds(try environment.int("HALL_COMPLAINTS_TIMER_IDLE_MAX_MS", default: 60_000, in: 10...600_000))
        web = try WebSettings(environment: environment)
    }
}

/// The working-day limit of each step of a complaint's handling, on the hall's official calendar.
struct ComplaintDeadlines: Sendable {
    var calendar: WorkingCalendar
    var acceptDays = 2
    var departmentDays = 5
    var concludeDays = 10
    var sanctionDays = 3
    var replyDays = 2
    var reviewDays = 15

    /// The defaults on the bundled calendar.
    static func standard() throws -> ComplaintDeadlines { ComplaintDeadlines(calendar: try WorkingCalendar.bundled()) }

    /// The last day for a step started at `at` with `days` working days.
    func due(_ days: Int, after at: Date) -> HallDate {
        calendar.dueDate(acceptedAt: at, workingDays: days).date.hallDate
    }

    /// The deadline of a complaint that became `status` at `at`, with its conclusion so far and the
    /// conclusion's due date (kept while the complaint is with a department); none once replied.
    func deadline(for status: ComplaintStatus, finding: ComplaintFinding?, at: Date, conclusionDue: HallDate?) -> ComplaintDeadline? {
        switch status {
        case .filed: ComplaintDeadline(step: .acceptance, dueDate: due(acceptDays, after: at))
        case .investigating, .underReview: ComplaintDeadline(step: .conclusion, dueDate: conclusionDue ?? due(concludeDays, after: at))
        case .referred: ComplaintDeadline(step: .departmentFindings, dueDate: due(departmentDays, after: at))
        case .concluded where finding == .unsubstantiated: ComplaintDeadline(step: .reply, dueDate: due(replyDays, after: at))
        case .concluded: ComplaintDeadline(step: .sanctionDecision, dueDate: due(sanctionDays, after: at))
        case .sanctionDecided, .notAccepted: ComplaintDeadline(step: .reply, dueDate: due(replyDays, after: at))
        case .replied, .closed: nil
        }
    }

    /// Whether a complaint replied to at `repliedAt` may still be reviewed at `at`.
    func reviewOpen(repliedAt: Date, at: Date) -> Bool {
        at < calendar.dueDate(acceptedAt: repliedAt, workingDays: reviewDays).dueBy
    }
}
