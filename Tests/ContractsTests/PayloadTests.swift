import Foundation
import HallContracts
import Testing

/// A payload type used only to check type and version matching.
private struct OutboxRepublishedV2: EventPayload {
    static let eventType = "platform.outbox.republished"
    static let eventVersion = 2
    var rows: Int
}

private struct SomethingElse: EventPayload {
    static let eventType = "intake.application.accepted"
    static let eventVersion = 1
    var rows: Int
}

private struct NotAnObject: EventPayload {
    static let eventType = "test.value.encoded"
    static let eventVersion = 1
    var value: Int
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

@Suite("Typed payloads")
struct PayloadTests {
    static let sample = OutboxRepublished(
        fromTime: Contracts.date(2026, 1, 5), toTime: Contracts.date(2026, 1, 5, 8), rows: 42, requestedBy: "operator-wang"
    )

    func envelope(data: JSONValue, type: String = OutboxRepublished.eventType, version: Int = 1) -> EventEnvelope {
        EventEnvelope(type: type, version: version, producer: "intake", data: data)
    }

    @Test("a payload survives the wire")
    func roundTrip() throws {
        let envelope = try EventEnvelope(
            payload: Self.sample, occurredAt: Contracts.date(2026, 1, 5, 8, 30, 0, millisecond: 456), producer: "intake", caseId: "C-1"
        )
        #expect(envelope.type == "platform.outbox.republished" && envelope.version == 1)
        let read = try EventEnvelope.decode(from: envelope.encoded())
        #expect(try read.payload(as: OutboxRepublished.self) == Self.sample)
        #expect(read == envelope)
    }

    /// The Swift payload type of every catalogue entry, by `type@version`.
    static var payloadTypes: [String: any EventPayload.Type] {
        let types: [any EventPayload.Type] = [
            OutboxRepublished.self,
            DepartmentChanged.self, WindowChanged.self, StaffChanged.self, DepartmentSystemChanged.self,
            CatalogueItemPublished.self, ApplicationAccepted.self, ApplicationRefused.self, ApplicationCorrectionNotified.self, ApplicationCompleted.self,
            ApplicationSupplemented.self, ApplicationGreenChannelGranted.self, ApplicationAgentAssigned.self,
            TaskAssigned.self, TaskOpinionRecorded.self, TaskCountersigned.self, CaseDecided.self, SupplementRequested.self, ClockChanged.self,
            DeadlineWarningRaised.self, DeadlineEscalated.self, CaseCompleted.self, BundleCompleted.self, CasePriorityChanged.self, ReviewConvened.self,
            ReviewMinuted.self,
            CommandRejected.self,
            OpinionSubmitted.self, CountersignSubmitted.self, SuspensionRequested.self, ResumeRequested.self, ExtensionRequested.self,
            SealDocumentRequested.self, DocumentSealed.self, DocumentRefused.self, SealRegistered.self, SealRevoked.self, SealRegisterHead.self,
            SealAuthorisationsChanged.self, ComplaintFiled.self, ComplaintProgressed.self,
            SanctionDecided.self, RemovalProposed.self, ComplaintDeadlineFlagged.self, ComplaintRated.self,
            RatingRecorded.self, RectificationProgressed.self, AppraisalResultPublished.self,
        ]
        return Dictionary(uniqueKeysWithValues: types.map { ("\($0.eventType)@\($0.eventVersion)", $0) })
    }

    @Test("every fixture's data decodes as its payload type")
    func fixturesDecode() throws {
        for name in try Contracts.fixtureNames() {
            let envelope = try EventEnvelope.decode(from: Contracts.fixture(name))
            try EventCatalogue.check(envelope)
            let payloadType = try #require(Self.payloadTypes["\(envelope.type)@\(envelope.version)"], "no payload type for \(name)")
            #expect(throws: Never.self, "\(name)") { _ = try envelope.payload(as: payloadType) }
        }
    }

    @Test("every catalogue entry has a payload type")
    func catalogueHasPayloadTypes() {
        #expect(Set(EventCatalogue.all.map { "\($0.type)@\($0.version)" }) == Set(Self.payloadTypes.keys))
    }

    @Test("another type is refused with unknownEventType")
    func typeMismatch() throws {
        let envelope = try EventEnvelope(payload: Self.sample, producer: "intake", caseId: nil)
        let error = try #require(throws: ContractError.self) { try envelope.payload(as: SomethingElse.self) }
        #expect(error.code == .unknownEventType)
        #expect(error.code.deadLetterErrorCode == .unknownEvent)
        #expect(error.fieldPath == "type")
    }

    @Test("another version is refused with unsupportedVersion")
    func versionMismatch() throws {
        let envelope = try EventEnvelope(payload: Self.sample, producer: "intake", caseId: nil)
        let error = try #require(throws: ContractError.self) { try envelope.payload(as: OutboxRepublishedV2.self) }
        #expect(error.code == .unsupportedVersion)
        #expect(error.code.deadLetterErrorCode == .unsupportedVersion)
    }

    @Test("the catalogue tells unknown types from unsupported versions")
    func catalogueCheck() throws {
        let unknown = try #require(throws: ContractError.self) {
            try EventCatalogue.check(envelope(data: [:], type: "intake.nothing.happened"))
        }
        #expect(unknown.code == .unknownEventType)
        let unsupported = try #require(throws: ContractError.self) {
            try EventCatalogue.check(envelope(data: [:], version: 99))
        }
        #expect(unsupported.code == .unsupportedVersion)
    }

    @Test("invalid data is refused with invalidPayload naming the field", arguments: [
        (["fromTime": "2026-01-05T00:00:00.000Z", "toTime": "2026-01-05T08:00:00.000Z", "requestedBy": "x"], "data.rows"),
        (["fromTime": "2026-01-05T00:00:00.000Z", "toTime": "2026-01-05T08:00:00.000Z", "rows": -1, "requestedBy": "x"], "data.rows"),
        (["fromTime": "2026-01-05T00:00:00.000Z", "toTime": "2026-01-05T08:00:00.000Z", "rows": "42", "requestedBy": "x"], "data.rows"),
        (["fromTime": "yesterday", "toTime": "2026-01-05T08:00:00.000Z", "rows": 1, "requestedBy": "x"], "data.fromTime"),
        (["fromTime": "2026-01-05T09:00:00.000Z", "toTime": "2026-01-05T08:00:00.000Z", "rows": 1, "requestedBy": "x"], "data.toTime"),
        (["fromTime": "2026-01-05T00:00:00.000Z", "toTime": "2026-01-05T08:00:00.000Z", "rows": 1, "requestedBy": ""], "data.requestedBy"),
        (["fromTime": "2026-01-05T00:00:00.000Z", "toTime": "2026-01-05T08:00:00.000Z", "rows": 1.5, "requestedBy": "x"], "data"),  // Foundation's JSONDecoder drops the path for a fractional integer
    ] as [(JSONValue, String)])
    func invalidPayload(data: JSONValue, path: String) throws {
        let error = try #require(throws: ContractError.self) { try envelope(data: data).payload(as: OutboxRepublished.self) }
        #expect(error.code == .invalidPayload)
        #expect(error.fieldPath == path, "\(error)")
        #expect(error.isRetriable == false)
    }

    @Test("a payload that does not encode to an object is refused")
    func notAnObject() throws {
        let error = try #require(throws: ContractError.self) {
            try EventEnvelope(payload: NotAnObject(value: 1), producer: "intake", caseId: nil)
        }
        #expect(error.code == .invalidPayload)
    }
}
