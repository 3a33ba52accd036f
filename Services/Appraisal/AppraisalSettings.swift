import HallCalendar
import HallKit

/// The appraisal service's own settings, read by HallKit's ``EnvironmentReader`` on top of the
/// shared ``ServiceConfiguration``; a missing or malformed value stops the service at start-up with
/// one line naming the key.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `HALL_CALENDAR_DIR` | extra official calendar year files (`YYYY.json`), for handling times in working days | none |
struct AppraisalSettings: Sendable {
    var calendar: WorkingCalendar

    /// Reads the settings; throws ``ConfigurationError`` naming the key.
    init(environment: EnvironmentReader = EnvironmentReader()) throws {
        calendar = try environment.calendar()
    }
}
