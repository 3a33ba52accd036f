import Foundation
import HallContracts
import Testing

/// The golden fixtures of the directory and seal events decode as their types, and the types
/// write exactly the fixtures' data back.
@Suite("Seal and directory contracts")
struct SealContractTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ContractsTests/Fixtures")

    static func envelope(_ type: String) throws -> EventEnvelope {
        try EventEnvelope.decode(from: Array(Data(contentsOf: fixtures.appendingPathComponent("\(type).v1.json"))))
    }

    func roundTrip<P: EventPayload & Equatable>(_ type: P.Type) throws {
        let envelope = try Self.envelope(P.eventType)
        let payload = try envelope.payload(as: P.self)
        let again = try EventEnvelope(
            payload: payload, id: envelope.id, occurredAt: envelope.occurredAt, producer: envelope.producer, caseId: envelope.caseId,
            correlationId: envelope.correlationId, causationId: envelope.causationId)
        #expect(again == envelope, "\(P.eventType)")
        #expect(EventCatalogue.descriptor(type: P.eventType, version: 1) != nil)
    }

    @Test("every fixture round-trips through its payload type")
    func fixtures() throws {
        try roundTrip(DepartmentChanged.self)
        try roundTrip(WindowChanged.self)
        try roundTrip(StaffChanged.self)
        try roundTrip(SealDocumentRequested.self)
        try roundTrip(DocumentSealed.self)
        try roundTrip(DocumentRefused.self)
        try roundTrip(SealRegistered.self)
        try roundTrip(SealRevoked.self)
        try roundTrip(SealAuthorisationsChanged.self)
    }

    @Test("absent people, windows, predecessors and successors are written as null, not omitted")
    func nulls() throws {
        let department = DepartmentChanged(departmentId: "d-1", name: "x", active: true, chiefRepresentative: nil, substitute: nil)
        let data = try EventEnvelope(payload: department, producer: "intake", caseId: nil).data
        #expect(data["chiefRepresentative"] == .null && data["substitute"] == .null)
        let staff = StaffChanged(staffId: "s", name: "n", departmentId: "d", windowId: nil, qualified: true, active: true)
        #expect(try EventEnvelope(payload: staff, producer: "intake", caseId: nil).data["windowId"] == .null)
    }

    @Test("bad directory and seal data is refused naming the member", arguments: [
        ("intake.directory.department-changed", "substitute", JSONValue.object(["staffId": "s", "name": "n", "noticeReference": "r", "from": "2026-02-30", "to": "2026-03-01"]), "data.substitute.from"),
        ("intake.directory.department-changed", "substitute", JSONValue.object(["staffId": "s", "name": "n", "noticeReference": "r", "from": "2026-03-02", "to": "2026-03-01"]), "data.substitute.to"),
        ("intake.directory.window-changed", "kind", JSONValue.string("lobby"), "data.kind"),
        ("seal.document.requested", "documentKind", JSONValue.string("permit"), "data.documentKind"),
        ("seal.document.sealed", "serial", JSONValue.int(0), "data.serial"),
        ("seal.document.sealed", "signature", JSONValue.string("AAAA"), "data.signature"),
        ("seal.seal.registered", "publicKey", JSONValue.string("AAAA"), "data.publicKey"),
        ("seal.seal.authorisations-changed", "changedBy", JSONValue.string(""), "data.changedBy"),
        ("seal.seal.authorisations-changed", "authorisations",
         JSONValue.array([["staffId": "s-li", "documentKinds": ["acceptance-notice"]], ["staffId": "s-li", "documentKinds": ["refusal-notice"]]]),
         "data.authorisations"),
        ("seal.seal.authorisations-changed", "authorisations", JSONValue.array([["staffId": "s-li", "documentKinds": []]]),
         "data.authorisations[0].documentKinds"),
    ])
    func invalid(type: String, member: String, value: JSONValue, path: String) throws {
        var envelope = try Self.envelope(type)
        guard case .object(var data) = envelope.data else { Issue.record("not an object"); return }
        data[member] = value
        envelope.data = .object(data)
        let error: ContractError? =
            switch type {
            case DepartmentChanged.eventType: #expect(throws: ContractError.self) { try envelope.payload(as: DepartmentChanged.self) }
            case WindowChanged.eventType: #expect(throws: ContractError.self) { try envelope.payload(as: WindowChanged.self) }
            case SealDocumentRequested.eventType: #expect(throws: ContractError.self) { try envelope.payload(as: SealDocumentRequested.self) }
            case DocumentSealed.eventType: #expect(throws: ContractError.self) { try envelope.payload(as: DocumentSealed.self) }
            case SealAuthorisationsChanged.eventType: #expect(throws: ContractError.self) { try envelope.payload(as: SealAuthorisationsChanged.self) }
            default: #expect(throws: ContractError.self) { try envelope.payload(as: SealRegistered.self) }
            }
        #expect(error?.fieldPath == path, "\(String(describing: error))")
    }

    @Test("a seal request with a malformed hash still decodes: the service refuses it with a reason")
    func malformedHashDecodes() throws {
        var envelope = try Self.envelope(SealDocumentRequested.eventType)
        guard case .object(var data) = envelope.data else { return }
        data["documentHash"] = "not-a-hash"
        envelope.data = .object(data)
        #expect(try envelope.payload(as: SealDocumentRequested.self).documentHash == "not-a-hash")
    }
}
