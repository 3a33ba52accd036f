import Foundation
import HallContracts
import HallKit
import HallWeb
import Hummingbird

/// The applicant's rating page (好差评, no account): `/rate` — the receipt code and identity
/// number of a completed case, one of the five levels, a comment. It goes through the same call as
/// `POST /v1/ratings` (channel online): once per case, within the rating period, checked against
/// the applicant; 10 failed checks per client in 10 minutes, then 429.
struct AppraisalPages<Repository: AppraisalRepository> {
    let web: WebPages
    let repository: Repository
    var checks = FailureLimiter(limit: 10, window: .seconds(600))

    static var levels: [RatePage.Level] {
        [
            .init(value: RatingLevel.verySatisfied.rawValue, label: "非常满意"), .init(value: RatingLevel.satisfied.rawValue, label: "满意"),
            .init(value: RatingLevel.basicallySatisfied.rawValue, label: "基本满意"), .init(value: RatingLevel.dissatisfied.rawValue, label: "不满意"),
            .init(value: RatingLevel.veryDissatisfied.rawValue, label: "非常不满意"),
        ]
    }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/") { _, _ in PageRenderer.seeOther("/rate") }
        routes.get("/rate") { request, _ in
            let code = request.uri.queryParameters.get("receiptCode").map { String($0.prefix(64)) } ?? ""
            return web.renderer.render("rate", title: "办事评价", page: RatePage(receiptCode: code, levels: Self.levels))
        }
        routes.post("/rate") { request, context in
            try await web.publicPage {
                let form = try await WebForm(request)
                let code = form.first("receiptCode") ?? ""
                func again(_ problem: String, _ status: HTTPResponse.Status) -> Response {
                    web.renderer.render("rate", title: "办事评价", page: RatePage(receiptCode: code, problem: problem, levels: Self.levels), status: status)
                }
                guard let level = RatingLevel(rawValue: form.first("level") ?? "") else { return again("请选择评价等级", .badRequest) }
                let submission = RatingSubmission(
                    receiptCode: code, idNumber: form.first("idNumber") ?? "", level: level, comment: form.first("comment"), channel: .online)
                try checks.check(context.clientAddress)
                do {
                    try submission.validate()
                    let answer = try await repository.rate(submission, client: context.clientAddress, at: Date())
                    let label = Self.levels.first { $0.value == answer.level.rawValue }?.label ?? answer.level.rawValue
                    return web.renderer.render(
                        "rated", title: "感谢评价",
                        page: RatedPage(receiptCode: answer.receiptCode, level: label, rectification: answer.rectificationId != nil))
                } catch let error as HallError where error.code.status.code < 500 && error.code.status != .tooManyRequests {
                    if error.code.status == .forbidden || error.code.status == .notFound { checks.fail(context.clientAddress) }
                    return again(error.pageText, error.code.status)
                }
            }
        }
        return routes
    }
}

struct RatePage {
    struct Level { var value: String; var label: String }
    var receiptCode: String = ""
    var problem: String?
    var levels: [Level]
}

struct RatedPage {
    var receiptCode: String
    var level: String
    /// A bad rating: the department must call back and rectify.
    var rectification: Bool
}
