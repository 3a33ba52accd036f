import Foundation

/// Any JSON value: the untyped form of an event's `data` and of any JSON a consumer does not model.
///
/// Numbers keep their kind: a JSON number written without fraction or exponent that fits in
/// `Int64` decodes as ``int(_:)``; every other number decodes as ``double(_:)``. Because JSON
/// itself does not distinguish `1` from `1.0`, equality and hashing treat `.int(1)` and
/// `.double(1.0)` as the same value, so a decode → encode → decode round trip always compares equal.
/// Object key order carries no meaning; encoders used by this module sort keys.
public enum JSONValue: Sendable, Hashable, Codable {
    /// JSON `null`.
    case null
    /// JSON `true` or `false`.
    case bool(Bool)
    /// A whole JSON number that fits in a signed 64-bit integer.
    case int(Int64)
    /// Any other JSON number. Non-finite values (NaN, ±infinity) cannot be encoded.
    case double(Double)
    /// A JSON string.
    case string(String)
    /// A JSON array.
    case array([JSONValue])
    /// A JSON object. Keys are unique; their order is not preserved.
    case object([String: JSONValue])

    /// Decodes any JSON value.
    ///
    /// Throws `DecodingError.dataCorrupted` only if the underlying decoder holds something that is
    /// not JSON (it never throws for valid JSON).
    public init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            if let count = array.count { elements.reserveCapacity(count) }
            while !array.isAtEnd {
                elements.append(try array.decode(JSONValue.self))
            }
            self = .array(elements)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyCodingKey.self) {
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(object.allKeys.count)
            for key in object.allKeys {
                members[key.stringValue] = try object.decode(JSONValue.self, forKey: key)
            }
            self = .object(members)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let value = try? single.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? single.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? single.decode(Double.self) {
            self = .double(value)
        } else if let value = try? single.decode(String.self) {
            self = .string(value)
        } else {
            throw DecodingError.dataCorruptedError(in: single, debugDescription: "Not a JSON value.")
        }
    }

    /// Encodes the value. Throws `EncodingError.invalidValue` for a non-finite ``double(_:)``.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .object(let members):
            var container = encoder.container(keyedBy: AnyCodingKey.self)
            for (key, value) in members {
                try container.encode(value, forKey: AnyCodingKey(key))
            }
        }
    }

    /// JSON equality: numbers compare by value across ``int(_:)`` and ``double(_:)``.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)):
            return Int64(exactly: b) == a
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }

    /// Hashes consistently with ``==(_:_:)`` (a whole `double` hashes like the equal `int`).
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0)
        case .bool(let value):
            hasher.combine(1)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(2)
            hasher.combine(value)
        case .double(let value):
            if let whole = Int64(exactly: value) {
                hasher.combine(2)
                hasher.combine(whole)
            } else {
                hasher.combine(3)
                hasher.combine(value)
            }
        case .string(let value):
            hasher.combine(4)
            hasher.combine(value)
        case .array(let elements):
            hasher.combine(5)
            hasher.combine(elements)
        case .object(let members):
            hasher.combine(6)
            hasher.combine(members)
        }
    }

    /// The member named `key` if this is an object that has it, otherwise `nil`.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The element at `index` if this is an array long enough, otherwise `nil`.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
        return nil
    }

    /// The members if this is an object, otherwise `nil`.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements if this is an array, otherwise `nil`.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The string if this is a string, otherwise `nil`.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// Parses JSON text (UTF-8) into a value.
    ///
    /// Throws the `DecodingError` of `JSONDecoder` if the bytes are not valid JSON.
    public static func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// Encodes any `Encodable` value into a `JSONValue`, writing dates as RFC 3339 UTC
    /// with millisecond precision (see ``RFC3339Timestamp``).
    ///
    /// Throws the `EncodingError` of the value's `encode(to:)`.
    public init(encoding value: some Encodable) throws {
        let bytes = try EventEnvelope.encoder().encode(value)
        self = try EventEnvelope.decoder().decode(JSONValue.self, from: bytes)
    }

    /// Decodes this value as `T`, reading dates as RFC 3339 (see ``RFC3339Timestamp``).
    ///
    /// Throws the `DecodingError` of `T.init(from:)`; its coding path names the failing field.
    public func decode<T: Decodable>(as type: T.Type = T.self) throws -> T {
        let bytes = try EventEnvelope.encoder().encode(self)
        return try EventEnvelope.decoder().decode(T.self, from: bytes)
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil` literal: ``null``.
    public init(nilLiteral: ()) { self = .null }
    /// Boolean literal: ``bool(_:)``.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// Integer literal: ``int(_:)``.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// Floating-point literal: ``double(_:)``.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// String literal: ``string(_:)``.
    public init(stringLiteral value: String) { self = .string(value) }
    /// Array literal: ``array(_:)``.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Dictionary literal: ``object(_:)``. A repeated key keeps the last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

/// A coding key for arbitrary JSON object member names.
struct AnyCodingKey: CodingKey, Hashable, Sendable {
    var stringValue: String
    var intValue: Int?

    init(_ string: String) {
        self.stringValue = string
        self.intValue = nil
    }

    init?(stringValue: String) { self.init(stringValue) }

    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}
