import Foundation
import HallContracts
import Testing

/// The golden fixtures pin the wire format: changing one is a deliberate act.
@Suite("Envelope wire format")
struct EnvelopeWireFormatTests {
    /// The envelopes the fixtures must be, built in Swift.
    static let expected: [(fixture: String, envelope: @Sendable () throws -> EventEnvelope)] = [
        (
            "platform.outbox.republished.v1.json",
            {
                try EventEnvelope(
                    payload: OutboxRepublished(
                        fromTime: Contracts.date(2026, 1, 5),
                        toTime: Contracts.date(2026, 1, 5, 8),
                        rows: 42,
                        requestedBy: "operator-wang"
                    ),
                    id: UUID(uuidString: "0b9e3c1a-5f7d-4c2e-9a61-3d8f2b7e4c10")!,
                    occurredAt: Contracts.date(2026, 1, 5, 8, 30, 0, millisecond: 123),
                    producer: ServiceName.intake.rawValue,
                    caseId: nil,
                    correlationId: UUID(uuidString: "5D1C7A3E-2B94-4F0E-8C61-9A2E7B3F1D08")!
                )
            }
        ),
        (
            "envelope.minimal.json",
            {
                try EventEnvelope(
                    payload: OutboxRepublished(
                        fromTime: Contracts.date(2025, 12, 31, 16),
                        toTime: Contracts.date(2025, 12, 31, 16),
                        rows: 0,
                        requestedBy: "hallctl"
                    ),
                    id: UUID(uuidString: "e4f2a9c0-7b1d-4e3a-b5c8-1f0d2e6a9b74")!,
                    occurredAt: Contracts.date(2026, 1, 1),
                    producer: ServiceName.seal.rawValue,
                    caseId: nil
                )
            }
        ),
        (
            "envelope.full.json",
            {
                try EventEnvelope(
                    payload: OutboxRepublished(
                        fromTime: Contracts.date(2024, 2, 29, 15, 59, 59, millisecond: 999.9),
                        toTime: Contracts.date(2024, 3, 1, 0, 0, 0, millisecond: 1.5),
                        rows: 9_007_199_254_740_993,
                        requestedBy: "ops/王伟"
                    ),
                    id: UUID(uuidString: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")!,
                    occurredAt: Contracts.date(2026, 1, 5, 8, 30, 0, millisecond: 123.4),
                    producer: ServiceName.coordinator.rawValue,
                    caseId: "HALL-20260105-000123",
                    correlationId: UUID(uuidString: "5d1c7a3e-2b94-4f0e-8c61-9a2e7b3f1d08")!,
                    causationId: UUID(uuidString: "9f3e1b7a-4c2d-4a8e-b6f1-0d5c3e8a2b97")!
                )
            }
        ),
    ]

    @Test("encoder writes exactly the golden bytes", arguments: 0..<expected.count)
    func encoderMatchesGoldenBytes(index: Int) throws {
        let (name, make) = Self.expected[index]
        let encoded = try make().encoded()
        let golden = try Contracts.fixture(name)
        #expect(
            String(decoding: encoded, as: UTF8.self) == String(decoding: Contracts.compact(golden), as: UTF8.self),
            "\(name)"
        )
        #expect(try JSONValue.parse(encoded) == JSONValue.parse(golden), "\(name)")
    }

    @Test("every fixture decodes and re-encodes to the same bytes", arguments: try Contracts.fixtureNames())
    func roundTrip(name: String) throws {
        let golden = try Contracts.fixture(name)
        let envelope = try EventEnvelope.decode(from: golden)
        #expect(try envelope.encoded() == Contracts.compact(golden))
        #expect(try EventEnvelope.decode(from: envelope.encoded()) == envelope)
    }

    @Test("an envelope made from a payload (data encoded once) writes the bytes of one holding the same data as a value",
          arguments: ["HALL-20260105-000123", "案件/2026 \"甲\"\\\n\u{1}", "tab\there"])
    func preEncodedDataWritesTheSameBytes(caseId: String) throws {
        let payload = OutboxRepublished(
            fromTime: Contracts.date(2024, 2, 29, 15, 59, 59, millisecond: 999), toTime: Contracts.date(2024, 3, 1),
            rows: 9_007_199_254_740_993, requestedBy: "ops/王伟 \"x\"")
        let made = try EventEnvelope(
            payload: payload, occurredAt: Contracts.date(2026, 1, 5, 8, 30, 0, millisecond: 123), producer: "intake", caseId: caseId,
            correlationId: UUID(), causationId: UUID())
        var asValue = made
        asValue.data = try JSONValue(encoding: payload)
        #expect(try made.encoded() == asValue.encoded())
        #expect(try made.encoded() == Array(EventEnvelope.encoder().encode(asValue)), "the same bytes as the Codable encoding")
        #expect(made == asValue && made.hashValue == asValue.hashValue)
        let decoded = try EventEnvelope.decode(from: made.encoded())
        #expect(decoded == made)
        #expect(try decoded.payload(as: OutboxRepublished.self) == payload)
    }

    @Test("the minimal envelope omits every optional member")
    func minimalOmitsOptionalMembers() throws {
        let envelope = try EventEnvelope.decode(from: Contracts.fixture("envelope.minimal.json"))
        #expect(envelope.caseId == nil && envelope.correlationId == nil && envelope.causationId == nil)
        let members = try JSONValue.parse(envelope.encoded()).objectValue.map { Set($0.keys) }
        #expect(members == ["id", "type", "version", "occurredAt", "producer", "data"])
    }

