import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import Hummingbird

/// The centre's supervision page (Art 4, 33–35): `/centre/supervision`, every department's open
/// tasks, green-channel tasks, tasks past their department's sub-deadline and the warnings and
/// escalations raised on them, department by department, then every alert with the department
/// it concerns and whom it was escalated to. The centre administrator; it reads what
/// `GET /v1/tasks` and `GET /v1/alerts` answer the centre.
struct SupervisionPages<Repository: CoordinatorRepository> {
    let web: WebPages
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/centre/supervision") { request, context in
            try await web.staff(request, context, roles: [.centreAdmin]) { _, viewer, _ in
                let tasks = try await repository.tasks(departmentId: nil, state: nil).filter { $0.state == "open" || $0.state == "opinion-given" }
                let alerts = try await repository.alerts(departmentId: nil)
                let today = LocalDate.inHall(Date()).description
                let departments = Set(tasks.map(\.departmentId)).union(alerts.map(\.departmentId)).sorted().map { department in
                    let own = tasks.filter { $0.departmentId == department }
                    let raised = alerts.filter { $0.departmentId == department }
                    return SupervisionPage.Department(
                        id: department, open: own.count, green: own.filter(\.priority).count,
                        pastSubDeadline: own.filter { $0.subDeadline < today }.count,
                        warnings: raised.filter { $0.kind == "warning" }.count, overdue: raised.filter { $0.kind == "overdue" }.count,
                        escalated: raised.filter { $0.escalatedTo != nil }.count)
                }
                let page = SupervisionPage(
                    departments: departments,
                    alerts: alerts.prefix(200).map {
                        SupervisionPage.Alert(
                            kind: CoordinatorPages<Repository>.alertWord($0.kind), department: $0.departmentId, subject: $0.subject, dueDate: $0.dueDate,
                            escalatedTo: $0.escalatedTo, firedAt: Words.time($0.firedAt))
                    })
                return web.renderer.render("supervision", title: "督查督办", page: page, viewer: viewer)
            }
        }
        return routes
    }
}

struct SupervisionPage {
    struct Department {
        var id: String
        var open: Int
        var green: Int
        var pastSubDeadline: Int
        var warnings: Int
        var overdue: Int
        var escalated: Int
    }
    struct Alert {
        var kind: String
        var department: String
        var subject: String
        var dueDate: String
        var escalatedTo: String?
        var firedAt: String
    }
    var departments: [Department]
    var alerts: [Alert]
}
