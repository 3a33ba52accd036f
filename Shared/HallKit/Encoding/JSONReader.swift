/// Reads JSON text front to back, each value as the caller asks for it, without building a tree
/// or going through `Codable`.
///
/// For a record a service reads on its busiest path: Foundation's `JSONDecoder` took 20 µs for a
/// case's 1 KB status record, most of it in `Codable`'s containers and keys, a twentieth of a
/// case-status page. A type reads itself with ``object(_:)``, ``array(_:)`` and the scalars, and
/// ``skip()``s a member it does not know. Text that is not JSON, or not the shape asked for, throws
/// ``Malformed`` with the byte offset; nothing traps.
public struct JSONReader {
    /// The text is not JSON, or not what the reader was asked for, at byte `offset`.
    public struct Malformed: Error, CustomStringConvertible {
        public let offset: Int
        public let expected: String
        public var description: String { "malformed JSON at byte \(offset): expected \(expected)" }
        public init(offset: Int, expected: String) {
            self.offset = offset
            self.expected = expected
        }
    }

    private let bytes: [UInt8]
    private var at = 0
    /// The byte offset of what is read next.
    public var offset: Int { at }

    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// Throws unless only whitespace is left.
    public mutating func end() throws {
        skipSpace()
        guard at == bytes.count else { throw Malformed(offset: at, expected: "the end of the text") }
    }

    /// Reads an object, calling `member` with each key; `member` reads the key's value (or skips it).
    /// Returns false, having read it, for `null`.
    @discardableResult
    public mutating func object(_ member: (inout JSONReader, String) throws -> Void) throws -> Bool {
        if null() { return false }
        try expect(UInt8(ascii: "{"), "an object")
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            skipSpace()
            guard peek == UInt8(ascii: "\"") else { throw Malformed(offset: at, expected: "a key") }
            let key = try stringBody()
            try expect(UInt8(ascii: ":"), "':'")
            try member(&self, key)
        } while take(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), "',' or '}'")
        return true
    }

    /// Reads an array, calling `element` for each element; returns false, having read it, for `null`.
    @discardableResult
    public mutating func array(_ element: (inout JSONReader) throws -> Void) throws -> Bool {
        if null() { return false }
        try expect(UInt8(ascii: "["), "an array")
        if take(UInt8(ascii: "]")) { return true }
        repeat { try element(&self) } while take(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"), "',' or ']'")
        return true
    }

    /// An array of `element`s; nil for `null`.
    public mutating func list<Element>(_ element: (inout JSONReader) throws -> Element) throws -> [Element]? {
        var elements: [Element] = []
        return try array { elements.append(try element(&$0)) } ? elements : nil
    }

    /// A string; nil for `null`.
    public mutating func string() throws -> String? {
        if null() { return nil }
        skipSpace()
        guard peek == UInt8(ascii: "\"") else { throw Malformed(offset: at, expected: "a string") }
        return try stringBody()
    }

    /// A whole number that fits 64 bits; nil for `null`.
    public mutating func integer() throws -> Int64? {
        if null() { return nil }
        skipSpace()
        let start = at
        let negative = take(UInt8(ascii: "-"))
        // Counted below zero, which reaches one further than above: Int64.min reads too.
        var value: Int64 = 0, digits = 0, overflow = false
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (times, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (difference, overflowed2) = times.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            overflow = overflow || overflowed || overflowed2
            value = difference
            digits += 1
            at += 1
        }
        guard digits > 0, !(peek.map { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") } ?? false) else {
            throw Malformed(offset: start, expected: "a whole number")
        }
        guard !overflow, negative || value != .min else { throw Malformed(offset: start, expected: "a whole number of 64 bits") }
        return negative ? value : -value
    }

    /// `true` or `false`; nil for `null`.
    public mutating func bool() throws -> Bool? {
        if null() { return nil }
        skipSpace()
        if word("true") { return true }
        if word("false") { return false }
        throw Malformed(offset: at, expected: "true or false")
    }

    /// Reads a value of any kind and forgets it.
    public mutating func skip() throws {
        skipSpace()
        switch peek {
        case UInt8(ascii: "{"): try object { reader, _ in try reader.skip() }
        case UInt8(ascii: "["): try array { try $0.skip() }
        case UInt8(ascii: "\""): _ = try stringBody()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"):
            guard null() else { throw Malformed(offset: at, expected: "null") }
        default:
            // A number: a minus, digits, a fraction, an exponent.
            let start = at
            func digits() throws {
                let first = at
                while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { at += 1 }
                guard at > first else { throw Malformed(offset: start, expected: "a value") }
            }
            if peek == UInt8(ascii: "-") { at += 1 }
            try digits()
            if peek == UInt8(ascii: ".") {
                at += 1
                try digits()
            }
            if let byte = peek, byte | 0x20 == UInt8(ascii: "e") {
                at += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
                try digits()
            }
        }
    }

    // MARK: - Pieces

    private var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { at += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard peek == byte else { return false }
        at += 1
        return true
    }

    private mutating func expect(_ byte: UInt8, _ expected: String) throws {
        guard take(byte) else { throw Malformed(offset: at, expected: expected) }
    }

    /// Reads `null` if it is next.
    private mutating func null() -> Bool {
        skipSpace()
        return word("null")
    }

    /// Reads `word` if it is next, right at the cursor.
    private mutating func word(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard at + count <= bytes.count else { return false }
        let matches = word.withUTF8Buffer { word in (0..<count).allSatisfy { bytes[at + $0] == word[$0] } }
        if matches { at += count }
        return matches
    }

    /// The string starting at the opening quote under the cursor, unescaped; the cursor ends after the closing quote.
    private mutating func stringBody() throws -> String {
        at += 1
        let first = at
        // Most strings have no escape: their bytes are the string's.
        while let byte = peek, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 { at += 1 }
        if peek == UInt8(ascii: "\"") {
            defer { at += 1 }
            return String(decoding: bytes[first..<at], as: UTF8.self)   // valid UTF-8: a String's, cut at quotes
        }
        var text = Array(bytes[first..<at])
        while true {
            guard let byte = peek, byte >= 0x20 else { throw Malformed(offset: at, expected: "the string's closing quote") }
            at += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"): try escape(into: &text)
            default: text.append(byte)
            }
        }
    }

    /// The escape after a backslash, appended to `text` as UTF-8.
    private mutating func escape(into text: inout [UInt8]) throws {
        guard let byte = peek else { throw Malformed(offset: at, expected: "an escape") }
        at += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {   // a high surrogate: its low one must follow
                guard word("\\u") else { throw Malformed(offset: at, expected: "a low surrogate") }
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw Malformed(offset: at - 4, expected: "a low surrogate") }
                scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw Malformed(offset: at - 4, expected: "a Unicode scalar") }
            text.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw Malformed(offset: at - 1, expected: "an escape")
        }
    }

    private mutating func hex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit: UInt8? = switch peek {
            case let byte? where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case let byte? where byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"): byte | 0x20 - UInt8(ascii: "a") + 10
            default: nil
            }
            guard let digit else { throw Malformed(offset: at, expected: "four hexadecimal digits") }
            value = value << 4 | UInt32(digit)
            at += 1
        }
        return value
    }
}
