import HallKit
import Hummingbird

/// `GET /v1/windows`: the active windows whose service can be rated (public).
struct RatedWindowsController<Repository: AppraisalRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/windows") { _, _ -> RatedWindows in
            try await repository.windows()
        }
        return routes
    }
}

extension RatedWindows: ResponseEncodable {}
