import Foundation
import HallKit
import Hummingbird

/// What the public reads without an account: `GET /v1/cases/{receiptCode}?idNumber=` and
/// `GET /v1/bundles/{bundleId}?idNumber=` (the same 404 whether the code or the identity number is
/// wrong, so neither can be enumerated), a case's notices and decisions as issued, for printing
/// (`GET /v1/cases/{receiptCode}/documents/{kind}?idNumber=`), and the published approvals, searched and paged (`GET /v1/decisions`, Art 38).
struct TrackingController<Repository: TrackingRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/cases/:receiptCode") { request, context -> CaseStatus in
            let code = try context.parameters.require("receiptCode")
            let idNumber = try requireParameter(request.uri.queryParameters.get("idNumber"), "idNumber")
            guard let status = try await repository.caseStatus(receiptCode: code, idNumber: idNumber) else {
                throw HallError(.notFound, "no case with this receipt code and identity number", words: "未找到与该受理编号和身份证件号码相符的办件")
            }
            return status
        }
        routes.get("/v1/cases/:receiptCode/documents/:kind") { request, context -> Response in
            let code = try context.parameters.require("receiptCode")
            let idNumber = try requireParameter(request.uri.queryParameters.get("idNumber"), "idNumber")
            let name = try context.parameters.require("kind")
            guard let kind = NoticeKind(rawValue: name) else {
                throw HallError.invalid(
                    "kind", "'\(name)' is not a document the front desk issues: acceptance-notice, refusal-notice, approval-decision, denial-decision or correction-notice",
                    words: "“\(name)”不是窗口出具的文书；可查询：受理通知书（acceptance-notice）、不予受理通知书（refusal-notice）、"
                        + "准予许可决定书（approval-decision）、不予许可决定书（denial-decision）、一次性告知通知书（correction-notice）")
            }
            guard let text = try await repository.documentText(receiptCode: code, idNumber: idNumber, kind: kind) else {
                throw HallError(.notFound, "no such document of a case with this receipt code and identity number", words: "未找到该受理编号和身份证件号码对应办件的这份文书")
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
        }
        routes.get("/v1/bundles/:bundleId") { request, context -> BundleStatus in
            let bundleId = try context.parameters.require("bundleId")
            let idNumber = try requireParameter(request.uri.queryParameters.get("idNumber"), "idNumber")
            guard let status = try await repository.bundleStatus(bundleId: bundleId, idNumber: idNumber) else {
                throw HallError(.notFound, "no bundle with this id and identity number", words: "未找到与该编号和身份证件号码相符的一件事套餐")
            }
            return status
        }
        routes.get("/v1/decisions") { request, _ -> DecisionList in
            let query = request.uri.queryParameters
            let search = try DecisionQuery(
                itemCode: query.get("itemCode"), departmentId: query.get("departmentId"), from: query.get("from"), to: query.get("to"),
                limit: query.get("limit"), after: query.get("after"))
            let page = try await repository.publishedDecisions(search)
            return DecisionList(decisions: page.decisions, next: page.next?.text)
        }
        return routes
    }
}

struct DecisionList: ResponseCodable {
    var decisions: [PublishedDecision]
    /// Present when more decisions follow: pass it as `after` for the next page.
    var next: String?
}

extension PublishedDecision: ResponseCodable {}
