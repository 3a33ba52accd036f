import HallContracts
import HallKit

extension ComplaintsService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8084

    /// The service's schema, consumer and routes.
    static func definition(_ settings: ComplaintsSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .complaints,
            defaultPort: defaultPort,
            migrations: ComplaintsMigrations.all,
            consumers: { _ in [ComplaintsConsumer.definition()] },
            routes: { router, runtime in
                let repository = PostgresComplaintsRepository(client: runtime.client, schema: runtime.configuration.database.schema, logger: runtime.logger)
                router.addRoutes(ComplaintTargetsController(repository: repository).routes)
            },
            openAPI: ComplaintsOpenAPI.document
        )
    }
}
