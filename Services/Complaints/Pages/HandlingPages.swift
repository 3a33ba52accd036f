import Foundation
import HallContracts
import HallKit
import HallWeb
import Hummingbird

/// The handlers' pages: `/queue`, the complaints of the reader's queue (the centre's for a
/// complaints handler, the discipline room's for a discipline inspector) with their next deadline,
/// and `/queue/{id}`, one complaint with its steps, deadlines and flags, and the forms of the steps
/// its status allows: accept or not, pass to the department, conclude, decide the sanctions (or
/// none, with the note), reply, close. Each goes through the same repository call as the JSON API
/// (`POST /v1/complaints/{id}/…`): the complainant's name and contact are shown to the handlers
/// assigned to the complaint only, each reading recorded; a staff member never sees a complaint
/// about them.
struct HandlingPages<Repository: ComplaintsRepository> {
    let web: WebPages
    let repository: Repository
    static var handlers: Set<Role> { [.complaintsHandler, .disciplineInspector] }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/queue") { request, context in
            try await web.staff(request, context, roles: Self.handlers) { context, viewer, _ in
                let (queue, reader) = try ComplaintsController<Repository>.handler(context.requirePrincipal())
                let rows = try await repository.queue(queue, reader: reader).map(QueueRow.init)
                let page = QueuePage(queue: queue == .centre ? "中心投诉受理" : "纪检监察室", complaints: rows)
                return web.renderer.render("queue", title: "投诉办理", page: page, viewer: viewer)
            }
        }
        routes.get("/queue/:complaintId") { request, context in
            try await web.staff(request, context, roles: Self.handlers) { context, viewer, _ in
                let (queue, reader) = try ComplaintsController<Repository>.handler(context.requirePrincipal())
                let record = try await repository.record(try Self.complaintId(context), queue: queue, reader: reader, at: Date())
                let departments = try await repository.targets().departments
                let page = ComplaintPage(
                    record, departments: departments.map { Option(value: $0.departmentId, label: $0.name, selected: $0.departmentId == record.summary.targetId) },
                    notice: request.uri.queryParameters.get("done").map { _ in "已办理，记录如下" })
                return web.renderer.render("complaint", title: "投诉办理", page: page, viewer: viewer)
            }
        }
        for action in ["acceptance", "referral", "conclusion", "sanction-decision", "reply", "close"] {
            routes.post("/queue/:complaintId/\(action)") { request, context in
                try await web.staff(request, context, roles: Self.handlers) { context, _, form in
                    let (queue, actor) = try ComplaintsController<Repository>.handler(context.requirePrincipal())
                    let id = try Self.complaintId(context)
                    _ = try await repository.take(try Self.step(action, form ?? WebForm("")), on: id, queue: queue, actor: actor, at: Date())
                    return PageRenderer.seeOther("/queue/\(id.uuidString.lowercased())?done=\(action)")
                }
            }
        }
        return routes
    }

    static func complaintId(_ context: HallRequestContext) throws -> UUID {
        guard let id = context.parameters.get("complaintId").flatMap(UUID.init(uuidString:)) else {
            throw HallError(.notFound, "没有这件投诉", field: "complaintId")
        }
        return id
    }

    /// The step a form asks for, as the JSON bodies of the same steps give it.
    static func step(_ action: String, _ form: WebForm) throws -> ComplaintStep {
        switch action {
        case "acceptance":
            guard let decision = form.first("decision"), ["accept", "not-accept"].contains(decision) else {
                throw HallError.invalid("decision", "请选择受理或不予受理")
            }
            return decision == "accept" ? .accept : .notAccept(reason: form.first("reason") ?? "")
        case "referral":
            return .refer(departmentId: form.first("departmentId") ?? "", instructions: form.first("instructions") ?? "", releaseIdentity: form.ticked("releaseIdentity"))
        case "conclusion":
            guard let finding = ComplaintFinding(rawValue: form.first("finding") ?? "") else { throw HallError.invalid("finding", "请选择调查结论：属实、部分属实或不属实") }
            return .conclude(finding, findings: form.first("findings") ?? "")
        case "sanction-decision":
            guard let kindText = form.first("kind") else { return .decideSanctions([], note: form.first("note")) }
            guard let kind = SanctionKind(rawValue: kindText) else { throw HallError.invalid("kind", "请选择处理方式") }
            guard let subjectKind = SanctionSubjectKind(rawValue: form.first("subjectKind") ?? "") else {
                throw HallError.invalid("subjectKind", "请选择处理对象是工作人员还是部门")
            }
            return .decideSanctions(
                [SanctionOrder(kind: kind, subjectKind: subjectKind, subjectId: form.first("subjectId") ?? "", reason: form.first("sanctionReason") ?? "")],
                note: form.first("note"))
        case "reply":
            return .reply(form.first("reply") ?? "")
        default:
            return .close
        }
    }
}

