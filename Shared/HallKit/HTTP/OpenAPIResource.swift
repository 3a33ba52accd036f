import Foundation
import Hummingbird
import NIOCore

/// A service's OpenAPI document: the `openapi.yaml` file beside its sources, shipped as a
/// resource of its executable and served by the runtime at `GET /openapi.yaml`.
public enum OpenAPIResource {
    /// Reads `openapi.yaml` from `bundle` (the service's `Bundle.module`).
    ///
    /// The document is read when the service's definition is built, at start-up: a service
    /// packaged without its resource bundle stops there with a message naming the file, never
    /// on a request.
    public static func load(_ bundle: Bundle, file: StaticString = #fileID) -> String {
        guard let url = bundle.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            fatalError("openapi.yaml is missing from the resource bundle \(bundle.bundlePath) (\(file)): ship the executable with its .resources folder")
        }
        return text
    }

    /// Adds `GET /openapi.yaml` answering `document`.
    static func add<Context: RequestContext>(_ document: String, to router: Router<Context>) {
        let body = ByteBuffer(string: document)
        router.get("/openapi.yaml") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml; charset=utf-8"
            headers[.cacheControl] = "public, max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
        }
    }
}
