import HallContracts
import HallKit

extension ComplaintsService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8084

    /// The service's schema, topics, consumers and routes.
    static func definition(_ settings: ComplaintsSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .complaints,
            defaultPort: defaultPort,
            migrations: ComplaintsMigrations.all,
            openAPI: ComplaintsOpenAPI.document
        )
    }
}
