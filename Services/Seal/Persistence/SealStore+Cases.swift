import Foundation
import HallContracts
import Logging
import PostgresNIO

/// What public verification tells of the case a document belongs to (Art 30–31): its receipt code,
/// its item and its due date, learnt from the events of the services that own them.
struct SealCaseFacts: Sendable, Equatable {
    var receiptCode: String
    var itemCode: String?
    var dueDate: HallDate
    /// The due date after every suspension and extension, as the case's completion states it.
    var final: Bool
}

extension SealStore {
    /// Records a fact about a case's due date. The due date of the latest fact stands, and once a
    /// completion (`final`) is known nothing moves it; facts may arrive in any order, and again.
    func recordCaseFact(
        caseId: String?, receiptCode: String, itemCode: String?, dueDate: HallDate, at: Date, final: Bool,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard let caseId = caseId?.lowercased(), !caseId.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).case_facts AS f (case_id, receipt_code, item_code, due_date, due_at, final)
            VALUES (\(caseId), \(receiptCode), \(itemCode), \(dueDate.description)::date, \(at), \(final))
            \(unescaped: Self.caseFactMerge)
            """, logger: logger)
    }

    /// How a stored fact (`f`) and a new one (`EXCLUDED`) make one: the due date of the latest fact
    /// stands, and once a completion (`final`) is known nothing moves it.
    private static let caseFactMerge = """
        ON CONFLICT (case_id) DO UPDATE SET
            item_code = COALESCE(f.item_code, EXCLUDED.item_code),
            due_date = CASE WHEN f.final THEN f.due_date
                            WHEN EXCLUDED.final OR EXCLUDED.due_at >= f.due_at THEN EXCLUDED.due_date ELSE f.due_date END,
            due_at = CASE WHEN f.final THEN f.due_at WHEN EXCLUDED.final OR EXCLUDED.due_at >= f.due_at THEN EXCLUDED.due_at ELSE f.due_at END,
            final = f.final OR EXCLUDED.final
        """

    /// A fact about a case's due date, as ``recordCaseFacts(_:on:logger:)`` takes it.
    struct CaseFact: Sendable {
        var caseId: String?
        var receiptCode: String
        var itemCode: String?
        var dueDate: HallDate
        var at: Date
        var final: Bool
    }

    /// Records facts (in the order they came) with one statement, to the same effect as one by one:
    /// of several about one case, the one that would stand after them all is stored (the first
    /// completion, else the latest due date, the later of two at the same time).
    func recordCaseFacts(_ facts: [CaseFact], on connection: PostgresConnection, logger: Logger) async throws {
        let facts = facts.compactMap { fact -> CaseFact? in
            guard let caseId = fact.caseId?.lowercased(), !caseId.isEmpty else { return nil }
            var fact = fact
            fact.caseId = caseId
            return fact
        }
        guard facts.count > 1 else {
            if let fact = facts.first {
                try await recordCaseFact(
                    caseId: fact.caseId, receiptCode: fact.receiptCode, itemCode: fact.itemCode, dueDate: fact.dueDate, at: fact.at, final: fact.final,
                    on: connection, logger: logger)
            }
            return
        }
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).case_facts AS f (case_id, receipt_code, item_code, due_date, due_at, final)
            SELECT DISTINCT ON (i.case_id) i.case_id, i.receipt_code, NULLIF(i.item_code, ''), i.due_date::date, i.due_at, i.final
            FROM unnest(\(facts.indices.map { $0 })::int[], \(facts.map { $0.caseId ?? "" })::text[], \(facts.map(\.receiptCode))::text[],
                        \(facts.map { $0.itemCode ?? "" })::text[], \(facts.map(\.dueDate.description))::text[], \(facts.map(\.at))::timestamptz[],
                        \(facts.map(\.final))::boolean[])
                AS i(ord, case_id, receipt_code, item_code, due_date, due_at, final)
            ORDER BY i.case_id, i.final DESC, CASE WHEN i.final THEN i.ord END, i.due_at DESC, i.ord DESC
            \(unescaped: Self.caseFactMerge)
            """, logger: logger)
    }

    func caseFacts(caseId: String, on connection: PostgresConnection, logger: Logger) async throws -> SealCaseFacts? {
        try await connection.run(
            "SELECT receipt_code, item_code, due_date::text, final FROM \(unescaped: schema).case_facts WHERE case_id = \(caseId.lowercased())",
            logger: logger
        ).decode((String, String?, String, Bool).self).collectAll().first.flatMap { row in
            HallDate(row.2).map { SealCaseFacts(receiptCode: row.0, itemCode: row.1, dueDate: $0, final: row.3) }
        }
    }
}
