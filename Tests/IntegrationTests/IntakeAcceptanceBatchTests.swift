import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import PostgresNIO
import Testing

@testable import intake

/// Acceptances stored in groups (`IntakeStore.acceptBatch`): each application gets the answer it
/// would get alone, whatever else is in its group.
extension IntakeAPITests {
    /// A complete application of MKT-001 by clerk-1 at w-01, ready for `acceptBatch`.
    func pending(_ store: IntakeStore, key: String, promised: [PromisedMaterial] = []) async throws -> PendingAcceptance {
        let submission = try JSONDecoder.intake.decode(ApplicationSubmission.self, from: Data(application(key: key, materials: allMaterials).utf8))
        let item = try #require(IntakeStore.inForce(try await store.versions(of: "MKT-001"), on: LocalDate.inHall(Date())))
        return PendingAcceptance(submission: submission, clerk: Clerk(staffId: "clerk-1", windowId: "w-01"), item: item, promised: promised, now: Date())
    }

    func store(_ database: ScratchDatabase) throws -> IntakeStore {
        IntakeStore(client: database.client, schema: database.schema, calendar: try WorkingCalendar.bundled(), logger: LocalStack.logger())
    }

    @Test("a group where one acceptance cannot be stored still accepts the others, numbered in order; nothing of the failed one is kept")
    func batchWithOneFailure() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let store = try store(database)
            // The same promised material twice breaks that application's own primary key only.
            let broken = try await pending(
                store, key: "g-broken",
                promised: [.init(materialId: "premises-proof", dueBy: LocalDate(year: 2026, month: 12, day: 31)!), .init(materialId: "premises-proof", dueBy: LocalDate(year: 2026, month: 12, day: 31)!)])
            let jobs = [try await pending(store, key: "g-1"), broken, try await pending(store, key: "g-2"), try await pending(store, key: "g-3")]
            let results = await store.acceptBatch(jobs)

            #expect(results.count == 4)
            guard case .failure = results[1] else { Issue.record("the broken application was accepted"); return }
            let accepted = try [results[0], results[2], results[3]].map { try $0.get() }
            #expect(accepted.allSatisfy { $0.outcome == .accepted })
            let numbers = accepted.compactMap(\.noticeNumber)
            #expect(numbers.count == 3 && numbers == numbers.sorted() && Set(numbers).count == 3, "ascending in the group's order: \(numbers)")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications") == 3)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications WHERE idempotency_key = 'g-broken'") == 0)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).promised_materials") == 0)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).notices WHERE kind = 'acceptance-notice'") == 3)
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).outbox WHERE event_type IN ('intake.application.accepted', 'seal.document.requested')") == 6)
            // Each stored answer is the one its clerk received.
            for (key, answer) in zip(["g-1", "g-2", "g-3"], accepted) {
                let (status, body) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: key, materials: allMaterials))
                #expect(status == .created)
                #expect(body["noticeNumber"] == .string(answer.noticeNumber ?? "") && body["caseId"] == .string(answer.caseId.uuidString.lowercased()))
            }
        }
    }

    @Test("one idempotency key twice in one group: one case, one notice number, the same answer; a key stored before answers as stored")
    func batchWithRepeatedKey() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let store = try store(database)
            let earlier = try await store.submit(try await pending(store, key: "r-0").submission, clerk: Clerk(staffId: "clerk-1", windowId: "w-01"))
            let jobs = [
                try await pending(store, key: "r-1"), try await pending(store, key: "r-2"), try await pending(store, key: "r-1"),
                try await pending(store, key: "r-0"),
            ]
            let answers = try await store.acceptBatch(jobs).map { try $0.get() }

            #expect(answers[0] == answers[2], "the repeat gets the first answer")
            #expect(answers[0].caseId != answers[1].caseId)
            #expect(try JSONEncoder.intake.encode(answers[3]) == JSONEncoder.intake.encode(earlier), "the earlier answer, not a new case")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications") == 3)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications WHERE idempotency_key = 'r-1'") == 1)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox WHERE event_type = 'intake.application.accepted'") == 3)
            let year = LocalDate.inHall(Date()).year
            #expect(Set(answers.compactMap(\.noticeNumber)) == Set((1...3).map { String(format: "%04d-%06d", year, $0) }), "no number burnt by a repeat")
        }
    }
}