    @Test("the full envelope has every member, UUIDs in lower case")
    func fullHasEveryMember() throws {
        let golden = try Contracts.fixture("envelope.full.json")
        let members = try JSONValue.parse(golden).objectValue.map { Set($0.keys) }
        #expect(members == ["id", "type", "version", "occurredAt", "producer", "caseId", "correlationId", "causationId", "data"])
        let text = String(decoding: try EventEnvelope.decode(from: golden).encoded(), as: UTF8.self)
        #expect(text.contains("\"id\":\"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d\""))
        #expect(text.contains("\"causationId\":\"9f3e1b7a-4c2d-4a8e-b6f1-0d5c3e8a2b97\""))
        #expect(text.contains("\"correlationId\":\"5d1c7a3e-2b94-4f0e-8c61-9a2e7b3f1d08\""))
        #expect(text.contains("\"ops/王伟\""), "slashes and non-ASCII are not escaped")
    }

    @Test("upper-case UUIDs and explicit nulls are read, then written in canonical form")
    func lenientReading() throws {
        let text = """
            {"id":"0B9E3C1A-5F7D-4C2E-9A61-3D8F2B7E4C10","type":"platform.outbox.republished","version":1,
             "occurredAt":"2026-01-05T16:30:00.1239+08:00","producer":"intake","caseId":null,"correlationId":null,
             "data":{"fromTime":"2026-01-05T00:00:00Z","toTime":"2026-01-05T08:00:00.000Z","rows":42,"requestedBy":"operator-wang"}}
            """
        let envelope = try EventEnvelope.decode(from: text.bytes)
        #expect(envelope.caseId == nil && envelope.correlationId == nil)
        let encoded = String(decoding: try envelope.encoded(), as: UTF8.self)
        #expect(encoded.contains("\"occurredAt\":\"2026-01-05T08:30:00.123Z\""))
        #expect(encoded.contains("\"id\":\"0b9e3c1a-5f7d-4c2e-9a61-3d8f2b7e4c10\""))
        #expect(!encoded.contains("null"))
    }

    @Test("an envelope a sender spaced and ordered its own way (data first, strings holding braces and quotes, a key escaped) gives its payload and is written back in the wire's form")
    func readAsReceived() throws {
        let payload = OutboxRepublished(
            fromTime: Contracts.date(2026, 1, 5), toTime: Contracts.date(2026, 1, 5, 8), rows: 42, requestedBy: "op {\"x\"} ] ,\\")
        let made = try EventEnvelope(
            payload: payload, id: UUID(uuidString: "0b9e3c1a-5f7d-4c2e-9a61-3d8f2b7e4c10")!, occurredAt: Contracts.date(2026, 1, 5, 8, 30),
            producer: "intake", caseId: "data")
        for text in [
            """
            { "data" : { "rows" : 42 , "toTime" : "2026-01-05T08:00:00.000Z",
                         "requestedBy" : "op {\\"x\\"} ] ,\\\\", "fromTime":"2026-01-05T00:00:00.000Z" } ,
              "caseId":"data", "version" : 1, "type":"platform.outbox.republished", "producer":"intake",
              "occurredAt":"2026-01-05T08:30:00Z", "id":"0b9e3c1a-5f7d-4c2e-9a61-3d8f2b7e4c10" }
            """,
            """
            {"id":"0b9e3c1a-5f7d-4c2e-9a61-3d8f2b7e4c10","type":"platform.outbox.republished","version":1,"caseId":"data",
             "occurredAt":"2026-01-05T08:30:00Z","producer":"intake",
             "d\\u0061ta":{"fromTime":"2026-01-05T00:00:00.000Z","toTime":"2026-01-05T08:00:00.000Z","rows":42,"requestedBy":"op {\\"x\\"} ] ,\\\\"}}
            """,
        ] {
            let received = try EventEnvelope.decode(from: text.bytes)
            #expect(try received.payload(as: OutboxRepublished.self) == payload)
            #expect(received == made && received.hashValue == made.hashValue)
            #expect(try received.encoded() == made.encoded(), "written in the wire's form, whatever the sender's spacing")
        }
    }

    @Test("Kafka headers mirror the envelope")
    func headersMirrorEnvelope() throws {
        let envelope = try EventEnvelope.decode(from: Contracts.fixture("envelope.full.json"))
        let headers = Dictionary(uniqueKeysWithValues: EventHeader.headers(for: envelope).map { ($0.key, $0.value) })
        #expect(headers == [
            "hall-event-id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            "hall-event-type": "platform.outbox.republished",
            "hall-event-version": "1",
            "hall-producer": "coordinator",
            "hall-correlation-id": "5d1c7a3e-2b94-4f0e-8c61-9a2e7b3f1d08",
            "hall-causation-id": "9f3e1b7a-4c2d-4a8e-b6f1-0d5c3e8a2b97",
            "content-type": "application/json",
        ])
        let minimal = try EventEnvelope.decode(from: Contracts.fixture("envelope.minimal.json"))
        #expect(EventHeader.headers(for: minimal).count == 5)
    }
}
