import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import Hummingbird
import Crypto

/// The intake's pages.
///
/// - Public (no sign-in): the guide look-up `/` and `/guides/{code}` (with the form to download),
///   a case's status with its timeline `/track` (receipt code + identity number, posted so the
///   number never sits in an address or a log), and its notices for printing.
/// - Front desk (clerk): `/desk` (search an item, the reminders of the clerk's windows),
///   `/desk/items/{code}` (the guide's materials to tick, then submit: the answer is given at once)
///   and `/desk/cases/{receiptCode}` (the outcome as a printable notice: acceptance notice with the
///   due date, the seal's imprint and a QR code of the public verification; one-time correction
///   notice; refusal notice with the competent authority).
///
/// Every page goes through the same store calls and checks as the JSON API.
struct IntakePages {
    let web: WebPages
    let store: IntakeStore
    let appointments: AppointmentRules
    /// Public guide pages as rendered, a few seconds each.
    let guides = PageCache<String>(ttl: .seconds(5))
    /// The directory's department names, a few seconds.
    let names = PageCache<[String: String]>(ttl: .seconds(5), capacity: 1)
    /// Case-status pages as rendered, by receipt code and identity number, for
    /// `HALL_WEB_STATUS_CACHE` (an applicant reloading, a family looking at once).
    let statusPages: PageCache<String>?
    /// Appointments booked per client address, `appointments.perAddressPerHour` an hour.
    let bookings: FailureLimiter

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/") { request, _ in
            try await web.publicPage {
                let query = request.uri.queryParameters.get("q").flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
                let page = ItemSearchPage(query: query, items: try await itemRows(matching: query), forClerk: false)
                return web.renderer.render("items", title: "办事指南", page: page, caching: .publicFor(seconds: 30))
            }
        }
        routes.get("/guides/:code") { _, context in
            try await web.publicPage {
                let code = try context.parameters.require("code")
                guard code.utf8.count <= 32 else { throw HallError(.notFound, "目录中没有事项 \(code.prefix(32))…", field: "code") }
                // The same for everyone: rendered once, kept for five seconds (as the JSON guide's max-age).
                let html = try await guides.value(code) {
                    web.renderer.html("guide", title: "办事指南", page: try await guidePage(code: code, forClerk: false))
                }
                return web.renderer.response(html, caching: .publicFor(seconds: 30))
            }
        }
        routes.get("/track") { _, _ in
            web.renderer.render("track", title: "办件查询", page: TrackPage())
        }
        routes.post("/track") { request, _ in
            try await web.publicPage {
                let form = try await WebForm(request)
                let code = form.first("receiptCode") ?? "", idNumber = form.first("idNumber") ?? ""
                guard !code.isEmpty, !idNumber.isEmpty else {
                    return web.renderer.render(
                        "track", title: "办件查询", page: TrackPage(receiptCode: code, problem: "请填写受理编号和身份证件号码"), status: .badRequest)
                }
                let render = {
                    guard let (status, texts) = try await store.caseView(receiptCode: code, idNumber: idNumber, texts: true) else { throw CaseNotFound() }
                    let documents = try await publicDocuments(status, texts: texts)
                    return web.renderer.html(
                        "track", title: "办件查询",
                        page: TrackPage(receiptCode: code, found: CaseView(status, departments: try await departmentNames(), documents: documents)))
                }
                do {
                    // An applicant reloading, a family looking at once: one rendering for them all (HALL_WEB_STATUS_CACHE).
                    guard let statusPages else { return web.renderer.response(try await render()) }
                    return web.renderer.response(try await statusPages.value(code + "\u{0}" + idNumber.uppercased(), make: render))
                } catch is CaseNotFound {
                    return web.renderer.render(
                        "track", title: "办件查询",
                        page: TrackPage(receiptCode: code, problem: "没有找到这个受理编号和证件号码对应的办件，请核对后再查"), status: .notFound)
                }
            }
        }

        routes.get("/desk") { request, context in
            try await web.staff(request, context, roles: [.clerk]) { context, viewer, _ in
                let clerk = try Clerk(context)
                let query = request.uri.queryParameters.get("q").flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
                let reminders = try await store.reminders(clerk: clerk, today: .inHall(Date()), limit: 100)
                var booked: [Appointment] = []
                if let window = clerk.windowId { booked = try await store.appointments(windowId: window, day: .inHall(Date())) }
                let names = Dictionary(try await store.itemsInForce(matching: nil, on: .inHall(Date())).map { ($0.code, $0.name) }) { a, _ in a }
                let page = DeskPage(
                    search: ItemSearchPage(query: query, items: try await itemRows(matching: query), forClerk: true),
                    appointments: booked.map { DeskPage.Visit(slot: $0.slot, name: $0.name, code: $0.code, contact: $0.contact) },
                    online: try await store.onlineQueue().map {
                        DeskPage.Online(
                            id: $0.id.uuidString.lowercased(), reference: $0.reference, item: names[$0.itemCode] ?? $0.itemCode, applicant: $0.applicant.name,
                            at: Words.time($0.createdAt), missing: $0.missing.count, takenBy: $0.takenBy)
                    },
                    uncollected: reminders.uncollected.map {
                        DeskPage.Waiting(receiptCode: $0.receiptCode, itemCode: $0.itemCode, collectBy: $0.collectBy.description, contact: $0.contact)
                    },
                    overdue: reminders.overduePromises.map {
                        DeskPage.Overdue(receiptCode: $0.receiptCode, materialId: $0.materialId, dueBy: $0.dueBy.description, days: $0.daysOverdue)
                    })
                return web.renderer.render("desk", title: "前台受理", page: page, viewer: viewer)
            }
        }
        routes.get("/desk/items/:code") { request, context in
            try await web.staff(request, context, roles: [.clerk]) { context, viewer, _ in
                let guide = try await guidePage(code: try context.parameters.require("code"), forClerk: true)
                return web.renderer.render(
                    "apply", title: "受理申请", page: ApplyPage(guide: guide, action: "/desk/items/\(guide.code)", idempotencyKey: UUID().uuidString), viewer: viewer)
            }
        }
        routes.post("/desk/items/:code") { request, context in
            try await web.staff(request, context, roles: [.clerk]) { context, viewer, form in
                let code = try context.parameters.require("code")
                let item = try await itemInForce(code)
                let submission = try Self.submission(form ?? WebForm(""), item: item)
                let answer = try await store.submit(submission, clerk: try Clerk(context), now: Date())
                return PageRenderer.seeOther("/desk/cases/\(answer.receiptCode)")
            }
        }
        routes.get("/apply/:code") { _, context in
            try await web.publicPage {
                let guide = try await guidePage(code: try context.parameters.require("code"), forClerk: false)
                return web.renderer.render("online-apply", title: "网上申请", page: OnlineApplyPage(guide: guide))
            }
        }
        routes.post("/apply/:code") { request, context in
            try await web.publicPage {
                let code = try context.parameters.require("code")
                let form = try await WebForm(request)
                do {
                    guard let kind = ApplicantKind(rawValue: form.first("applicantKind") ?? "") else {
                        throw HallError.invalid("applicant.kind", "请选择申请人类型（个人或单位）")
                    }
                    let applicant = Applicant(kind: kind, name: form.first("name") ?? "", idNumber: form.first("idNumber") ?? "", contact: form.first("contact") ?? "")
                    let item = try await itemInForce(code)
                    let listed = item.materials.map(\.id).filter { form.ticked("m.\($0).listed") }
                    let application = try await store.applyOnline(itemCode: code, applicant: applicant, listed: listed, now: Date())
                    return web.renderer.render(
                        "online-filed", title: "网上申请已提交",
                        page: OnlineStatusPage(application, itemName: item.name))
                } catch let error as HallError where error.code.status == .badRequest {
                    var page = OnlineApplyPage(guide: try await guidePage(code: code, forClerk: false))
                    page.problem = error.pageText
                    return web.renderer.render("online-apply", title: "网上申请", page: page, status: .badRequest)
                }
            }
        }
        routes.get("/apply-status") { _, _ in web.renderer.render("online-status", title: "网上申请查询", page: OnlineLookupPage()) }
        routes.post("/apply-status") { request, _ in
            try await web.publicPage {
                let form = try await WebForm(request)
                guard let reference = form.first("reference"), let idNumber = form.first("idNumber"),
                    let application = try await store.onlineStatus(reference: reference, idNumber: idNumber)
                else {
                    return web.renderer.render(
                        "online-status", title: "网上申请查询", page: OnlineLookupPage(problem: "没有找到这个申请编号和证件号码对应的网上申请"), status: .notFound)
                }
                let name = try? await itemInForce(application.itemCode).name
                return web.renderer.render(
                    "online-status", title: "网上申请查询", page: OnlineLookupPage(found: OnlineStatusPage(application, itemName: name ?? application.itemCode)))
            }
        }
        routes.get("/desk/online/:id") { request, context in
            try await web.staff(request, context, roles: [.clerk]) { context, viewer, _ in
                let application = try await onlineApplication(context)
                var guide = try await guidePage(code: application.itemCode, forClerk: true)
                for index in guide.materials.indices { guide.materials[index].listed = application.listed.contains(guide.materials[index].id) }
                let page = ApplyPage(
                    guide: guide, action: "/desk/online/\(application.id.uuidString.lowercased())", idempotencyKey: "", online: application.reference,
                    name: application.applicant.name, idNumber: application.applicant.idNumber, contact: application.applicant.contact,
                    organisation: application.applicant.kind == .organisation)
                return web.renderer.render("apply", title: "受理网上申请", page: page, viewer: viewer)
            }
        }
        routes.post("/desk/online/:id") { request, context in
            try await web.staff(request, context, roles: [.clerk]) { context, _, form in
                let application = try await onlineApplication(context)
                let submission = try Self.submission(form ?? WebForm(""), item: try await itemInForce(application.itemCode))
                let answer = try await store.answerOnline(id: application.id, submission, clerk: try Clerk(context), now: Date())
                return PageRenderer.seeOther("/desk/cases/\(answer.receiptCode)")
            }
        }
        // The clerk's steps on a case, each through the same store call as the JSON API, then back to the case.
        routes.post("/desk/cases/:receiptCode/:action") { request, context in
            try await web.staff(request, context, roles: [.clerk]) { context, _, form in
                let code = try context.parameters.require("receiptCode")
                let clerk = try Clerk(context)
                let form = form ?? WebForm("")
                switch try context.parameters.require("action") {
                case "resubmission":
                    let item = try await itemInForce(try await store.clerkCaseStatus(receiptCode: code, clerk: clerk).itemCode)
                    let presented = try Self.submission(form, item: item, applicantFromForm: false)
                    _ = try await store.resubmit(
                        receiptCode: code, Resubmission(materials: presented.materials, promised: presented.promised), clerk: clerk, now: Date())
                case "decision":
                    guard let decision = ImmediateDecision.Decision(rawValue: form.first("decision") ?? "") else {
                        throw HallError.invalid("decision", "请选择准予或不予")
                    }
                    _ = try await store.decideImmediate(
                        receiptCode: code, ImmediateDecision(decision: decision, reasons: form.first("reasons")), clerk: clerk, now: Date())
                case "fee":
                    guard let yuan = Decimal(string: form.first("amount") ?? ""), yuan > 0 else { throw HallError.invalid("amountCents", "请填写实收金额（元）") }
                    let cents = NSDecimalNumber(decimal: yuan * 100).int64Value
                    try await store.recordFee(
                        receiptCode: code, try FeeRecord(amountCents: cents, paymentReference: form.first("paymentReference") ?? "").validated(), clerk: clerk)
                case "handover":
                    _ = try await store.handOver(
                        receiptCode: code, HandOver(collectedBy: form.first("collectedBy").flatMap(Party.init(rawValue:))), clerk: clerk)
                default:
                    throw HallError(.notFound, "没有这项操作", field: "action")
                }
                return PageRenderer.seeOther("/desk/cases/\(code)")
            }
        }
        routes.get("/appointments") { request, _ in
            try await web.publicPage {
                let window = request.uri.queryParameters.get("windowId").map { String($0) }
                return web.renderer.render("appointments", title: "预约办事", page: try await appointmentPage(windowId: window))
            }
        }
        routes.post("/appointments") { request, context in
            try await web.publicPage {
                let form = try await WebForm(request)
                let window = form.first("windowId") ?? ""
                do {
                    try bookings.check(context.clientAddress)
                    let choice = (form.first("slot") ?? "").split(separator: " ").map(String.init)
                    guard choice.count == 2, let day = LocalDate(iso: choice[0]) else { throw HallError.invalid("slot", "请选择预约的日期和时段") }
                    let booked = try await store.book(
                        windowId: window, day: day, slot: choice[1], itemCode: nil, name: form.first("name") ?? "", idNumber: form.first("idNumber") ?? "",
                        contact: form.first("contact") ?? "", rules: appointments, now: Date())
                    bookings.fail(context.clientAddress)   // counted once booked
                    let windows = try await store.windowList(on: day)
                    return web.renderer.render(
                        "appointment-done", title: "预约成功",
                        page: AppointmentDone(
                            code: booked.code, window: windows.first { $0.id == window }?.name ?? window, day: Self.dayWords(day), slot: booked.slot,
                            cancelled: false))
                } catch let error as HallError where [.badRequest, .conflict, .tooManyRequests].contains(error.code.status) {
                    var page = try await appointmentPage(windowId: window)
                    page.problem = error.pageText
                    return web.renderer.render("appointments", title: "预约办事", page: page, status: error.code.status)
                }
            }
        }
        routes.get("/appointments/cancel") { _, _ in
            web.renderer.render("appointment-cancel", title: "取消预约", page: TrackPage())
        }
        routes.post("/appointments/cancel") { request, _ in
            try await web.publicPage {
                let form = try await WebForm(request)
                guard let code = form.first("code"), let idNumber = form.first("idNumber"),
                    let cancelled = try await store.cancelAppointment(code: code, idNumber: idNumber, now: Date())
                else {
                    return web.renderer.render(
                        "appointment-cancel", title: "取消预约", page: TrackPage(problem: "没有找到这个预约号和证件号码对应的有效预约"), status: .notFound)
                }
                let windows = try await store.windowList(on: cancelled.day)
                return web.renderer.render(
                    "appointment-done", title: "预约已取消",
                    page: AppointmentDone(
                        code: cancelled.code, window: windows.first { $0.id == cancelled.windowId }?.name ?? cancelled.windowId,
                        day: Self.dayWords(cancelled.day), slot: cancelled.slot, cancelled: true))
            }
        }
        routes.get("/desk/cases/:receiptCode") { request, context in
            try await web.staff(request, context, roles: [.clerk]) { context, viewer, _ in
                let code = try context.parameters.require("receiptCode")
                let (status, texts) = try await store.clerkCaseDocuments(receiptCode: code, clerk: try Clerk(context))
                let names = try await departmentNames()
                let documents = texts.map { text in
                    DocumentView(
                        kind: text.kind, text: text.text, sha256: text.sha256,
                        status: status.documents?.first { $0.kind == text.kind && $0.departmentId == text.departmentId },
                        departmentName: names[text.departmentId] ?? text.departmentId, sealURL: web.settings.sealURL)
                }
                let all = documents + Self.decisionsWithoutText(status, shown: documents, names: names, sealURL: web.settings.sealURL)
                var page = CaseView(status, departments: names, documents: all)
                page.actions = try await deskActions(status)
                return web.renderer.render("case", title: "办件 \(code)", page: page, viewer: viewer)
            }
        }
        return routes
    }

    // MARK: - Building the views

    /// What the clerk may do next on the case: resubmit after a correction notice, decide an
    /// immediate item, record the fee with its bank receipt, hand the result over.
    func deskActions(_ status: CaseStatus) async throws -> DeskActions {
        let item = try? await itemInForce(status.itemCode)
        var actions = DeskActions()
        if status.status == "awaiting-correction", let item {
            actions.resubmit = GuidePage(item, departments: try await departmentNames(), forClerk: true)
        }
        actions.decide = item?.kind == .immediate && status.status == "accepted"
        if let fee = status.fee, !fee.paid, !["refused", "awaiting-correction", "held"].contains(status.status) {
            actions.fee = DeskActions.Fee(amount: Words.yuan(fee.amountCents), yuan: String(format: "%.2f", Double(fee.amountCents) / 100), basis: fee.basis)
        }
        actions.handOver = status.status == "ready"
        actions.agent = status.agent != nil
        return actions
    }

    func onlineApplication(_ context: HallRequestContext) async throws -> OnlineApplication {
        guard let id = UUID(uuidString: try context.parameters.require("id")), let application = try await store.onlineApplication(id: id) else {
            throw HallError(.notFound, "没有这份网上申请", field: "id")
        }
        return application
    }

    /// The booking page: the windows that receive applicants and, for the one chosen, each bookable day's slots with the places left.
    func appointmentPage(windowId: String?) async throws -> AppointmentPage {
        let today = LocalDate.inHall(Date())
        let windows = try await store.windowList(on: today).filter { $0.kind != "discipline" }
        var page = AppointmentPage(
            windows: windows.map { AppointmentPage.Window(id: $0.id, name: $0.name, selected: $0.id == windowId) }, chosen: nil, days: [])
        guard let windowId, let window = windows.first(where: { $0.id == windowId }) else { return page }
        page.chosen = window.name
        page.windowId = window.id
        let slots = try await store.availability(windowId: window.id, rules: appointments, today: today)
        page.days = Dictionary(grouping: slots, by: \.day).sorted { $0.key < $1.key }.map { day, slots in
            AppointmentPage.Day(
                label: Self.dayWords(day),
                slots: slots.map { .init(value: "\(day) \($0.slot)", slot: $0.slot, left: max(0, $0.left), full: $0.left <= 0) })
        }
        return page
    }

    /// `12月8日 星期二`.
    static func dayWords(_ day: LocalDate) -> String {
        let weekdays = ["星期四", "星期五", "星期六", "星期日", "星期一", "星期二", "星期三"]   // day 0 of the count is 1970-01-01, a Thursday
        return "\(day.year)年\(day.month)月\(day.day)日 \(weekdays[((day.dayNumber % 7) + 7) % 7])"
    }

    func itemRows(matching query: String?) async throws -> [ItemRow] {
        let names = try await departmentNames()
        return try await store.itemsInForce(matching: query, on: .inHall(Date())).map { ItemRow($0, departments: names) }
    }

    func departmentNames() async throws -> [String: String] {
        try await names.value("all") { try await store.departmentList().names }
    }

    func itemInForce(_ code: String) async throws -> ItemVersion {
        let versions = try await store.recentItemVersions(of: code)
        guard let item = IntakeStore.inForce(versions, on: .inHall(Date())) else {
            if let withdrawn = IntakeStore.withdrawal(versions, on: .inHall(Date())) {
                throw HallError(.notFound, "事项 \(code) 自 \(withdrawn) 起已从目录中撤销", field: "code")
            }
            throw HallError(.notFound, "目录中没有现行有效的事项 \(code)", field: "code")
        }
        return item
    }

    func guidePage(code: String, forClerk: Bool) async throws -> GuidePage {
        GuidePage(try await itemInForce(code), departments: try await departmentNames(), forClerk: forClerk)
    }

    /// The notices and decisions the applicant may print, with the seal's state of each.
    func publicDocuments(_ status: CaseStatus, texts: [(kind: String, departmentId: String, text: String)]) async throws -> [DocumentView] {
        let names = try await departmentNames()
        let documents = texts.map { document in
            let hash = SHA256.hash(data: Data(document.text.utf8)).hexDigits
            return DocumentView(
                kind: document.kind, text: document.text, sha256: hash,
                status: status.documents?.first { $0.kind == document.kind && $0.departmentId == document.departmentId },
                departmentName: names[document.departmentId] ?? document.departmentId, sealURL: web.settings.sealURL)
        }
        return documents + Self.decisionsWithoutText(status, shown: documents, names: names, sealURL: web.settings.sealURL)
    }

    /// The departments' decisions the coordinator wrote (the front desk keeps no text of them):
    /// each with its number, seal and the verification of its imprint.
    static func decisionsWithoutText(_ status: CaseStatus, shown: [DocumentView], names: [String: String], sealURL: String) -> [DocumentView] {
        (status.documents ?? []).filter { document in
            document.sealed && !shown.contains { $0.kind == document.kind && $0.departmentName == (names[document.departmentId] ?? document.departmentId) }
        }.map { document in
            DocumentView(
                kind: document.kind, text: "", sha256: nil, status: document, departmentName: names[document.departmentId] ?? document.departmentId,
                sealURL: sealURL)
        }
    }

    /// The submission of the desk's form: each material the clerk ticked as brought, in the form,
    /// copies and legal form recorded; a secondary material not brought but promised by a date
    /// (tolerated gap); the conditions that apply to this applicant.
    static func submission(_ form: WebForm, item: ItemVersion, applicantFromForm: Bool = true) throws -> ApplicationSubmission {
        var materials: [PresentedMaterial] = [], promised: [PromisedMaterial] = [], conditions: [String] = []
        for material in item.materials {
            let prefix = "m.\(material.id)."
            if material.requirement == .conditional, form.ticked("c.\(material.id)") { conditions.append(material.id) }
            if form.ticked(prefix + "brought") {
                guard let form_ = MaterialForm(rawValue: form.first(prefix + "form") ?? material.form.rawValue) else {
                    throw HallError.invalid("materials[\(material.id)].form", "须为 original、copy 或 original-and-copy")
                }
                guard let copies = Int(form.first(prefix + "copies") ?? "\(material.copies)"), (1...99).contains(copies) else {
                    throw HallError.invalid("materials[\(material.id)].copies", "份数须为 1–99 的整数")
                }
                materials.append(PresentedMaterial(materialId: material.id, form: form_, copies: copies, legalForm: form.ticked(prefix + "legal")))
            } else if let date = form.first(prefix + "promise") {
                guard let due = LocalDate(iso: date) else { throw HallError.invalid("promised[\(material.id)].dueBy", "须为 YYYY-MM-DD 格式的日期") }
                promised.append(PromisedMaterial(materialId: material.id, dueBy: due))
            }
        }
        guard !applicantFromForm || ApplicantKind(rawValue: form.first("applicantKind") ?? "") != nil else {
            throw HallError.invalid("applicant.kind", "请选择申请人类型（个人或单位）")
        }
        let kind = ApplicantKind(rawValue: form.first("applicantKind") ?? "") ?? .person
        let built = ApplicationSubmission(
            itemCode: item.code, departmentId: nil,
            applicant: Applicant(kind: kind, name: form.first("name") ?? "", idNumber: form.first("idNumber") ?? "", contact: form.first("contact") ?? ""),
            materials: materials, conditionsMet: conditions.isEmpty ? nil : conditions, promised: promised.isEmpty ? nil : promised,
            channel: .window, greenChannel: nil, greenChannelApproval: nil, idempotencyKey: form.first("idempotencyKey") ?? UUID().uuidString,
            competentAuthority: nil)
        // A resubmission keeps the case's applicant: only the materials are read from the form.
        return applicantFromForm ? try built.validated() : built
    }
}

