import Foundation
import HallContracts
import HallKit
import HallWeb
import Hummingbird

extension AppraisalService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8085

    /// The service's routes over `repository`.
    static func addRoutes(to router: Router<HallRequestContext>, repository: some AppraisalRepository) {
        router.addRoutes(RatedWindowsController(repository: repository).routes)
        router.addRoutes(FiguresController(repository: repository).routes)
        router.addRoutes(RatingsController(repository: repository).routes)
        router.addRoutes(StaffAppraisalsController(repository: repository).routes)
    }

    static func repository(_ runtime: ServiceRuntime, _ settings: AppraisalSettings) -> PostgresAppraisalRepository {
        PostgresAppraisalRepository(
            client: runtime.client, schema: runtime.configuration.database.schema, logger: runtime.logger, ratings: settings.ratings,
            rectification: settings.rectification, unratedCountAsBasicallySatisfied: settings.unratedCountAsBasicallySatisfied,
            formula: settings.formula)
    }

    /// The service's schema, consumer and routes.
    static func definition(_ settings: AppraisalSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .appraisal,
            defaultPort: defaultPort,
            migrations: AppraisalMigrations.all,
            consumers: { _ in [AppraisalConsumer.definition(calendar: settings.calendar)] },
            routes: { router, runtime in
                addRoutes(to: router, repository: repository(runtime, settings))
                let web = WebPages.add(
                    to: router, serviceTitle: "好差评", templates: Bundle.module.url(forResource: "Templates", withExtension: nil), settings: settings.web,
                    authority: runtime.authority,
                    names: DirectoryNames(client: runtime.client, schema: runtime.configuration.database.schema, logger: runtime.logger))
                router.addRoutes(AppraisalPages(web: web, repository: repository(runtime, settings)).routes)
                router.addRoutes(CentrePages(web: web, repository: repository(runtime, settings)).routes)
            },
            services: { runtime in
                [
                    // A rectification is flagged overdue at most `timerIdleMax` late.
                    PollingService(
                        name: "rectification deadline timers", gate: runtime.gate, interval: settings.timerInterval, idleMax: settings.timerIdleMax,
                        batch: 1_000, logger: runtime.logger, counter: "hall_appraisal_timers_fired_total"
                    ) { try await repository(runtime, settings).fireDueTimers(now: Date(), limit: 1_000) },
                    // The days whose facts changed are recounted into the roll-ups, so that a read has little left to recount.
                    PollingService(
                        name: "figure roll-ups recounted", gate: runtime.gate, interval: settings.recountInterval, idleMax: settings.recountIdleMax,
                        batch: 400, logger: runtime.logger, counter: "hall_appraisal_days_recounted_total"
                    ) { try await repository(runtime, settings).recountFigureDays(limit: 400) },
                ]
            },
            openAPI: AppraisalOpenAPI.document
        )
    }
}
