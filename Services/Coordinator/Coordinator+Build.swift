import HallContracts
import HallKit

extension CoordinatorService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8082

    /// The service's schema, topics, consumers and routes.
    static let definition = HallServiceDefinition(
        name: .coordinator,
        defaultPort: defaultPort,
        migrations: CoordinatorMigrations.all
    )
}
