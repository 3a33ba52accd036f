/// Why a holiday schedule could not be loaded.
///
/// Never retriable: the same file fails the same way until an operator fixes it. The message
/// names the data file (when there is one), the rule broken and the offending value.
public struct CalendarError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure. Extensible: compare against the static members, don't switch exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// Stable kebab-case name of the code.
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The data directory or a file in it could not be read, or the bundled data is missing.
        public static let unreadable = Code("unreadable")
        /// A `.json` file in the data directory is not named `YYYY.json`.
        public static let badFileName = Code("bad-file-name")
        /// The file is not JSON, a field is missing or has the wrong type, or a date is not an
        /// existing `YYYY-MM-DD` date.
        public static let malformed = Code("malformed")
        /// The file's `year` differs from its name, or two schedules claim the same year.
        public static let wrongYear = Code("wrong-year")
        /// A holiday or adjusted working day lies outside the schedule's year.
        public static let dateOutsideYear = Code("date-outside-year")
        /// A holiday range ends before it starts, has no name, or overlaps another holiday.
        public static let badHoliday = Code("bad-holiday")
        /// An adjusted working day (调休上班) is not a Saturday or Sunday, is listed twice, or
        /// falls inside a holiday range.
        public static let badAdjustedWorkingDay = Code("bad-adjusted-working-day")
        /// A directory held no schedule at all.
        public static let noSchedules = Code("no-schedules")

        /// The stable kebab-case name.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation naming the rule and the offending value.
    public let message: String
    /// The data file's name (e.g. `2027.json`), when the failure is about one file.
    public let dataFile: String?
    /// Source file that raised the error.
    public let file: String
    /// Source line that raised the error.
    public let line: Int

    /// Always `false`: loading the same data again fails the same way.
    public var isRetriable: Bool { false }

    /// Creates an error; `file` and `line` default to the caller's location.
    public init(_ code: Code, _ message: String, dataFile: String? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.dataFile = dataFile
        self.file = file
        self.line = line
    }

    /// `dataFile: code: message`, e.g. `2027.json: bad-adjusted-working-day: 2027-01-04 is a Monday …`.
    public var description: String {
        if let dataFile {
            return "\(dataFile): \(code): \(message)"
        }
        return "\(code): \(message)"
    }

    /// The same error attributed to `dataFile`.
    func inFile(_ dataFile: String) -> CalendarError {
        CalendarError(code, message, dataFile: dataFile, file: file, line: line)
    }
}
