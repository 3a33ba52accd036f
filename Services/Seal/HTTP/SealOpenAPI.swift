import Foundation
import HallKit

/// The seal API's OpenAPI 3.1 document (`openapi.yaml` beside the service's sources),
/// served at `GET /openapi.yaml`.
enum SealOpenAPI {
    /// The document, read once from the service's resource bundle at start-up.
    static let document: String = OpenAPIResource.load(Bundle.module)
}
