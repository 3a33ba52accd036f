import HallContracts
import HallKit
import Hummingbird

extension AppraisalService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8085

    /// The service's routes over `repository`.
    static func addRoutes(to router: Router<HallRequestContext>, repository: some AppraisalRepository) {
        router.addRoutes(RatedWindowsController(repository: repository).routes)
        router.addRoutes(FiguresController(repository: repository).routes)
    }

    /// The service's schema, consumer and routes.
    static func definition(_ settings: AppraisalSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .appraisal,
            defaultPort: defaultPort,
            migrations: AppraisalMigrations.all,
            consumers: { _ in [AppraisalConsumer.definition(calendar: settings.calendar)] },
            routes: { router, runtime in
                addRoutes(
                    to: router,
                    repository: PostgresAppraisalRepository(client: runtime.client, schema: runtime.configuration.database.schema, logger: runtime.logger))
            },
            openAPI: AppraisalOpenAPI.document
        )
    }
}
