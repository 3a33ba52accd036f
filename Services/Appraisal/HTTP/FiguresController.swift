import Foundation
import HallKit
import Hummingbird

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
                throw HallError(.forbidden, "the figures are read by the centre administrator (role centre-admin) and the discipline inspection room (role discipline-inspector)")
            }
            let parameters = request.uri.queryParameters
            func text(_ name: String) -> String? { parameters.get(name).map { String($0) } }
            let query = try FiguresQuery(by: text("by"), period: text("period"), from: text("from"), to: text("to"), key: text("key"))
            let format = text("format") ?? (request.headers[.accept]?.contains("text/csv") == true ? "csv" : "json")
            guard format == "json" || format == "csv" else { throw HallError.invalid("format", "is json or csv") }
            let rows = try await repository.figures(query)
            guard format == "csv" else { return try jsonResponse(rows) }
            let csv = ([FigureRow.csvHeader] + rows.map(\.csvLine)).joined(separator: "\r\n") + "\r\n"
            let name = "figures-\(query.dimension.rawValue)-\(query.period.rawValue)-\(query.from)-\(query.to).csv"
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\""],
                body: .init(byteBuffer: ByteBuffer(string: csv)))
        }
        return routes
    }
}
