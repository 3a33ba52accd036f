import Foundation

/// Hand-written RFC 3339 timestamp coding: the one time format on ServiceHall's wire.
///
/// Writing always produces UTC with exactly three fractional digits,
/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (24 ASCII characters). Sub-millisecond parts are truncated
/// towards the past, never rounded up, with a tolerance of half a microsecond for the binary
/// floating-point error in `Date` (so `.123` held as `.12299999…` still writes as `.123Z`).
///
/// Reading accepts any RFC 3339 `date-time`: `T` or `t` as separator, no fraction or a fraction of
/// any length (digits beyond the sixth are ignored, i.e. truncated to microseconds), and `Z`, `z`
/// or a numeric offset such as `+08:00` (the hall's Asia/Shanghai time), which is converted to the
/// same instant in UTC. A leap second (`:60`) is read as the first instant of the next minute.
/// Years 0000–9999 only. Both functions are pure and safe to call from any thread.
public enum RFC3339Timestamp {
    /// Seconds between 1970-01-01T00:00:00Z and Foundation's reference date 2001-01-01T00:00:00Z.
    static let unixToReference: Int64 = 978_307_200

    /// Formats `date` as `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC, milliseconds truncated.
    ///
    /// Returns `nil` if the date's UTC year is outside 0000–9999 (RFC 3339 cannot express it)
    /// or the date is not finite.
    public static func string(from date: Date) -> String? {
        let reference = date.timeIntervalSinceReferenceDate
        guard reference.isFinite, abs(reference) < 400_000_000_000 else { return nil }
        // Truncate to milliseconds, with a tolerance of half a microsecond (or a few units in the
        // last place for far dates) so that binary floating-point error never turns .123 into .122.
        let limit = reference + max(0.000_000_5, 4 * reference.ulp)
        let wholeSeconds = limit.rounded(.down)
        var millis = min(999, max(0, Int(((limit - wholeSeconds) * 1_000).rounded(.down))))
        // Largest millisecond whose instant, built the way `date(from:)` builds it, is not after `limit`.
        while millis < 999, wholeSeconds + Double(millis + 1) / 1_000 <= limit { millis += 1 }
        while millis > 0, wholeSeconds + Double(millis) / 1_000 > limit { millis -= 1 }
        let unixSeconds = Int64(wholeSeconds) + unixToReference
        var days = unixSeconds / 86_400
        var secondOfDay = unixSeconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        guard (0...9999).contains(year) else { return nil }
        let hour = Int(secondOfDay / 3_600)
        let minute = Int(secondOfDay % 3_600 / 60)
        let second = Int(secondOfDay % 60)

        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, _ width: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                value /= 10
            }
        }
        put(Int(year), 4, at: 0)
        bytes[4] = UInt8(ascii: "-")
        put(month, 2, at: 5)
        bytes[7] = UInt8(ascii: "-")
        put(day, 2, at: 8)
        bytes[10] = UInt8(ascii: "T")
        put(hour, 2, at: 11)
        bytes[13] = UInt8(ascii: ":")
        put(minute, 2, at: 14)
        bytes[16] = UInt8(ascii: ":")
        put(second, 2, at: 17)
        bytes[19] = UInt8(ascii: ".")
        put(millis, 3, at: 20)
        bytes[23] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses an RFC 3339 `date-time` (see the type's documentation for what is accepted).
    ///
    /// Returns `nil` for anything else, including impossible dates such as `2026-02-29` and
    /// times without a zone offset.
    public static func date(from string: some StringProtocol) -> Date? {
        var text = String(string)
        return text.withUTF8 { parse(Array($0)) }
    }

    private static func parse(_ b: [UInt8]) -> Date? {
        // Minimum: YYYY-MM-DDTHH:MM:SSZ (20 bytes)
        guard b.count >= 20 else { return nil }
        func digits(_ offset: Int, _ width: Int) -> Int? {
            var value = 0
            for index in offset..<(offset + width) {
                let c = b[index]
                guard c >= 0x30, c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            return value
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"),
              let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"),
              let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 60
        else { return nil }

        var index = 19
        var micros = 0
        if b[index] == UInt8(ascii: ".") {
            index += 1
            var count = 0
            while index < b.count, b[index] >= 0x30, b[index] <= 0x39 {
                if count < 6 { micros = micros * 10 + Int(b[index] - 0x30) }
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            if count < 6 {
                for _ in count..<6 { micros *= 10 }
            }
        }
        guard index < b.count else { return nil }
        var offsetSeconds = 0
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = b[index] == UInt8(ascii: "-") ? -1 : 1
            guard b.count == index + 6, let offsetHours = digits(index + 1, 2),
                  b[index + 3] == UInt8(ascii: ":"), let offsetMinutes = digits(index + 4, 2),
                  offsetHours <= 23, offsetMinutes <= 59
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3_600 + offsetMinutes * 60)
            index += 6
        default:
            return nil
        }
        guard index == b.count else { return nil }

        let days = daysFromCivil(year: Int64(year), month: month, day: day)
        let unixSeconds = days * 86_400 + Int64(hour * 3_600 + minute * 60 + second) - Int64(offsetSeconds)
        let referenceSeconds = unixSeconds - unixToReference
        return Date(timeIntervalSinceReferenceDate: Double(referenceSeconds) + Double(micros) / 1_000_000)
    }

    private static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Proleptic Gregorian date of a count of days since 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
