import Foundation
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// The complaints service's consumer (group `hall.complaints`) on `hall.intake.events`: the
/// directory (what a complaint may be about) and the receipt codes intake answered (accepted,
/// refused or sent back with a correction notice), against which a complaint's receipt code is
/// checked.
///
/// Everything is applied through the inbox (a redelivered event changes nothing); intake events
/// the service does not route are ignored.
enum ComplaintsConsumer {
    static func definition() -> ConsumerDefinition {
        var router = EventRouter()
        DirectoryProjection.register(on: &router)
        router.on(ApplicationAccepted.self) { event, envelope, context in
            try await knownCase(event.receiptCode, caseId: envelope.caseId, item: event.itemCode, at: envelope.occurredAt, context.connection, context.outbox.schema, context.logger)
        }
        router.on(ApplicationRefused.self) { event, envelope, context in
            try await knownCase(event.receiptCode, caseId: envelope.caseId, item: event.itemCode, at: envelope.occurredAt, context.connection, context.outbox.schema, context.logger)
        }
        router.on(ApplicationCorrectionNotified.self) { event, envelope, context in
            try await knownCase(event.receiptCode, caseId: envelope.caseId, item: event.itemCode, at: envelope.occurredAt, context.connection, context.outbox.schema, context.logger)
        }
        return ConsumerDefinition(groupId: ServiceName.complaints.defaultConsumerGroup, topics: [.intakeEvents], handler: router)
    }

    /// Records a receipt code intake answered; the first report of it stays.
    static func knownCase(
        _ receiptCode: String, caseId: String?, item: String, at: Date, _ connection: PostgresConnection, _ schema: String, _ logger: Logger
    ) async throws {
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).cases (receipt_code, case_id, item_code, occurred_at)
            VALUES (\(receiptCode), \(caseId?.lowercased()), \(item), \(at)) ON CONFLICT (receipt_code) DO NOTHING
            """, logger: logger)
    }
}
