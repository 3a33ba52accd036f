import Foundation
import HallCalendar

/// A configuration value is missing or malformed. Its description is the one line a service prints
/// before refusing to start, naming the key.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The environment variable at fault.
    public var key: String
    /// What is wrong with it.
    public var problem: String

    /// Creates an error.
    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "configuration error: \(key) \(problem)" }
}

/// Reads typed settings from environment variables.
///
/// Each accessor documents its key's default in the caller's configuration struct; a malformed
/// value throws ``ConfigurationError`` naming the key.
public struct EnvironmentReader: Sendable {
    private let values: [String: String]

    /// Reads from the process environment, or from the given dictionary (tests).
    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The raw value, with empty strings treated as unset.
    public func raw(_ key: String) -> String? {
        guard let value = values[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// A required string.
    public func require(_ key: String, hint: String = "") throws -> String {
        guard let value = raw(key) else {
            throw ConfigurationError(key: key, problem: "is not set" + (hint.isEmpty ? "" : " (\(hint))"))
        }
        return value
    }

    /// A string with a default.
    public func string(_ key: String, default fallback: String) -> String { raw(key) ?? fallback }

    /// An integer within `range`, with a default.
    public func int(_ key: String, default fallback: Int, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        guard let text = raw(key) else { return fallback }
        guard let value = Int(text) else { throw ConfigurationError(key: key, problem: "must be an integer, got '\(text)'") }
        guard range.contains(value) else {
            throw ConfigurationError(key: key, problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// A number satisfying `valid` (described by `rule`, e.g. "a number in (0, 1]"), with a default.
    public func double(_ key: String, default fallback: Double, rule: String, where valid: (Double) -> Bool) throws -> Double {
        guard let text = raw(key) else { return fallback }
        guard let value = Double(text), valid(value) else { throw ConfigurationError(key: key, problem: "must be \(rule), got '\(text)'") }
        return value
    }

    /// The hall's working-day calendar: the bundled official schedules, plus the year files
    /// (`YYYY.json`) in the folder named by `key` (`HALL_CALENDAR_DIR`), so that an operator adds
    /// next year's schedule without a code change.
    public func calendar(_ key: String = "HALL_CALENDAR_DIR") throws -> WorkingCalendar {
        do {
            return try WorkingCalendar.bundled(overlaying: raw(key).map { URL(fileURLWithPath: $0) })
        } catch {
            throw ConfigurationError(key: key, problem: "\(error)")
        }
    }

    /// A duration written as a number with a unit: `250ms`, `5s`, `10m`, `2h`, `7d`.
    public func duration(_ key: String, default fallback: Duration) throws -> Duration {
        guard let text = raw(key) else { return fallback }
        guard let value = Self.parseDuration(text) else {
            throw ConfigurationError(key: key, problem: "must be a duration like 250ms, 5s, 10m, 2h or 7d, got '\(text)'")
        }
        return value
    }

    /// Parses `250ms`, `5s`, `10m`, `2h`, `7d`; nil when malformed or negative.
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            // "ms" also ends with "s": only accept a pure integer before the unit.
            if let value = Int64(number), value >= 0 { return .milliseconds(value * factor) }
        }
        return nil
    }
}
