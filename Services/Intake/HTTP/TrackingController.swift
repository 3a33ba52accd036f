import Foundation
import HallKit
import Hummingbird

/// What the public reads without an account: `GET /v1/cases/{receiptCode}?idNumber=` and
/// `GET /v1/bundles/{bundleId}?idNumber=` (the same 404 whether the code or the identity number is
/// wrong, so neither can be enumerated), and `GET /v1/decisions?itemCode=` (Art 38).
struct TrackingController<Repository: TrackingRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/cases/:receiptCode") { request, context -> CaseStatus in
            let code = try context.parameters.require("receiptCode")
            let idNumber = try requireParameter(request.uri.queryParameters.get("idNumber"), "idNumber")
            guard let status = try await repository.caseStatus(receiptCode: code, idNumber: idNumber) else {
                throw HallError(.notFound, "no case with this receipt code and identity number")
            }
            return status
        }
        routes.get("/v1/bundles/:bundleId") { request, context -> BundleStatus in
            let bundleId = try context.parameters.require("bundleId")
            let idNumber = try requireParameter(request.uri.queryParameters.get("idNumber"), "idNumber")
            guard let status = try await repository.bundleStatus(bundleId: bundleId, idNumber: idNumber) else {
                throw HallError(.notFound, "no bundle with this id and identity number")
            }
            return status
        }
        routes.get("/v1/decisions") { request, _ -> DecisionList in
            DecisionList(decisions: try await repository.publishedDecisions(itemCode: request.uri.queryParameters.get("itemCode"), limit: 100))
        }
        return routes
    }
}

struct DecisionList: ResponseCodable { var decisions: [PublishedDecision] }

extension PublishedDecision: ResponseCodable {}
