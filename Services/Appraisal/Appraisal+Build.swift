import HallContracts
import HallKit

extension AppraisalService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8085

    /// The service's schema, consumer and routes.
    static func definition(_ settings: AppraisalSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .appraisal,
            defaultPort: defaultPort,
            migrations: AppraisalMigrations.all,
            consumers: { _ in [AppraisalConsumer.definition()] },
            routes: { router, runtime in
                let repository = PostgresAppraisalRepository(client: runtime.client, schema: runtime.configuration.database.schema, logger: runtime.logger)
                router.addRoutes(RatedWindowsController(repository: repository).routes)
            },
            openAPI: AppraisalOpenAPI.document
        )
    }
}
