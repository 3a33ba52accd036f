import Foundation
import HallContracts
import HallKit
import Hummingbird

/// The monthly and annual appraisal of window staff on Art 24's five dimensions (Art 17, 23–25).
///
/// | route | who | what |
/// |---|---|---|
/// | `GET /v1/appraisal-formula` | anyone | the published formula of the computed dimensions and the weights (`HALL_APPRAISAL_FORMULA`) |
/// | `GET /v1/staff-appraisals?period=month\|year&start=…` | centre-admin, discipline-inspector | every active window staff member's appraisal, each score with the figures and the formula that gave it (`&staffId=` for one) |
/// | `POST /v1/staff-appraisals/{staffId}/entry?period=…&start=…` | centre-admin | conduct and skills (0–100), with the discipline room's input in the note |
/// | `POST /v1/staff-appraisals/{staffId}/discipline-input?period=…&start=…` | discipline-inspector | the discipline room's findings (Art 44), optionally a suggested conduct score, kept beside the centre's entry until finalised |
/// | `POST /v1/staff-appraisals/{staffId}/finalise?period=…&start=…` | centre-admin | finalise once: published to the staff member's department; unfit recommends replacing them (Art 25) |
/// | `GET /v1/departments/{departmentId}/annual-appraisal?year=…` | centre-admin; the department's officers and chief representative | the department's annual figure from its staff's finalised annual results (Art 17) |
struct StaffAppraisalsController<Repository: AppraisalRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/appraisal-formula") { _, _ in try jsonResponse(repository.formula) }
        routes.get("/v1/staff-appraisals") { request, context in
            let principal = try context.requirePrincipal()
            guard principal.roles.contains(.centreAdmin) || principal.roles.contains(.disciplineInspector) else {
                throw HallError(
                    .forbidden, "staff appraisals are read by the centre administrator and the discipline inspection room",
                    words: "工作人员考核仅供政务服务中心管理员和纪检监察室查看")
            }
            let staff = request.uri.queryParameters.get("staffId").map { String($0) }
            return try jsonResponse(try await repository.staffAppraisals(try period(request), staffId: staff))
        }
        routes.post("/v1/staff-appraisals/:staffId/entry") { request, context in
            let actor = try centreAdmin(context)
            let entry = try await request.decodeBody(as: AppraisalEntry.self, context: context)
            return try jsonResponse(try await repository.enter(entry, period: try period(request), staffId: try staffId(context), by: actor, at: Date()))
        }
        routes.post("/v1/staff-appraisals/:staffId/discipline-input") { request, context in
            let principal = try context.requirePrincipal()
            guard principal.roles.contains(.disciplineInspector) else {
                throw HallError(.forbidden, "the discipline inspection room gives its input to staff appraisals (Art 44)", words: "考核意见由纪检监察室提出（第44条）")
            }
            let input = try await request.decodeBody(as: DisciplineInput.self, context: context)
            return try jsonResponse(
                try await repository.addDisciplineInput(input, period: try period(request), staffId: try staffId(context), by: principal.subject, at: Date()))
        }
        routes.post("/v1/staff-appraisals/:staffId/finalise") { request, context in
            let actor = try centreAdmin(context)
            return try jsonResponse(try await repository.finalise(period: try period(request), staffId: try staffId(context), by: actor, at: Date()))
        }
        routes.get("/v1/departments/:departmentId/annual-appraisal") { request, context in
            let principal = try context.requirePrincipal()
            let department = context.parameters.get("departmentId") ?? ""
            if !principal.roles.contains(.centreAdmin) {
                // The department's own people, whose claim names an active department of the directory.
                let own = try await context.requireDepartment(roles: [.departmentOfficer, .chiefRepresentative]) {
                    try await repository.isActiveDepartment($0)
                }.department
                guard own == department else {
                    throw HallError(
                        .forbidden, "a department's annual figure is the centre's and the department's own", field: "department",
                        words: "部门的年度考核结果仅供政务服务中心和本部门查看")
                }
            }
            guard let text = request.uri.queryParameters.get("year"), let year = Int(text), (2000...2100).contains(year) else {
                throw HallError.invalid("year", "is the year, e.g. 2026", words: "须为年份，如 2026")
            }
            return try jsonResponse(try await repository.departmentAnnual(department, year: year))
        }
        return routes
    }

    func period(_ request: Request) throws -> AppraisalPeriod {
        try AppraisalPeriod(
            period: request.uri.queryParameters.get("period").map { String($0) }, start: request.uri.queryParameters.get("start").map { String($0) })
    }

    func staffId(_ context: HallRequestContext) throws -> String {
        guard let id = context.parameters.get("staffId"), !id.isEmpty, id.count <= 128 else {
            throw HallError(.notFound, "no such staff member", field: "staffId", words: "没有这位工作人员")
        }
        return id
    }

    @discardableResult
    func centreAdmin(_ context: HallRequestContext) throws -> String {
        let principal = try context.requirePrincipal()
        guard principal.roles.contains(.centreAdmin) else {
            throw HallError(.forbidden, "staff appraisal is the centre administrator's (role centre-admin)", words: "工作人员考核由政务服务中心管理员办理（角色 centre-admin）")
        }
        return principal.subject
    }
}