// MARK: - Views

struct ItemRow {
    var code: String
    var name: String
    var kind: String
    var department: String
    var promisedDays: Int
    var legalDays: Int
    var fee: String

    init(_ item: ItemVersion, departments: [String: String]) {
        code = item.code
        name = item.name
        kind = Words.itemKind(item.kind.rawValue)
        department = departments[item.leadDepartmentId] ?? item.leadDepartmentId
        promisedDays = item.promisedLimitDays
        legalDays = item.legalLimitDays
        fee = item.feeWords
    }
}

/// (Mustache reads stored properties only: every flag the template asks is stored.)
struct ItemSearchPage {
    var query: String?
    var items: [ItemRow]
    var forClerk: Bool
    var empty: Bool

    init(query: String?, items: [ItemRow], forClerk: Bool) {
        self.query = query
        self.items = items
        self.forClerk = forClerk
        empty = items.isEmpty
    }
}

struct GuidePage {
    struct Material {
        var id: String
        var name: String
        var form: String
        var formCode: String
        var copies: Int
        var conditional: Bool
        var condition: String?
        var toleratedGap: Bool
        var original: Bool
        var copy: Bool
        var both: Bool
        /// The applicant listed it in their online application.
        var listed = false
    }
    struct Basis { var law: String; var articles: String }
    struct Duration { var category: String; var expected: String }

