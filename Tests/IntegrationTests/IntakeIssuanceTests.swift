import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import Testing

@testable import intake

/// Issuance at the window (Art 16; ALL Art 44; 容缺): the fee paid at the bank window, promised
/// materials brought, results waiting too long flagged.
extension IntakeAPITests {
    @Test("a result leaves the window only once its fee is paid at the bank window and every promised material is brought; a promise past its date and a result waiting over 10 working days are reminders for the window that serves the case")
    func issuanceWaitsForFeeAndPromises() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            #expect(try await post(client, "/v1/items", token: tokens.admin, """
                {"code":"FEE-001","name":"食品经营许可","kind":"committed","leadDepartmentId":"d-market","legalLimitDays":20,"promisedLimitDays":10,
                 "fee":{"amountCents":2000,"basis":"县发改委〔2024〕3号"},"materials":[
                   {"id":"application-form","name":"许可申请书","form":"original","copies":1,"requirement":"required","toleratedGap":false},
                   {"id":"premises-proof","name":"经营场所证明","form":"copy","copies":2,"requirement":"required","toleratedGap":true}],
                 "delegatedToCentre":true,"toleratedGapAllowed":true,"effectiveFrom":"2026-01-01","approvalReference":"县审改办〔2025〕9号"}
                """).0 == .created)
            let today = LocalDate.inHall(Date())
            let form = #"{"materialId":"application-form","form":"original","copies":1,"legalForm":true}"#
            let promise = #","promised":[{"materialId":"premises-proof","dueBy":"\#(today.adding(days: 5))"}]"#
            let (_, accepted) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "fee-1", materials: form, itemCode: "FEE-001", extra: promise))
            #expect(accepted["outcome"] == "accepted", "\(accepted)")
            let receipt = try #require(accepted["receiptCode"]?.stringValue)
            let caseId = try #require(accepted["caseId"]?.stringValue)
            let track = "/v1/cases/\(receipt)?idNumber=\(idNumber)"

            var tracked = try await get(client, track).1
            #expect(tracked["promisedMaterials"]?[0]?["materialId"] == "premises-proof" && tracked["promisedMaterials"]?[0]?["overdue"] == .bool(false))
            #expect(tracked["fee"]?["amountCents"] == .int(2000) && tracked["fee"]?["paid"] == .bool(false))
            #expect(tracked["collection"] == nil, "nothing waits at the window yet")

            try await waitApplied(
                try await publishCoordinatorEvent(completed(receipt), caseId: caseId, key: caseId, namespace: database.schema), database)
            tracked = try await get(client, track).1
            #expect(tracked["status"] == "ready")
            let collectBy = try WorkingCalendar.bundled().addingWorkingDays(10, after: today).value
            #expect(tracked["collection"]?["collectBy"] == .string(collectBy.description) && tracked["collection"]?["overdue"] == .bool(false))

            // First the fee: paid at the bank window, its receipt recorded.
            var (status, problem) = try await post(client, "/v1/applications/\(receipt)/handover", token: tokens.clerk, "{}")
            #expect(status == .conflict && problem["field"] == "fee", "\(problem)")
            (status, problem) = try await post(client, "/v1/applications/\(receipt)/fee", token: tokens.otherClerk, #"{"amountCents":2000,"paymentReference":"BK-77"}"#)
            #expect(status == .forbidden && problem["field"] == "window", "a window of another department records no fee on this case")
            #expect(try await post(client, "/v1/applications/\(receipt)/fee", token: tokens.clerk, #"{"amountCents":2000,"paymentReference":"BK-77"}"#).0 == .noContent)
            tracked = try await get(client, track).1
            #expect(tracked["fee"]?["paid"] == .bool(true) && tracked["fee"]?["paymentReference"] == "BK-77")

            // Then the promise: still owed, so still held.
            (status, problem) = try await post(client, "/v1/applications/\(receipt)/handover", token: tokens.clerk, "{}")
            #expect(status == .conflict && problem["field"] == "promisedMaterials" && problem["detail"]?.stringValue?.contains("premises-proof") == true)

            // Days pass (the promise's date and the readiness moved back): both become reminders for the window
            // that serves the case and for the centre, not for another department's window.
            try await database.client.query(
                "UPDATE \(unescaped: database.schema).promised_materials SET due_by = \(today.adding(days: -3).description)::date", logger: LocalStack.logger())
            try await database.client.query(
                "UPDATE \(unescaped: database.schema).applications SET ready_at = now() - interval '30 days' WHERE receipt_code = \(receipt)",
                logger: LocalStack.logger())
            tracked = try await get(client, track).1
            #expect(tracked["promisedMaterials"]?[0]?["overdue"] == .bool(true) && tracked["collection"]?["overdue"] == .bool(true))
            for token in [tokens.clerk, tokens.admin] {
                let (listed, reminders) = try await get(client, "/v1/reminders", token: token)
                #expect(listed == .ok)
                #expect(reminders["overduePromises"]?.arrayValue?.contains { $0["receiptCode"]?.stringValue == receipt && $0["materialId"] == "premises-proof" } == true)
                #expect(reminders["overduePromises"]?[0]?["contact"] == "13800000000" && reminders["overduePromises"]?[0]?["daysOverdue"] == .int(3))
                #expect(reminders["uncollected"]?.arrayValue?.contains { $0["receiptCode"]?.stringValue == receipt } == true)
            }
            let (_, elsewhere) = try await get(client, "/v1/reminders", token: tokens.otherClerk)
            #expect(elsewhere["overduePromises"]?.arrayValue?.isEmpty == true && elsewhere["uncollected"]?.arrayValue?.isEmpty == true, "\(elsewhere)")
            #expect(try await get(client, "/v1/reminders", token: tokens.windowless).0 == .forbidden)

            // The promised material is brought: checked as at acceptance, recorded once.
            let path = "/v1/applications/\(receipt)/promised-materials/premises-proof"
            (status, problem) = try await post(client, path, token: tokens.clerk, #"{"form":"copy","copies":1,"legalForm":true}"#)
            #expect(status == .badRequest && problem["field"] == "copies", "two copies are required: \(problem)")
            #expect(try await post(client, "/v1/applications/\(receipt)/promised-materials/identity-card", token: tokens.clerk,
                #"{"form":"copy","copies":2,"legalForm":true}"#).0 == .notFound)
            let (received, record) = try await post(client, path, token: tokens.clerk, #"{"form":"copy","copies":2,"legalForm":true}"#)
            #expect(received == .ok && record["receivedBy"] == "clerk-1" && record["receivedAt"]?.stringValue != nil)
            #expect(try await post(client, path, token: tokens.clerk, #"{"form":"copy","copies":2,"legalForm":true}"#).1["receivedAt"] == record["receivedAt"])
            let (_, afterward) = try await get(client, "/v1/reminders", token: tokens.clerk)
            #expect(afterward["overduePromises"]?.arrayValue?.contains { $0["receiptCode"]?.stringValue == receipt } == false)

            let (handed, issued) = try await post(client, "/v1/applications/\(receipt)/handover", token: tokens.clerk, "{}")
            #expect(handed == .ok && issued["status"] == "issued", "\(issued)")
            #expect(issued["collection"] == nil)
            let (_, done) = try await get(client, "/v1/reminders", token: tokens.clerk)
            #expect(done["uncollected"]?.arrayValue?.contains { $0["receiptCode"]?.stringValue == receipt } == false)
            (status, problem) = try await post(client, "/v1/applications/\(receipt)/fee", token: tokens.clerk, #"{"amountCents":2000,"paymentReference":"BK-78"}"#)
            #expect(status == .conflict, "nothing is charged after the hand-over")

            // A denial of the same item costs nothing: handed out without a fee.
            let (_, second) = try await post(client, "/v1/applications", token: tokens.clerk, application(
                key: "fee-2", materials: form + #",{"materialId":"premises-proof","form":"copy","copies":2,"legalForm":true}"#, itemCode: "FEE-001"))
            let secondReceipt = try #require(second["receiptCode"]?.stringValue)
            let secondCase = try #require(second["caseId"]?.stringValue)
            try await waitApplied(
                try await publishCoordinatorEvent(
                    completed(secondReceipt, outcome: .denied), caseId: secondCase, key: secondCase, namespace: database.schema), database)
            #expect(try await post(client, "/v1/applications/\(secondReceipt)/handover", token: tokens.clerk, "{}").1["status"] == "issued")
            try await expectGroupedAsAlone(database, receipt: receipt, idNumber: idNumber)
            try await expectGroupedAsAlone(database, receipt: secondReceipt, idNumber: idNumber)
        }
    }
}
