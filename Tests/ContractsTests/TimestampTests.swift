import Foundation
import HallContracts
import Testing

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test("writes UTC with exactly three fractional digits")
    func format() {
        #expect(RFC3339Timestamp.string(from: Contracts.date(2026, 1, 5, 8, 30, 0, millisecond: 123)) == "2026-01-05T08:30:00.123Z")
        #expect(RFC3339Timestamp.string(from: Contracts.date(2026, 1, 5, 8, 30)) == "2026-01-05T08:30:00.000Z")
        #expect(RFC3339Timestamp.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }

    @Test("sub-millisecond parts are truncated, never rounded up", arguments: [
        (999.0, "2025-12-31T23:59:59.999Z"),
        (999.4, "2025-12-31T23:59:59.999Z"),
        (999.9, "2025-12-31T23:59:59.999Z"),
        (999.999, "2025-12-31T23:59:59.999Z"),
        (0.9, "2025-12-31T23:59:59.000Z"),
        (1.999, "2025-12-31T23:59:59.001Z"),
    ])
    func truncation(millisecond: Double, expected: String) {
        let date = Contracts.date(2025, 12, 31, 23, 59, 59, millisecond: millisecond)
        #expect(RFC3339Timestamp.string(from: date) == expected)
    }

    @Test("every millisecond of a second survives a round trip")
    func everyMillisecond() throws {
        let base = Contracts.date(2026, 1, 5, 8, 30)
        for millisecond in 0..<1_000 {
            let date = Date(timeIntervalSinceReferenceDate: base.timeIntervalSinceReferenceDate + Double(millisecond) / 1_000)
            let text = try #require(RFC3339Timestamp.string(from: date))
            #expect(text.hasSuffix(String(format: ".%03dZ", millisecond)), "\(millisecond) → \(text)")
            let back = try #require(RFC3339Timestamp.date(from: text))
            #expect(RFC3339Timestamp.string(from: back) == text)
        }
    }

    @Test("dates built from Unix seconds keep their milliseconds")
    func unixSeconds() {
        #expect(RFC3339Timestamp.string(from: Date(timeIntervalSince1970: 1_767_601_800.123)) == "2026-01-05T08:30:00.123Z")
        #expect(RFC3339Timestamp.string(from: Date(timeIntervalSince1970: 1_767_601_800.999)) == "2026-01-05T08:30:00.999Z")
        #expect(RFC3339Timestamp.string(from: Date(timeIntervalSince1970: 1_767_601_800.9999)) == "2026-01-05T08:30:00.999Z")
        #expect(RFC3339Timestamp.string(from: Date(timeIntervalSince1970: 1_767_601_800.001)) == "2026-01-05T08:30:00.001Z")
    }

    @Test("year and day boundaries")
    func boundaries() throws {
        let lastMillisecond = try #require(RFC3339Timestamp.date(from: "2025-12-31T23:59:59.999Z"))
        #expect(RFC3339Timestamp.string(from: lastMillisecond.addingTimeInterval(0.001)) == "2026-01-01T00:00:00.000Z")
        #expect(RFC3339Timestamp.string(from: Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(RFC3339Timestamp.string(from: Date(timeIntervalSince1970: -86_400.5)) == "1969-12-30T23:59:59.500Z")
        #expect(RFC3339Timestamp.string(from: Contracts.date(2000, 3, 1)) == "2000-03-01T00:00:00.000Z")
        for text in ["0000-01-01T00:00:00.000Z", "0001-01-01T00:00:00.000Z", "1582-10-10T12:00:00.500Z", "9999-12-31T23:59:59.999Z"] {
            #expect(RFC3339Timestamp.date(from: text).flatMap(RFC3339Timestamp.string(from:)) == text)
        }
        #expect(RFC3339Timestamp.string(from: Contracts.date(9999, 12, 31, 23, 59, 59, millisecond: 999)) == "9999-12-31T23:59:59.999Z")
        #expect(RFC3339Timestamp.string(from: Contracts.date(10000, 1, 1)) == nil)
        #expect(RFC3339Timestamp.string(from: Date(timeIntervalSinceReferenceDate: 1e12)) == nil)
        #expect(RFC3339Timestamp.string(from: Date(timeIntervalSinceReferenceDate: .nan)) == nil)
    }

    @Test("leap days exist only in leap years")
    func leapDays() throws {
        let leapDay = try #require(RFC3339Timestamp.date(from: "2024-02-29T12:00:00.000Z"))
        #expect(leapDay == Contracts.date(2024, 2, 29, 12))
        #expect(RFC3339Timestamp.string(from: leapDay.addingTimeInterval(12 * 3_600)) == "2024-03-01T00:00:00.000Z")
        #expect(RFC3339Timestamp.date(from: "2000-02-29T00:00:00Z") != nil)
        #expect(RFC3339Timestamp.date(from: "2026-02-29T00:00:00Z") == nil)
        #expect(RFC3339Timestamp.date(from: "2100-02-29T00:00:00Z") == nil)
        #expect(RFC3339Timestamp.date(from: "2026-04-31T00:00:00Z") == nil)
    }

    @Test("offsets are read as the same instant in UTC", arguments: [
        "2026-01-05T16:30:00.123+08:00",
        "2026-01-05T08:30:00.123Z",
        "2026-01-05t08:30:00.123z",
        "2026-01-05T08:30:00.123-00:00",
        "2026-01-05T03:00:00.123-05:30",
        "2026-01-05T08:30:00.1230000009Z",
    ])
    func offsets(text: String) {
        #expect(RFC3339Timestamp.date(from: text) == Contracts.date(2026, 1, 5, 8, 30, 0, millisecond: 123))
        #expect(RFC3339Timestamp.date(from: text).flatMap(RFC3339Timestamp.string(from:)) == "2026-01-05T08:30:00.123Z")
    }

    @Test("an offset can move the date across a year boundary")
    func offsetAcrossYear() {
        let date = RFC3339Timestamp.date(from: "2026-01-01T07:59:59.999+08:00")
        #expect(date.flatMap(RFC3339Timestamp.string(from:)) == "2025-12-31T23:59:59.999Z")
    }

    @Test("other fraction lengths are read", arguments: [
        ("2026-01-05T08:30:00Z", "2026-01-05T08:30:00.000Z"),
        ("2026-01-05T08:30:00.1Z", "2026-01-05T08:30:00.100Z"),
        ("2026-01-05T08:30:00.12Z", "2026-01-05T08:30:00.120Z"),
        ("2026-01-05T08:30:00.123456Z", "2026-01-05T08:30:00.123Z"),
        ("2026-01-05T08:30:59.999999999Z", "2026-01-05T08:30:59.999Z"),
        ("2026-12-31T23:59:60Z", "2027-01-01T00:00:00.000Z"),
    ])
    func fractions(text: String, expected: String) {
        #expect(RFC3339Timestamp.date(from: text).flatMap(RFC3339Timestamp.string(from:)) == expected)
    }

    @Test("anything else is refused", arguments: [
        "", "2026-01-05", "2026-01-05T08:30:00", "2026-01-05 08:30:00Z", "2026-01-05T08:30:00.Z",
        "2026-13-05T08:30:00Z", "2026-00-05T08:30:00Z", "2026-01-00T08:30:00Z", "2026-01-05T24:00:00Z",
        "2026-01-05T08:60:00Z", "2026-01-05T08:30:61Z", "2026-01-05T08:30:00+0800", "2026-01-05T08:30:00+08",
        "2026-01-05T08:30:00+24:00", "2026-01-05T08:30:00ZZ", "26-01-05T08:30:00Z", "2026-1-5T08:30:00Z",
        "２026-01-05T08:30:00Z", "2026-01-05T08:30:00.123Z ",
    ])
    func refused(text: String) {
        #expect(RFC3339Timestamp.date(from: text) == nil)
    }
}
