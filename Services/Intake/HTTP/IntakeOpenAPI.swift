import Foundation
import HallKit

/// The intake API's OpenAPI 3.1 document, served at `GET /openapi.yaml`. A test checks that its
/// paths and methods are exactly the router's.
enum IntakeOpenAPI {
    /// The document, read once from the service's resource bundle (`openapi.yaml` beside the
    /// service's sources); a missing resource is a packaging error reported at start-up.
    static let document: String = OpenAPIResource.load(Bundle.module)
}
