import HallContracts
import HallKit

extension SealService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8083

    /// The service's schema, topics, consumers and routes.
    static let definition = HallServiceDefinition(
        name: .seal,
        defaultPort: defaultPort,
        migrations: SealMigrations.all
    )
}
