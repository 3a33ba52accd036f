import Foundation

/// A value computed from the calendar, with whether it relied on a year that has no schedule.
///
/// `isProvisional` is `true` when some day the computation had to look at lies in a year with no
/// data file: that year was taken as Monday–Friday working, which the official notice will
/// almost certainly change (New Year's Day at least). Show such results as provisional and
/// recompute them once the year's file is installed.
public struct CalendarResult<Value: Sendable>: Sendable {
    /// The computed value.
    public let value: Value
    /// `true` when the value depends on a year without a schedule (weekends-only assumption).
    public let isProvisional: Bool

    /// Creates a result.
    public init(value: Value, isProvisional: Bool) {
        self.value = value
        self.isProvisional = isProvisional
    }
}

extension CalendarResult: Equatable where Value: Equatable {}
extension CalendarResult: Hashable where Value: Hashable {}

/// When a case accepted at some instant is due, under a limit in working days.
public struct DueDate: Sendable, Hashable {
    /// The last day of the period (the N-th working day after the day of acceptance), Asia/Shanghai.
    public let date: LocalDate
    /// The exclusive end of the period: the start of the day after ``date`` in Asia/Shanghai.
    /// The case is late from this instant on. Note that its local date is the day after ``date``;
    /// count remaining working days against ``date``, not against this instant.
    public let dueBy: Date
    /// `true` when the period reaches into a year with no schedule (see ``CalendarResult``).
    public let isProvisional: Bool

    /// Creates a due date.
    public init(date: LocalDate, dueBy: Date, isProvisional: Bool) {
        self.date = date
        self.dueBy = dueBy
        self.isProvisional = isProvisional
    }

    /// `true` when `instant` is at or after ``dueBy``.
    public func isLate(at instant: Date) -> Bool {
        instant >= dueBy
    }
}

/// The hall's working-day calendar: Monday–Friday, minus statutory holidays, plus adjusted
/// working weekend days (调休上班), from one ``YearSchedule`` per year.
///
/// Periods follow the Administrative Licensing Law: the day a period starts on is not counted.
/// A limit of N working days from acceptance on day D ends on the N-th working day strictly after
/// D, whatever D is (a holiday or weekend included), at the end of that day in Asia/Shanghai.
///
/// Years without a schedule are treated as Monday–Friday working and every result touching them
/// is marked provisional. Every query is O(1) or O(log n) in the span: a cumulative count of
/// working days is precomputed over the known years.
///
/// A value type, immutable and `Sendable`: build it once at start-up and share it.
public struct WorkingCalendar: Sendable {
    /// The schedules, by year.
    private let schedules: [Int: YearSchedule]
    /// Known years as a dense bitmap from `firstYear`.
    private let firstYear: Int
    private let known: [Bool]
    /// Day number of 1 January of `firstYear`.
    private let tableStart: Int
    /// `adjustment[i]`: over days `tableStart...tableStart+i`, working days minus Monday–Fridays.
    private let adjustment: [Int32]
    /// Holiday names by day number, for display.
    private let holidayNames: [Int: String]

    /// Builds a calendar from schedules, validating each.
    ///
    /// - Throws: ``CalendarError`` when a schedule breaks a rule (see ``YearSchedule/validate()``)
    ///   or two schedules share a year.
    public init(schedules: [YearSchedule]) throws {
        var byYear: [Int: YearSchedule] = [:]
        for schedule in schedules {
            try schedule.validate()
            guard byYear.updateValue(schedule, forKey: schedule.year) == nil else {
                throw CalendarError(.wrongYear, "two schedules for \(schedule.year)")
            }
        }
        self.init(validated: byYear)
    }

    private init(validated byYear: [Int: YearSchedule]) {
        schedules = byYear
        let years = byYear.keys.sorted()
        guard let first = years.first, let last = years.last else {
            firstYear = 0
            known = []
            tableStart = 0
            adjustment = []
            holidayNames = [:]
            return
        }
        firstYear = first
        known = (first...last).map { byYear[$0] != nil }
        tableStart = LocalDate.dayNumber(year: first, month: 1, day: 1)
        let tableEnd = LocalDate.dayNumber(year: last + 1, month: 1, day: 1)

        // Per-day difference from the weekends-only rule: -1 for a weekday off, +1 for a weekend worked.
        var delta = [Int32](repeating: 0, count: tableEnd - tableStart)
        var names: [Int: String] = [:]
        for schedule in byYear.values {
            for holiday in schedule.holidays {
                for day in holiday.from...holiday.to {
                    names[day.dayNumber] = holiday.name
                    if !day.isWeekend { delta[day.dayNumber - tableStart] = -1 }
                }
            }
            for day in schedule.adjustedWorkingDays {
                delta[day.dayNumber - tableStart] = 1
            }
        }
        var running: Int32 = 0
        adjustment = delta.map { value in
            running += value
            return running
        }
        holidayNames = names
    }