struct QueuePage {
    var queue: String
    var complaints: [QueueRow]
}

struct QueueRow {
    var id: String
    var category: String
    var target: String
    var status: String
    var filedAt: String
    var due: String?
    var overdue: Bool
    var anonymous: Bool

    init(_ summary: ComplaintSummary) {
        id = summary.complaintId.uuidString.lowercased()
        category = summary.category.words
        target = summary.targetName
        status = summary.status.words + (summary.referredTo.map { "（\($0)）" } ?? "")
        filedAt = Words.time(summary.filedAt)
        due = summary.deadline.map { "\(ComplaintPage.dueWords[$0.step.rawValue] ?? $0.step.rawValue) \($0.dueDate)" }
        overdue = summary.overdue
        anonymous = summary.anonymous
    }
}

struct ComplaintPage {
    struct Step { var at: String; var step: String; var actor: String; var detail: String? }
    struct Choice { var value: String; var label: String }
    var id: String
    var summary: QueueRow
    var notice: String?
    var content: String
    var receiptCode: String?
    var complainant: String?
    var handlers: String
    var notAcceptedReason: String?
    var finding: String?
    var findings: String?
    var referral: String?
    var sanctions: [String]
    var sanctionNote: String?
    var reply: String?
    var reviewReason: String?
    var flags: [String]
    var steps: [Step]
    var departments: [Option]
    var findingsChoices: [Choice]
    var sanctionKinds: [Choice]
    // The forms the status allows.
    var canAccept: Bool
    var canRefer: Bool
    var canConclude: Bool
    var canDecideSanctions: Bool
    var canReply: Bool
    var canClose: Bool

    /// A step's detail in the hall's words: the channel of a filing, the finding of a conclusion.
    static func detail(_ step: ComplaintRecord.Step) -> String? {
        guard let detail = step.detail else { return nil }
        if step.statusAfter == .filed { return ["online": "网上投诉", "desk": "窗口登记", "discipline-room": "纪检监察室登记"][detail] ?? detail }
        for finding in ComplaintFinding.allCases where detail.hasPrefix(finding.rawValue + ": ") {
            return finding.words + "：" + detail.dropFirst(finding.rawValue.count + 2)
        }
        return detail
    }

    static let dueWords = ["acceptance": "受理期限", "department-findings": "部门调查期限", "conclusion": "结论期限", "reply": "答复期限"]

    init(_ record: ComplaintRecord, departments: [Option], notice: String?) {
        id = record.summary.complaintId.uuidString.lowercased()
        summary = QueueRow(record.summary)
        self.notice = notice
        content = record.content
        receiptCode = record.receiptCode
        complainant = record.complainant.map { "\($0.name) · \($0.contact)" }
        handlers = record.handlers.joined(separator: "、")
        notAcceptedReason = record.notAcceptedReason
        finding = record.finding?.words
        findings = record.findings
        referral = record.referral.map { referral in
            "转 \(referral.departmentId)（\(Words.time(referral.referredAt))）：\(referral.instructions)"
                + (referral.identityReleased ? "；已告知投诉人身份" : "；未告知投诉人身份")
                + (referral.findings.map { "；部门调查：\($0)" } ?? "") + (referral.returnReason.map { "；退回：\($0)" } ?? "")
        }
        sanctions = record.sanctions.map { "\($0.kind.words) · \($0.subjectKind == .staff ? "工作人员" : "部门") \($0.subjectId)：\($0.reason)" }
        sanctionNote = record.sanctionNote
        reply = record.reply
        reviewReason = record.reviewReason
        flags = record.flags.map { "\(Self.dueWords[$0.step.rawValue] ?? $0.step.rawValue) \($0.dueDate) \($0.flag.rawValue == "overdue" ? "已逾期" : "今日到期")" }
        steps = record.steps.map { step in
            Step(at: Words.time(step.at), step: step.statusAfter.words, actor: step.actorId == "anonymous" ? "投诉人" : step.actorId, detail: Self.detail(step))
        }
        self.departments = departments
        findingsChoices = ComplaintFinding.allCases.map { Choice(value: $0.rawValue, label: $0.words) }
        sanctionKinds = SanctionKind.allCases.map { Choice(value: $0.rawValue, label: $0.words) }
        let status = record.summary.status
        // As ComplaintStep.next allows: the page offers only the steps the complaint can take now.
        canAccept = status == .filed || (status == .underReview && record.finding == nil)
        canRefer = status == .investigating
        canConclude = status == .investigating || (status == .underReview && record.finding != nil)
        canDecideSanctions = status == .concluded && record.finding != .unsubstantiated
        canReply = (status == .concluded && record.finding == .unsubstantiated) || status == .sanctionDecided || status == .notAccepted
        canClose = status == .replied
    }
}