    var code: String
    var version: Int
    var name: String
    var kind: String
    var immediate: Bool
    var department: String
    var participants: [String]
    var legalDays: Int
    var promisedDays: Int
    var fee: String?
    var feeBasis: String?
    var payment: GuideDetails.Payment?
    var materials: [Material]
    var legalBasis: [Basis]
    var conditions: [String]
    var procedure: [String]
    var durations: [Duration]
    var toleratedGapAllowed: Bool
    var effectiveFrom: String
    var forClerk: Bool

    init(_ item: ItemVersion, departments: [String: String], forClerk: Bool) {
        code = item.code
        version = item.version
        name = item.name
        kind = Words.itemKind(item.kind.rawValue)
        immediate = item.kind == .immediate
        department = departments[item.leadDepartmentId] ?? item.leadDepartmentId
        participants = item.participantDepartmentIds.map { departments[$0] ?? $0 }
        legalDays = item.legalLimitDays
        promisedDays = item.promisedLimitDays
        fee = item.fee.amountCents.map(Words.yuan)
        feeBasis = item.fee.basis
        payment = item.guide?.payment
        materials = item.materials.map {
            Material(
                id: $0.id, name: $0.name, form: Words.materialForm($0.form.rawValue), formCode: $0.form.rawValue, copies: $0.copies,
                conditional: $0.requirement == .conditional, condition: $0.condition, toleratedGap: $0.toleratedGap && item.toleratedGapAllowed,
                original: $0.form == .original, copy: $0.form == .copy, both: $0.form == .originalAndCopy)
        }
        legalBasis = (item.guide?.legalBasis ?? []).map { Basis(law: $0.law, articles: $0.articles) }
        conditions = item.guide?.conditions ?? []
        procedure = item.guide?.procedure ?? []
        durations = (item.guide?.notCountedDurations ?? []).map { Duration(category: Words.notCounted($0.category.rawValue), expected: $0.expected) }
        toleratedGapAllowed = item.toleratedGapAllowed
        effectiveFrom = item.effectiveFrom.description
        self.forClerk = forClerk
    }
}