    /// Loads the schedules shipped with this module (`Data/<year>.json`).
    ///
    /// - Throws: ``CalendarError`` if the bundled data is missing or invalid (a packaging bug).
    public static func bundled() throws -> WorkingCalendar {
        try WorkingCalendar(validated: loadSchedules(in: bundledDirectory(), allowEmpty: false))
    }

    /// Loads the bundled schedules, then the `<year>.json` files in `directory`, which add years
    /// or replace bundled ones. `nil` gives ``bundled()``.
    ///
    /// This is the start-up path for services: an operator installs next year's file (e.g. in the
    /// directory named by `HALL_CALENDAR_DIR`) without a code change or a new build.
    ///
    /// - Throws: ``CalendarError`` naming the file and the rule when any file is unreadable or invalid.
    public static func bundled(overlaying directory: URL?) throws -> WorkingCalendar {
        var byYear = try loadSchedules(in: bundledDirectory(), allowEmpty: false)
        if let directory {
            byYear.merge(try loadSchedules(in: directory, allowEmpty: true)) { _, installed in installed }
        }
        return WorkingCalendar(validated: byYear)
    }

    /// Loads every `<year>.json` file in `directory` (and nothing else: no bundled years).
    ///
    /// Files not ending in `.json` are ignored; a `.json` file not named `YYYY.json` is an error.
    ///
    /// - Throws: ``CalendarError`` naming the file and the rule when a file is unreadable or
    ///   invalid, or `noSchedules` when the directory holds none.
    public static func load(directory: URL) throws -> WorkingCalendar {
        try WorkingCalendar(validated: loadSchedules(in: directory, allowEmpty: false))
    }

    // MARK: Queries

    /// The years that have a schedule, ascending. Results touching any other year are provisional.
    public var knownYears: [Int] {
        schedules.keys.sorted()
    }

    /// The schedule for `year`, if one is loaded.
    public func schedule(for year: Int) -> YearSchedule? {
        schedules[year]
    }

    /// Whether `date` is a working day; provisional when its year has no schedule.
    public func isWorkingDay(_ date: LocalDate) -> CalendarResult<Bool> {
        CalendarResult(
            value: count(through: date) - count(through: date.adding(days: -1)) == 1,
            isProvisional: !isKnown(date.year)
        )
    }

    /// The name of the statutory holiday `date` falls in (e.g. `春节`), or `nil` on any other day,
    /// including every day of a year without a schedule.
    public func holidayName(on date: LocalDate) -> String? {
        holidayNames[date.dayNumber]
    }

    /// The `n`-th working day strictly after `date` (the day itself is never counted, whatever it is).
    ///
    /// `n == 0` gives `date` itself; a negative `n` is ``subtractingWorkingDays(_:before:)`` of `-n`.
    /// Provisional when a day in `date+1 … result` lies in a year without a schedule.
    public func addingWorkingDays(_ n: Int, after date: LocalDate) -> CalendarResult<LocalDate> {
        if n < 0 { return subtractingWorkingDays(-n, before: date) }
        if n == 0 { return CalendarResult(value: date, isProvisional: false) }
        let target = count(through: date) + n
        // The smallest day with count >= target; it is a working day, the n-th after `date`.
        var low = date.dayNumber + 1
        var high = date.dayNumber + n + n / 2 + 7
        while count(through: high) < target {
            low = high + 1
            high += high - date.dayNumber
        }
        while low < high {
            let middle = low + (high - low) / 2
            if count(through: middle) >= target { high = middle } else { low = middle + 1 }
        }
        let result = LocalDate(dayNumber: low)
        return CalendarResult(value: result, isProvisional: provisional(date.adding(days: 1), result))
    }

    /// The `n`-th working day strictly before `date`: e.g. the day to warn "1 working day before due".
    ///
    /// `n == 0` gives `date` itself; a negative `n` is ``addingWorkingDays(_:after:)`` of `-n`.
    /// Provisional when a day in `result … date-1` lies in a year without a schedule.
    public func subtractingWorkingDays(_ n: Int, before date: LocalDate) -> CalendarResult<LocalDate> {
        if n < 0 { return addingWorkingDays(-n, after: date) }
        if n == 0 { return CalendarResult(value: date, isProvisional: false) }
        // The largest day e < date with count(through: e - 1) <= limit; it is a working day and
        // exactly n working days lie in e ... date-1.
        let limit = count(through: date.dayNumber - 1) - n
        var high = date.dayNumber - 1
        var low = date.dayNumber - (n + n / 2 + 7)
        while count(through: low - 1) > limit {
            high = low - 1
            low -= date.dayNumber - low
        }
        while low < high {
            let middle = high - (high - low) / 2
            if count(through: middle - 1) <= limit { low = middle } else { high = middle - 1 }
        }
        let result = LocalDate(dayNumber: low)
        return CalendarResult(value: result, isProvisional: provisional(result, date.adding(days: -1)))
    }

