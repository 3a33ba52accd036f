import Foundation
import HallCalendar
import HallContracts
import HallKafka
import HallKit
import HallTestSupport
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import coordinator

@Suite("Coordinator: green-channel cases go first (Art 40)", .enabled(if: stackAvailable))
struct CoordinatorGreenChannelTests {
    @Test("a green-channel case's tasks are assigned as priority with the centre's approval and listed first; a green channel granted later moves the case up")
    func greenChannelFirst() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let approval = GreenChannelApproval(
                reason: "major-investment", reference: "旗政务服务中心〔2026〕3号", approvedBy: "centre-li", approvedAt: Date())
            // Due soonest first in the ordinary order: R-N (10 working days), R-G (15), R-L (19).
            let normal = try await hall.accept("R-N", participants: [], days: 10)
            let green = try await hall.accept("R-G", participants: ["d-fire"], days: 15, greenChannel: approval)
            let later = try await hall.accept("R-L", participants: [], days: 19)

            let greenTasks = try await hall.payloads(TaskAssigned.self, caseId: green)
            #expect(greenTasks.count == 2)
            #expect(greenTasks.allSatisfy { $0.priority && $0.greenChannelApproval?.reference == "旗政务服务中心〔2026〕3号" },
                "every department of the case sees it as priority, with the approval's reference")
            let normalTasks = try await hall.payloads(TaskAssigned.self, caseId: normal)
            #expect(normalTasks.count == 1 && !normalTasks[0].priority && normalTasks[0].greenChannelApproval == nil)

            let buildOfficer = try await hall.token("o-build", [.departmentOfficer], department: "d-build")
            try await hall.app().test(.router) { client in
                func queue() async throws -> [String] {
                    let (status, tasks) = try await call(client, .get, "/v1/tasks?state=open", token: buildOfficer)
                    #expect(status == .ok)
                    return tasks.arrayValue?.compactMap { $0["receiptCode"]?.stringValue } ?? []
                }
                #expect(try await queue() == ["R-G", "R-N", "R-L"], "the green-channel case first, then by sub-deadline")
                let (_, tasks) = try await call(client, .get, "/v1/tasks?state=open", token: buildOfficer)
                #expect(tasks[0]?["priority"] == .bool(true) && tasks[1]?["priority"] == .bool(false))

                // The centre approves the green channel for R-L after acceptance: it moves up.
                let granted = ApplicationGreenChannelGranted(
                    receiptCode: "R-L", itemCode: "JOINT-001",
                    approval: GreenChannelApproval(reason: "special-matter", reference: "旗政务服务中心〔2026〕4号", approvedBy: "centre-li", approvedAt: Date()),
                    recordedBy: "admin-zhao")
                try await hall.send(granted, key: later, caseId: later)
                // A grant for a case the coordinator never routed (not accepted yet) changes nothing.
                try await hall.send(granted, key: "unrouted", caseId: UUID().uuidString.lowercased())
                try await eventually("R-L is on the green channel") {
                    try await hall.database.count(
                        "SELECT count(*)::bigint FROM \(hall.database.schema).cases WHERE case_id = '\(later)' AND priority AND green_channel->>'reference' = '旗政务服务中心〔2026〕4号'") == 1
                }
                #expect(try await queue() == ["R-G", "R-L", "R-N"])
                #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).cases WHERE priority") == 2)
            }
        }
    }
}
