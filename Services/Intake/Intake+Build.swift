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
        },
        openAPI: IntakeOpenAPI.document
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

    /// `HALL_INTAKE_ACCEPTANCE_GROUP`: acceptances stored together at most, 1–1000 (1 stores each
    /// alone); default 64.
    static let acceptanceGroup: Int = {
        guard let text = ProcessInfo.processInfo.environment["HALL_INTAKE_ACCEPTANCE_GROUP"] else { return 64 }
        guard let value = Int(text), (1...1000).contains(value) else {
            FileHandle.standardError.write(Data("intake: configuration error: HALL_INTAKE_ACCEPTANCE_GROUP must be a whole number from 1 to 1000, not '\(text)'\n".utf8))
            exit(1)
        }
        return value
    }()

    static func store(_ runtime: ServiceRuntime) -> IntakeStore {
        IntakeStore(
            client: runtime.client, schema: runtime.configuration.database.schema, calendar: calendar, logger: runtime.logger,
            acceptanceGroup: acceptanceGroup)
    }
}