struct ApplyPage {
    var guide: GuidePage
    /// Where the form is posted: the item's page, or the online application's.
    var action: String
    var idempotencyKey: String
    /// The online application's reference, when the clerk answers one.
    var online: String?
    var name = ""
    var idNumber = ""
    var contact = ""
    var organisation = false
}

struct OnlineApplyPage {
    var guide: GuidePage
    var problem: String?
}

struct OnlineLookupPage {
    var problem: String?
    var found: OnlineStatusPage?
}

/// What the applicant sees of their online application: the pre-check, where it stands, the receipt code once answered.
struct OnlineStatusPage {
    var reference: String
    var itemName: String
    var missing: [String]
    var waiting: Bool
    var receiptCode: String?
    var outcome: String?
    var createdAt: String

    init(_ application: OnlineApplication, itemName: String) {
        reference = application.reference
        self.itemName = itemName
        missing = application.missing
        waiting = application.status != "answered"
        receiptCode = application.receiptCode
        outcome = application.outcome.map {
            ["accepted": "已受理", "refused": "不予受理", "correction-required": "需补正材料", "held": "待同批补正"][$0] ?? $0
        }
        createdAt = Words.time(application.createdAt)
    }
}

struct DeskActions {
    struct Fee { var amount: String; var yuan: String; var basis: String }
    var resubmit: GuidePage?
    var decide = false
    var fee: Fee?
    var handOver = false
    var agent = false
}

