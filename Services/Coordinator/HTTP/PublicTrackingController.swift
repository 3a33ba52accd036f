import Foundation
import HallKit
import Hummingbird

/// What an applicant sees without an account, found by the receipt code and the number printed on
/// the acceptance notice: status, due date and why it moved — no staff names.
///
/// | route | who | what |
/// |---|---|---|
/// | `GET /v1/public/cases/{receiptCode}?noticeNumber=` | public | status, due date and why it moved |
/// | `GET /v1/public/bundles/{bundleId}?receiptCode=&noticeNumber=` | public | one status for a bundle, one per case and department |
struct PublicTrackingController<Repository: CoordinatorRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/public/cases/:receiptCode") { request, context in
            let receipt = try parameter("receiptCode", context)
            guard let notice = request.uri.queryParameters.get("noticeNumber") else {
                throw HallError.invalid(
                    "noticeNumber", "is required: the acceptance notice number printed on the applicant's notice", words: "必填：申请人所持受理通知书上印的通知书编号")
            }
            guard let view = try await repository.publicCase(receiptCode: receipt, noticeNumber: String(notice)) else {
                throw HallError(.notFound, "no case with this receipt code and notice number", words: "没有与此受理编号和通知书编号相符的办件，请核对后再查")
            }
            return try jsonResponse(view)
        }
        routes.get("/v1/public/bundles/:bundleId") { request, context in
            let bundleId = try parameter("bundleId", context)
            guard let receipt = request.uri.queryParameters.get("receiptCode") else { throw HallError.invalid("receiptCode", "is required", words: "必填") }
            guard let notice = request.uri.queryParameters.get("noticeNumber") else { throw HallError.invalid("noticeNumber", "is required", words: "必填") }
            guard let view = try await repository.publicBundle(bundleId: bundleId, receiptCode: String(receipt), noticeNumber: String(notice)) else {
                throw HallError(
                    .notFound, "no bundle with a case of this receipt code and notice number", words: "没有包含与此受理编号和通知书编号相符办件的一件事套餐，请核对后再查")
            }
            return try jsonResponse(view)
        }
        return routes
    }
}
