import Foundation
import HallContracts
import HallKit
import HallLocalStack
import Testing

@testable import intake

/// Case look-ups read in groups (`IntakeStore.caseView`): many applicants looking at once each
/// see their own case, and only with their own identity number.
extension IntakeAPITests {
    @Test("look-ups read together: each answer is its own case's, a wrong identity number or receipt code finds nothing, texts only where asked, a look-up the database refuses fails alone")
    func caseLookupsReadTogether() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let store = try store(database)
            var accepted: [ApplicationResponse] = []
            for key in ["l-1", "l-2", "l-3"] {
                accepted.append(try await store.submit(try await pending(store, key: key).submission, clerk: Clerk(staffId: "clerk-1", windowId: "w-01")))
            }
            let owner = residentId("11010519491231002"), stranger = residentId("11010519491231010")
            let receipts = accepted.map(\.receiptCode)
            func record(_ answer: Result<String?, any Error>) throws -> CaseRecord? {
                try answer.get().map { try CaseRecord(json: $0) }
            }
            #expect(Set(accepted.compactMap(\.noticeNumber)).count == 3)

            // One group read in one statement, in the order asked.
            let lookups = [
                CaseLookup(receiptCode: receipts[2], idNumber: owner, texts: true),
                CaseLookup(receiptCode: receipts[0], idNumber: stranger, texts: true),
                CaseLookup(receiptCode: receipts[0], idNumber: owner, texts: false),
                CaseLookup(receiptCode: "NO-SUCH-CODE", idNumber: owner, texts: true),
                CaseLookup(receiptCode: receipts[1], idNumber: stranger, texts: false),
                CaseLookup(receiptCode: receipts[1], idNumber: owner, texts: true),
            ]
            let records = try await store.caseRecords(lookups).map(record)
            #expect(records.count == lookups.count)
            #expect(records[0]?.noticeNumber == accepted[2].noticeNumber && records[2]?.noticeNumber == accepted[0].noticeNumber)
            #expect(records[5]?.noticeNumber == accepted[1].noticeNumber)
            #expect(records[1] == nil, "another person's identity number opens nothing")
            #expect(records[3] == nil && records[4] == nil, "an unknown code; a stranger in another position of the group")
            let notice = try #require(records[0]?.documents?.first { $0.kind == "acceptance-notice" })
            #expect(notice.text?.contains(accepted[2].noticeNumber ?? "?") == true, "the acceptance notice's text, asked for")
            #expect(records[2]?.documents?.contains { $0.text != nil } == false, "no text when not asked")

            // A look-up the database refuses (a NUL character) fails alone; the rest of its group is answered.
            let poisoned = await store.caseRecords([
                CaseLookup(receiptCode: receipts[0], idNumber: owner, texts: false), CaseLookup(receiptCode: "BAD\u{0}CODE", idNumber: owner, texts: false),
                CaseLookup(receiptCode: receipts[1], idNumber: owner, texts: false),
            ])
            #expect(try record(poisoned[0])?.noticeNumber == accepted[0].noticeNumber)
            #expect(try record(poisoned[2])?.noticeNumber == accepted[1].noticeNumber)
            guard case .failure = poisoned[1] else { Issue.record("the database took a NUL character"); return }
            // Asked by an applicant, such a code is no case (and never reaches the database).
            #expect(try await store.caseView(receiptCode: "BAD\u{0}CODE", idNumber: owner, texts: true) == nil)

            // Many applicants at once through the group commit: each sees their own case.
            let asked = (0..<60).map { ($0 % 3, $0 % 4 == 3) }
            let answers = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for (index, (which, wrong)) in asked.enumerated() {
                    group.addTask {
                        let view = try await store.caseView(receiptCode: receipts[which], idNumber: wrong ? stranger : owner, texts: index % 2 == 0)
                        return (index, view?.status.noticeNumber)
                    }
                }
                var answers = [String?](repeating: nil, count: asked.count)
                for try await (index, number) in group { answers[index] = number }
                return answers
            }
            for (index, (which, wrong)) in asked.enumerated() {
                #expect(answers[index] == (wrong ? nil : accepted[which].noticeNumber), "look-up \(index)")
            }
        }
    }
}

extension IntakeAPITests {
    /// A case looked up in a group (one statement joining every table over the group's cases) is
    /// the record `case_status_record` gives it alone, key for key: with and without the
    /// documents' texts, and when the group asks for it twice beside a code that finds nothing.
    func expectGroupedAsAlone(_ database: ScratchDatabase, receipt: String, idNumber: String, sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        let store = try store(database)
        // The timeline's entries in any order: the service sorts them (neither statement orders them).
        func object(_ answer: Result<String?, any Error>) throws -> NSDictionary? {
            try answer.get().map {
                let record = NSMutableDictionary(dictionary: try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])
                if let timeline = record["timeline"] as? [Any] {
                    record["timeline"] = try timeline.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: .sortedKeys), as: UTF8.self) }
                        .sorted()
                }
                return record
            }
        }
        let withTexts = CaseLookup(receiptCode: receipt, idNumber: idNumber, texts: true)
        let withoutTexts = CaseLookup(receiptCode: receipt, idNumber: idNumber, texts: false)
        let alone = try object(try #require(await store.caseRecords([withTexts]).first))
        let aloneWithoutTexts = try object(try #require(await store.caseRecords([withoutTexts]).first))
        #expect(alone != nil, "the case is found", sourceLocation: sourceLocation)
        let grouped = try await store.caseRecords([withoutTexts, CaseLookup(receiptCode: "NO-SUCH-CODE", idNumber: idNumber, texts: true), withTexts])
            .map(object)
        #expect(grouped.count == 3, sourceLocation: sourceLocation)
        #expect(grouped[0] == aloneWithoutTexts, "without texts, in a group: \(String(describing: grouped[0]))", sourceLocation: sourceLocation)
        #expect(grouped[1] == nil, sourceLocation: sourceLocation)
        #expect(grouped[2] == alone, "with texts, in a group: \(String(describing: grouped[2]))", sourceLocation: sourceLocation)
    }
}
