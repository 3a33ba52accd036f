import Foundation
import HallCalendar
import Testing

@Suite("Years without a schedule give provisional results")
struct ProvisionalTests {
    /// A made-up 2027 schedule for tests only (not the official one, which is not published yet).
    static let fake2027 = """
    {
      "year": 2027,
      "source": "test fixture, not an official notice",
      "published": "2026-11-01",
      "holidays": [ { "name": "元旦", "from": "2027-01-01", "to": "2027-01-03" } ],
      "adjustedWorkingDays": []
    }
    """

    @Test("a due date reaching into 2027 is provisional and counts weekends only")
    func into2027() {
        // Tue 29, Wed 30, Thu 31 Dec; Fri 1 Jan 2027 taken as working; Mon 4 Jan.
        let result = bundledCalendar.addingWorkingDays(5, after: date("2026-12-28"))
        #expect(result.value == date("2027-01-04"))
        #expect(result.isProvisional)
        let due = bundledCalendar.dueDate(acceptedAt: date("2026-12-28").startInstant, workingDays: 5)
        #expect(due.date == date("2027-01-04"))
        #expect(due.isProvisional)
        #expect(bundledCalendar.workingDays(from: date("2026-12-28"), to: date("2027-01-04")) == .init(value: 5, isProvisional: true))
        #expect(bundledCalendar.isWorkingDay(date("2027-01-01")) == .init(value: true, isProvisional: true))
        #expect(bundledCalendar.isWorkingDay(date("2027-01-02")) == .init(value: false, isProvisional: true))
        #expect(bundledCalendar.isWorkingDay(date("2024-10-01")) == .init(value: true, isProvisional: true))
    }

    @Test("a due date within 2026 is final, even on 31 December")
    func within2026() {
        #expect(bundledCalendar.addingWorkingDays(5, after: date("2026-12-21")) == .init(value: date("2026-12-28"), isProvisional: false))
        #expect(bundledCalendar.addingWorkingDays(3, after: date("2026-12-28")) == .init(value: date("2026-12-31"), isProvisional: false))
        #expect(bundledCalendar.subtractingWorkingDays(1, before: date("2025-01-02")) == .init(value: date("2024-12-31"), isProvisional: true))
        #expect(!bundledCalendar.workingDays(from: date("2026-12-01"), to: date("2026-12-31")).isProvisional)
        #expect(!bundledCalendar.workingDays(from: date("2027-03-01"), to: date("2027-01-01")).isProvisional)
    }

    @Test("installing a 2027 file makes the same due date final and corrects it")
    func install2027() throws {
        let directory = try TemporaryDirectory()
        try directory.write("2027.json", Self.fake2027)

        let overlaid = try WorkingCalendar.bundled(overlaying: directory.url)
        #expect(overlaid.knownYears == [2025, 2026, 2027])
        #expect(overlaid.addingWorkingDays(5, after: date("2026-12-28")) == .init(value: date("2027-01-05"), isProvisional: false))
        #expect(overlaid.holidayName(on: date("2027-01-01")) == "元旦")

        let only2027 = try WorkingCalendar.load(directory: directory.url)
        #expect(only2027.knownYears == [2027])
        #expect(only2027.addingWorkingDays(5, after: date("2026-12-28")).isProvisional)
        #expect(!only2027.addingWorkingDays(5, after: date("2026-12-31")).isProvisional)
    }

    @Test("a gap year between known years is provisional")
    func gapYear() throws {
        let bundled = try WorkingCalendar.bundled()
        let calendar = try WorkingCalendar(schedules: [try #require(bundled.schedule(for: 2025))]
            + [try YearSchedule.decode(Data(Self.fake2027.utf8), fileName: "2027.json")])
        #expect(calendar.knownYears == [2025, 2027])
        // 2026 treated as weekends only: 1 Jan 2026 (Thu) is "working".
        #expect(calendar.addingWorkingDays(1, after: date("2025-12-31")) == .init(value: date("2026-01-01"), isProvisional: true))
        #expect(calendar.workingDays(from: date("2025-12-31"), to: date("2027-01-04")).isProvisional)
        #expect(calendar.isWorkingDay(date("2027-01-01")) == .init(value: false, isProvisional: false))
        #expect(calendar.isWorkingDay(date("2025-10-08")) == .init(value: false, isProvisional: false))
    }

    @Test("an operator file replaces the bundled year")
    func overlayReplaces() throws {
        let directory = try TemporaryDirectory()
        var schedule = try #require(bundledCalendar.schedule(for: 2026))
        schedule.source = "corrected by the operator"
        schedule.holidays.append(.init(name: "测试日", from: date("2026-12-31"), to: date("2026-12-31")))
        try directory.write("2026.json", String(decoding: try JSONEncoder().encode(schedule), as: UTF8.self))
        let calendar = try WorkingCalendar.bundled(overlaying: directory.url)
        #expect(calendar.schedule(for: 2026)?.source == "corrected by the operator")
        #expect(calendar.isWorkingDay(date("2026-12-31")) == .init(value: false, isProvisional: false))
        #expect(try WorkingCalendar.bundled(overlaying: nil).knownYears == [2025, 2026])
    }
}

/// A fresh directory under the system's temporary directory, removed when the value is freed.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("hall-calendar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
