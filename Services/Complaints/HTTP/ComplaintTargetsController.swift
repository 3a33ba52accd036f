import HallKit
import Hummingbird

/// `GET /v1/targets`: the active windows and departments a complaint can be about (public).
struct ComplaintTargetsController<Repository: ComplaintsRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/targets") { _, _ -> ComplaintTargets in
            try await repository.targets()
        }
        return routes
    }
}

extension ComplaintTargets: ResponseEncodable {}
