import Foundation
import HallContracts
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test("integers stay integers, other numbers stay doubles")
    func numbers() throws {
        let value = try JSONValue.parse("[0, -7, 9007199254740993, 9223372036854775807, 1.5, 1e300, 0.1]".bytes)
        #expect(value[0] == .int(0))
        #expect(value[2] == .int(9_007_199_254_740_993))
        #expect(value[3] == .int(Int64.max))
        if case .double(let d) = value[4] { #expect(d == 1.5) } else { Issue.record("1.5 is \(String(describing: value[4]))") }
        let text = String(decoding: try EventEnvelope.encoder().encode(value), as: UTF8.self)
        #expect(text.hasPrefix("[0,-7,9007199254740993,9223372036854775807,1.5,"))
    }

    @Test("whole doubles equal the same integer")
    func numericEquality() {
        #expect(JSONValue.double(1.0) == .int(1))
        #expect(Set<JSONValue>([.double(1.0), .int(1)]).count == 1)
        #expect(JSONValue.double(1.5) != .int(1))
    }

    @Test("nested values round trip with sorted keys")
    func nested() throws {
        let value: JSONValue = ["b": [1, "two", nil, true, ["c": 2.5]], "a": [:], "ü/x": "\"quoted\"\n"]
        let bytes = try EventEnvelope.encoder().encode(value)
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"a":{},"b":[1,"two",null,true,{"c":2.5}],"ü/x":"\"quoted\"\n"}"#)
        #expect(try JSONValue.parse(bytes) == value)
    }
}
