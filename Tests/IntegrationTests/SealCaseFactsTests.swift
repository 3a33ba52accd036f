import Crypto
import Foundation
import HallCalendar
import HallContracts
import HallImprints
import HallKafka
import HallKit
import HallLocalStack
import PostgresNIO
import Testing

@testable import seal

@Suite("Seal verification tells the case: receipt code, item, due date, on time (Art 30–31)", .enabled(if: stackAvailable))
struct SealCaseFactsTests {
    @Test("an imprint's verification shows its case's receipt code, item and latest due date learnt from intake's and the coordinator's events in any order, and once the case completes its final due date and whether the decision was sealed on time")
    func verificationTellsTheCase() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            _ = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            let caseId = UUID().uuidString.lowercased()
            let outcome = try await hall.repository.apply(SealingRequest(SealDocumentRequested(
                documentKind: .approvalDecision, documentHash: Hex.encode(SHA256.hash(data: Array("decision".utf8))), caseId: caseId,
                departmentId: "d-market", requestedBy: "s-zhang", windowId: "w-07")))
            guard case .sealed(let imprint, _) = outcome else { Issue.record("not sealed: \(outcome)"); return }
            #expect(try await hall.repository.verifyImprint(id: imprint.imprintId)?.caseFacts == nil, "nothing known of the case yet")

            let topic = try await kafka.makeTopics(["facts"], partitions: 2)[0]
            let producer = try kafka.producer()
            func send(_ payload: some EventPayload, producer name: String) async throws {
                let envelope = try EventEnvelope(payload: payload, producer: name, caseId: caseId)
                _ = try await producer.sendSigned(KafkaProducerMessage(topic: topic, key: caseId, value: try envelope.encoded()))
            }
            let running = hall.consume(topic, kafka: kafka, producer: producer)
            defer { running.cancel() }

            // The extension (a later fact) arrives before the acceptance: the later due date stands.
            let today = LocalDate.inHall(Date())
            let accepted = today.adding(days: 20), extended = today.adding(days: 30)
            try await send(
                ClockChanged(
                    receiptCode: "R-CASE-1", sequence: 2, change: .extended, category: nil, dueDateBefore: HallDate(accepted.description)!,
                    dueDateAfter: HallDate(extended.description)!, workingDays: 5, reason: "需现场核查", reference: nil, approvedBy: "王局长",
                    departmentId: "d-market", actorId: "s-zhang", changedAt: Date()),
                producer: "coordinator")
            try await send(
                ApplicationAccepted(
                    receiptCode: "R-CASE-1", noticeNumber: "2026-000001", itemCode: "MKT-009", itemVersion: 1, itemName: "食品经营许可", kind: .committed,
                    leadDepartmentId: "d-market", participantDepartmentIds: [], acceptedAt: Date().addingTimeInterval(-3600),
                    dueDate: HallDate(accepted.description)!, dueDateProvisional: false, promisedLimitDays: 10, legalLimitDays: 20, notCounted: [],
                    channel: .window, greenChannel: false, applicantKind: .person, applicantName: "张三", promisedMaterials: [], clerkId: "s-wang",
                    windowId: "w-07", materials: [.init(materialId: "form", name: "申请书", form: .original, copies: 1)], bundleId: nil, bundleSize: nil,
                    greenChannelApproval: nil),
                producer: "intake")
            try await eventually("both facts applied") {
                try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox") == 2
            }
            var result = try #require(try await hall.repository.verifyImprint(id: imprint.imprintId))
            #expect(result.caseFacts == SealCaseFacts(receiptCode: "R-CASE-1", itemCode: "MKT-009", dueDate: HallDate(extended.description)!, final: false))
            var view = try JSONValue.parse(try JSONEncoder().encode(VerificationView(result)))
            #expect(view["case"]?["receiptCode"] == "R-CASE-1" && view["case"]?["onTime"] == .bool(true) && view["case"]?["dueDateFinal"] == .bool(false))

