import Foundation
import HallContracts

/// Reading golden fixtures and schemas for the contract tests.
enum Contracts {
    /// `Tests/ContractsTests/Fixtures/` as copied into the test bundle.
    static var fixturesDirectory: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures"])
            }
            return url
        }
    }

    /// `Shared/Contracts/schemas/` in the source tree, found from this file's path.
    static let schemasDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ContractsTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .appendingPathComponent("Shared/Contracts/schemas", isDirectory: true)

    /// The bytes of a fixture file, exactly as stored.
    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: try fixturesDirectory.appendingPathComponent(name)))
    }

    /// Names of every `.json` file in the fixtures folder.
    static func fixtureNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: try fixturesDirectory.path)
            .filter { $0.hasSuffix(".json") }
            .sorted()
    }

    /// Names of every `.json` file in the schemas folder.
    static func schemaNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: schemasDirectory.path)
            .filter { $0.hasSuffix(".json") }
            .sorted()
    }

    /// A schema file parsed as JSON.
    static func schema(_ name: String) throws -> JSONValue {
        try JSONValue.parse(Data(contentsOf: schemasDirectory.appendingPathComponent(name)))
    }

    /// JSON text with all whitespace outside strings removed, so a pretty-printed fixture can be
    /// compared byte for byte with the encoder's compact output.
    static func compact(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                result.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
                result.append(byte)
            } else if ![UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains(byte) {
                result.append(byte)
            }
        }
        return result
    }

    /// A UTC instant from its parts; `millisecond` may be fractional to test truncation.
    static func date(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0, millisecond: Double = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let whole = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
        return Date(timeIntervalSinceReferenceDate: whole.timeIntervalSinceReferenceDate + millisecond / 1_000)
    }
}

extension String {
    /// The string's UTF-8 bytes.
    var bytes: [UInt8] { Array(utf8) }
}
