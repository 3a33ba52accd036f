import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import Testing

@testable import coordinator

/// A new year's official calendar published while cases run into that year (DESIGN §4).
extension CoordinatorFlowTests {
    @Test("a provisional due date is counted again when the year's calendar is published: from acceptance with the extension already applied, the tasks' sub-deadlines and timers moved, the ledger and a recalculated clock change published, once")
    func provisionalDueDateRecalculated() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            // 10:00 on Wednesday 30 December 2026 with 5 working days; 2027 unknown: weekends only, due Wed 6 Jan.
            let acceptedAt = try #require(RFC3339Timestamp.date(from: "2026-12-30T02:00:00.000Z"))
            let caseId = try await hall.accept("R-PROV-1", participants: ["d-fire"], acceptedAt: acceptedAt, days: 5)
            let buildOfficer = try await hall.token("o-build", [.departmentOfficer], department: "d-build")
            let admin = try await hall.token("admin", [.centreAdmin])
            try await hall.app().test(.router) { client in
                let (extended, view) = try await call(
                    client, .post, "/v1/cases/\(caseId)/extensions", token: buildOfficer, #"{"workingDays":2,"reason":"现场核查","approvedBy":"p-county-leader"}"#)
                #expect(extended == .created && view["dueDate"] == "2027-01-08", "\(view)")
            }

            // The 2027 schedule is published with New Year 1–3 January off: 7 working days after 30 December are
            // 31 Dec, 4, 5, 6, 7, 8 and 11 January.
            let bundled = try WorkingCalendar.bundled()
            let schedule2027 = YearSchedule(
                year: 2027, source: "test fixture", published: LocalDate(iso: "2026-11-20")!,
                holidays: [.init(name: "元旦", englishName: "New Year", from: LocalDate(iso: "2027-01-01")!, to: LocalDate(iso: "2027-01-03")!)],
                adjustedWorkingDays: [])
            let updated = try WorkingCalendar(schedules: bundled.knownYears.compactMap { bundled.schedule(for: $0) } + [schedule2027])
            let recomputing = CoordinatorStore(
                client: hall.database.client, schema: hall.database.schema, clock: CaseClock(calendar: updated), logger: LocalStack.logger())
            #expect(try await recomputing.recomputeProvisionalDueDates() == 1)
            #expect(try await recomputing.recomputeProvisionalDueDates() == 0, "once")

            let changes = try await hall.payloads(ClockChanged.self, caseId: caseId)
            let recalculated = try #require(changes.last)
            #expect(recalculated.change == .recalculated && recalculated.dueDateBefore.description == "2027-01-08")
            #expect(recalculated.dueDateAfter.description == "2027-01-11" && recalculated.workingDays == 0 && recalculated.sequence == changes.count + 1)
            try await hall.app().test(.router) { client in
                let view = try await call(client, .get, "/v1/cases/\(caseId)", token: admin).1
                #expect(view["dueDate"] == "2027-01-11")
                #expect(view["ledger"]?.arrayValue?.last?["change"] == "recalculated")
                let subDeadlines = Dictionary(uniqueKeysWithValues: (view["tasks"]?.arrayValue ?? []).compactMap { task in
                    task["departmentId"]?.stringValue.map { ($0, task["subDeadline"]?.stringValue ?? "") }
                })
                #expect(subDeadlines == ["d-build": "2027-01-11", "d-fire": "2027-01-08"], "the participant one working day before")
            }
            #expect(try await hall.database.count(
                "SELECT count(*)::bigint FROM \(hall.database.schema).cases WHERE case_id = '\(caseId)' AND NOT due_date_provisional") == 1)
            #expect(try await hall.database.count(
                "SELECT count(*)::bigint FROM \(hall.database.schema).timers WHERE case_id = '\(caseId)' AND kind = 'overdue' AND fire_at = '2027-01-12T00:00:00+08:00'") >= 1,
                "the case's overdue timer at the start of the day after the new due date")
        }
    }
}
