import Foundation
import HallContracts
import Testing

@Suite("Malformed envelopes")
struct MalformedEnvelopeTests {
    static let valid: [String: JSONValue] = [
        "id": "0b9e3c1a-5f7d-4c2e-9a61-3d8f2b7e4c10",
        "type": "platform.outbox.republished",
        "version": 1,
        "occurredAt": "2026-01-05T08:30:00.123Z",
        "producer": "intake",
        "data": [:],
    ]

    static func bytes(_ change: (inout [String: JSONValue]) -> Void) throws -> [UInt8] {
        var members = valid
        change(&members)
        return Array(try JSONEncoder().encode(JSONValue.object(members)))
    }

    @Test("the valid base decodes")
    func base() throws {
        #expect(throws: Never.self) { try EventEnvelope.decode(from: Self.bytes { _ in }) }
    }

    @Test("bytes that are not a JSON object are refused", arguments: ["", "not json", "{", "[]", "null", "42", "{\"id\":}"])
    func notJSON(text: String) throws {
        let error = try #require(throws: ContractError.self) { try EventEnvelope.decode(from: text.bytes) }
        #expect(error.code == .malformedEnvelope)
        #expect(error.code.deadLetterErrorCode == .malformedEnvelope)
    }

    @Test("a bad member is refused and named", arguments: [
        ("id", nil), ("id", "not-a-uuid"), ("id", "0b9e3c1a5f7d4c2e9a613d8f2b7e4c10"), ("id", 7),
        ("type", nil), ("type", "Intake.Accepted"), ("type", "accepted"), ("type", "intake..accepted"), ("type", "intake.accepted."),
        ("version", nil), ("version", 0), ("version", -1), ("version", "1"), ("version", 1.5),
        ("occurredAt", nil), ("occurredAt", "2026-01-05 08:30:00"), ("occurredAt", "2026-02-30T00:00:00Z"), ("occurredAt", 1767601800),
        ("producer", nil), ("producer", ""), ("producer", "Intake"),
        ("caseId", ""), ("caseId", 12),
        ("correlationId", "nope"), ("causationId", "nope"),
        ("data", nil), ("data", []), ("data", "text"), ("data", .null),
        ("extra", "member"),
    ] as [(String, JSONValue?)])
    func badMember(name: String, value: JSONValue?) throws {
        let bytes = try Self.bytes { $0[name] = value }
        let error = try #require(throws: ContractError.self) { try EventEnvelope.decode(from: bytes) }
        #expect(error.code == .malformedEnvelope)
        #expect(error.fieldPath == name, "\(error)")
    }
}
