import Foundation
import HallContracts
import HallKit
import HallWeb
import Hummingbird

extension ComplaintsService {
    static func repository(_ runtime: ServiceRuntime, _ settings: ComplaintsSettings) -> PostgresComplaintsRepository {
        PostgresComplaintsRepository(client: runtime.client, schema: runtime.configuration.database.schema, deadlines: settings.deadlines, logger: runtime.logger)
    }

    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8084

    /// The service's routes over `repository`.
    static func addRoutes(to router: Router<HallRequestContext>, repository: some ComplaintsRepository) {
        router.addRoutes(ComplaintTargetsController(repository: repository).routes)
        router.addRoutes(ComplaintsController(repository: repository).routes)
        router.addRoutes(ReferralsController(repository: repository).routes)
        router.addRoutes(SanctionsController(repository: repository).routes)
    }

    /// The service's schema, consumer and routes.
    static func definition(_ settings: ComplaintsSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .complaints,
            defaultPort: defaultPort,
            migrations: ComplaintsMigrations.all,
            consumers: { _ in [ComplaintsConsumer.definition()] },
            routes: { router, runtime in
                addRoutes(to: router, repository: repository(runtime, settings))
                let web = WebPages.add(
                    to: router, serviceTitle: "投诉", templates: Bundle.module.url(forResource: "Templates", withExtension: nil), settings: settings.web,
                    authority: runtime.authority,
                    names: DirectoryNames(client: runtime.client, schema: runtime.configuration.database.schema, logger: runtime.logger))
                router.addRoutes(ComplaintsPages(web: web, repository: repository(runtime, settings)).routes)
                router.addRoutes(HandlingPages(web: web, repository: repository(runtime, settings)).routes)
            },
            services: { runtime in
                [
                    // A warning or an overdue flag fires at most `timerIdleMax` late.
                    PollingService(
                        name: "complaint deadline timers", gate: runtime.gate, interval: settings.timerInterval, idleMax: settings.timerIdleMax,
                        batch: 1_000, logger: runtime.logger, counter: "hall_complaints_timers_fired_total"
                    ) { try await repository(runtime, settings).fireDueTimers(now: Date(), limit: 1_000) }
                ]
            },
            openAPI: ComplaintsOpenAPI.document,
            publicLookups: ["/v1/complaints/track/"]
        )
    }
}
