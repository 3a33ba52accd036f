/// Finds a member of a JSON object in its bytes, without reading the rest into values.
///
/// Only for a document a `JSONDecoder` has already read without error (so its syntax is known to be
/// valid): it skips strings, numbers, literals, objects and arrays by their delimiters.
enum JSONMembers {
    /// The bytes of the value of the top-level member `name`, or nil when the document is not an
    /// object, has no such member or has it twice, or has a key written with an escape (then the
    /// caller reads the document the long way, as a decoder would).
    static func span(of name: String, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let key = Array(name.utf8)
        var i = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        func skipSpace() { while i < bytes.count, isSpace(bytes[i]) { i += 1 } }
        /// Past the string that opens at `i` (a quote); false on an escape when `plain` is asked.
        func skipString(plain: Bool) -> Bool {
            i += 1
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == UInt8(ascii: "\\") {
                    if plain { return false }
                    i += 1
                }
                i += 1
            }
            i += 1
            return i <= bytes.count
        }
        func skipValue() {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                _ = skipString(plain: false)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                repeat {
                    switch bytes[i] {
                    case UInt8(ascii: "\""): _ = skipString(plain: false); continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    default: break
                    }
                    i += 1
                } while depth > 0 && i < bytes.count
            default:
                while i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: "}"), bytes[i] != UInt8(ascii: "]"), !isSpace(bytes[i]) {
                    i += 1
                }
            }
        }
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var found: Range<Int>?
        while true {
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "}") { return found }
            guard bytes[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            guard skipString(plain: true) else { return nil }
            let isName = i - 1 - keyStart == key.count && (0..<key.count).allSatisfy { bytes[keyStart + $0] == key[$0] }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            guard i < bytes.count else { return nil }
            let valueStart = i
            skipValue()
            if isName {
                if found != nil { return nil }
                found = valueStart..<i
            }
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ",") { i += 1 } else if bytes[i] != UInt8(ascii: "}") { return nil }
        }
    }
}

/// Decodes only when the value is a JSON object, without reading its members.
struct ObjectShape: Decodable {
    init(from decoder: any Decoder) throws { _ = try decoder.container(keyedBy: AnyCodingKey.self) }
}
