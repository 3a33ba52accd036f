import Foundation
import HallCalendar

/// An independent transcription of /work/shared/reference/holidays.md, written day by day (not
/// as ranges) and judged with Foundation's own Gregorian calendar, so it shares no code with
/// `HallCalendar`.
enum Oracle {
    /// Every day off that the notices list (weekend ones included, they change nothing).
    static let daysOff: [Int: Set<String>] = [
        2025: [
            // New Year 元旦: 1 Jan (Wed)
            "2025-01-01",
            // Spring Festival 春节: 28 Jan (Tue) – 4 Feb (Tue), 8 days
            "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",
            "2025-02-01", "2025-02-02", "2025-02-03", "2025-02-04",
            // Qingming 清明节: 4 Apr (Fri) – 6 Apr (Sun)
            "2025-04-04", "2025-04-05", "2025-04-06",
            // Labour Day 劳动节: 1 May (Thu) – 5 May (Mon)
            "2025-05-01", "2025-05-02", "2025-05-03", "2025-05-04", "2025-05-05",
            // Dragon Boat 端午节: 31 May (Sat) – 2 Jun (Mon)
            "2025-05-31", "2025-06-01", "2025-06-02",
            // National Day + Mid-Autumn: 1 Oct (Wed) – 8 Oct (Wed), 8 days
            "2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04",
            "2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08",
        ],
        2026: [
            // New Year 元旦: 1 Jan (Thu) – 3 Jan (Sat)
            "2026-01-01", "2026-01-02", "2026-01-03",
            // Spring Festival 春节: 15 Feb (Sun) – 23 Feb (Mon), 9 days
            "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
            "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",
            // Qingming 清明节: 4 Apr (Sat) – 6 Apr (Mon)
            "2026-04-04", "2026-04-05", "2026-04-06",
            // Labour Day 劳动节: 1 May (Fri) – 5 May (Tue)
            "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",
            // Dragon Boat 端午节: 19 Jun (Fri) – 21 Jun (Sun)
            "2026-06-19", "2026-06-20", "2026-06-21",
            // Mid-Autumn 中秋节: 25 Sep (Fri) – 27 Sep (Sun)
            "2026-09-25", "2026-09-26", "2026-09-27",
            // National Day 国庆节: 1 Oct (Thu) – 7 Oct (Wed)
            "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",
            "2026-10-05", "2026-10-06", "2026-10-07",
        ],
    ]

    /// Every adjusted working weekend day (调休上班) that the notices list.
    static let weekendsWorked: [Int: Set<String>] = [
        2025: ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
        2026: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    ]

    /// Foundation's Gregorian calendar in UTC, used only to walk days and name weekdays.
    static let gregorian: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Every day of `year` as (ISO text, Foundation weekday 1 = Sunday … 7 = Saturday).
    static func days(of year: Int) -> [(iso: String, foundationWeekday: Int)] {
        var result: [(String, Int)] = []
        var date = gregorian.date(from: DateComponents(year: year, month: 1, day: 1))!
        while gregorian.component(.year, from: date) == year {
            let parts = gregorian.dateComponents([.year, .month, .day, .weekday], from: date)
            let iso = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
            result.append((iso, parts.weekday!))
            date = gregorian.date(byAdding: .day, value: 1, to: date)!
        }
        return result
    }

    /// The oracle's verdict for a day of 2025 or 2026.
    static func isWorking(_ iso: String, foundationWeekday: Int, year: Int) -> Bool {
        if weekendsWorked[year]!.contains(iso) { return true }
        if daysOff[year]!.contains(iso) { return false }
        return foundationWeekday != 1 && foundationWeekday != 7
    }

    /// Working days of a year, by the oracle.
    static func workingDayCount(_ year: Int) -> Int {
        days(of: year).filter { isWorking($0.iso, foundationWeekday: $0.foundationWeekday, year: year) }.count
    }

    /// The oracle's working days of 2025 and 2026, as a sorted list of ISO dates.
    static let workingDays: [String] = [2025, 2026].flatMap { year in
        days(of: year).filter { isWorking($0.iso, foundationWeekday: $0.foundationWeekday, year: year) }.map(\.iso)
    }

    /// The oracle's answer to "the n-th working day strictly after `iso`" within 2025–2026.
    static func nthWorkingDay(_ n: Int, after iso: String) -> String? {
        let later = workingDays.filter { $0 > iso }
        return n >= 1 && n <= later.count ? later[n - 1] : nil
    }
}

/// Parses a test literal; a bad literal is a bug in the test.
func date(_ iso: String) -> LocalDate {
    guard let value = LocalDate(iso: iso) else { fatalError("bad test date \(iso)") }
    return value
}

/// An instant from an ISO 8601 literal with zone, e.g. `2026-01-31T16:30:00Z`.
func instant(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let value = formatter.date(from: text) { return value }
    formatter.formatOptions = [.withInternetDateTime]
    guard let value = formatter.date(from: text) else { fatalError("bad test instant \(text)") }
    return value
}

/// The calendar shipped with the module; loading it is itself under test in `BundledDataTests`.
let bundledCalendar: WorkingCalendar = {
    do { return try WorkingCalendar.bundled() } catch { fatalError("bundled calendar: \(error)") }
}()
