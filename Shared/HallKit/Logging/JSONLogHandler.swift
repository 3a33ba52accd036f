import Foundation
import Logging
import Synchronization

/// Writes one JSON object per line to standard error: `ts` (RFC 3339 UTC, ms), `level`, `label`,
/// `msg`, `source`, and every metadata key (`service.name`, `case.id`, `correlation.id`, …) as a
/// string field. For log shippers; select it with `HALL_LOG_FORMAT=json`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private static let lock = Mutex(())

    /// Creates a handler for `label` at `level`.
    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        fields["ts"] = Self.timestamp(Date())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["msg"] = "\(event.message)"
        fields["source"] = event.source
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(fields) else { return }
        line.append(UInt8(ascii: "\n"))
        Self.lock.withLock { _ in FileHandle.standardError.write(line) }
    }

    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var components = gmtime_r_components(milliseconds / 1000)
        components.milliseconds = Int(milliseconds % 1000)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", components.year, components.month, components.day, components.hour,
            components.minute, components.second, components.milliseconds)
    }
}

private struct TimeComponents {
    var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, milliseconds = 0
}

private func gmtime_r_components(_ seconds: Int64) -> TimeComponents {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    return TimeComponents(
        year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday), hour: Int(parts.tm_hour),
        minute: Int(parts.tm_min), second: Int(parts.tm_sec))
}
