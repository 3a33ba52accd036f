import HallCalendar
import HallKit
import HallWeb

/// The appraisal service's own settings, read by HallKit's ``EnvironmentReader`` on top of the
/// shared ``ServiceConfiguration``; a missing or malformed value stops the service at start-up with
/// one line naming the key.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `HALL_CALENDAR_DIR` | extra official calendar year files (`YYYY.json`), for handling times and deadlines in working days | none |
/// | `HALL_APPLICANT_KEY` | key of the applicant check intake publishes with each acceptance (the same as intake's, ≥ 32 characters) | derived from `HALL_JWT_SECRET` |
/// | `HALL_APPRAISAL_RATING_DAYS` | natural days after completion during which a case can be rated, 1–365 | 7 |
/// | `HALL_APPRAISAL_UNRATED` | what a case not rated within the period counts as: `uncounted`, or `basically-satisfied` (as Guangdong counts it) | uncounted |
/// | `HALL_APPRAISAL_CALLBACK_DAYS` · `_VERIFY_DAYS` · `_RESOLVE_DAYS` · `_REPLY_DAYS` | working days of each rectification step after the one before (the call-back after the bad rating), 1–30 | 1 · 1 · 2 · 1 |
/// | `HALL_APPRAISAL_APPEAL_DAYS` | working days after a rating during which the rated window or department may appeal it, 1–30 | 5 |
/// | `HALL_APPRAISAL_FORMULA` | the staff appraisal's published formula as JSON, any of its members (`onTimeWeight` + `speedWeight` = 1, the penalties 0–100, `weights` of the five dimensions), the rest as published by default (`GET /v1/appraisal-formula`) | `{}` |
/// | `HALL_APPRAISAL_TIMER_INTERVAL_MS` / `HALL_APPRAISAL_TIMER_IDLE_MAX_MS` | how often due rectification deadlines are looked for / the longest wait while none is due | 1000 / 60000 |
/// | `HALL_APPRAISAL_RECOUNT_INTERVAL_MS` / `HALL_APPRAISAL_RECOUNT_IDLE_MAX_MS` | how often the days whose facts changed are recounted into the daily roll-ups / the longest wait while none changed (a read recounts what is left first) | 10000 / 60000 |
struct AppraisalSettings: Sendable {
    var calendar: WorkingCalendar
    var ratings: RatingRules
    var unratedCountAsBasicallySatisfied: Bool
    var rectification: RectificationDeadlines
    var timerInterval: Duration
    var timerIdleMax: Duration
    var recountInterval: Duration
    var recountIdleMax: Duration
    var formula: AppraisalFormula
    /// The rating page's settings (``WebSettings``).
    var web: WebSettings

    /// Reads the settings; throws ``ConfigurationError`` naming the key.
    init(environment: EnvironmentReader = EnvironmentReader()) throws {
        calendar = try environment.calendar()
        ratings = RatingRules(
            check: try ApplicantCheck(environment: environment), ratingDays: try environment.int("HALL_APPRAISAL_RATING_DAYS", default: 7, in: 1...365))
        let unrated = environment.string("HALL_APPRAISAL_UNRATED", default: "uncounted")
        guard unrated == "uncounted" || unrated == "basically-satisfied" else {
            throw ConfigurationError(key: "HALL_APPRAISAL_UNRATED", problem: "must be uncounted or basically-satisfied, got '\(unrated)'")
        }
        unratedCountAsBasicallySatisfied = unrated == "basically-satisfied"
        rectification = RectificationDeadlines(
            calendar: calendar, callBackDays: try environment.int("HALL_APPRAISAL_CALLBACK_DAYS", default: 1, in: 1...30),
            verifyDays: try environment.int("HALL_APPRAISAL_VERIFY_DAYS", default: 1, in: 1...30),
            resolveDays: try environment.int("HALL_APPRAISAL_RESOLVE_DAYS", default: 2, in: 1...30),
            replyDays: try environment.int("HALL_APPRAISAL_REPLY_DAYS", default: 1, in: 1...30),
            appealDays: try environment.int("HALL_APPRAISAL_APPEAL_DAYS", default: 5, in: 1...30))
        timerInterval = .milliseconds(try environment.int("HALL_APPRAISAL_TIMER_INTERVAL_MS", default: 1_000, in: 10...60_000))
        timerIdleMax = .milliseconds(try environment.int("HALL_APPRAISAL_TIMER_IDLE_MAX_MS", default: 60_000, in: 10...600_000))
        recountInterval = .milliseconds(try environment.int("HALL_APPRAISAL_RECOUNT_INTERVAL_MS", default: 10_000, in: 10...600_000))
        recountIdleMax = .milliseconds(try environment.int("HALL_APPRAISAL_RECOUNT_IDLE_MAX_MS", default: 60_000, in: 10...600_000))
        let formulaText = environment.string("HALL_APPRAISAL_FORMULA", default: "{}")
        do {
            formula = try AppraisalFormula.configured(formulaText)
        } catch let error as AppraisalFormula.FormulaError {
            throw ConfigurationError(key: "HALL_APPRAISAL_FORMULA", problem: error.description)
        }
        web = try WebSettings(environment: environment)
    }
}