struct AppointmentPage {
    struct Window { var id: String; var name: String; var selected: Bool }
    struct Slot { var value: String; var slot: String; var left: Int; var full: Bool }
    struct Day { var label: String; var slots: [Slot] }
    var problem: String?
    var windows: [Window]
    var chosen: String?
    var windowId: String?
    var days: [Day]
}

struct AppointmentDone {
    var code: String
    var window: String
    var day: String
    var slot: String
    var cancelled: Bool
}

struct DeskPage {
    struct Visit { var slot: String; var name: String; var code: String; var contact: String }
    struct Online { var id: String; var reference: String; var item: String; var applicant: String; var at: String; var missing: Int; var takenBy: String? }
    struct Waiting { var receiptCode: String; var itemCode: String; var collectBy: String; var contact: String }
    struct Overdue { var receiptCode: String; var materialId: String; var dueBy: String; var days: Int }
    var search: ItemSearchPage
    var appointments: [Visit]
    var online: [Online]
    var uncollected: [Waiting]
    var overdue: [Overdue]
}

/// No case has the receipt code and identity number looked up.
struct CaseNotFound: Error {}

struct TrackPage: TemplateFields {
    var receiptCode: String = ""
    var problem: String?
    var found: CaseView?

    var templateFields: KeyValuePairs<String, Any?> { ["receiptCode": receiptCode, "problem": problem, "found": found] }
}

