import HallContracts
import HallKit

extension AppraisalService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8085

    /// The service's schema, topics, consumers and routes.
    static func definition(_ settings: AppraisalSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .appraisal,
            defaultPort: defaultPort,
            migrations: AppraisalMigrations.all,
            openAPI: AppraisalOpenAPI.document
        )
    }
}
