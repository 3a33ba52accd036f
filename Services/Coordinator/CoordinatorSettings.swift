import HallCalendar
import HallKit
import HallWeb

/// The coordinator's own settings, read by HallKit's ``EnvironmentReader`` on top of the shared
/// ``ServiceConfiguration``; a missing or malformed value stops the service at start-up with one
/// line naming the key.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `HALL_COORDINATOR_WARNING_SHARE` | share of a period's working days used when a warning is raised, in (0, 1] | 0.8 |
/// | `HALL_COORDINATOR_PARTICIPANT_MARGIN_DAYS` | working days a participant's sub-deadline lies before the case's due date, 0–30 | 1 |
/// | `HALL_COORDINATOR_SILENT_DAYS` | working days after a participant's task was escalated to the lead department (the day after its sub-deadline) that it may stay silent before it is escalated again, to the hall centre, 1–30 | 2 |
/// | `HALL_COORDINATOR_TIMER_INTERVAL_MS` | how often due warning/escalation timers are looked for, 10–60000 | 500 |
/// | `HALL_COORDINATOR_TIMER_IDLE_MAX_MS` | while none is due, each empty look doubles the wait up to this, 10–60000 | 5000 |
/// | `HALL_CALENDAR_DIR` | extra official calendar year files (`YYYY.json`) | none |
struct CoordinatorSettings: Sendable {
    var warningShare: Double
    var participantMarginDays: Int
    var silentDays: Int
    var timerInterval: Duration
    var timerIdleMax: Duration
    var calendar: WorkingCalendar
    /// The worklist pages' settings (``WebSettings``).
    var web: WebSettings

    /// Reads the settings; throws ``ConfigurationError`` naming the key.
    init(environment: EnvironmentReader = EnvironmentReader()) throws {
        warningShare = try environment.double("HALL_COORDINATOR_WARNING_SHARE", default: 0.8, rule: "a number in (0, 1]") { $0 > 0 && $0 <= 1 }
        participantMarginDays = try environment.int("HALL_COORDINATOR_PARTICIPANT_MARGIN_DAYS", default: 1, in: 0...30)
        silentDays = try environment.int("HALL_COORDINATOR_SILENT_DAYS", default: 2, in: 1...30)
        web = try WebSettings(environment: environment)
        timerInterval = .milliseconds(try environment.int("HALL_COORDINATOR_TIMER_INTERVAL_MS", default: 500, in: 10...60_000))
        timerIdleMax = .milliseconds(try environment.int("HALL_COORDINATOR_TIMER_IDLE_MAX_MS", default: 5_000, in: 10...60_000))
        calendar = try environment.calendar()
    }
}
