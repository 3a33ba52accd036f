import Foundation

/// One year's official holiday schedule (国务院办公厅关于部分节假日安排的通知): the data file format.
///
/// Stored as `Data/<year>.json`, for example:
/// ```json
/// { "year": 2026, "source": "国务院办公厅关于2026年部分节假日安排的通知 …", "published": "2025-11-04",
///   "holidays": [ { "name": "元旦", "englishName": "New Year", "from": "2026-01-01", "to": "2026-01-03" } ],
///   "adjustedWorkingDays": [ "2026-01-04" ] }
/// ```
/// A day is a working day when it is an adjusted working day, or a Monday–Friday not inside a
/// holiday range. A holiday day on a weekend is simply off. A holiday that spans New Year is
/// split between the two years' files (every date must lie in the file's year).
public struct YearSchedule: Codable, Sendable, Hashable {
    /// A run of consecutive days off (放假), both ends inclusive.
    public struct Holiday: Codable, Sendable, Hashable {
        /// The official name, shown to clerks and applicants (e.g. `春节`).
        public var name: String
        /// An English name for logs and English-language screens (e.g. `Spring Festival`).
        public var englishName: String?
        /// The first day off.
        public var from: LocalDate
        /// The last day off (inclusive).
        public var to: LocalDate

        /// Creates a holiday range; both ends inclusive.
        public init(name: String, englishName: String? = nil, from: LocalDate, to: LocalDate) {
            self.name = name
            self.englishName = englishName
            self.from = from
            self.to = to
        }
    }

    /// The Gregorian year the schedule covers.
    public var year: Int
    /// The notice it transcribes: title and number or publisher, enough to find the original.
    public var source: String
    /// The date the notice was published (normally in November of the previous year).
    public var published: LocalDate
    /// The days off, as inclusive ranges.
    public var holidays: [Holiday]
    /// Weekend days that are working days (调休上班); each must be a Saturday or Sunday.
    public var adjustedWorkingDays: [LocalDate]

    /// Creates a schedule. Call ``validate()`` (or let ``WorkingCalendar/init(schedules:)`` do it).
    public init(year: Int, source: String, published: LocalDate, holidays: [Holiday], adjustedWorkingDays: [LocalDate]) {
        self.year = year
        self.source = source
        self.published = published
        self.holidays = holidays
        self.adjustedWorkingDays = adjustedWorkingDays
    }

    /// Checks the schedule's rules: every date in ``year``; each holiday named, `from <= to`, no
    /// two holidays overlapping; each adjusted working day a Saturday or Sunday, listed once, and
    /// outside every holiday.
    ///
    /// - Throws: ``CalendarError`` naming the rule and the offending value.
    public func validate() throws {
        guard (1...9999).contains(year) else {
            throw CalendarError(.wrongYear, "year \(year) is outside 1...9999")
        }
        func inYear(_ date: LocalDate, _ what: String) throws {
            guard date.year == year else {
                throw CalendarError(.dateOutsideYear, "\(what) \(date) is not in \(year)")
            }
        }
        guard !source.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CalendarError(.malformed, "source is empty: name the notice this schedule transcribes")
        }
        for holiday in holidays {
            guard !holiday.name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw CalendarError(.badHoliday, "holiday \(holiday.from)…\(holiday.to) has no name")
            }
            try inYear(holiday.from, "holiday \(holiday.name) starts on")
            try inYear(holiday.to, "holiday \(holiday.name) ends on")
            guard holiday.from <= holiday.to else {
                throw CalendarError(.badHoliday, "holiday \(holiday.name) ends (\(holiday.to)) before it starts (\(holiday.from))")
            }
        }
        let sorted = holidays.sorted { $0.from < $1.from }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.from <= earlier.to {
            throw CalendarError(
                .badHoliday,
                "holidays \(earlier.name) (\(earlier.from)…\(earlier.to)) and \(later.name) (\(later.from)…\(later.to)) overlap"
            )
        }
        var seen = Set<LocalDate>()
        for day in adjustedWorkingDays {
            try inYear(day, "adjusted working day")
            guard day.isWeekend else {
                throw CalendarError(
                    .badAdjustedWorkingDay,
                    "adjusted working day \(day) is a \(Self.weekdayNames[day.weekday - 1]); only a Saturday or Sunday can be made a working day"
                )
            }
            guard seen.insert(day).inserted else {
                throw CalendarError(.badAdjustedWorkingDay, "adjusted working day \(day) is listed twice")
            }
            if let holiday = holidays.first(where: { $0.from <= day && day <= $0.to }) {
                throw CalendarError(
                    .badAdjustedWorkingDay,
                    "adjusted working day \(day) falls inside holiday \(holiday.name) (\(holiday.from)…\(holiday.to))"
                )
            }
        }
    }

    /// Decodes and validates one data file's bytes.
    ///
    /// - Parameters:
    ///   - data: the JSON bytes.
    ///   - fileName: the file's name, used in errors and, when it is `YYYY.json`, checked against ``year``.
    /// - Throws: ``CalendarError`` (`malformed`, `wrongYear` or a validation code) naming `fileName`.
    public static func decode(_ data: Data, fileName: String) throws -> YearSchedule {
        let schedule: YearSchedule
        do {
            schedule = try JSONDecoder().decode(YearSchedule.self, from: data)
        } catch let error as DecodingError {
            throw CalendarError(.malformed, describe(error), dataFile: fileName)
        } catch {
            throw CalendarError(.malformed, "not valid JSON: \(error)", dataFile: fileName)
        }
        if let named = yearInFileName(fileName), named != schedule.year {
            throw CalendarError(.wrongYear, "the file is named for \(named) but its year is \(schedule.year)", dataFile: fileName)
        }
        do {
            try schedule.validate()
        } catch let error as CalendarError {
            throw error.inFile(fileName)
        }
        return schedule
    }

    /// The year in a name of the form `YYYY.json`, else `nil`.
    static func yearInFileName(_ name: String) -> Int? {
        guard name.hasSuffix(".json") else { return nil }
        let stem = name.dropLast(5)
        guard stem.count == 4, stem.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(stem)
    }

    private static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing field \(parent.isEmpty ? "" : parent + ".")\(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            let at = path(context.codingPath)
            return at.isEmpty ? "not valid JSON: \(context.debugDescription)" : "\(at): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }
}