/// A notice or decision as printed: its text, the seal's imprint (or that it is being sealed) and
/// the QR code of the seal service's public verification of exactly this text.
struct DocumentView: TemplateFields {
    var kind: String
    var title: String
    var text: String
    var number: String?
    var sealed: Bool
    var sealable: Bool
    var sealedAt: String?
    var departmentName: String
    var verifyURL: String?
    var qr: String?
    /// False for a decision whose text the deciding department holds.
    var hasText = true

    init(kind: String, text: String, sha256: String?, status: CaseStatus.DocumentStatus?, departmentName: String, sealURL: String) {
        self.kind = kind
        title = Words.document(kind)
        self.text = text
        number = status?.number
        sealed = status?.sealed ?? false
        sealable = kind != NoticeKind.correctionNotice.rawValue
        sealedAt = status?.sealedAt.map { Words.time($0) }
        self.departmentName = departmentName
        hasText = !text.isEmpty
        let target = sha256.map { "documentHash=\($0)" } ?? status?.imprintId.map { "imprintId=\($0.uuidString.lowercased())" }
        if sealable, let target {
            let url = "\(sealURL)/verify?\(target)"
            verifyURL = url
            qr = DrawnCodes.svg(of: url, title: "扫码验证\(Words.document(kind))的印章")
        }
    }

