import Foundation
import HallKit
import Hummingbird

/// `GET /v1/statistics?from=…&to=…` (JSON; `format=csv&section=…` for one section as a file): the
/// centre's statistics (Art 4(3)).
///
/// `GET /v1/figures`: the hall's figures, counted once from the events, by staff member, window,
/// department or item, per day, month or year, as JSON or CSV (`format=csv`, or `Accept: text/csv`).
///
/// | parameter | meaning |
/// |---|---|
/// | `by` | `staff`, `window`, `department` or `item` (required) |
/// | `period` | `day` (default), `month` or `year` (the hall's calendar, Asia/Shanghai) |
/// | `from`, `to` | the first and last day counted, `YYYY-MM-DD` (required; at most 3,660 days) |
/// | `key` | one staff member, window, department or item |
/// | `format` | `json` (default) or `csv` |
///
/// Read by the centre administrator and the discipline inspection room (Art 44: it takes part in
/// the appraisal of window staff).
struct FiguresController<Repository: AppraisalRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/figures") { request, context in
            let principal = try context.requirePrincipal()
            guard principal.roles.contains(.centreAdmin) || principal.roles.contains(.disciplineInspector) else {
                throw HallError(
                    .forbidden, "the figures are read by the centre administrator (role centre-admin) and the discipline inspection room (role discipline-inspector)",
                    words: "统计数据仅供政务服务中心管理员（角色 centre-admin）和纪检监察室（角色 discipline-inspector）查看")
            }
            let parameters = request.uri.queryParameters
            func text(_ name: String) -> String? { parameters.get(name).map { String($0) } }
            let query = try FiguresQuery(by: text("by"), period: text("period"), from: text("from"), to: text("to"), key: text("key"))
            let format = text("format") ?? (request.headers[.accept]?.contains("text/csv") == true ? "csv" : "json")
            guard format == "json" || format == "csv" else { throw HallError.invalid("format", "is json or csv", words: "须为 json 或 csv") }
            let rows = try await repository.figures(query)
            guard format == "csv" else { return try jsonResponse(rows) }
            return csvDownload(
                ([FigureRow.csvHeader] + rows.map(\.csvLine)).joined(separator: "\r\n") + "\r\n",
                name: "figures-\(query.dimension.rawValue)-\(query.period.rawValue)-\(query.from)-\(query.to).csv")
        }
        routes.get("/v1/statistics") { request, context in
            let principal = try context.requirePrincipal()
            guard principal.roles.contains(.centreAdmin) || principal.roles.contains(.disciplineInspector) else {
                throw HallError(
                    .forbidden, "the statistics are the centre administrator's (role centre-admin) and the discipline inspection room's",
                    words: "统计分析仅供政务服务中心管理员（角色 centre-admin）和纪检监察室查看")
            }
            let parameters = request.uri.queryParameters
            func text(_ name: String) -> String? { parameters.get(name).map { String($0) } }
            // The same range rules as the figures.
            let range = try FiguresQuery(by: "item", period: "day", from: text("from"), to: text("to"), key: nil)
            let format = text("format") ?? (request.headers[.accept]?.contains("text/csv") == true ? "csv" : "json")
            guard format == "json" || format == "csv" else { throw HallError.invalid("format", "is json or csv", words: "须为 json 或 csv") }
            var section: Statistics.Section?
            if format == "csv" {
                guard let asked = text("section").flatMap(Statistics.Section.init(rawValue:)) else {
                    throw HallError.invalid(
                        "section", "a CSV file holds one section: \(Statistics.Section.allCases.map(\.rawValue).joined(separator: ", "))",
                        words: "一个 CSV 文件只含一个表格，须为以下之一：\(Statistics.Section.allCases.map(\.rawValue).joined(separator: "、"))")
                }
                section = asked
            }
            let statistics = try await repository.statistics(from: range.from, to: range.to, now: Date())
            guard let section else { return try jsonResponse(statistics) }
            return csvDownload(statistics.csv(section), name: "statistics-\(section.rawValue)-\(range.from)-\(range.to).csv")
        }
        return routes
    }
}

/// A CSV file to download.
func csvDownload(_ csv: String, name: String) -> Response {
    Response(
        status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\""],
        body: .init(byteBuffer: ByteBuffer(string: csv)))
}
