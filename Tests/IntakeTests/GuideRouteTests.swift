import Foundation
import HallCalendar
import HallKit
import Hummingbird
import HummingbirdTesting
import Testing

@testable import intake

@Suite("intake: guide and calendar routes over a repository in memory")
struct GuideRouteTests {
    static let item = ItemVersion(
        code: "MKT-001", version: 1, name: "食品经营许可", kind: .committed, leadDepartmentId: "d-market", participantDepartmentIds: [],
        legalLimitDays: 20, promisedLimitDays: 10, fee: .free, materials: [], formTemplate: "申请人：\n", notCounted: [],
        delegatedToCentre: false, toleratedGapAllowed: false, effectiveFrom: LocalDate(iso: "2026-01-01")!, approvalReference: "批复〔2026〕1号")

    func application() throws -> some ApplicationProtocol {
        let repository = MemoryGuideRepository(versions: [Self.item])
        let router = Router(context: HallRequestContext.self)
        router.addRoutes(GuidesController(repository: repository).routes)
        router.addRoutes(CalendarController(repository: repository, calendar: try WorkingCalendar(schedules: [])).routes)
        return Application(router: router)
    }

    @Test("the list finds an item in force by part of its name")
    func list() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/v1/items?q=%E9%A3%9F%E5%93%81", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"MKT-001\""))
            }
        }
    }

    @Test("a guide answers with an ETag, and 304 without a body to a front end that holds it")
    func guideETag() async throws {
        try await application().test(.router) { client in
            let eTag = try await client.execute(uri: "/v1/items/MKT-001", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "public, max-age=5")
                return try #require(response.headers[.eTag])
            }
            try await client.execute(uri: "/v1/items/MKT-001", method: .get, headers: [.ifNoneMatch: eTag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test("an unknown item is 404 naming the code")
    func unknownItem() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/v1/items/NOPE-9", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("NOPE-9"))
            }
        }
    }

    @Test("the form downloads as an attachment named after the item and version")
    func formDownload() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/v1/items/MKT-001/form", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentDisposition] == "attachment; filename=\"MKT-001-v1-form.txt\"")
                #expect(String(buffer: response.body) == "申请人：\n")
            }
        }
    }

    @Test("a bad date is 400 naming the field")
    func badDate() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/v1/calendar/working-days?from=yesterday&to=2026-03-01", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("from"))
            }
        }
    }
}
