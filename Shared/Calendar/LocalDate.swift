import Foundation

/// A calendar date (year, month, day) in the hall's time zone, Asia/Shanghai.
///
/// A `LocalDate` is a whole day, not an instant: it is stored as a proleptic Gregorian day
/// number (days since 1970-01-01), so comparison, hashing and day arithmetic are integer
/// operations with no Foundation `Calendar` involved. Convert from an instant with
/// ``inHall(_:)`` and back with ``startInstant`` / ``endInstant``.
///
/// It encodes and decodes as the ISO 8601 string `YYYY-MM-DD`, which is also its ``description``.
/// `Strideable` with a stride of days, so `a...b` is a range of days and `a.distance(to: b)`
/// the number of days from `a` to `b`.
public struct LocalDate: Hashable, Strideable, Sendable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01 in the proleptic Gregorian calendar (negative before it).
    public let dayNumber: Int

    /// The date with this proleptic Gregorian day number (days since 1970-01-01).
    public init(dayNumber: Int) {
        self.dayNumber = dayNumber
    }

    /// The date, or `nil` when it does not exist (e.g. 2026-02-29) or the year is outside 1...9999.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= LocalDate.daysInMonth(year: year, month: month)
        else { return nil }
        self.dayNumber = LocalDate.dayNumber(year: year, month: month, day: day)
    }

    /// Parses exactly `YYYY-MM-DD` (ten characters, zero-padded); `nil` for anything else,
    /// including dates that do not exist.
    public init?(iso: String) {
        var text = iso
        guard let date = text.withUTF8({ LocalDate.parse($0) }) else { return nil }
        self = date
    }

    // MARK: Fields

    /// The year (e.g. 2026).
    public var year: Int { civil.year }
    /// The month, 1 = January … 12 = December.
    public var month: Int { civil.month }
    /// The day of the month, 1…31.
    public var day: Int { civil.day }

    /// ISO weekday: 1 = Monday … 6 = Saturday, 7 = Sunday.
    public var weekday: Int {
        // 1970-01-01 was a Thursday (4).
        LocalDate.floorMod(dayNumber + 3, 7) + 1
    }

    /// `true` on Saturday and Sunday.
    public var isWeekend: Bool { weekday >= 6 }

    // MARK: Arithmetic

    /// The date `days` days later (earlier when negative).
    public func adding(days: Int) -> LocalDate {
        LocalDate(dayNumber: dayNumber + days)
    }

    /// Number of days from `self` to `other`: positive when `other` is later.
    public func distance(to other: LocalDate) -> Int {
        other.dayNumber - dayNumber
    }

    /// Same as ``adding(days:)``.
    public func advanced(by days: Int) -> LocalDate {
        adding(days: days)
    }

    /// Earlier dates sort first.
    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        lhs.dayNumber < rhs.dayNumber
    }

    // MARK: Instants in Asia/Shanghai

    /// The date of `instant` in the hall's time zone (Asia/Shanghai), whatever the process's zone.
    ///
    /// `2026-01-31T16:30:00Z` is already 2026-02-01 in the hall. Fast: for instants since 1992 it
    /// is integer arithmetic on the fixed UTC+8 offset (checked once against the tz database).
    public static func inHall(_ instant: Date) -> LocalDate {
        let seconds = instant.timeIntervalSince1970
        if let fixedFrom = HallTime.fixedOffsetFrom, seconds >= fixedFrom {
            let local = (seconds + Double(HallTime.fixedOffset)) / 86_400
            return LocalDate(dayNumber: Int(local.rounded(.down)))
        }
        let parts = HallTime.calendar.dateComponents([.year, .month, .day], from: instant)
        return LocalDate(dayNumber: dayNumber(year: parts.year!, month: parts.month!, day: parts.day!))
    }

    /// The first instant of this day in Asia/Shanghai (00:00:00 local).
    public var startInstant: Date {
        if HallTime.fixedOffsetFrom != nil, dayNumber >= HallTime.fixedOffsetFromDay {
            return Date(timeIntervalSince1970: Double(dayNumber * 86_400 - HallTime.fixedOffset))
        }
        let civil = self.civil
        let components = DateComponents(year: civil.year, month: civil.month, day: civil.day)
        return HallTime.calendar.startOfDay(for: HallTime.calendar.date(from: components)!)
    }

    /// The first instant of the next day in Asia/Shanghai: the exclusive end of this day.
    /// An instant `t` is on this date exactly when `startInstant <= t && t < endInstant`.
    public var endInstant: Date {
        adding(days: 1).startInstant
    }

    // MARK: Text and coding

    /// `YYYY-MM-DD`.
    public var description: String {
        let civil = self.civil
        var text = ""
        text.reserveCapacity(10)
        let year = String(civil.year)
        if civil.year >= 0 && year.count < 4 {
            text += String(repeating: "0", count: 4 - year.count)
        }
        text += year
        text += civil.month < 10 ? "-0" : "-"
        text += String(civil.month)
        text += civil.day < 10 ? "-0" : "-"
        text += String(civil.day)
        return text
    }

    /// Decodes the ISO string `YYYY-MM-DD`; any other value is a `DecodingError.dataCorrupted`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = LocalDate(iso: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an existing date as YYYY-MM-DD, got \"\(text)\""
            )
        }
        self = date
    }

    /// Encodes as the ISO string `YYYY-MM-DD`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // MARK: Day numbers (Howard Hinnant's civil algorithms)

    var civil: (year: Int, month: Int, day: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func dayNumber(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func floorMod(_ a: Int, _ b: Int) -> Int {
        let r = a % b
        return r < 0 ? r + b : r
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> LocalDate? {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        return LocalDate(year: year, month: month, day: day)
    }
}

/// The hall's time zone and the fast path for converting instants.
enum HallTime {
    /// Asia/Shanghai from the tz database; a fixed UTC+8 zone if the database lacks it.
    static let timeZone: TimeZone =
        TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: fixedOffset)!

    /// A Gregorian calendar in Asia/Shanghai (never the process's zone), for the slow path.
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }()

    /// UTC+8, in seconds.
    static let fixedOffset = 8 * 3600

    /// The first day (1992-01-01) from which the fast path may be used.
    static let fixedOffsetFromDay = LocalDate.dayNumber(year: 1992, month: 1, day: 1)

    /// Seconds since 1970 from which Asia/Shanghai is a fixed UTC+8 with no transition ahead
    /// (China's last daylight saving time ended in 1991), or `nil` if the tz database says
    /// otherwise, in which case every conversion goes through `calendar`.
    static let fixedOffsetFrom: Double? = {
        let from = Date(timeIntervalSince1970: Double(fixedOffsetFromDay * 86_400 - fixedOffset))
        guard timeZone.secondsFromGMT(for: from) == fixedOffset,
              timeZone.nextDaylightSavingTimeTransition(after: from) == nil
        else { return nil }
        return from.timeIntervalSince1970
    }()
}
