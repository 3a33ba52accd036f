import Foundation
import HallCalendar
import Testing

@Suite("LocalDate: dates in the hall's time zone")
struct LocalDateTests {
    @Test("ISO text round-trips and invalid dates are refused")
    func isoText() {
        #expect(LocalDate(iso: "2026-02-14")?.description == "2026-02-14")
        #expect(LocalDate(iso: "0001-01-01")?.description == "0001-01-01")
        #expect(LocalDate(iso: "2024-02-29") != nil)
        for bad in ["2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-01", "2026/01/01",
                    "2026-01-01T00:00", " 2026-01-01", "0000-01-01", "", "２０２６-01-01", "1900-02-29"] {
            #expect(LocalDate(iso: bad) == nil, "\(bad)")
        }
        #expect(LocalDate(year: 2026, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)
        let d = LocalDate(year: 2026, month: 10, day: 7)!
        #expect((d.year, d.month, d.day) == (2026, 10, 7))
    }

    @Test("Codable as the ISO string")
    func codable() throws {
        let data = try JSONEncoder().encode([date("2026-01-04")])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-01-04"]"#)
        #expect(try JSONDecoder().decode([LocalDate].self, from: data) == [date("2026-01-04")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([LocalDate].self, from: Data(#"["2026-02-30"]"#.utf8)) }
    }

    @Test("day numbers, weekdays and arithmetic agree with Foundation's Gregorian calendar, 1900–2100")
    func agreesWithFoundation() {
        var day = Oracle.gregorian.date(from: DateComponents(year: 1900, month: 1, day: 1))!
        var local = date("1900-01-01")
        while local.year <= 2100 {
            let parts = Oracle.gregorian.dateComponents([.year, .month, .day, .weekday], from: day)
            #expect(local.year == parts.year && local.month == parts.month && local.day == parts.day, "\(local)")
            #expect(local.weekday == (parts.weekday! + 5) % 7 + 1, "\(local)")
            #expect(local.dayNumber == Int((day.timeIntervalSince1970 / 86_400).rounded(.down)))
            day = Oracle.gregorian.date(byAdding: .day, value: 1, to: day)!
            local = local.adding(days: 1)
        }
        #expect(date("2026-02-13").weekday == 5)
        #expect(date("2026-02-14").weekday == 6 && date("2026-02-14").isWeekend)
        #expect(date("2026-01-04").weekday == 7)
        #expect(date("2025-01-01").distance(to: date("2026-01-01")) == 365)
        #expect(date("2026-03-01").adding(days: -1) == date("2026-02-28"))
        #expect(date("2026-02-28") < date("2026-03-01"))
    }

    @Test("the hall date of an instant and the day's bounds follow Asia/Shanghai, whatever the process zone")
    func hallZone() {
        var shanghai = Calendar(identifier: .gregorian)
        shanghai.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        // Every 53 hours 17 minutes from 1985 (before China's DST ended in 1991) to 2035.
        var t = instant("1985-01-01T00:00:00Z")
        while t < instant("2035-01-01T00:00:00Z") {
            let parts = shanghai.dateComponents([.year, .month, .day], from: t)
            let local = LocalDate.inHall(t)
            #expect((local.year, local.month, local.day) == (parts.year!, parts.month!, parts.day!), "\(t)")
            #expect(local.startInstant <= t && t < local.endInstant, "\(t)")
            #expect(local.startInstant == shanghai.startOfDay(for: t), "\(t)")
            t = t.addingTimeInterval(53 * 3600 + 17 * 60)
        }
        // Both sides of every midnight of 2025 and 2026.
        for day in date("2025-01-01")...date("2026-12-31") {
            #expect(LocalDate.inHall(day.startInstant) == day)
            #expect(LocalDate.inHall(day.startInstant.addingTimeInterval(-0.001)) == day.adding(days: -1))
            #expect(day.startInstant == shanghai.date(from: DateComponents(year: day.year, month: day.month, day: day.day)))
        }
        #expect(date("2026-02-14").startInstant == instant("2026-02-13T16:00:00Z"))
        #expect(date("2026-02-14").endInstant == instant("2026-02-14T16:00:00Z"))
        #expect(LocalDate.inHall(instant("2026-02-13T16:00:00Z")) == date("2026-02-14"))
        #expect(LocalDate.inHall(instant("2026-02-13T15:59:59.999Z")) == date("2026-02-13"))
    }
}
