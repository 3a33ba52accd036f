import Foundation
import HallContracts
import Testing

/// The intake catalogue and application events: their golden fixtures decode to the expected
/// values, the expected values encode to the golden bytes, and invalid data is refused.
@Suite("Intake application and catalogue payloads")
struct IntakeApplicationPayloadTests {
    static let caseId = "3f6c2a91-7d4e-4b8a-9c15-2e8f0a6b7d34"
    static let correlationId = UUID(uuidString: "c7a1e5d2-9b3f-4e60-8d14-5f2b7a9c0e31")!

    static let accepted = ApplicationAccepted(
        receiptCode: "RC-20260105-0042", noticeNumber: "2026-000042", itemCode: "MKT-001", itemVersion: 2, itemName: "个体工商户登记",
        kind: .committed, leadDepartmentId: "d-market", participantDepartmentIds: [],
        acceptedAt: Contracts.date(2026, 1, 5, 2, 15, 30, millisecond: 250), dueDate: HallDate("2026-01-08")!, dueDateProvisional: false,
        promisedLimitDays: 3, legalLimitDays: 15, notCounted: [.inspection], channel: .window, greenChannel: false,
        applicantKind: .person, applicantName: "张丽华",
        promisedMaterials: [.init(materialId: "premises-proof", dueBy: HallDate("2026-01-12")!)], clerkId: "s-0107", windowId: "w-03"
    )

    static let refused = ApplicationRefused(
        receiptCode: "RC-20260105-0057", itemCode: "EXIT-001", reasonCode: .unknownItem,
        reason: "本大厅事项目录中没有“EXIT-001”事项：普通护照申领不在本大厅办理。",
        competentAuthority: "县公安局出入境管理大队（人民路 18 号）", refusedAt: Contracts.date(2026, 1, 5, 3, 2, 11, millisecond: 480),
        clerkId: "s-0112", windowId: nil
    )

    static let correctionNotified = ApplicationCorrectionNotified(
        receiptCode: "RC-20260105-0042", itemCode: "MKT-001", itemVersion: 2,
        corrections: [
            .init(materialId: "id-card", problem: .wrongForm, needed: "经营者居民身份证原件 1 份（现场核验后退还）"),
            .init(materialId: "registration-form", problem: .notInLegalForm, needed: "《个体工商户登记申请书》原件 1 份，经营者本人签字"),
        ],
        notifiedAt: Contracts.date(2026, 1, 5, 1, 48, 5, millisecond: 31), clerkId: "s-0107"
    )

    static let itemPublished = CatalogueItemPublished(
        itemCode: "MKT-001", version: 2, name: "个体工商户登记", kind: .committed, leadDepartmentId: "d-market",
        participantDepartmentIds: [], legalLimitDays: 15, promisedLimitDays: 3, notCounted: [.inspection], feeCents: nil,
        effectiveFrom: HallDate("2026-01-01")!, approvalReference: "县政务服务办〔2025〕17号"
    )

