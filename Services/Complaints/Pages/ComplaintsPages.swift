import Foundation
import HallContracts
import HallKit
import HallWeb
import Hummingbird

/// The complainant's pages (no account): `/complain` (the form: the window or department, what
/// happened, the case's receipt code if any, name and contact unless anonymous) answering the
/// tracking code at once, and `/complaints/track` (where the complaint stands and the reply; the
/// code is posted, never put in an address). Filing goes through the same repository call as
/// `POST /v1/complaints` (channel online); an unknown tracking code counts against the client as
/// in the JSON API (10 in 10 minutes, then 429).
struct ComplaintsPages<Repository: ComplaintsRepository> {
    let web: WebPages
    let repository: Repository
    var lookups = FailureLimiter(limit: 10, window: .seconds(600))

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/") { _, _ in PageRenderer.seeOther("/complain") }
        routes.get("/complain") { _, _ in
            try await web.publicPage { web.renderer.render("complain", title: "投诉", page: try await formPage(WebForm(""), problem: nil)) }
        }
        routes.post("/complain") { request, _ in
            try await web.publicPage {
                let form = try await WebForm(request)
                let target = (form.first("target") ?? "").split(separator: ":", maxSplits: 1).map(String.init)
                let anonymous = form.ticked("anonymous")
                do {
                    guard target.count == 2, let kind = ComplaintTargetKind(rawValue: target[0]) else {
                        throw HallError.invalid("targetId", "请选择投诉的窗口或部门")
                    }
                    guard let category = ComplaintCategory(rawValue: form.first("category") ?? "") else {
                        throw HallError.invalid("category", "请选择投诉类别")
                    }
                    let filing = ComplaintFiling(
                        category: category, targetKind: kind, targetId: target[1], receiptCode: form.first("receiptCode"), anonymous: anonymous,
                        complainantName: anonymous ? nil : form.first("name"), complainantContact: anonymous ? nil : form.first("contact"),
                        content: form.first("content") ?? "")
                    try filing.validate()
                    let filed = try await repository.file(filing, channel: .online, recordedBy: nil, at: Date())
                    return web.renderer.render("filed", title: "投诉已受理登记", page: FiledPage(trackingCode: filed.trackingCode, filedAt: Words.time(filed.filedAt)))
                } catch let error as HallError where error.code.status == .badRequest {
                    // The form again as it was filled in, with what was wrong.
                    return web.renderer.render(
                        "complain", title: "投诉", page: try await formPage(form, problem: Self.problem(error)), status: .badRequest)
                }
            }
        }
        routes.get("/complaints/track") { _, _ in web.renderer.render("complaint-track", title: "投诉查询", page: TrackPage()) }
        routes.post("/complaints/track") { request, context in
            try await web.publicPage {
                let code = try await WebForm(request).first("trackingCode") ?? ""
                try lookups.check(context.clientAddress)
                guard !code.isEmpty, code.count <= 64, let tracking = try await repository.track(code: code) else {
                    lookups.fail(context.clientAddress)
                    return web.renderer.render(
                        "complaint-track", title: "投诉查询", page: TrackPage(code: code, problem: "没有找到这个查询码对应的投诉，请核对后再查"), status: .notFound)
                }
                return web.renderer.render("complaint-track", title: "投诉查询", page: TrackPage(code: code, found: TrackedView(tracking)))
            }
        }
        return routes
    }

    /// The form, filled in with what `form` holds.
    func formPage(_ form: WebForm, problem: String?) async throws -> ComplainPage {
        let targets = try await repository.targets()
        let target = form.first("target"), category = form.first("category")
        return ComplainPage(
            problem: problem,
            windows: targets.windows.map { Option(value: "window:\($0.windowId)", label: $0.name, selected: target == "window:\($0.windowId)") },
            departments: targets.departments.map {
                Option(value: "department:\($0.departmentId)", label: $0.name, selected: target == "department:\($0.departmentId)")
            },
            categories: ComplaintCategory.allCases.map { Option(value: $0.rawValue, label: $0.words, selected: category == $0.rawValue) },
            receiptCode: form.first("receiptCode") ?? "", content: form.first("content") ?? "", anonymous: form.ticked("anonymous"),
            name: form.first("name") ?? "", contact: form.first("contact") ?? "")
    }

    /// What was wrong with the filing, in the complainant's words, naming the field.
    static func problem(_ error: HallError) -> String {
        let words = [
            "complainantName": "请填写姓名，或选择匿名投诉", "complainantContact": "请填写联系电话，或选择匿名投诉（匿名投诉无法收到答复）",
            "content": "请填写投诉内容（不超过 4000 字）", "targetId": "请选择投诉的窗口或部门", "category": "请选择投诉类别",
            "receiptCode": "受理编号不超过 200 个字符",
        ]
        guard let field = error.field, let text = words[field] else { return error.pageText }
        return "\(text)（\(field)）"
    }
}

struct Option { var value: String; var label: String; var selected: Bool }

struct ComplainPage {
    var problem: String?
    var windows: [Option]
    var departments: [Option]
    var categories: [Option]
    var receiptCode: String
    var content: String
    var anonymous: Bool
    var name: String
    var contact: String
}

struct FiledPage { var trackingCode: String; var filedAt: String }

struct TrackPage {
    var code: String = ""
    var problem: String?
    var found: TrackedView?
}

struct TrackedView {
    var category: String
    var target: String
    var status: String
    var filedAt: String
    var dueDate: String?
    var notAcceptedReason: String?
    var finding: String?
    var reply: String?

    init(_ tracking: ComplaintTracking) {
        category = tracking.category.words
        target = tracking.targetName
        status = tracking.status.words
        filedAt = Words.time(tracking.filedAt)
        dueDate = tracking.dueDate?.description
        notAcceptedReason = tracking.notAcceptedReason
        finding = tracking.finding?.words
        reply = tracking.reply
    }
}
