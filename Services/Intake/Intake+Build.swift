import Foundation
import HallCalendar
import HallContracts
import HallKit
import ServiceLifecycle

extension IntakeService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8081

    /// The service's schema, topics, consumers and routes.
    static func definition(_ settings: IntakeSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .intake,
            defaultPort: defaultPort,
            migrations: IntakeMigrations.all,
            consumers: { runtime in [IntakeConsumer.definition(store(runtime, settings))] },
            routes: { router, runtime in
                IntakeRoutes(store: store(runtime, settings), calendar: settings.calendar).add(to: router)
            },
            services: { runtime in
                [ProvisionalDueDateService(store: store(runtime, settings), gate: runtime.gate, logger: runtime.logger)]
            },
            openAPI: IntakeOpenAPI.document
        )
    }

    static func store(_ runtime: ServiceRuntime, _ settings: IntakeSettings) -> IntakeStore {
        IntakeStore(
            client: runtime.client, schema: runtime.configuration.database.schema, calendar: settings.calendar, logger: runtime.logger,
            acceptanceGroup: settings.acceptanceGroup)
    }
}
