import Foundation
import HallContracts
import Testing

@Suite("Catalogue, schemas, topics and headers")
struct CatalogueTests {
    /// Schema files that describe something other than one event's data.
    static let platformSchemas: Set<String> = [
        "envelope.schema.json", "event-headers.schema.json", "dead-letter-headers.schema.json",
    ]

    @Test("every catalogue entry has a schema and a fixture that agree with it")
    func entriesHaveSchemaAndFixture() throws {
        let schemas = Set(try Contracts.schemaNames())
        let fixtures = Set(try Contracts.fixtureNames())
        for descriptor in EventCatalogue.all {
            #expect(schemas.contains(descriptor.schemaFile), "missing schema \(descriptor.schemaFile)")
            #expect(fixtures.contains(descriptor.fixtureFile), "missing fixture \(descriptor.fixtureFile)")
            let schema = try Contracts.schema(descriptor.schemaFile)
            #expect(schema["$id"] == .string("https://servicehall.example/schemas/\(descriptor.schemaFile)"))
            #expect(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema")
            #expect(schema["type"] == "object")
            let envelope = try EventEnvelope.decode(from: Contracts.fixture(descriptor.fixtureFile))
            #expect(envelope.type == descriptor.type && envelope.version == descriptor.version)
            #expect(!descriptor.topics.isEmpty && !descriptor.summary.isEmpty)
        }
    }

    @Test("every event schema is in the catalogue, and every schema has an $id and a title")
    func schemasAreCatalogued() throws {
        let catalogued = Set(EventCatalogue.all.map(\.schemaFile))
        for name in try Contracts.schemaNames() {
            let schema = try Contracts.schema(name)
            #expect(schema["$id"] == .string("https://servicehall.example/schemas/\(name)"), "\(name)")
            #expect(schema["title"]?.stringValue?.isEmpty == false, "\(name)")
            #expect(schema["description"]?.stringValue?.isEmpty == false, "\(name)")
            if !Self.platformSchemas.contains(name) {
                #expect(catalogued.contains(name), "\(name) is not in EventCatalogue.all")
            }
        }
    }

    @Test("the envelope schema lists exactly the envelope's members")
    func envelopeSchemaMembers() throws {
        let schema = try Contracts.schema("envelope.schema.json")
        let properties = schema["properties"]?.objectValue.map { Set($0.keys) }
        #expect(properties == ["id", "type", "version", "occurredAt", "producer", "caseId", "correlationId", "causationId", "data"])
        #expect(schema["additionalProperties"] == false)
    }

    @Test("the header schemas list exactly the Swift header names")
    func headerSchemas() throws {
        let event = try Contracts.schema("event-headers.schema.json")["properties"]?.objectValue.map { Set($0.keys) }
        #expect(event == [
            EventHeader.eventId, EventHeader.eventType, EventHeader.eventVersion, EventHeader.correlationId,
            EventHeader.causationId, EventHeader.producer, EventHeader.contentType, RecordSignatureHeader.signer, RecordSignatureHeader.signature,
        ])
        let deadLetter = try Contracts.schema("dead-letter-headers.schema.json")
        #expect(deadLetter["properties"]?.objectValue.map { Set($0.keys) } == [
            DeadLetterHeader.reason, DeadLetterHeader.errorCode, DeadLetterHeader.sourceTopic,
            DeadLetterHeader.sourcePartition, DeadLetterHeader.sourceOffset, DeadLetterHeader.consumerGroup,
            DeadLetterHeader.attempts, DeadLetterHeader.failedAt, DeadLetterHeader.valueBytes, DeadLetterHeader.keyBytes,
            DeadLetterHeader.headersDropped,
        ])
        #expect(deadLetter["properties"]?[DeadLetterHeader.errorCode]?["enum"] == .array(DeadLetterErrorCode.allCases.map { .string($0.rawValue) }))
    }

    @Test("catalogue entries are unique")
    func uniqueEntries() {
        let keys = EventCatalogue.all.map { "\($0.type)@\($0.version)" }
        #expect(Set(keys).count == keys.count)
    }

    @Test("topic names are unique and each is owned by exactly one service")
    func topics() {
        #expect(Set(Topic.all).count == Topic.all.count)
        let owned = ServiceName.allCases.flatMap(\.ownedTopics)
        #expect(owned.count == Topic.all.count && Set(owned) == Set(Topic.all))
        for service in ServiceName.allCases {
            #expect(service.ownedTopics.contains(service.eventsTopic))
            #expect(service.eventsTopic.rawValue == "hall.\(service.rawValue).events")
        }
        #expect(Topic.all.allSatisfy { $0.rawValue.hasPrefix("hall.") })
    }

    @Test("dead-letter topics are named after the consumer group")
    func deadLetterTopics() {
        #expect(Topic.deadLetter(forConsumerGroup: "hall.coordinator") == "hall.coordinator.dlq")
        #expect(Topic.deadLetter(forConsumerGroup: ServiceName.seal.defaultConsumerGroup).rawValue == "hall.seal.dlq")
        let deadLetters = ServiceName.allCases.map { Topic.deadLetter(forConsumerGroup: $0.defaultConsumerGroup) }
        #expect(Set(deadLetters).isDisjoint(with: Topic.all))
    }

    @Test("dead-letter headers are written in full")
    func deadLetterHeaders() {
        let headers = DeadLetterHeader.headers(
            reason: "malformed-envelope: expected a JSON object (at data)", errorCode: .malformedEnvelope,
            sourceTopic: Topic.intakeEvents.rawValue, sourcePartition: 3, sourceOffset: 1_234_567, consumerGroup: "hall.coordinator",
            attempts: 1, failedAt: Contracts.date(2026, 1, 5, 8, 30, 1, millisecond: 250)
        )
        let values = Dictionary(uniqueKeysWithValues: headers.map { ($0.key, $0.value) })
        #expect(values == [
            "hall-dlq-reason": "malformed-envelope: expected a JSON object (at data)",
            "hall-dlq-error-code": "malformed-envelope",
            "hall-dlq-source-topic": "hall.intake.events",
            "hall-dlq-source-partition": "3",
            "hall-dlq-source-offset": "1234567",
            "hall-dlq-consumer-group": "hall.coordinator",
            "hall-dlq-attempts": "1",
            "hall-dlq-failed-at": "2026-01-05T08:30:01.250Z",
        ])
    }
}
