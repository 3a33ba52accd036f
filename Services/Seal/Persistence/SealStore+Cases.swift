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
            ON CONFLICT (case_id) DO UPDATE SET
                item_code = COALESCE(f.item_code, EXCLUDED.item_code),
                due_date = CASE WHEN f.final THEN f.due_date
                                WHEN EXCLUDED.final OR EXCLUDED.due_at >= f.due_at THEN EXCLUDED.due_date ELSE f.due_date END,
                due_at = CASE WHEN f.final THEN f.due_at WHEN EXCLUDED.final OR EXCLUDED.due_at >= f.due_at THEN EXCLUDED.due_at ELSE f.due_at END,
                final = f.final OR EXCLUDED.final
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