    var templateFields: KeyValuePairs<String, Any?> {
        [
            "kind": kind, "title": title, "text": text, "number": number, "sealed": sealed, "sealable": sealable, "sealedAt": sealedAt,
            "departmentName": departmentName, "verifyURL": verifyURL, "qr": qr, "hasText": hasText,
        ]
    }
}

/// A case as the applicant and the clerk read it: one vocabulary, the full timeline.
struct CaseView: TemplateFields {
    struct Step: TemplateFields {
        var at: String; var event: String; var department: String?; var detail: String?
        var templateFields: KeyValuePairs<String, Any?> { ["at": at, "event": event, "department": department, "detail": detail] }
    }
    struct Department: TemplateFields {
        var name: String; var role: String; var status: String
        var templateFields: KeyValuePairs<String, Any?> { ["name": name, "role": role, "status": status] }
    }
    var receiptCode: String
    var itemCode: String
    var status: String
    var statusCode: String
    var noticeNumber: String?
    var dueDate: String?
    var dueDateProvisional: Bool
    var awaiting: [String]
    var refusalReason: String?
    var competentAuthority: String?
    var departments: [Department]
    var timeline: [Step]
    var documents: [DocumentView]
    var pendingSeal: Bool
    var outcome: String?
    var onTime: Bool?
    /// The clerk's next steps (the front desk's page only).
    var actions: DeskActions?

