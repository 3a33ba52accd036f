import Foundation
import HallCalendar
import Testing

/// One due-date case as a clerk would read it.
struct DueCase: CustomTestStringConvertible, Sendable {
    let accepted: String
    let workingDays: Int
    let due: String
    let why: String
    var testDescription: String { "accepted \(accepted) + \(workingDays) → \(due) (\(why))" }
}

@Suite("Due dates across holidays and adjusted weekends")
struct DueDateTests {
    static let cases: [DueCase] = [
        // Spring Festival 2026: 14 Feb (Sat) worked, 15–23 Feb off, 28 Feb (Sat) worked.
        DueCase(accepted: "2026-02-13", workingDays: 1, due: "2026-02-14", why: "Friday, next day is an adjusted Saturday"),
        DueCase(accepted: "2026-02-13", workingDays: 2, due: "2026-02-24", why: "Friday, jumps the Spring Festival"),
        DueCase(accepted: "2026-02-14", workingDays: 1, due: "2026-02-24", why: "accepted on the adjusted Saturday"),
        DueCase(accepted: "2026-02-18", workingDays: 1, due: "2026-02-24", why: "accepted during the Spring Festival"),
        DueCase(accepted: "2026-02-27", workingDays: 1, due: "2026-02-28", why: "adjusted Saturday 28 Feb"),
        DueCase(accepted: "2026-02-27", workingDays: 2, due: "2026-03-02", why: "after the adjusted Saturday"),
        DueCase(accepted: "2026-02-10", workingDays: 20, due: "2026-03-16", why: "Art 42 twenty days over the Spring Festival"),
        // Spring Festival 2025: 26 Jan (Sun) worked, 28 Jan–4 Feb off, 8 Feb (Sat) worked.
        DueCase(accepted: "2025-01-24", workingDays: 1, due: "2025-01-26", why: "Friday, next working day is an adjusted Sunday"),
        DueCase(accepted: "2025-01-24", workingDays: 3, due: "2025-02-05", why: "Friday, jumps the Spring Festival"),
        DueCase(accepted: "2025-01-25", workingDays: 1, due: "2025-01-26", why: "accepted on a Saturday"),
        DueCase(accepted: "2025-01-26", workingDays: 1, due: "2025-01-27", why: "accepted on the adjusted Sunday"),
        DueCase(accepted: "2025-01-29", workingDays: 1, due: "2025-02-05", why: "accepted on a holiday"),
        DueCase(accepted: "2025-02-05", workingDays: 3, due: "2025-02-08", why: "adjusted Saturday 8 Feb"),
        // Labour Day 2025: 27 Apr (Sun) worked, 1–5 May off.
        DueCase(accepted: "2025-04-25", workingDays: 1, due: "2025-04-27", why: "adjusted Sunday before Labour Day"),
        DueCase(accepted: "2025-04-25", workingDays: 5, due: "2025-05-06", why: "over Labour Day"),
        // Labour Day 2026: 1–5 May off, 9 May (Sat) worked.
        DueCase(accepted: "2026-04-30", workingDays: 1, due: "2026-05-06", why: "Thursday before Labour Day"),
        DueCase(accepted: "2026-04-30", workingDays: 4, due: "2026-05-09", why: "adjusted Saturday after Labour Day"),
        DueCase(accepted: "2026-05-03", workingDays: 5, due: "2026-05-11", why: "accepted on a holiday Sunday"),
        // National Day 2025: 28 Sep (Sun) worked, 1–8 Oct off, 11 Oct (Sat) worked.
        DueCase(accepted: "2025-09-26", workingDays: 1, due: "2025-09-28", why: "Friday, adjusted Sunday next"),
        DueCase(accepted: "2025-09-26", workingDays: 4, due: "2025-10-09", why: "over National Day"),
        DueCase(accepted: "2025-09-26", workingDays: 6, due: "2025-10-11", why: "adjusted Saturday after National Day"),
        DueCase(accepted: "2025-10-01", workingDays: 1, due: "2025-10-09", why: "accepted on National Day"),
        DueCase(accepted: "2025-10-11", workingDays: 1, due: "2025-10-13", why: "accepted on the adjusted Saturday"),
        // Mid-Autumn and National Day 2026: 20 Sep (Sun) worked, 25–27 Sep off, 1–7 Oct off, 10 Oct (Sat) worked.
        DueCase(accepted: "2026-09-18", workingDays: 1, due: "2026-09-20", why: "Friday, adjusted Sunday next"),
        DueCase(accepted: "2026-09-24", workingDays: 1, due: "2026-09-28", why: "over Mid-Autumn"),
        DueCase(accepted: "2026-09-30", workingDays: 1, due: "2026-10-08", why: "over National Day"),
        DueCase(accepted: "2026-09-30", workingDays: 3, due: "2026-10-10", why: "adjusted Saturday after National Day"),
        DueCase(accepted: "2026-10-03", workingDays: 1, due: "2026-10-08", why: "accepted on a holiday Saturday"),
        // New Year 2026: 1–3 Jan off, 4 Jan (Sun) worked.
        DueCase(accepted: "2025-12-31", workingDays: 1, due: "2026-01-04", why: "New Year's Eve, adjusted Sunday next"),
        DueCase(accepted: "2025-12-31", workingDays: 2, due: "2026-01-05", why: "New Year's Eve"),
        DueCase(accepted: "2026-01-01", workingDays: 1, due: "2026-01-04", why: "accepted on New Year's Day"),
        DueCase(accepted: "2026-01-04", workingDays: 1, due: "2026-01-05", why: "accepted on the adjusted Sunday"),
        // New Year 2025 from a day in 2024 (unknown year, but not counted: the result is final).
        DueCase(accepted: "2024-12-31", workingDays: 1, due: "2025-01-02", why: "the day of acceptance is never counted"),
        // n = 0: the day itself.
        DueCase(accepted: "2026-02-18", workingDays: 0, due: "2026-02-18", why: "zero days"),
    ]

