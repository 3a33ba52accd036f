import HallCalendar
import HallKit
import HallWeb

/// Intake's own settings, read by HallKit's ``EnvironmentReader`` on top of the shared
/// ``ServiceConfiguration``; a missing or malformed value stops the service at start-up with one
/// line naming the key.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `HALL_INTAKE_ACCEPTANCE_GROUP` | acceptances arriving together that one transaction stores at most (group commit), 1–1000; 1 stores each alone | 64 |
/// | `HALL_CALENDAR_DIR` | extra official calendar year files (`YYYY.json`), added to the bundled years | none |
/// | `HALL_APPOINTMENT_CAPACITY` | people per window and half-hour slot of a working day (09:00–11:30, 14:00–16:30) | 2 |
/// | `HALL_APPOINTMENT_DAYS` | how many working days ahead a visit may be booked | 10 |
/// | `HALL_WEB_*` | the pages (`WebSettings`) | see there |
/// | `HALL_APPLICANT_KEY` | key of the applicant check published with each acceptance (≥ 32 characters; appraisal holds the same) | derived from `HALL_JWT_SECRET` |
struct IntakeSettings: Sendable {
    /// The hall's working-day calendar.
    var calendar: WorkingCalendar
    /// Acceptances stored by one transaction at most.
    var acceptanceGroup: Int
    /// Lets appraisal check a rater against the applicant without events carrying the identity number.
    var applicantCheck: ApplicantCheck
    /// The pages' settings (``WebSettings``: the session key, sign-in, the other services' addresses).
    var web: WebSettings
    /// Appointments for a window visit: the slots, the places per slot, how far ahead.
    var appointments: AppointmentRules

    /// Reads the settings; throws ``ConfigurationError`` naming the key.
    init(environment: EnvironmentReader = EnvironmentReader()) throws {
        acceptanceGroup = try environment.int("HALL_INTAKE_ACCEPTANCE_GROUP", default: 64, in: 1...1000)
        calendar = try environment.calendar()
        applicantCheck = try ApplicantCheck(environment: environment)
        web = try WebSettings(environment: environment)
        appointments = AppointmentRules(
            capacity: try environment.int("HALL_APPOINTMENT_CAPACITY", default: 2, in: 1...100),
            bookingDays: try environment.int("HALL_APPOINTMENT_DAYS", default: 10, in: 1...30),
            perAddressPerHour: try environment.int("HALL_APPOINTMENTS_PER_ADDRESS_PER_HOUR", default: 30, in: 1...100_000))
    }
}
