import Foundation
import HallCalendar
import HallContracts
import HallKit
import Hummingbird

/// The centre's directory (centre admin): `POST /v1/departments`, `POST /v1/windows`,
/// `POST /v1/staff`, `POST /v1/department-systems` create or update one record and answer the
/// event they published; `POST /v1/stand-ins` files a stand-in; `GET /v1/staff`, `GET /v1/stand-ins`
/// `GET /v1/departments` and `GET /v1/department-systems` read them back. The public reads the windows and the items
/// each takes (`GET /v1/windows`, Art 11).
struct DirectoryController<Repository: DirectoryRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.post("/v1/departments") { request, context -> DepartmentChanged in
            try context.requirePrincipal().require(anyOf: .centreAdmin)
            return try await repository.saveDepartment(try await request.decodeBody(as: DepartmentInput.self, context: context).validated())
        }
        routes.post("/v1/windows") { request, context -> WindowChanged in
            try context.requirePrincipal().require(anyOf: .centreAdmin)
            return try await repository.saveWindow(try await request.decodeBody(as: WindowInput.self, context: context).validated())
        }
        routes.post("/v1/staff") { request, context -> StaffChanged in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: StaffInput.self, context: context).validated()
            return try await repository.saveStaff(input, recordedBy: principal.subject)
        }
        routes.post("/v1/department-systems") { request, context -> DepartmentSystemChanged in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: DepartmentSystemInput.self, context: context).validated()
            return try await repository.saveDepartmentSystem(input, recordedBy: principal.subject)
        }
        routes.post("/v1/stand-ins") { request, context -> EditedResponse<StandInRecord> in
            let principal = try context.requirePrincipal()
            try principal.require(anyOf: .centreAdmin)
            let input = try await request.decodeBody(as: StandInInput.self, context: context).validated()
            return EditedResponse(status: .created, response: try await repository.saveStandIn(input, filedBy: principal.subject))
        }
        routes.get("/v1/stand-ins") { request, context -> StandInList in
            try context.requirePrincipal().require(anyOf: .centreAdmin)
            let day = try request.uri.queryParameters.get("on").map(parseDate(field: "on"))
            return StandInList(standIns: try await repository.standIns(windowId: request.uri.queryParameters.get("windowId"), on: day))
        }
        routes.get("/v1/departments") { _, context -> DepartmentList in
            try context.requirePrincipal().require(anyOf: .centreAdmin)
            return DepartmentList(departments: try await repository.departmentList())
        }
        routes.get("/v1/staff") { _, context -> StaffList in
            try context.requirePrincipal().require(anyOf: .centreAdmin)
            return StaffList(staff: try await repository.staffList())
        }
        routes.get("/v1/windows") { _, _ -> WindowList in
            WindowList(windows: try await repository.windowList(on: LocalDate.inHall(Date())))
        }
        routes.get("/v1/department-systems") { _, context -> DepartmentSystemList in
            try context.requirePrincipal().require(anyOf: .centreAdmin)
            return DepartmentSystemList(systems: try await repository.departmentSystems())
        }
        return routes
    }
}

struct StandInList: ResponseEncodable { var standIns: [StandInRecord] }
struct StaffList: ResponseEncodable { var staff: [StaffRecord] }
struct DepartmentList: ResponseEncodable { var departments: [DepartmentChanged] }
struct WindowList: ResponseEncodable { var windows: [WindowRecord] }
extension StandInRecord: ResponseCodable {}

/// The department systems registered with the centre.
struct DepartmentSystemList: ResponseEncodable {
    var systems: [DepartmentSystemChanged]
}

extension DepartmentChanged: ResponseEncodable {}
extension WindowChanged: ResponseEncodable {}
extension StaffChanged: ResponseEncodable {}
extension DepartmentSystemChanged: ResponseEncodable {}