    /// `date` if it is a working day, else the next working day after it.
    public func workingDay(onOrAfter date: LocalDate) -> CalendarResult<LocalDate> {
        addingWorkingDays(1, after: date.adding(days: -1))
    }

    /// `date` if it is a working day, else the last working day before it.
    public func workingDay(onOrBefore date: LocalDate) -> CalendarResult<LocalDate> {
        subtractingWorkingDays(1, before: date.adding(days: 1))
    }

    /// Working days strictly after `start` up to and including `end`; 0 when `end <= start`.
    ///
    /// The inverse of ``addingWorkingDays(_:after:)``: `workingDays(from: d, to: addingWorkingDays(n, after: d).value) == n`.
    /// Provisional when a day in `start+1 … end` lies in a year without a schedule.
    public func workingDays(from start: LocalDate, to end: LocalDate) -> CalendarResult<Int> {
        guard end > start else { return CalendarResult(value: 0, isProvisional: false) }
        return CalendarResult(
            value: count(through: end) - count(through: start),
            isProvisional: provisional(start.adding(days: 1), end)
        )
    }

    /// Working days strictly after the Asia/Shanghai date of `start` up to and including that of
    /// `end`; 0 when `end`'s date is not after `start`'s.
    ///
    /// Times of day do not matter, only the hall dates. Against a ``DueDate`` use its `date`
    /// (its `dueBy` instant is already on the next day).
    public func workingDays(from start: Date, to end: Date) -> CalendarResult<Int> {
        workingDays(from: LocalDate.inHall(start), to: LocalDate.inHall(end))
    }

    /// When a case accepted at `acceptedAt` is due with a limit of `workingDays` working days.
    ///
    /// The day of acceptance (in Asia/Shanghai) is not counted; the period ends with the
    /// `workingDays`-th working day after it, and the case is late from the start of the next day.
    /// Example: accepted on Friday 2026-02-13 with 2 working days → 2026-02-24 (14 Feb is an
    /// adjusted working Saturday, 15–23 Feb is the Spring Festival).
    public func dueDate(acceptedAt: Date, workingDays: Int) -> DueDate {
        let result = addingWorkingDays(workingDays, after: LocalDate.inHall(acceptedAt))
        return DueDate(date: result.value, dueBy: result.value.endInstant, isProvisional: result.isProvisional)
    }

    // MARK: Internals

    /// Working days in some fixed origin … `day`, up to a constant: `count(through: b) - count(through: a)`
    /// is the number of working days in `a+1 … b`. Monotone, rising by 1 exactly on working days.
    private func count(through day: LocalDate) -> Int {
        count(through: day.dayNumber)
    }

    private func count(through dayNumber: Int) -> Int {
        // Monday–Fridays from the Monday 1970-01-05 (day 4), as a floor-based closed form.
        let offset = dayNumber - 4
        let weeks = offset >= 0 ? offset / 7 : (offset - 6) / 7
        let weekdays = 5 * weeks + min(offset - 7 * weeks + 1, 5)
        let index = dayNumber - tableStart
        if index < 0 || adjustment.isEmpty { return weekdays }
        return weekdays + Int(adjustment[min(index, adjustment.count - 1)])
    }

    private func isKnown(_ year: Int) -> Bool {
        let index = year - firstYear
        return index >= 0 && index < known.count && known[index]
    }

    /// `true` when some year from `first`'s to `last`'s has no schedule.
    private func provisional(_ first: LocalDate, _ last: LocalDate) -> Bool {
        let lastYear = last.year
        var year = first.year
        while year <= lastYear {
            if !isKnown(year) { return true }
            year += 1
        }
        return false
    }

    private static func bundledDirectory() throws -> URL {
        guard let url = Bundle.module.url(forResource: "Data", withExtension: nil) else {
            throw CalendarError(.unreadable, "the module's bundled Data directory is missing")
        }
        return url
    }

    private static func loadSchedules(in directory: URL, allowEmpty: Bool) throws -> [Int: YearSchedule] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw CalendarError(.unreadable, "cannot list the calendar directory \(directory.path): \(error)")
        }
        var byYear: [Int: YearSchedule] = [:]
        for name in names.sorted() where name.lowercased().hasSuffix(".json") {
            guard YearSchedule.yearInFileName(name) != nil else {
                throw CalendarError(.badFileName, "a calendar file must be named YYYY.json (e.g. 2027.json)", dataFile: name)
            }
            let data: Data
            do {
                data = try Data(contentsOf: directory.appendingPathComponent(name))
            } catch {
                throw CalendarError(.unreadable, "cannot read \(directory.appendingPathComponent(name).path): \(error)", dataFile: name)
            }
            let schedule = try YearSchedule.decode(data, fileName: name)
            byYear[schedule.year] = schedule
        }
        if byYear.isEmpty && !allowEmpty {
            throw CalendarError(.noSchedules, "no YYYY.json calendar file in \(directory.path)")
        }
        return byYear
    }
}
