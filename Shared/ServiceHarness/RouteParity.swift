import HallKit
import Hummingbird

/// The routes a router serves, as `METHOD /path/{param}` (health and metrics added as the runtime adds them).
public func servedRoutes(_ router: Router<HallRequestContext>) -> Set<String> {
    for path in ["/health/live", "/health/ready", "/metrics", "/openapi.yaml"] { router.get(RouterPath(stringLiteral: path)) { _, _ in "" } }
    return Set(router.routes.map { route in
        let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
        return "\(route.method.rawValue) /\(path.joined(separator: "/"))"
    })
}

/// The operations an OpenAPI document lists, as `METHOD /path/{param}`.
public func documentedRoutes(_ document: String) -> Set<String> {
    var documented = Set<String>()
    var currentPath: String?
    for line in document.split(separator: "\n") {
        if line.hasPrefix("  /"), line.hasSuffix(":") { currentPath = String(line.dropFirst(2).dropLast()) }
        else if line.hasPrefix("components:") { currentPath = nil }
        else if let path = currentPath, let method = ["get", "post", "put", "delete", "patch"].first(where: { line == "    \($0):" }) {
            documented.insert("\(method.uppercased()) \(path)")
        }
    }
    return documented
}
