import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import Hummingbird

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
            routes: { router, runtime in
                addRoutes(to: router, repository: store(runtime, settings))
                let web = WebPages.add(
                    to: router, serviceTitle: "部门审批", templates: Bundle.module.url(forResource: "Templates", withExtension: nil),
                    settings: settings.web, authority: runtime.authority,
                    names: DirectoryNames(client: runtime.client, schema: runtime.configuration.database.schema, logger: runtime.logger))
                router.addRoutes(CoordinatorPages(web: web, repository: store(runtime, settings)).routes)
                router.addRoutes(SupervisionPages(web: web, repository: store(runtime, settings)).routes)
            },
            services: { runtime in
                [
                    // Warnings and escalations fire at most `timerIdleMax` late: the limits they
                    // watch are counted in working days.
                    PollingService(
                        name: "deadline timers", gate: runtime.gate, interval: settings.timerInterval, idleMax: settings.timerIdleMax,
                        batch: 2_000, logger: runtime.logger, counter: "hall_coordinator_timers_fired_total"
                    ) {
                        let store = store(runtime, settings)
                        // Decision numbers for the departments that decide, topped up outside their batches.
                        return try await store.fireDueTimers() + store.topUpDecisionNumbers()
                    },
                    // A new year's official schedule added to HALL_CALENDAR_DIR: provisional due dates counted again.
                    StartupTaskService(name: "provisional due dates recomputed", gate: runtime.gate, logger: runtime.logger) {
                        try await store(runtime, settings).recomputeProvisionalDueDates()
                    },
                ]
            },
            openAPI: CoordinatorOpenAPI.document,
            publicLookups: ["/v1/public/"]
        )
    }

    /// The coordinator's controllers: tasks, cases, alerts and the public tracking.
    static func addRoutes(to router: Router<HallRequestContext>, repository: some CoordinatorRepository) {
        router.addRoutes(TasksController(repository: repository).routes)
        router.addRoutes(CasesController(repository: repository).routes)
        router.addRoutes(AlertsController(repository: repository).routes)
        router.addRoutes(PublicTrackingController(repository: repository).routes)
    }

    static func store(_ runtime: ServiceRuntime, _ settings: CoordinatorSettings) -> CoordinatorStore {
        CoordinatorStore(
            client: runtime.client, schema: runtime.configuration.database.schema,
            clock: CaseClock(
                calendar: settings.calendar, warningShare: settings.warningShare, participantMarginDays: settings.participantMarginDays,
                silentDays: settings.silentDays),
            logger: runtime.logger)
    }
}
