import Foundation
import HallKit
import Testing

/// A record a service reads with ``JSONReader`` must mean what Foundation's JSON reading makes of
/// it: every escape, every character, every whole number; and text that is not JSON (cut short,
/// garbled, hostile) is an error, never a crash.
@Suite("Reading JSON without Codable")
struct JSONReaderTests {
    /// Random text of quotes, backslashes, control characters, Chinese, emoji and plain letters.
    static func randomText(_ generator: inout some RandomNumberGenerator) -> String {
        let pieces: [String] = ["\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "受理", "通知书", "😀", "é", "a", "Z", " ", "0"]
        return (0..<Int.random(in: 0...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
    }

    @Test("strings read back exactly, as JSONEncoder escaped them and with \\u escapes of every kind (surrogate pairs, upper and lower case hex, \\/)")
    func strings() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let text = Self.randomText(&generator)
            var reader = JSONReader(String(decoding: try JSONEncoder().encode([text]), as: UTF8.self))
            #expect(try reader.list { try $0.string() } == [text])
            // Every character written as \u escapes (two, a surrogate pair, for one outside the BMP).
            let escaped = text.utf16.map { String(format: Bool.random(using: &generator) ? "\\u%04x" : "\\u%04X", $0) }.joined()
            var escapes = JSONReader("\"\(escaped)\"")
            #expect(try escapes.string() == text)
        }
        var slash = JSONReader(#"  "a\/b\"c\\d\be\ff\ng\rh\ti"  "#)
        #expect(try slash.string() == "a/b\"c\\d\u{08}e\u{0C}f\ng\rh\ti")
        try slash.end()
    }

    @Test("whole numbers of 64 bits, negative too; a fraction, an exponent or an overflow is refused")
    func integers() throws {
        for value in [Int64.min, -1, 0, 7, 849_963_748_448_865, Int64.max] {
            var reader = JSONReader(" \(value) ")
            #expect(try reader.integer() == value)
        }
        for text in ["1.5", "1e3", "9223372036854775808", "-", "", "x", "\"1\""] {
            var reader = JSONReader(text)
            #expect(throws: JSONReader.Malformed.self, "\(text)") { try reader.integer() }
        }
    }

    @Test("objects and arrays with PostgreSQL's spacing and new lines; null for each kind; an unknown member of any shape skipped")
    func shapes() throws {
        let text = """
            {"a" : 1, "skip" : {"x" : [1, -2.5e3, true, null, "s\\"}", {"y" : []}]}, "list" : [{"k" : "v"}, \n {"k" : null}],
             "none" : null, "flag" : false, "empty" : {}, "nothing" : []}
            """
        var reader = JSONReader(text)
        var seen: [String] = []
        var a: Int64?, list: [String?]?, none: [Int64?]?, flag: Bool?, emptyIsObject = false, nothing: [Int64?]?
        try reader.object { reader, key in
            seen.append(key)
            switch key {
            case "a": a = try reader.integer()
            case "list": list = try reader.list { reader in
                var value: String?
                try reader.object { reader, _ in value = try reader.string() }
                return value
            }
            case "none": none = try reader.list { try $0.integer() }
            case "flag": flag = try reader.bool()
            case "empty": emptyIsObject = try reader.object { reader, _ in try reader.skip() }
            case "nothing": nothing = try reader.list { try $0.integer() }
            default: try reader.skip()
            }
        }
        try reader.end()
        #expect(seen == ["a", "skip", "list", "none", "flag", "empty", "nothing"])
        #expect(a == 1 && list == ["v", nil] && none == nil && flag == false && emptyIsObject && nothing == [])
        var null = JSONReader("null")
        #expect(try null.object { _, _ in Issue.record("a member of null") } == false)
    }

    @Test("text that is not JSON, cut short or garbled at random, is refused with an error, never a crash")
    func malformed() throws {
        let valid = #"{"s" : "受理\n\u4e2d\ud83d\ude00", "n" : [1, -2, null], "o" : {"t" : true, "f" : false}}"#
        let bytes = Array(valid.utf8)
        func read(_ text: String) throws {
            var reader = JSONReader(text)
            try reader.object { reader, key in
                switch key {
                case "s": _ = try reader.string()
                case "n": _ = try reader.list { try $0.integer() }
                default: try reader.skip()
                }
            }
            try reader.end()
        }
        try read(valid)
        for cut in 0..<bytes.count {
            #expect(throws: JSONReader.Malformed.self) { try read(String(decoding: bytes[..<cut], as: UTF8.self)) }
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]":,\"u0aZd8-.e nul"#.utf8) + [0x00, 0x0A, 0xC3, 0xFF]
        for _ in 0..<5_000 {
            var garbled = bytes
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                garbled[Int.random(in: 0..<garbled.count, using: &generator)] = alphabet.randomElement(using: &generator)!
            }
            do { try read(String(decoding: garbled, as: UTF8.self)) } catch is JSONReader.Malformed {}
        }
        for text in [#""\ud83d""#, #""\ud83d \ude00""#, #""\ude00""#, #""\ud83dx""#, #""\u12""#, #""\q""#, "\"a\u{01}b\"", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "nul"] {
            var reader = JSONReader(text)
            #expect(throws: JSONReader.Malformed.self, "\(text)") { try reader.skip(); try reader.end() }
        }
    }
}
