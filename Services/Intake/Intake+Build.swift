import HallContracts
import HallKit

extension IntakeService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8081

    /// The service's schema, topics, consumers and routes.
    static let definition = HallServiceDefinition(
        name: .intake,
        defaultPort: defaultPort,
        migrations: IntakeMigrations.all
    )
}
