import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import Testing

@testable import intake

/// Who may act at a window (Art 19, 20, 27), and the directory read back.
extension IntakeAPITests {
    @Test("only active, qualified staff posted at the token's window, or a stand-in filed with the centre for it today, take applications; a rotation within a year states its reason; staff, stand-ins and the windows with their items can be read")
    func whoMayActAtAWindow() async throws {
        try await withIntake { client, tokens, _ in
            try await seed(client, tokens)
            let authority = try await LocalStack.issuer()
            func clerk(_ subject: String, _ window: String) async throws -> String {
                try await authority.issue(HallClaims(subject: subject, roles: [.clerk], department: nil, window: window, ttl: 600))
            }
            // clerk-3 is qualified staff of the market department but posted at no window; clerk-4 has left.
            #expect(try await post(client, "/v1/staff", token: tokens.admin, #"{"id":"clerk-3","name":"赵六","departmentId":"d-market","qualified":true}"#).0 == .ok)
            #expect(try await post(client, "/v1/staff", token: tokens.admin,
                #"{"id":"clerk-4","name":"钱七","departmentId":"d-market","windowId":"w-01","qualified":true,"active":false}"#).0 == .ok)
            let today = LocalDate.inHall(Date())
            for (subject, window) in [("clerk-3", "w-01"), ("clerk-2", "w-01"), ("clerk-4", "w-01"), ("nobody", "w-01")] {
                let (status, problem) = try await post(
                    client, "/v1/applications", token: try await clerk(subject, window), application(key: "a-\(subject)", materials: allMaterials))
                #expect(status == .forbidden && problem["field"] == "window", "\(subject) at \(window): \(problem)")
            }

            // A stand-in filed for today lets clerk-3 act at w-01; its rules name the field.
            let standIn = #"{"staffId":"clerk-3","windowId":"w-01","from":"\#(today)","to":"\#(today)","reason":"李四病假","filingReference":"中心备〔2026〕31号"}"#
            #expect(try await post(client, "/v1/stand-ins", token: tokens.clerk, standIn).0 == .forbidden)
            for (body, field) in [
                (standIn.replacingOccurrences(of: "clerk-3", with: "ghost"), "staffId"),
                (standIn.replacingOccurrences(of: "\"w-01\"", with: "\"w-99\""), "windowId"),
                (standIn.replacingOccurrences(of: "中心备〔2026〕31号", with: " "), "filingReference"),
                (standIn.replacingOccurrences(of: "\"to\":\"\(today)\"", with: "\"to\":\"\(today.adding(days: -1))\""), "to"),
            ] {
                let (status, problem) = try await post(client, "/v1/stand-ins", token: tokens.admin, body)
                #expect(status == .badRequest && problem["field"] == .string(field), "\(field): \(problem)")
            }
            let (filed, record) = try await post(client, "/v1/stand-ins", token: tokens.admin, standIn)
            #expect(filed == .created && record["filedBy"] == "admin-1")
            let (accepted, answer) = try await post(
                client, "/v1/applications", token: try await clerk("clerk-3", "w-01"), application(key: "a-stand-in", materials: allMaterials))
            #expect(accepted == .created && answer["outcome"] == "accepted", "\(answer)")
            let listed = try await get(client, "/v1/stand-ins?windowId=w-01&on=\(today)", token: tokens.admin).1["standIns"]?.arrayValue ?? []
            #expect(listed.count == 1 && listed.first?["reason"] == "李四病假")
            #expect(try await get(client, "/v1/stand-ins?windowId=w-01&on=\(today.adding(days: 1))", token: tokens.admin).1["standIns"] == [])

            // A rotation within a year at the window states why; after a year the filing suffices.
            let move = #"{"id":"clerk-1","name":"李四","departmentId":"d-market","windowId":"w-tax","qualified":true,"rotationFilingReference":"中心备〔2026〕32号""#
            #expect(try await post(client, "/v1/staff", token: tokens.admin, move + "}").1["field"] == "rotationReason")
            #expect(try await post(client, "/v1/staff", token: tokens.admin, move + #","rotationReason":"税务窗口人手不足"}"#).0 == .ok)
            #expect(try await post(client, "/v1/staff", token: tokens.admin,
                #"{"id":"clerk-5","name":"孙八","departmentId":"d-tax","windowId":"w-tax","qualified":true,"windowSince":"\#(today.adding(days: -400))","training":{"completedOn":"\#(today.adding(days: -410))","course":"政务服务窗口岗前培训"}}"#).0 == .ok)
            #expect(try await post(client, "/v1/staff", token: tokens.admin,
                #"{"id":"clerk-5","name":"孙八","departmentId":"d-tax","windowId":"w-01","qualified":true,"rotationFilingReference":"中心备〔2026〕33号"}"#).0 == .ok)
            let staff = try await get(client, "/v1/staff", token: tokens.admin).1["staff"]?.arrayValue ?? []
            let moved = try #require(staff.first { $0["id"] == "clerk-1" })
            #expect(moved["windowId"] == "w-tax" && moved["windowSince"] == .string(today.description))
            #expect(moved["rotations"]?[0]?["fromWindow"] == "w-01" && moved["rotations"]?[0]?["reason"] == "税务窗口人手不足")
            let trained = try #require(staff.first { $0["id"] == "clerk-5" })
            #expect(trained["training"]?["course"] == "政务服务窗口岗前培训" && trained["rotations"]?[0]?["reason"] == nil)
            #expect(try await get(client, "/v1/staff", token: tokens.clerk).0 == .forbidden)
            // The moved clerk acts at the new window, no longer at the old one.
            #expect(try await post(client, "/v1/applications", token: tokens.clerk, application(key: "a-moved", materials: allMaterials)).1["field"] == "window")

            // The public sees the windows and the items each takes (Art 11).
            let windows = try await get(client, "/v1/windows").1["windows"]?.arrayValue ?? []
            let items = Dictionary(uniqueKeysWithValues: windows.compactMap { window in
                window["id"]?.stringValue.map { ($0, (window["items"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }) }
            })
            #expect(items["w-01"] == ["MKT-001"] && items["w-tax"] == [], "\(windows)")
        }
    }
}
