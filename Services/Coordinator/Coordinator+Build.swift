import Foundation
import HallCalendar
import HallContracts
import HallKit

extension CoordinatorService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8082

    /// The service's schema, topics, consumers, routes and timer service.
    static func definition(_ settings: CoordinatorSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .coordinator,
            defaultPort: defaultPort,
            migrations: CoordinatorMigrations.all,
            consumers: { runtime in [CoordinatorConsumer.definition(store: store(runtime, settings))] },
            routes: { router, runtime in CoordinatorRoutes(store: store(runtime, settings)).add(to: router) },
            services: { runtime in
                [DeadlineTimerService(store: store(runtime, settings), gate: runtime.gate, interval: settings.timerInterval, logger: runtime.logger)]
            },
            openAPI: CoordinatorOpenAPI.document
        )
    }

    static func store(_ runtime: ServiceRuntime, _ settings: CoordinatorSettings) -> CoordinatorStore {
        CoordinatorStore(
            client: runtime.client, schema: runtime.configuration.database.schema,
            clock: CaseClock(calendar: settings.calendar, warningShare: settings.warningShare, participantMarginDays: settings.participantMarginDays),
            logger: runtime.logger)
    }
}

/// The coordinator's own settings, from the environment.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `HALL_COORDINATOR_WARNING_SHARE` | `0.8` | share of a period's working days used when a warning is raised (0 < x ≤ 1) |
/// | `HALL_COORDINATOR_PARTICIPANT_MARGIN_DAYS` | `1` | working days a participant's sub-deadline lies before the case's due date |
/// | `HALL_COORDINATOR_TIMER_INTERVAL_MS` | `500` | how often due timers are looked for |
/// | `HALL_CALENDAR_DIR` | — | extra official calendar year files (`YYYY.json`) |
struct CoordinatorSettings: Sendable {
    var warningShare: Double
    var participantMarginDays: Int
    var timerInterval: Duration
    var calendar: WorkingCalendar

    init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value<T>(_ key: String, _ fallback: T, _ parse: (String) -> T?, _ rule: String) throws -> T {
            guard let text = environment[key], !text.isEmpty else { return fallback }
            guard let parsed = parse(text) else { throw ConfigurationError(key: key, problem: "must be \(rule), got '\(text)'") }
            return parsed
        }
        warningShare = try value("HALL_COORDINATOR_WARNING_SHARE", 0.8, { Double($0).flatMap { $0 > 0 && $0 <= 1 ? $0 : nil } }, "a number in (0, 1]")
        participantMarginDays = try value(
            "HALL_COORDINATOR_PARTICIPANT_MARGIN_DAYS", 1, { Int($0).flatMap { (0...30).contains($0) ? $0 : nil } }, "an integer from 0 to 30")
        let milliseconds = try value(
            "HALL_COORDINATOR_TIMER_INTERVAL_MS", 500, { Int($0).flatMap { (10...60_000).contains($0) ? $0 : nil } }, "an integer from 10 to 60000")
        timerInterval = .milliseconds(milliseconds)
        do {
            calendar = try WorkingCalendar.bundled(overlaying: environment["HALL_CALENDAR_DIR"].map { URL(fileURLWithPath: $0) })
        } catch {
            throw ConfigurationError(key: "HALL_CALENDAR_DIR", problem: "\(error)")
        }
    }
}
