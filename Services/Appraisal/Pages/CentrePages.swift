import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import Hummingbird

/// The centre's pages of the appraisal service (Art 4(3), 21, 44):
/// - `/centre/statistics?from=&to=`: volumes, timeliness, overdue cases, hot items, the slowest
///   departments and the monthly trend, with charts drawn on the server and every figure in a
///   table; each section downloadable as CSV (`/centre/statistics.csv?section=`). The centre
///   administrator and the discipline inspection room.
/// - `/centre/ratings`: ratings held for review (bursts) or appealed, each kept or struck with a
///   logged reason; the rectifications of bad ratings with their next step, deadline and
///   overdue flag; the follow-ups where a complaint concerns a rated case. The centre administrator.
///
/// Both read through the same repository calls and rules as `GET /v1/statistics`,
/// `GET /v1/ratings`, `POST /v1/ratings/{id}/review` and `GET /v1/rectifications`.
struct CentrePages<Repository: AppraisalRepository> {
    let web: WebPages
    let repository: Repository
    static var readers: Set<Role> { [.centreAdmin, .disciplineInspector] }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/centre") { _, _ in PageRenderer.seeOther("/centre/statistics") }
        routes.get("/centre/statistics") { request, context in
            try await web.staff(request, context, roles: Self.readers) { _, viewer, _ in
                let range = try Self.range(request)
                let statistics = try await repository.statistics(from: range.from, to: range.to, now: Date())
                return web.renderer.render("statistics", title: "统计分析", page: StatisticsPage(statistics), viewer: viewer)
            }
        }
        routes.get("/centre/statistics.csv") { request, context in
            try await web.staff(request, context, roles: Self.readers) { _, _, _ in
                let range = try Self.range(request)
                guard let section = request.uri.queryParameters.get("section").flatMap({ Statistics.Section(rawValue: String($0)) }) else {
                    throw HallError.invalid("section", "下载的表格是以下之一：\(Statistics.Section.allCases.map(\.rawValue).joined(separator: "、"))")
                }
                let statistics = try await repository.statistics(from: range.from, to: range.to, now: Date())
                return csvDownload(statistics.csv(section), name: "statistics-\(section.rawValue)-\(range.from)-\(range.to).csv")
            }
        }
        routes.get("/centre/ratings") { request, context in
            try await web.staff(request, context, roles: [.centreAdmin]) { _, viewer, _ in
                let page = RatingsPage(
                    notice: request.uri.queryParameters.get("done").map { $0 == "struck" ? "评价已撤销，不再计入统计，审计中仍可查看" : "评价已保留，计入统计" },
                    ratings: try await repository.ratings(heldOrAppealedOnly: true, windowId: nil).map(RatingRow.init),
                    reviewed: try await repository.ratings(heldOrAppealedOnly: false, windowId: nil).filter { $0.review != nil }
                        .sorted { ($0.review?.at ?? .distantPast) > ($1.review?.at ?? .distantPast) }.prefix(50).map(RatingRow.init),
                    rectifications: try await repository.rectifications(department: nil).map(RectificationRow.init),
                    followUps: try await repository.followUps().map(FollowUpRow.init))
                return web.renderer.render("ratings", title: "评价与整改", page: page, viewer: viewer)
            }
        }
        routes.post("/centre/ratings/:ratingId/review") { request, context in
            try await web.staff(request, context, roles: [.centreAdmin]) { context, _, form in
                guard let id = context.parameters.get("ratingId").flatMap(UUID.init(uuidString:)) else {
                    throw HallError(.notFound, "没有这条评价", field: "ratingId")
                }
                let form = form ?? WebForm("")
                guard let decision = form.first("decision"), ["keep", "strike"].contains(decision) else {
                    throw HallError.invalid("decision", "请选择保留或撤销这条评价")
                }
                let reason = form.first("reason") ?? ""
                guard !reason.isEmpty else { throw HallError.invalid("reason", "保留或撤销一条评价都要写明理由，理由记入审计") }
                let actor = try context.requirePrincipal().subject
                _ = try await repository.review(id, strike: decision == "strike", reason: reason, by: actor, at: Date())
                return PageRenderer.seeOther("/centre/ratings?done=\(decision == "strike" ? "struck" : "kept")")
            }
        }
        return routes
    }

    /// `from` and `to` of the query (the year so far when absent), by the figures' rules.
    static func range(_ request: Request) throws -> FiguresQuery {
        let parameters = request.uri.queryParameters
        func text(_ name: String) -> String? { parameters.get(name).flatMap { $0.isEmpty ? nil : String($0) } }
        let today = LocalDate.inHall(Date())
        return try FiguresQuery(
            by: "item", period: "day", from: text("from") ?? String(format: "%04d-01-01", today.year), to: text("to") ?? today.description, key: nil)
    }
}

