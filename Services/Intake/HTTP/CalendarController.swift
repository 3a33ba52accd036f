import Foundation
import HallCalendar
import HallKit
import Hummingbird

/// The public calendar: `GET /v1/calendar/due-date` (an item's promised due date) and
/// `GET /v1/calendar/working-days`.
struct CalendarController<Repository: GuideRepository> {
    let repository: Repository
    let calendar: WorkingCalendar

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/calendar/due-date") { request, _ -> DueDateAnswer in
            let parameters = request.uri.queryParameters
            guard let code = parameters.get("itemCode") else { throw HallError.invalid("itemCode", "is required", words: "为必填项") }
            let acceptedAt = try parameters.get("acceptedAt").map(parseInstant(field: "acceptedAt")) ?? Date()
            guard let item = IntakeStore.inForce(try await repository.itemVersions(of: code), on: LocalDate.inHall(acceptedAt)) else {
                throw HallError(
                    .notFound, "no item \(code) in force on \(LocalDate.inHall(acceptedAt))", field: "itemCode",
                    words: "未找到 \(LocalDate.inHall(acceptedAt)) 施行的事项 \(code)")
            }
            let due = calendar.dueDate(acceptedAt: acceptedAt, workingDays: item.promisedLimitDays)
            return DueDateAnswer(
                itemCode: item.code, itemVersion: item.version, acceptedAt: acceptedAt, promisedLimitDays: item.promisedLimitDays,
                dueDate: due.date, provisional: due.isProvisional)
        }
        routes.get("/v1/calendar/working-days") { request, _ -> WorkingDaysAnswer in
            let parameters = request.uri.queryParameters
            let from = try parseDate(field: "from")(try requireParameter(parameters.get("from"), "from"))
            let to = try parseDate(field: "to")(try requireParameter(parameters.get("to"), "to"))
            let count = calendar.workingDays(from: from, to: to)
            return WorkingDaysAnswer(from: from, to: to, workingDays: count.value, provisional: count.isProvisional)
        }
        return routes
    }
}

struct DueDateAnswer: ResponseCodable {
    var itemCode: String
    var itemVersion: Int
    var acceptedAt: Date
    var promisedLimitDays: Int
    var dueDate: LocalDate
    var provisional: Bool
}

struct WorkingDaysAnswer: ResponseCodable {
    var from: LocalDate
    var to: LocalDate
    var workingDays: Int
    var provisional: Bool
}
