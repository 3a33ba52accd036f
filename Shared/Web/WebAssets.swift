import Crypto
import Foundation
import HallKit
import Hummingbird

/// The pages' style sheet and script, read once at start-up and served from memory.
///
/// Each file is addressed by its content's hash (`/static/<hash>/hall.css`), so a browser may keep
/// it for a year (`immutable`): a changed file gets a new address. The plain address
/// (`/assets/hall.css`) is kept for five minutes, with an ETag.
public struct WebAssets: Sendable {
    struct Asset: Sendable {
        var body: ByteBuffer
        var contentType: String
        var hash: String
    }

    let files: [String: Asset]

    init() throws {
        var files: [String: Asset] = [:]
        if let folder = Bundle.module.url(forResource: "Assets", withExtension: nil) {
            for file in try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil) {
                let data = try Data(contentsOf: file)
                let type =
                    switch file.pathExtension {
                    case "css": "text/css; charset=utf-8"
                    case "js": "text/javascript; charset=utf-8"
                    case "svg": "image/svg+xml"
                    default: "application/octet-stream"
                    }
                let hash = SHA256.hash(data: data).prefix(6).hexDigits
                files[file.lastPathComponent] = Asset(body: ByteBuffer(bytes: data), contentType: type, hash: hash)
            }
        }
        self.files = files
    }

    /// The address of `name` that may be kept for a year.
    public func path(_ name: String) -> String {
        guard let asset = files[name] else { return "/assets/\(name)" }
        return "/static/\(asset.hash)/\(name)"
    }

    /// `GET /assets/:name` and `GET /static/:hash/:name`.
    public func routes<Context: RequestContext>(context: Context.Type) -> RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/static/:hash/:name") { request, context in
            let name = try context.parameters.require("name")
            guard let asset = files[name], try context.parameters.require("hash") == asset.hash else {
                return Response(status: .notFound)
            }
            return Self.response(asset, request: request, cacheControl: "public, max-age=31536000, immutable")
        }
        routes.get("/assets/:name") { request, context in
            guard let asset = files[try context.parameters.require("name")] else { return Response(status: .notFound) }
            return Self.response(asset, request: request, cacheControl: "public, max-age=300")
        }
        return routes
    }

    static func response(_ asset: Asset, request: Request, cacheControl: String) -> Response {
        var headers = HTTPFields()
        headers[.cacheControl] = cacheControl
        headers[.eTag] = "\"\(asset.hash)\""
        headers[.xContentTypeOptions] = "nosniff"
        if request.headers[.ifNoneMatch] == "\"\(asset.hash)\"" {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }
}
