import Foundation
import HallCalendar
import Testing

@Suite("Bad data files are refused with an error naming the file and the rule")
struct BadDataTests {
    /// A valid file for `year` with the given holidays and adjusted days spliced in.
    static func file(year: Int = 2027, holidays: String = "", adjusted: String = "") -> String {
        """
        { "year": \(year), "source": "test fixture", "published": "2026-11-01",
          "holidays": [\(holidays)], "adjustedWorkingDays": [\(adjusted)] }
        """
    }

    struct BadFile: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let code: CalendarError.Code
        let mentions: String
        var testDescription: String { "\(name): \(code) mentioning \(mentions)" }
    }

    static let badFiles: [BadFile] = [
        BadFile(name: "2027.json", text: file(year: 2028), code: .wrongYear, mentions: "2028"),
        BadFile(name: "2027.json", text: file(adjusted: "\"2027-01-04\""), code: .badAdjustedWorkingDay, mentions: "2027-01-04 is a Monday"),
        BadFile(name: "2027.json", text: file(adjusted: "\"2027-02-30\""), code: .malformed, mentions: "adjustedWorkingDays[0]"),
        BadFile(name: "2027.json", text: file(holidays: #"{ "name": "x", "from": "2027-1-1", "to": "2027-01-01" }"#),
                code: .malformed, mentions: "holidays[0].from"),
        BadFile(name: "2027.json", text: #"{ "year": 2027, "source": "s", "published": "2026-11-01", "holidays": [] }"#,
                code: .malformed, mentions: "adjustedWorkingDays"),
        BadFile(name: "2027.json", text: "{ not json", code: .malformed, mentions: "JSON"),
        BadFile(name: "2027.json", text: file(adjusted: "\"2026-12-26\""), code: .dateOutsideYear, mentions: "2026-12-26"),
        BadFile(name: "2027.json", text: file(holidays: #"{ "name": "元旦", "from": "2026-12-31", "to": "2027-01-01" }"#),
                code: .dateOutsideYear, mentions: "2026-12-31"),
        BadFile(name: "2027.json", text: file(holidays: #"{ "name": "春节", "from": "2027-02-10", "to": "2027-02-06" }"#),
                code: .badHoliday, mentions: "before it starts"),
        BadFile(name: "2027.json", text: file(holidays: #"{ "name": "A", "from": "2027-05-01", "to": "2027-05-05" }, { "name": "B", "from": "2027-05-05", "to": "2027-05-06" }"#),
                code: .badHoliday, mentions: "overlap"),
        BadFile(name: "2027.json", text: file(holidays: #"{ "name": "春节", "from": "2027-02-06", "to": "2027-02-13" }"#, adjusted: "\"2027-02-07\""),
                code: .badAdjustedWorkingDay, mentions: "inside holiday 春节"),
        BadFile(name: "2027.json", text: file(adjusted: "\"2027-02-20\", \"2027-02-20\""), code: .badAdjustedWorkingDay, mentions: "twice"),
        BadFile(name: "next-year.json", text: file(), code: .badFileName, mentions: "YYYY.json"),
    ]

    @Test("a bad file in the directory stops loading", arguments: badFiles)
    func badFile(_ bad: BadFile) throws {
        let directory = try TemporaryDirectory()
        try directory.write(bad.name, bad.text)
        let error = try #require(throws: CalendarError.self) { try WorkingCalendar.load(directory: directory.url) }
        #expect(error.code == bad.code, "\(error)")
        #expect(error.dataFile == bad.name)
        #expect(error.description.hasPrefix("\(bad.name): "), "\(error)")
        #expect(error.description.contains(bad.mentions), "\(error)")
        #expect(!error.isRetriable)
        // The operator overlay fails the same way: a bad file is never skipped silently.
        #expect(throws: CalendarError.self) { try WorkingCalendar.bundled(overlaying: directory.url) }
    }

    @Test("a valid fixture loads, other files are ignored, and an empty directory is an error")
    func directoryContents() throws {
        let directory = try TemporaryDirectory()
        try directory.write("README.md", "notes")
        let empty = try #require(throws: CalendarError.self) { try WorkingCalendar.load(directory: directory.url) }
        #expect(empty.code == .noSchedules)
        #expect(try WorkingCalendar.bundled(overlaying: directory.url).knownYears == [2025, 2026])
        try directory.write("2027.json", Self.file(holidays: #"{ "name": "元旦", "from": "2027-01-01", "to": "2027-01-01" }"#, adjusted: "\"2027-02-20\""))
        #expect(try WorkingCalendar.load(directory: directory.url).knownYears == [2027])
    }

    @Test("a missing directory is unreadable")
    func missingDirectory() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString)")
        let error = try #require(throws: CalendarError.self) { try WorkingCalendar.load(directory: url) }
        #expect(error.code == .unreadable)
    }

    @Test("two schedules for one year are refused")
    func duplicateYear() throws {
        let schedule = try #require(bundledCalendar.schedule(for: 2026))
        let error = try #require(throws: CalendarError.self) { try WorkingCalendar(schedules: [schedule, schedule]) }
        #expect(error.code == .wrongYear)
    }

    @Test("the shipped files re-encode to schedules that validate")
    func shippedFilesValidate() throws {
        for year in bundledCalendar.knownYears {
            let schedule = try #require(bundledCalendar.schedule(for: year))
            let data = try JSONEncoder().encode(schedule)
            #expect(try YearSchedule.decode(data, fileName: "\(year).json") == schedule)
        }
    }
}
