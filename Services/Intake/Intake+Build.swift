import Foundation
import HallCalendar
import HallContracts
import HallKit
import ServiceLifecycle

extension IntakeService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8081

    /// The service's schema, topics, consumers and routes.
    static let definition = HallServiceDefinition(
        name: .intake,
        defaultPort: defaultPort,
        migrations: IntakeMigrations.all,
        consumers: { runtime in [IntakeConsumer.definition(store(runtime))] },
        routes: { router, runtime in
            IntakeRoutes(store: store(runtime), calendar: calendar).add(to: router)
        },
        services: { runtime in
            [ProvisionalDueDateService(store: store(runtime), gate: runtime.gate, logger: runtime.logger)]
        }
    )

    /// The working-day calendar: the bundled official schedules, plus any year files in
    /// `HALL_CALENDAR_DIR` (an operator adds next year's file there without a code change).
    static let calendar: WorkingCalendar = {
        let directory = ProcessInfo.processInfo.environment["HALL_CALENDAR_DIR"].map { URL(fileURLWithPath: $0) }
        do {
            return try WorkingCalendar.bundled(overlaying: directory)
        } catch {
            FileHandle.standardError.write(Data("intake: calendar error (HALL_CALENDAR_DIR): \(error)\n".utf8))
            exit(1)
        }
    }()

    static func store(_ runtime: ServiceRuntime) -> IntakeStore {
        IntakeStore(client: runtime.client, schema: runtime.configuration.database.schema, calendar: calendar, logger: runtime.logger)
    }
}