/// The hall's words for ratings and their rectification.
enum AppraisalWords {
    static func level(_ level: RatingLevel) -> String {
        switch level {
        case .verySatisfied: "非常满意"
        case .satisfied: "满意"
        case .basicallySatisfied: "基本满意"
        case .dissatisfied: "不满意"
        case .veryDissatisfied: "非常不满意"
        }
    }

    static func step(_ step: RectificationStep) -> String {
        switch step {
        case .opened: "待回访"
        case .calledBack: "已回访"
        case .verified: "已核实"
        case .fixed: "已整改"
        case .explained: "已解释说明"
        case .replied: "已答复"
        case .closedByStrike: "评价撤销，整改关闭"
        case .closedByComplaint: "随投诉办结关闭"
        }
    }
}

struct StatisticsPage {
    struct Figure { var label: String; var value: String }
    struct Cell { var label: String; var value: String }
    struct Row { var cells: [Cell] }
    struct Table {
        var id: String
        var title: String
        var headers: [String]
        var rows: [Row]
        var csv: String

        /// Each cell labelled with its column, for the stacked rows of a phone's screen.
        init(id: String, title: String, headers: [String], rows: [[String]], csv: String) {
            self.id = id
            self.title = title
            self.headers = headers
            self.rows = rows.map { Row(cells: zip(headers, $0).map { Cell(label: $0, value: $1) }) }
            self.csv = csv
        }
    }
    var from: String
    var to: String
    var summary: [Figure]
    var trendChart: String
    var departmentChart: String
    var channelChart: String
    var tables: [Table]

