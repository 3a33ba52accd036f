import Foundation
import HallCalendar
import Testing

@Suite("Bundled 2025 and 2026 schedules against holidays.md")
struct BundledDataTests {
    @Test("the bundle holds 2025 and 2026 with the notices' sources")
    func bundleContents() throws {
        let calendar = try WorkingCalendar.bundled()
        #expect(calendar.knownYears == [2025, 2026])
        let y2025 = try #require(calendar.schedule(for: 2025))
        #expect(y2025.source.contains("国办发明电〔2024〕12号"))
        #expect(y2025.published == date("2024-11-12"))
        let y2026 = try #require(calendar.schedule(for: 2026))
        #expect(y2026.source.contains("2026年部分节假日安排"))
        #expect(y2026.published == date("2025-11-04"))
    }

    @Test("every day's verdict equals the oracle's", arguments: [2025, 2026])
    func everyDay(year: Int) {
        let days = Oracle.days(of: year)
        #expect(days.count == 365)
        for (iso, foundationWeekday) in days {
            let verdict = bundledCalendar.isWorkingDay(date(iso))
            let expected = Oracle.isWorking(iso, foundationWeekday: foundationWeekday, year: year)
            #expect(verdict.value == expected, "\(iso): calendar says \(verdict.value ? "working" : "off")")
            #expect(!verdict.isProvisional, "\(iso) is in a known year")
        }
    }

    @Test("working days per year: 2025 and 2026 both have 248", arguments: [(2025, 248), (2026, 248)])
    func countPerYear(year: Int, expected: Int) {
        #expect(Oracle.workingDayCount(year) == expected)
        let counted = bundledCalendar.workingDays(
            from: LocalDate(year: year - 1, month: 12, day: 31)!, to: LocalDate(year: year, month: 12, day: 31)!
        )
        #expect(counted.value == expected)
        #expect(!counted.isProvisional)
        let walked = (LocalDate(year: year, month: 1, day: 1)!...LocalDate(year: year, month: 12, day: 31)!)
            .filter { bundledCalendar.isWorkingDay($0).value }.count
        #expect(walked == expected)
    }

    @Test("adjusted working weekends are working days and a weekend day off changes nothing")
    func weekendsOfNote() {
        for iso in ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
                    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"] {
            #expect(date(iso).isWeekend, "\(iso)")
            #expect(bundledCalendar.isWorkingDay(date(iso)).value, "\(iso)")
            #expect(bundledCalendar.holidayName(on: date(iso)) == nil, "\(iso)")
        }
        // 2026-01-03 (Sat) is part of New Year and was off anyway.
        #expect(!bundledCalendar.isWorkingDay(date("2026-01-03")).value)
        #expect(bundledCalendar.holidayName(on: date("2026-01-03")) == "元旦")
    }

    @Test("holiday names for display", arguments: [
        ("2025-01-01", "元旦"), ("2025-01-28", "春节"), ("2025-02-04", "春节"), ("2025-04-05", "清明节"),
        ("2025-05-05", "劳动节"), ("2025-05-31", "端午节"), ("2025-10-08", "国庆节、中秋节"),
        ("2026-01-02", "元旦"), ("2026-02-23", "春节"), ("2026-04-06", "清明节"), ("2026-05-01", "劳动节"),
        ("2026-06-19", "端午节"), ("2026-09-25", "中秋节"), ("2026-10-07", "国庆节"),
    ])
    func holidayNames(iso: String, name: String) {
        #expect(bundledCalendar.holidayName(on: date(iso)) == name)
    }

    @Test("ordinary days and days just outside a holiday have no name", arguments: [
        "2025-01-27", "2025-02-05", "2025-10-09", "2026-02-14", "2026-02-24", "2026-09-28", "2026-10-08", "2027-01-01",
    ])
    func noHolidayName(iso: String) {
        #expect(bundledCalendar.holidayName(on: date(iso)) == nil)
    }
}
