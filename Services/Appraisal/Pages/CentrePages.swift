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
        routes.get("/centre/appraisals") { request, context in
            try await web.staff(request, context, roles: Self.readers) { context, viewer, _ in
                let period = try Self.period(request)
                let appraisals = try await repository.staffAppraisals(period, staffId: nil)
                let principal = try context.requirePrincipal()
                let page = AppraisalsPage(
                    period: period, appraisals: appraisals.map { AppraisalRow($0, formula: repository.formula) }, mayEnter: principal.roles.contains(.centreAdmin),
                    mayAddInput: principal.roles.contains(.disciplineInspector),
                    notice: request.uri.queryParameters.get("done").map { ["entry": "已录入", "input": "纪检监察室意见已记录", "finalise": "考核结果已确定并通知所在部门"][String($0)] ?? "已提交" })
                return web.renderer.render("appraisals", title: "窗口工作人员考核", page: page, viewer: viewer)
            }
        }
        routes.post("/centre/appraisals/:staffId/:action") { request, context in
            try await web.staff(request, context, roles: Self.readers) { context, _, form in
                let period = try Self.period(request)
                let principal = try context.requirePrincipal()
                guard let staffId = context.parameters.get("staffId"), !staffId.isEmpty, staffId.count <= 128 else {
                    throw HallError(.notFound, "没有这位工作人员", field: "staffId")
                }
                let form = form ?? WebForm("")
                func score(_ field: String) throws -> Double {
                    guard let value = form.first(field).flatMap(Double.init) else { throw HallError.invalid(field, "请填写 0 到 100 的分数") }
                    return value
                }
                let action = context.parameters.get("action") ?? ""
                switch action {
                case "entry":
                    guard principal.roles.contains(.centreAdmin) else { throw HallError(.forbidden, "思想品德和业务技能由中心录入（centre-admin）") }
                    _ = try await repository.enter(
                        AppraisalEntry(conduct: try score("conduct"), skills: try score("skills"), note: form.first("note")), period: period, staffId: staffId,
                        by: principal.subject, at: Date())
                case "input":
                    guard principal.roles.contains(.disciplineInspector) else { throw HallError(.forbidden, "纪检监察室的意见由纪检监察员提出（discipline-inspector）") }
                    _ = try await repository.addDisciplineInput(
                        DisciplineInput(note: form.first("note") ?? "", conduct: form.first("conduct").flatMap(Double.init)), period: period, staffId: staffId,
                        by: principal.subject, at: Date())
                case "finalise":
                    guard principal.roles.contains(.centreAdmin) else { throw HallError(.forbidden, "考核结果由中心确定（centre-admin）") }
                    _ = try await repository.finalise(period: period, staffId: staffId, by: principal.subject, at: Date())
                default:
                    throw HallError(.notFound, "没有这项操作", field: "action")
                }
                return PageRenderer.seeOther("/centre/appraisals?period=\(period.period.rawValue)&start=\(period.start)&done=\(action)#staff-\(staffId)")
            }
        }
        return routes
    }

    /// The appraisal period asked (`period=month|year&start=`), this month when none is.
    static func period(_ request: Request) throws -> AppraisalPeriod {
        let parameters = request.uri.queryParameters
        let today = LocalDate.inHall(Date())
        return try AppraisalPeriod(
            period: parameters.get("period").map { String($0) } ?? "month",
            start: parameters.get("start").map { String($0) } ?? String(format: "%04d-%02d-01", today.year, today.month))
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

struct AppraisalsPage {
    var periodLabel: String
    var month: Bool
    var start: String
    var appraisals: [AppraisalRow]
    var mayEnter: Bool
    var mayAddInput: Bool
    var notice: String?
    var query: String

    init(period: AppraisalPeriod, appraisals: [AppraisalRow], mayEnter: Bool, mayAddInput: Bool, notice: String?) {
        month = period.period == .month
        start = period.start.description
        periodLabel = month ? "\(period.start.description.prefix(7)) 月度" : "\(period.start.description.prefix(4)) 年度"
        self.appraisals = appraisals
        self.mayEnter = mayEnter
        self.mayAddInput = mayAddInput
        self.notice = notice
        query = "period=\(period.period.rawValue)&start=\(period.start)"
    }
}

struct AppraisalRow {
    struct Score { var dimension: String; var score: String; var how: String }
    var staffId: String
    var name: String
    var unit: String
    var scores: [Score]
    var total: String?
    var grade: String?
    var entered: Bool
    var finalised: String?
    var replacement: Bool
    var inputs: [String]
    var conduct: String
    var skills: String

    init(_ appraisal: StaffAppraisal, formula: AppraisalFormula) {
        let explained = formula.computed(appraisal.facts, chinese: true)
        staffId = appraisal.facts.staffId
        name = appraisal.facts.name
        unit = [appraisal.facts.departmentId, appraisal.facts.windowId.map { "窗口 \($0)" }].compactMap { $0 }.joined(separator: " · ")
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        scores = [
            Score(dimension: "思想品德", score: appraisal.entry.map { number($0.conduct) } ?? "待录入", how: "中心录入，参考纪检监察室意见"),
            Score(dimension: "业务技能", score: appraisal.entry.map { number($0.skills) } ?? "待录入", how: "中心录入"),
            Score(dimension: "办事效率", score: number(appraisal.efficiency.score), how: explained.efficiency.how),
            Score(dimension: "服务态度", score: number(appraisal.attitude.score), how: explained.attitude.how),
            Score(dimension: "遵纪守法", score: number(appraisal.discipline.score), how: explained.discipline.how),
        ]
        total = appraisal.total.map(number)
        grade = appraisal.grade.map { ["excellent": "优秀", "competent": "称职", "basically-competent": "基本称职", "unfit": "不称职"][$0.rawValue] ?? $0.rawValue }
        entered = appraisal.entry != nil
        finalised = appraisal.finalised.map { "\($0.by) 于 \(Words.time($0.at)) 确定" }
        replacement = appraisal.finalised?.replacementRecommended == true
        inputs = appraisal.disciplineInputs.map { input in
            "\(input.by ?? "纪检监察室")\(input.at.map { " \(Words.time($0))" } ?? "")：\(input.note)\(input.conduct.map { "（建议思想品德 \(number($0))）" } ?? "")"
        }
        conduct = appraisal.entry.map { number($0.conduct) } ?? ""
        skills = appraisal.entry.map { number($0.skills) } ?? ""
    }
}
