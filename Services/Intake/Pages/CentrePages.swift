import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import Hummingbird

/// The hall centre's pages of the front desk's service (centre administrator):
/// - `/centre/directory`: the departments with their chief representatives, filed substitutes
///   and heads; the open windows with the departments and items each takes; the staff with their
///   window, qualification and window rotations (Art 8, 9, 11, 20).
/// - `/centre/catalogue`: the items in force today with their limits and fees; `/centre/catalogue/{code}`
///   every version of one item, the effective date and approval reference of each (Art 7, 12).
/// They read what `GET /v1/departments`, `/v1/staff`, `/v1/windows` and `/v1/items` answer.
struct IntakeCentrePages {
    let web: WebPages
    let store: IntakeStore

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/centre") { _, _ in PageRenderer.seeOther("/centre/directory") }
        routes.get("/centre/directory") { request, context in
            try await web.staff(request, context, roles: [.centreAdmin]) { _, viewer, _ in
                let departments = try await store.departmentList()
                let names = departments.names
                let windows = try await store.windowList(on: .inHall(Date()))
                let windowNames = Dictionary(windows.map { ($0.id, $0.name) }) { a, _ in a }
                let page = DirectoryPage(
                    departments: departments.sorted { ($0.centre ? 0 : 1, $0.name) < ($1.centre ? 0 : 1, $1.name) }.map(DirectoryPage.Department.init),
                    windows: windows.map { DirectoryPage.Window($0, names: names) },
                    staff: try await store.staffList().sorted { ($0.departmentId, $0.id) < ($1.departmentId, $1.id) }
                        .map { DirectoryPage.Person($0, departments: names, windows: windowNames) })
                return web.renderer.render("centre-directory", title: "机构与人员", page: page, viewer: viewer)
            }
        }
        routes.get("/centre/catalogue") { request, context in
            try await web.staff(request, context, roles: [.centreAdmin]) { _, viewer, _ in
                let query = request.uri.queryParameters.get("q").flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
                let names = try await store.departmentList().names
                let items = try await store.itemsInForce(matching: query, on: .inHall(Date())).sorted { $0.code < $1.code }
                let page = CataloguePage(query: query ?? "", items: items.map { CataloguePage.Row($0, departments: names) })
                return web.renderer.render("centre-catalogue", title: "事项目录", page: page, viewer: viewer)
            }
        }
        routes.get("/centre/catalogue/:code") { request, context in
            try await web.staff(request, context, roles: [.centreAdmin]) { context, viewer, _ in
                let code = try context.parameters.require("code")
                let versions = try await store.versions(of: String(code.prefix(64)))
                guard let latest = versions.last else { throw HallError(.notFound, "目录中没有事项 \(code.prefix(64))", field: "code") }
                let names = try await store.departmentList().names
                let inForce = IntakeStore.inForce(versions, on: .inHall(Date()))?.version
                let page = ItemVersionsPage(
                    code: latest.code, name: latest.name,
                    versions: versions.reversed().map { ItemVersionsPage.Version($0, departments: names, inForce: $0.version == inForce) })
                return web.renderer.render("centre-item", title: "事项版本", page: page, viewer: viewer)
            }
        }
        return routes
    }
}

struct DirectoryPage {
    struct Department {
        var id: String
        var name: String
        var centre: Bool
        var active: Bool
        var chief: String?
        var substitute: String?
        var head: String?

        init(_ department: DepartmentChanged) {
            id = department.departmentId
            name = department.name
            centre = department.centre
            active = department.active
            chief = department.chiefRepresentative.map { "\($0.name)（\($0.staffId)）" }
            substitute = department.substitute.map { "\($0.name)（\($0.staffId)），备案文号 \($0.noticeReference)" }
            head = department.head.map { "\($0.title) \($0.name)" }
        }
    }
    struct Window {
        var id: String
        var name: String
        var kind: String
        var departments: String
        var items: Int

        init(_ window: WindowRecord, names: [String: String]) {
            id = window.id
            name = window.name
            kind = ["comprehensive": "综合窗口", "department": "部门窗口", "discipline": "纪检监察投诉窗口"][window.kind] ?? window.kind
            departments = window.departmentIds.map { names[$0] ?? $0 }.joined(separator: "、")
            items = window.items.count
        }
    }
    struct Person {
        var id: String
        var name: String
        var department: String
        var window: String?
        var since: String?
        var qualified: Bool
        var active: Bool
        var rotations: Int
        var lastRotation: String?

        init(_ staff: StaffRecord, departments: [String: String], windows: [String: String]) {
            id = staff.id
            name = staff.name
            department = departments[staff.departmentId] ?? staff.departmentId
            window = staff.windowId.map { windows[$0] ?? $0 }
            since = staff.windowSince?.description
            qualified = staff.qualified
            active = staff.active
            rotations = staff.rotations.count
            lastRotation = staff.rotations.last.map {
                "\(Words.time($0.recordedAt)) \($0.fromWindow ?? "—") → \($0.toWindow ?? "—")，备案 \($0.filingReference)"
            }
        }
    }
    var departments: [Department]
    var windows: [Window]
    var staff: [Person]
}

struct CataloguePage {
    struct Row {
        var code: String
        var name: String
        var kind: String
        var lead: String
        var limits: String
        var fee: String
        var version: Int
        var effectiveFrom: String

        init(_ item: ItemVersion, departments: [String: String]) {
            code = item.code
            name = item.name
            kind = Words.itemKind(item.kind.rawValue)
            lead = ([item.leadDepartmentId] + item.participantDepartmentIds).map { departments[$0] ?? $0 }.joined(separator: "、")
            limits = item.limitWords
            fee = item.feeWords
            version = item.version
            effectiveFrom = item.effectiveFrom.description
        }
    }
    var query: String
    var items: [Row]
}

struct ItemVersionsPage {
    struct Version {
        var version: Int
        var effectiveFrom: String
        var inForce: Bool
        var withdrawn: Bool
        var departments: String
        var limits: String
        var fee: String
        var feeBasis: String?
        var materials: Int
        var notCounted: String
        var approvalReference: String

        init(_ item: ItemVersion, departments names: [String: String], inForce: Bool) {
            version = item.version
            effectiveFrom = item.effectiveFrom.description
            self.inForce = inForce
            withdrawn = item.withdrawn == true
            departments = item.departmentIds.map { names[$0] ?? $0 }.joined(separator: "、")
            limits = item.limitWords
            fee = item.feeWords
            feeBasis = item.fee.basis
            materials = item.materials.count
            notCounted = item.notCounted.map { Words.notCounted($0.rawValue) }.joined(separator: "、")
            approvalReference = item.approvalReference
        }
    }
    var code: String
    var name: String
    var versions: [Version]
}

extension ItemVersion {
    /// The item's limits as the centre reads them.
    var limitWords: String { kind == .immediate ? "当场办结" : "承诺 \(promisedLimitDays) / 法定 \(legalLimitDays) 个工作日" }
    /// The fee, or that there is none.
    var feeWords: String { fee.amountCents.map(Words.yuan) ?? "不收费" }
}

extension [DepartmentChanged] {
    /// Each department's name by its id.
    var names: [String: String] { Dictionary(map { ($0.departmentId, $0.name) }) { first, _ in first } }
}