    init(_ status: CaseStatus, departments names: [String: String], documents: [DocumentView]) {
        receiptCode = status.receiptCode
        itemCode = status.itemCode
        self.status = Words.status(status.status)
        statusCode = status.status
        noticeNumber = status.noticeNumber
        dueDate = status.dueDate?.description
        dueDateProvisional = status.dueDateProvisional ?? false
        awaiting = status.awaiting
        refusalReason = status.refusalReason
        competentAuthority = status.competentAuthority
        departments = (status.departments ?? []).map {
            Department(name: names[$0.departmentId] ?? $0.departmentId, role: $0.role == "lead" ? "牵头" : "协办", status: Words.status($0.status))
        }
        timeline = (status.timeline ?? []).map {
            Step(
                at: Words.time($0.at), event: Words.event($0.event), department: $0.departmentId.map { names[$0] ?? $0 },
                detail: $0.detail.map(Words.detail))
        }
        self.documents = documents
        pendingSeal = documents.contains { $0.sealable && !$0.sealed }
        outcome = status.completion.map { Words.decision($0.outcome) }
        onTime = status.completion?.onTime
    }

    var templateFields: KeyValuePairs<String, Any?> {
        [
            "receiptCode": receiptCode, "itemCode": itemCode, "status": status, "statusCode": statusCode, "noticeNumber": noticeNumber,
            "dueDate": dueDate, "dueDateProvisional": dueDateProvisional, "awaiting": awaiting, "refusalReason": refusalReason,
            "competentAuthority": competentAuthority, "departments": departments, "timeline": timeline, "documents": documents,
            "pendingSeal": pendingSeal, "outcome": outcome, "onTime": onTime, "actions": actions,
        ]
    }
}