            // The completion's due date is final (here already passed: the decision was sealed late), and a
            // clock change delivered after it moves nothing.
            let final = today.adding(days: -1)
            try await send(
                CaseCompleted(
                    receiptCode: "R-CASE-1", itemCode: "MKT-009", leadDepartmentId: "d-market", departmentIds: ["d-market"], outcome: .approved,
                    acceptedAt: Date().addingTimeInterval(-3600), completedAt: Date().addingTimeInterval(-60), dueDate: HallDate(final.description)!,
                    onTime: false, imprintIds: [imprint.imprintId.uuidString.lowercased()], suspendedWorkingDays: 0, extensionWorkingDays: 0, bundleId: nil),
                producer: "coordinator")
            try await send(
                ClockChanged(
                    receiptCode: "R-CASE-1", sequence: 3, change: .extended, category: nil, dueDateBefore: HallDate(extended.description)!,
                    dueDateAfter: HallDate(today.adding(days: 40).description)!, workingDays: 5, reason: "迟到的事件", reference: nil, approvedBy: "王局长",
                    departmentId: "d-market", actorId: "s-zhang", changedAt: Date()),
                producer: "coordinator")
            try await eventually("the completion and the late change applied") {
                try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox") == 4
            }
            result = try #require(try await hall.repository.verifyImprint(id: imprint.imprintId))
            #expect(result.caseFacts?.dueDate == HallDate(final.description)! && result.caseFacts?.final == true)
            view = try JSONValue.parse(try JSONEncoder().encode(VerificationView(result)))
            #expect(view["case"]?["onTime"] == .bool(false) && view["case"]?["dueDateFinal"] == .bool(true), "\(view)")
            await producer.close()
        }
    }

    @Test("facts read together are stored as if one by one: of several clock changes of a case the latest stands, of two at the same moment the later one, and a completion's due date is final whatever comes with it")
    func factsTogether() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            let topic = try await kafka.makeTopics(["facts-together"], partitions: 1)[0]
            let producer = try kafka.producer()
            let (moved, tied, closed) = (UUID().uuidString.lowercased(), UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
            let today = LocalDate.inHall(Date())
            let now = Date()
            func change(_ receipt: String, to days: Int, at: Date) -> ClockChanged {
                ClockChanged(
                    receiptCode: receipt, sequence: 2, change: .extended, category: nil, dueDateBefore: HallDate(today.description)!,
                    dueDateAfter: HallDate(today.adding(days: days).description)!, workingDays: 5, reason: "r", reference: nil, approvedBy: "王局长",
                    departmentId: "d-market", actorId: "s-zhang", changedAt: at)
            }
            func completion(_ receipt: String, due days: Int) -> CaseCompleted {
                CaseCompleted(
                    receiptCode: receipt, itemCode: "MKT-009", leadDepartmentId: "d-market", departmentIds: ["d-market"], outcome: .approved,
                    acceptedAt: now.addingTimeInterval(-3600), completedAt: now, dueDate: HallDate(today.adding(days: days).description)!, onTime: true,
                    imprintIds: [], suspendedWorkingDays: 0, extensionWorkingDays: 0, bundleId: nil)
            }
            // On one partition before the consumer starts, so that they are read together.
            let events: [(any EventPayload, String)] = [
                (change("R-MOVED", to: 30, at: now.addingTimeInterval(-20)), moved), (change("R-MOVED", to: 40, at: now), moved),
                (change("R-MOVED", to: 35, at: now.addingTimeInterval(-10)), moved),
                (change("R-TIED", to: 21, at: now), tied), (change("R-TIED", to: 22, at: now), tied),
                (change("R-CLOSED", to: 50, at: now), closed), (completion("R-CLOSED", due: 25), closed), (completion("R-CLOSED", due: 26), closed),
                (change("R-CLOSED", to: 60, at: now.addingTimeInterval(60)), closed),
            ]
            for (payload, caseId) in events {
                let envelope = try EventEnvelope(payload: payload, producer: "coordinator", caseId: caseId)
                _ = try await producer.sendSigned(KafkaProducerMessage(topic: topic, key: "one", value: try envelope.encoded()))
            }
            let running = hall.consume(topic, kafka: kafka, producer: producer)
            defer { running.cancel() }
            try await eventually("every fact applied") {
                try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox") == events.count
            }
            for (caseId, days, final) in [(moved, 40, false), (tied, 22, false), (closed, 25, true)] {
                let stored = try await database.client.query(
                    "SELECT due_date::text, final FROM \(unescaped: database.schema).case_facts WHERE case_id = \(caseId)", logger: LocalStack.logger()
                ).decode((String, Bool).self).collectAll()
                #expect(stored.first?.0 == today.adding(days: days).description && stored.first?.1 == final, "\(caseId): \(stored)")
            }
            await producer.close()
        }
    }
}
