import Foundation
import HallCalendar
import Testing

@Suite("Adding and counting working days are inverses")
struct RoundTripTests {
    @Test("counting back the days added gives n, and the result matches the oracle",
          arguments: [1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60])
    func addThenCount(n: Int) {
        var day = date("2024-12-25")
        while day <= date("2026-12-31") {
            let due = bundledCalendar.addingWorkingDays(n, after: day)
            #expect(bundledCalendar.workingDays(from: day, to: due.value).value == n, "\(day) + \(n)")
            #expect(bundledCalendar.isWorkingDay(due.value).value, "\(day) + \(n) lands on \(due.value)")
            #expect(bundledCalendar.workingDays(from: day, to: due.value.adding(days: -1)).value == n - 1, "\(day) + \(n)")
            if day >= date("2025-01-01"), let expected = Oracle.nthWorkingDay(n, after: day.description) {
                #expect(due.value.description == expected, "\(day) + \(n)")
                #expect(!due.isProvisional)
            }
            day = day.adding(days: 1)
        }
    }

    @Test("subtracting undoes adding from a working day", arguments: [1, 2, 5, 20, 45])
    func addThenSubtract(n: Int) {
        for day in date("2025-01-02")...date("2026-10-31") where bundledCalendar.isWorkingDay(day).value {
            let later = bundledCalendar.addingWorkingDays(n, after: day).value
            #expect(bundledCalendar.subtractingWorkingDays(n, before: later).value == day, "\(day) ± \(n)")
        }
    }
}
