import HallContracts
import HallKit
import Hummingbird

extension ComplaintsService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8084

    /// The service's routes over `repository`.
    static func addRoutes(to router: Router<HallRequestContext>, repository: some ComplaintsRepository) {
        router.addRoutes(ComplaintTargetsController(repository: repository).routes)
        router.addRoutes(ComplaintsController(repository: repository).routes)
    }

    /// The service's schema, consumer and routes.
    static func definition(_ settings: ComplaintsSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .complaints,
            defaultPort: defaultPort,
            migrations: ComplaintsMigrations.all,
            consumers: { _ in [ComplaintsConsumer.definition()] },
            routes: { router, runtime in
                let repository = PostgresComplaintsRepository(client: runtime.client, schema: runtime.configuration.database.schema, logger: runtime.logger)
                addRoutes(to: router, repository: repository)
            },
            openAPI: ComplaintsOpenAPI.document
        )
    }
}