    init(_ statistics: Statistics) {
        from = statistics.from.description
        to = statistics.to.description
        let range = "from=\(from)&to=\(to)"
        func percent(_ rate: Double?) -> String { rate.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
        func days(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "—" }
        let timeliness = statistics.timeliness
        summary = [
            .init(label: "受理", value: "\(statistics.channels.reduce(0) { $0 + $1.accepted })"),
            .init(label: "办结", value: "\(timeliness.completed)"),
            .init(label: "按时办结率", value: percent(timeliness.onTimeRate)),
            .init(label: "平均办理（工作日）", value: days(timeliness.handlingDaysMean)),
            .init(label: "90% 在（工作日）以内", value: days(timeliness.handlingDaysP90)),
            .init(label: "当前超期未办结", value: "\(statistics.overdueNow.count)"),
        ]
        let palette = BarChart.palette
        trendChart = BarChart(
            title: "按月趋势：受理、办结、差评、查实的投诉", labels: statistics.trends.map { String($0.month.description.prefix(7)) },
            series: [
                .init(name: "受理", values: statistics.trends.map { Double($0.accepted) }, colour: palette[0]),
                .init(name: "办结", values: statistics.trends.map { Double($0.completed) }, colour: palette[1]),
                .init(name: "差评", values: statistics.trends.map { Double($0.badRatings) }, colour: palette[2]),
                .init(name: "查实投诉", values: statistics.trends.map { Double($0.complaintsSubstantiated) }, colour: palette[3]),
            ]).svg
        let departments = Array(statistics.departments.prefix(12))
        departmentChart = BarChart(
            title: "各部门受理与按时办结", labels: departments.map(\.key),
            series: [
                .init(name: "受理", values: departments.map { Double($0.accepted) }, colour: palette[0]),
                .init(name: "按时办结", values: departments.map { Double($0.completedOnTime) }, colour: palette[1]),
                .init(name: "超时办结", values: departments.map { Double($0.completed - $0.completedOnTime) }, colour: palette[2]),
            ]).svg
        channelChart = BarChart(
            title: "受理渠道", labels: statistics.channels.map { $0.channel == "online" ? "网上申请" : $0.channel == "window" ? "窗口" : $0.channel },
            series: [.init(name: "受理", values: statistics.channels.map { Double($0.accepted) }, colour: palette[0])]).svg
        func units(_ id: String, _ title: String, _ key: String, _ rows: [Statistics.UnitVolume]) -> Table {
            Table(
                id: id, title: title, headers: [key, "受理", "不予受理", "一次性告知补正", "办结", "按时办结"],
                rows: rows.map { [$0.key, "\($0.accepted)", "\($0.refused)", "\($0.correctionNotified)", "\($0.completed)", "\($0.completedOnTime)"] },
                csv: "/centre/statistics.csv?section=\(id)&\(range)")
        }
        tables = [
            units("departments", "按部门", "部门", statistics.departments),
            units("windows", "按窗口", "窗口", statistics.windows),
            Table(
                id: "hot-items", title: "热门事项", headers: ["事项", "名称", "受理", "停止办理"],
                rows: statistics.hotItems.map { [$0.itemCode, $0.name ?? "", "\($0.accepted)", $0.withdrawnFrom?.description ?? ""] },
                csv: "/centre/statistics.csv?section=hot-items&\(range)"),
            Table(
                id: "slowest-steps", title: "审查最慢的部门（从分派到出具意见）", headers: ["部门", "意见数", "平均小时", "90% 在（小时）以内"],
                rows: statistics.slowestSteps.map { [$0.departmentId, "\($0.opinions)", String(format: "%.1f", $0.hoursMean), String(format: "%.1f", $0.hoursP90)] },
                csv: "/centre/statistics.csv?section=slowest-steps&\(range)"),
            Table(
                id: "overdue", title: "当前超期未办结的办件（最多 100 件）", headers: ["受理编号", "事项", "部门", "窗口", "办结期限", "超期工作日"],
                rows: statistics.overdueNow.cases.map {
                    [$0.receiptCode, $0.itemCode, $0.departmentId, $0.windowId ?? "", $0.dueDate.description, "\($0.workingDaysOverdue)"]
                },
                csv: "/centre/statistics.csv?section=overdue&\(range)"),
            Table(
                id: "trends", title: "按月趋势", headers: ["月份", "受理", "办结", "差评", "查实投诉"],
                rows: statistics.trends.map {
                    [String($0.month.description.prefix(7)), "\($0.accepted)", "\($0.completed)", "\($0.badRatings)", "\($0.complaintsSubstantiated)"]
                },
                csv: "/centre/statistics.csv?section=trends&\(range)"),
        ]
    }
}

struct RatingsPage {
    var notice: String?
    var ratings: [RatingRow]
    /// The latest reviews, kept or struck, with their reasons (the audit).
    var reviewed: [RatingRow]
    var rectifications: [RectificationRow]
    var followUps: [FollowUpRow]
}

struct RatingRow {
    var id: String
    var receiptCode: String
    var level: String
    var comment: String?
    var ratedAt: String
    var unit: String
    var held: Bool
    var appeal: String?
    var reviewed: String?

    init(_ record: RatingRecord) {
        id = record.ratingId.uuidString.lowercased()
        receiptCode = record.receiptCode
        level = AppraisalWords.level(record.level)
        comment = record.comment
        ratedAt = Words.time(record.ratedAt)
        unit = [record.departmentId, record.windowId.map { "窗口 \($0)" }, record.staffId.map { "工作人员 \($0)" }].compactMap { $0 }.joined(separator: " · ")
        held = record.heldForReview
        appeal = record.appeal.map { "\($0.by) 于 \(Words.time($0.at)) 申诉：\($0.reason)" }
        reviewed = record.review.map { "\($0.by) 于 \(Words.time($0.at)) \($0.struck ? "撤销" : "保留")：\($0.reason)" }
    }
}

struct RectificationRow {
    var receiptCode: String
    var department: String
    var step: String
    var next: String?
    var dueDate: String?
    var overdue: Bool
    var late: Bool
    var openedAt: String

    init(_ rectification: Rectification) {
        receiptCode = rectification.receiptCode
        department = rectification.departmentId
        step = AppraisalWords.step(rectification.step)
        next = rectification.dueStep.map { AppraisalWords.step($0) }
        dueDate = rectification.dueDate?.description
        overdue = rectification.overdue
        late = rectification.late
        openedAt = Words.time(rectification.openedAt)
    }
}

struct FollowUpRow {
    var receiptCode: String
    var level: String
    var step: String
    var appealed: Bool
    var complaints: String

    init(_ followUp: FollowUp) {
        receiptCode = followUp.receiptCode
        level = AppraisalWords.level(followUp.level)
        step = AppraisalWords.step(followUp.rectificationStep)
        appealed = followUp.appealed
        complaints = followUp.complaints.map { "\($0.category) · \($0.status)\($0.finding.map { " · \($0)" } ?? "")" }.joined(separator: "；")
    }
}