    @Test("due date of a case accepted on a day", arguments: cases)
    func dueDate(_ c: DueCase) {
        let result = bundledCalendar.addingWorkingDays(c.workingDays, after: date(c.accepted))
        #expect(result.value == date(c.due))
        #expect(!result.isProvisional)
        if c.workingDays > 0, c.accepted >= "2025-01-01" {
            #expect(Oracle.nthWorkingDay(c.workingDays, after: c.accepted) == c.due, "the case table disagrees with the oracle")
        }
    }

    @Test("accepted at an instant: the hall date decides and the case is late from the next midnight in Shanghai",
          arguments: cases.filter { $0.workingDays > 0 })
    func dueDateFromInstant(_ c: DueCase) {
        let accepted = date(c.accepted)
        for acceptedAt in [accepted.startInstant, accepted.endInstant.addingTimeInterval(-1)] {
            let due = bundledCalendar.dueDate(acceptedAt: acceptedAt, workingDays: c.workingDays)
            #expect(due.date == date(c.due))
            #expect(!due.isProvisional)
            #expect(due.dueBy == date(c.due).adding(days: 1).startInstant)
            #expect(!due.isLate(at: due.dueBy.addingTimeInterval(-0.001)))
            #expect(due.isLate(at: due.dueBy))
            #expect(bundledCalendar.workingDays(from: acceptedAt, to: due.dueBy.addingTimeInterval(-0.001)).value == c.workingDays)
        }
    }

    @Test("23:59:59 Friday vs 00:00:00 Saturday in Shanghai: one second moves the due date over the Spring Festival")
    func midnightInShanghai() {
        let fridayNight = bundledCalendar.dueDate(acceptedAt: instant("2026-02-13T15:59:59Z"), workingDays: 1)
        #expect(fridayNight.date == date("2026-02-14"))
        #expect(fridayNight.dueBy == instant("2026-02-14T16:00:00Z"))
        let saturdayMidnight = bundledCalendar.dueDate(acceptedAt: instant("2026-02-13T16:00:00Z"), workingDays: 1)
        #expect(saturdayMidnight.date == date("2026-02-24"))
        #expect(saturdayMidnight.dueBy == instant("2026-02-24T16:00:00Z"))
        // The same instants written with the hall's offset.
        #expect(instant("2026-02-13T23:59:59+08:00") == instant("2026-02-13T15:59:59Z"))
    }