    /// Each fixture and the envelope it must be, built in Swift.
    static let expected: [(fixture: String, envelope: @Sendable () throws -> EventEnvelope)] = [
        (
            "intake.application.accepted.v1.json",
            {
                try EventEnvelope(
                    payload: accepted, id: UUID(uuidString: "6e2d9f14-3a7b-4c85-b0e1-9d4f2a6c8b57")!,
                    occurredAt: Contracts.date(2026, 1, 5, 2, 15, 30, millisecond: 250), producer: ServiceName.intake.rawValue,
                    caseId: caseId, correlationId: correlationId
                )
            }
        ),
        (
            "intake.application.refused.v1.json",
            {
                try EventEnvelope(
                    payload: refused, id: UUID(uuidString: "d5a0c8f3-7e6b-4219-b4d8-0a3f6e1c9b72")!,
                    occurredAt: Contracts.date(2026, 1, 5, 3, 2, 11, millisecond: 480), producer: ServiceName.intake.rawValue,
                    caseId: "8d1f3b6e-52c9-4a07-9e84-b7a2c5d0f619",
                    correlationId: UUID(uuidString: "4a9e7c2b-6d13-4f58-a0b6-e3c8f1d52790")!
                )
            }
        ),
        (
            "intake.application.correction-notified.v1.json",
            {
                try EventEnvelope(
                    payload: correctionNotified, id: UUID(uuidString: "2b8c4e7a-1f5d-4a93-8e26-c0d7b3f9a145")!,
                    occurredAt: Contracts.date(2026, 1, 5, 1, 48, 5, millisecond: 31), producer: ServiceName.intake.rawValue,
                    caseId: caseId, correlationId: correlationId
                )
            }
        ),
        (
            "intake.catalogue.item-published.v1.json",
            {
                try EventEnvelope(
                    payload: itemPublished, id: UUID(uuidString: "91f4b7d2-0c6e-4a38-b5e9-7d2a1c8f3e60")!,
                    occurredAt: Contracts.date(2025, 12, 20, 7), producer: ServiceName.intake.rawValue, caseId: nil
                )
            }
        ),
    ]

    @Test("the fixtures decode to the expected payloads")
    func fixturesDecode() throws {
        let accepted = try EventEnvelope.decode(from: Contracts.fixture("intake.application.accepted.v1.json"))
        #expect(try accepted.payload(as: ApplicationAccepted.self) == Self.accepted)
        #expect(accepted.caseId == Self.caseId)
        let refused = try EventEnvelope.decode(from: Contracts.fixture("intake.application.refused.v1.json"))
        #expect(try refused.payload(as: ApplicationRefused.self) == Self.refused)
        let corrections = try EventEnvelope.decode(from: Contracts.fixture("intake.application.correction-notified.v1.json"))
        #expect(try corrections.payload(as: ApplicationCorrectionNotified.self) == Self.correctionNotified)
        let item = try EventEnvelope.decode(from: Contracts.fixture("intake.catalogue.item-published.v1.json"))
        #expect(try item.payload(as: CatalogueItemPublished.self) == Self.itemPublished)
        #expect(item.caseId == nil)
    }

