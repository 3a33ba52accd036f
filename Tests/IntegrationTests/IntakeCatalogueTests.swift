import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import Testing

@testable import intake

/// The guide in full (Art 10, 14, 33, 34) and items withdrawn from a date (Art 7).
extension IntakeAPITests {
    static func guideItem(guide: String) -> String {
        """
        {"code":"GDE-001","name":"食品经营许可","kind":"committed","leadDepartmentId":"d-market","legalLimitDays":20,"promisedLimitDays":10,
         "fee":{"amountCents":2000,"basis":"县发改委〔2024〕3号"},"notCounted":["inspection"],
         "materials":[{"id":"application-form","name":"许可申请书","form":"original","copies":1,"requirement":"required","toleratedGap":false}],
         "delegatedToCentre":true,"toleratedGapAllowed":false,"effectiveFrom":"2026-01-01","approvalReference":"县审改办〔2025〕9号",
         "guide":\(guide)}
        """
    }

    @Test("the guide tells the legal basis, conditions, procedure, how and where to pay and how long each uncounted step takes, each checked naming the field; an item withdrawn from a date is announced as withdrawn and refused from then on with the date, its guide and form gone, its accepted cases kept")
    func guideInFullAndWithdrawal() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let basis = #"[{"law":"《中华人民共和国食品安全法》","articles":"第三十五条"}]"#
            let procedure = #"["申请","受理","现场核查","决定","送达"]"#
            let payment = #"{"how":"现金、银行卡或扫码","where":"政务大厅一楼中国银行收费窗口"}"#
            let durations = #"[{"category":"inspection","expected":"一般不超过10个工作日"}]"#
            for (guide, field) in [
                (#"{"legalBasis":[],"conditions":[],"procedure":\#(procedure),"payment":\#(payment),"notCountedDurations":\#(durations)}"#, "guide.legalBasis"),
                (#"{"legalBasis":\#(basis),"conditions":[],"procedure":\#(procedure),"notCountedDurations":\#(durations)}"#, "guide.payment"),
                (#"{"legalBasis":\#(basis),"conditions":[],"procedure":[],"payment":\#(payment),"notCountedDurations":\#(durations)}"#, "guide.procedure"),
                (#"{"legalBasis":\#(basis),"conditions":[],"procedure":\#(procedure),"payment":\#(payment)}"#, "guide.notCountedDurations"),
                (#"{"legalBasis":\#(basis),"conditions":[" "],"procedure":\#(procedure),"payment":\#(payment),"notCountedDurations":\#(durations)}"#, "guide.conditions[0]"),
                (#"{"legalBasis":\#(basis),"conditions":[],"procedure":\#(procedure),"payment":\#(payment),"notCountedDurations":[{"category":"inspection","expected":"5日"},{"category":"testing","expected":"3日"}]}"#,
                 "guide.notCountedDurations[1].category"),
            ] {
                let (status, problem) = try await post(client, "/v1/items", token: tokens.admin, Self.guideItem(guide: guide))
                #expect(status == .badRequest && problem["field"] == .string(field), "\(field): \(problem)")
            }
            let full = #"{"legalBasis":\#(basis),"conditions":["已取得营业执照"],"procedure":\#(procedure),"payment":\#(payment),"notCountedDurations":\#(durations)}"#
            #expect(try await post(client, "/v1/items", token: tokens.admin, Self.guideItem(guide: full)).0 == .created)
            let (_, guide) = try await get(client, "/v1/items/GDE-001")
            #expect(guide["guide"]?["legalBasis"]?[0]?["law"] == "《中华人民共和国食品安全法》")
            #expect(guide["guide"]?["payment"]?["where"] == "政务大厅一楼中国银行收费窗口" && guide["guide"]?["procedure"]?[2] == "现场核查")
            #expect(guide["guide"]?["notCountedDurations"]?[0]?["expected"] == "一般不超过10个工作日")
            let form = #"{"materialId":"application-form","form":"original","copies":1,"legalForm":true}"#
            let (_, before) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "gde-1", materials: form, itemCode: "GDE-001"))
            #expect(before["outcome"] == "accepted")

            // Withdrawn from today, on an approval.
            let today = LocalDate.inHall(Date())
            let withdrawal = #"{"effectiveFrom":"\#(today)","approvalReference":"县审改办〔2026〕12号"}"#
            #expect(try await post(client, "/v1/items/GDE-001/withdrawal", token: tokens.clerk, withdrawal).0 == .forbidden)
            #expect(try await post(client, "/v1/items/NOPE-001/withdrawal", token: tokens.admin, withdrawal).0 == .notFound)
            #expect(try await post(client, "/v1/items/GDE-001/withdrawal", token: tokens.admin,
                #"{"effectiveFrom":"\#(today)","approvalReference":" "}"#).1["field"] == "approvalReference")
            let (created, withdrawn) = try await post(client, "/v1/items/GDE-001/withdrawal", token: tokens.admin, withdrawal)
            #expect(created == .created && withdrawn["withdrawn"] == .bool(true) && withdrawn["version"] == .int(2), "\(withdrawn)")
            // The other services learn of it: the published version says it withdraws the item, the first one does not.
            let announced = try await database.outboxEnvelopes(CatalogueItemPublished.eventType, key: "GDE-001").map { try $0.payload(as: CatalogueItemPublished.self) }
            #expect(announced.map(\.version) == [1, 2] && announced.map(\.withdrawn) == [nil, true] && announced.last?.effectiveFrom.description == today.description)
            #expect(try await post(client, "/v1/items/GDE-001/withdrawal", token: tokens.admin,
                #"{"effectiveFrom":"\#(today.adding(days: 1))","approvalReference":"县审改办〔2026〕13号"}"#).0 == .conflict)

            let (gone, problem) = try await get(client, "/v1/items/GDE-001")
            #expect(gone == .notFound && problem["detail"]?.stringValue?.contains("withdrawn from the catalogue from \(today)") == true, "\(problem)")
            #expect(try await get(client, "/v1/items/GDE-001?on=\(today.adding(days: -1))").1["version"] == .int(1), "the guide as it was the day before")
            #expect(try await get(client, "/v1/items/GDE-001/form").0 == .notFound)
            #expect(try await get(client, "/v1/items?q=GDE").1["items"]?.arrayValue?.isEmpty == true)
            let (_, after) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "gde-2", materials: form, itemCode: "GDE-001"))
            #expect(after["outcome"] == "refused" && after["refusal"]?["reasonCode"] == "not-in-force")
            #expect(after["refusal"]?["reason"]?.stringValue?.contains("withdrawn") == true, "\(after)")
            let receipt = try #require(before["receiptCode"]?.stringValue)
            #expect(try await get(client, "/v1/cases/\(receipt)?idNumber=\(residentId("11010519491231002"))").1["status"] == "accepted", "accepted cases are kept")
        }
    }
}
