import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import Testing

@testable import coordinator

/// The centre's view of the silent departments (Art 28): every department's open work.
extension CoordinatorFlowTests {
    @Test("the centre sees each department's open work: open, overdue and due tasks, the warnings and escalations standing on them, the most overdue department first, a department with nothing open listed too; departments do not see it")
    func centreOverview() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let old = try await hall.accept("R-LATE-2", participants: ["d-fire"], acceptedAt: Date(timeIntervalSinceNow: -42 * 86_400), days: 10)
            _ = try await hall.accept("R-NEW-2", participants: ["d-fire"], days: 10)
            _ = try await hall.store.fireDueTimers()
            let admin = try await hall.token("centre-1", [.centreAdmin])
            let officer = try await hall.token("o-fire", [.departmentOfficer], department: "d-fire")
            try await hall.app().test(.router) { client in
                #expect(try await call(client, .get, "/v1/overview", token: officer).0 == .forbidden)
                let (status, overview) = try await call(client, .get, "/v1/overview", token: admin)
                #expect(status == .ok && overview["asOf"] == .string(LocalDate.inHall(Date()).description))
                let departments = overview["departments"]?.arrayValue ?? []
                #expect(departments.compactMap { $0["departmentId"]?.stringValue } == ["d-fire", "d-build", "d-env"], "\(overview)")
                let fire = try #require(departments.first)
                #expect(fire["openTasks"] == .int(2) && fire["overdueTasks"] == .int(1) && fire["dueToday"] == .int(0))
                #expect(fire["warnings"] == .int(1) && fire["escalations"] == .int(1) && fire["silentEscalations"] == .int(1), "\(fire)")
                let late = try #require(fire["tasks"]?[0])
                #expect(late["caseId"] == .string(old) && late["receiptCode"] == "R-LATE-2" && late["role"] == "participant")
                #expect(late["alerts"] == ["overdue", "silent", "warning"] && (late["daysOverdue"].flatMap { if case .int(let d) = $0 { d } else { nil } } ?? 0) > 0)
                #expect(fire["tasks"]?[1]?["daysOverdue"] == nil, "the fresh case is not overdue")
                let build = departments[1]
                #expect(build["openTasks"] == .int(2) && build["overdueTasks"] == .int(1) && build["silentEscalations"] == .int(0))
                #expect(departments[2]["openTasks"] == .int(0) && departments[2]["tasks"] == [], "a department with nothing open")
                let one = try await call(client, .get, "/v1/overview?departmentId=d-build", token: admin).1
                #expect(one["departments"]?.arrayValue?.compactMap { $0["departmentId"]?.stringValue } == ["d-build"])
            }
        }
    }
}