    @Test("an instant at 16:30 UTC is already the next day in the hall")
    func utcEveningIsNextHallDay() {
        #expect(LocalDate.inHall(instant("2026-01-31T16:30:00Z")) == date("2026-02-01"))
        #expect(LocalDate.inHall(instant("2026-01-31T15:59:59.999Z")) == date("2026-01-31"))
        // Saturday 31 Jan vs Sunday 1 Feb: either way the next working day is Monday 2 Feb.
        #expect(bundledCalendar.dueDate(acceptedAt: instant("2026-01-31T16:30:00Z"), workingDays: 1).date == date("2026-02-02"))
        // Accepted 2025-12-31 16:30 UTC = 2026-01-01 00:30 in the hall (a holiday): 1 day → 4 Jan.
        let due = bundledCalendar.dueDate(acceptedAt: instant("2025-12-31T16:30:00Z"), workingDays: 2)
        #expect(due.date == date("2026-01-05"))
    }

    @Test("warning days before the due date", arguments: [
        ("2026-02-24", 1, "2026-02-14"), ("2026-02-24", 2, "2026-02-13"), ("2026-03-02", 1, "2026-02-28"),
        ("2025-10-09", 1, "2025-09-30"), ("2025-10-09", 3, "2025-09-28"), ("2026-01-05", 1, "2026-01-04"),
        ("2026-01-05", 2, "2025-12-31"), ("2026-05-11", 1, "2026-05-09"), ("2026-05-11", 0, "2026-05-11"),
    ])
    func warnBefore(due: String, workingDays: Int, warnOn: String) {
        let result = bundledCalendar.subtractingWorkingDays(workingDays, before: date(due))
        #expect(result.value == date(warnOn))
        #expect(!result.isProvisional)
        #expect(bundledCalendar.addingWorkingDays(-workingDays, after: date(due)) == result)
    }

    @Test("working day on or after / on or before a day", arguments: [
        ("2026-02-14", "2026-02-14", "2026-02-14"), ("2026-02-15", "2026-02-24", "2026-02-14"),
        ("2026-02-23", "2026-02-24", "2026-02-14"), ("2025-10-04", "2025-10-09", "2025-09-30"),
        ("2026-03-07", "2026-03-09", "2026-03-06"), ("2026-01-01", "2026-01-04", "2025-12-31"),
    ])
    func nearestWorkingDay(day: String, onOrAfter: String, onOrBefore: String) {
        #expect(bundledCalendar.workingDay(onOrAfter: date(day)).value == date(onOrAfter))
        #expect(bundledCalendar.workingDay(onOrBefore: date(day)).value == date(onOrBefore))
    }

    @Test("working days between dates: none when the end is not after the start")
    func workingDaysBetween() {
        #expect(bundledCalendar.workingDays(from: date("2026-02-13"), to: date("2026-02-24")).value == 2)
        #expect(bundledCalendar.workingDays(from: date("2026-02-13"), to: date("2026-02-13")).value == 0)
        #expect(bundledCalendar.workingDays(from: date("2026-02-24"), to: date("2026-02-13")).value == 0)
        #expect(bundledCalendar.workingDays(from: date("2026-02-14"), to: date("2026-02-23")).value == 0)
        // Same hall day, different instants.
        #expect(bundledCalendar.workingDays(from: instant("2026-03-02T00:00:00Z"), to: instant("2026-03-02T15:59:59Z")).value == 0)
        #expect(bundledCalendar.workingDays(from: instant("2026-03-02T00:00:00Z"), to: instant("2026-03-02T16:00:00Z")).value == 1)
    }
}