    @Test("the expected envelopes encode to exactly the golden bytes", arguments: 0..<expected.count)
    func encoderMatchesGoldenBytes(index: Int) throws {
        let (name, make) = Self.expected[index]
        let golden = try Contracts.fixture(name)
        let encoded = try make().encoded()
        #expect(
            String(decoding: encoded, as: UTF8.self) == String(decoding: Contracts.compact(golden), as: UTF8.self),
            "\(name)"
        )
    }

    @Test("nil optional members are omitted, not null")
    func optionalsOmitted() throws {
        let refused = try JSONValue.parse(try EventEnvelope(payload: Self.refused, producer: "intake", caseId: Self.caseId).encoded())
        #expect(refused["data"]?.objectValue?.keys.contains("windowId") == false)
        let item = try JSONValue.parse(try EventEnvelope(payload: Self.itemPublished, producer: "intake", caseId: nil).encoded())
        #expect(item["data"]?.objectValue?.keys.contains("feeCents") == false)
        var paid = Self.itemPublished
        paid.feeCents = 5_000
        let read = try EventEnvelope.decode(from: EventEnvelope(payload: paid, producer: "intake", caseId: nil).encoded())
        #expect(try read.payload(as: CatalogueItemPublished.self).feeCents == 5_000)
    }

    /// `data` of the accepted fixture with one member replaced (or removed when `value` is nil).
    static func acceptedData(_ member: String, _ value: JSONValue?) throws -> JSONValue {
        var data = try #require(try JSONValue.parse(Contracts.fixture("intake.application.accepted.v1.json"))["data"]?.objectValue)
        data[member] = value
        return .object(data)
    }

    @Test("invalid accepted data is refused naming the member", arguments: [
        ("receiptCode", "", "data.receiptCode"),
        ("noticeNumber", "2026-42", "data.noticeNumber"),
        ("itemCode", "mkt-001", "data.itemCode"),
        ("itemVersion", 0, "data.itemVersion"),
        ("kind", "urgent", "data.kind"),
        ("participantDepartmentIds", ["d-tax", "d-tax"], "data.participantDepartmentIds[1]"),
        ("dueDate", "2026-02-30", "data.dueDate"),
        ("dueDate", "2026-01-08T00:00:00.000Z", "data.dueDate"),
        ("promisedLimitDays", 16, "data.promisedLimitDays"),
        ("legalLimitDays", -1, "data.legalLimitDays"),
        ("notCounted", ["inspection", "holiday"], "data.notCounted[1]"),
        ("channel", "phone", "data.channel"),
        ("applicantKind", "company", "data.applicantKind"),
        ("promisedMaterials", [["materialId": "premises-proof", "dueBy": "12/01/2026"]], "data.promisedMaterials[0].dueBy"),
        ("clerkId", nil, "data.clerkId"),
        ("windowId", "", "data.windowId"),
        ("acceptedAt", "2026-01-05", "data.acceptedAt"),
    ] as [(String, JSONValue?, String)])
    func invalidAccepted(member: String, value: JSONValue?, path: String) throws {
        let envelope = EventEnvelope(type: ApplicationAccepted.eventType, version: 1, producer: "intake", data: try Self.acceptedData(member, value))
        let error = try #require(throws: ContractError.self) { try envelope.payload(as: ApplicationAccepted.self) }
        #expect(error.code == .invalidPayload)
        #expect(error.fieldPath == path, "\(error)")
    }

    @Test("the accepted fixture without windowId is valid")
    func acceptedWithoutWindow() throws {
        let envelope = EventEnvelope(type: ApplicationAccepted.eventType, version: 1, producer: "intake", data: try Self.acceptedData("windowId", nil))
        #expect(try envelope.payload(as: ApplicationAccepted.self).windowId == nil)
    }

    @Test("invalid refusal, correction and catalogue data is refused naming the member")
    func invalidOthers() throws {
        func path<P: EventPayload>(_ type: P.Type, _ fixture: String, _ member: String, _ value: JSONValue?) throws -> String? {
            var data = try #require(try JSONValue.parse(Contracts.fixture(fixture))["data"]?.objectValue)
            data[member] = value
            let envelope = EventEnvelope(type: P.eventType, version: P.eventVersion, producer: "intake", data: .object(data))
            let error = try #require(throws: ContractError.self) { try envelope.payload(as: P.self) }
            return error.fieldPath
        }
        let refused = "intake.application.refused.v1.json"
        #expect(try path(ApplicationRefused.self, refused, "reasonCode", "closed") == "data.reasonCode")
        #expect(try path(ApplicationRefused.self, refused, "competentAuthority", "") == "data.competentAuthority")
        #expect(try path(ApplicationRefused.self, refused, "reason", nil) == "data.reason")
        let corrections = "intake.application.correction-notified.v1.json"
        #expect(try path(ApplicationCorrectionNotified.self, corrections, "corrections", []) == "data.corrections")
        #expect(
            try path(ApplicationCorrectionNotified.self, corrections, "corrections", [["materialId": "id-card", "problem": "lost", "needed": "x"]])
                == "data.corrections[0].problem")
        #expect(
            try path(ApplicationCorrectionNotified.self, corrections, "corrections", [["materialId": "id-card", "problem": "missing", "needed": ""]])
                == "data.corrections[0].needed")
        let item = "intake.catalogue.item-published.v1.json"
        #expect(try path(CatalogueItemPublished.self, item, "feeCents", 0) == "data.feeCents")
        #expect(try path(CatalogueItemPublished.self, item, "effectiveFrom", "2026-1-1") == "data.effectiveFrom")
        #expect(try path(CatalogueItemPublished.self, item, "kind", "") == "data.kind")
        #expect(try path(CatalogueItemPublished.self, item, "approvalReference", "") == "data.approvalReference")
        #expect(try path(CatalogueItemPublished.self, item, "version", 0) == "data.version")
    }
}
