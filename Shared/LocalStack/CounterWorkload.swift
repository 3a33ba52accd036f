import Foundation
import HallContracts
import HallKit
import PostgresNIO

/// A test event: step `seq` of case `caseId`. Not part of the contracts: tests and the benchmark
/// register it with their own ``EventRouter``.
public struct CounterStep: EventPayload, Equatable {
    public static let eventType = "test.counter.step"
    public static let eventVersion = 1
    /// Position of the step within its case, from 0.
    public var seq: Int
    /// When true the test handler always throws for this event.
    public var poison: Bool

    public init(seq: Int, poison: Bool = false) {
        self.seq = seq
        self.poison = poison
    }
}

/// The test effect: one row per applied event, so tests can count duplicates and check order.
public enum Effects {
    /// Creates `effects` in the test schema.
    public static let migration = Migration(
        component: "test", version: 1, name: "effects",
        statements: [
            """
            CREATE TABLE effects (
                id bigserial PRIMARY KEY,
                case_id text NOT NULL,
                seq integer NOT NULL,
                event_id uuid NOT NULL,
                applied_by text NOT NULL DEFAULT ''
            )
            """,
            "CREATE INDEX effects_case ON effects (case_id, id)",
        ])

    /// A handler that records each ``CounterStep`` in `effects` and throws for poison steps.
    public static func handler(schema: String, appliedBy: String = "") -> EventRouter {
        var router = EventRouter()
        router.on(CounterStep.self) { step, envelope, context in
            if step.poison { throw PoisonError(seq: step.seq) }
            try await context.connection.run(
                "INSERT INTO \(unescaped: schema).effects (case_id, seq, event_id, applied_by) VALUES (\(envelope.caseId ?? ""), \(step.seq), \(envelope.id), \(appliedBy))",
                logger: context.logger)
        }
        return router
    }

    /// Thrown by the test handler for poison steps.
    public struct PoisonError: Error, CustomStringConvertible {
        public var seq: Int
        public var description: String { "step \(seq) is poison" }
    }

    /// Appends `steps` events for each case in one transaction per case (ordered seq 0…).
    public static func append(
        cases: [String], steps: Int, topic: String, database: ScratchDatabase, commit: Bool = true, poisonSeq: Set<Int> = []
    ) async throws -> [UUID] {
        let outbox = Outbox(schema: database.schema)
        var ids: [UUID] = []
        for caseId in cases {
            let events = try (0..<steps).map { seq in
                OutgoingEvent(
                    topic: Topic(rawValue: topic),
                    envelope: try EventEnvelope(payload: CounterStep(seq: seq, poison: poisonSeq.contains(seq)), producer: "test", caseId: caseId))
            }
            ids += events.map(\.envelope.id)
            do {
                try await database.client.transaction(logger: LocalStack.logger()) { connection in
                    try await outbox.append(events, on: connection, logger: LocalStack.logger())
                    if !commit { throw RolledBack() }
                }
            } catch is RolledBack {}
        }
        return ids
    }

    private struct RolledBack: Error {}

    /// Rows of `effects`: (case, seq, event id) in application order.
    public static func rows(_ database: ScratchDatabase) async throws -> [(caseId: String, seq: Int, eventId: UUID)] {
        var rows: [(String, Int, UUID)] = []
        for try await row in try await database.client.run(
            "SELECT case_id, seq, event_id FROM \(unescaped: database.schema).effects ORDER BY id", logger: LocalStack.logger()
        ).decode((String, Int, UUID).self) {
            rows.append(row)
        }
        return rows.map { (caseId: $0.0, seq: $0.1, eventId: $0.2) }
    }
}

extension ScratchDatabase {
    /// The envelopes of `type` in the schema's outbox (published or not), in the order appended;
    /// only those with Kafka key `key` when given.
    public func outboxEnvelopes(_ type: String, key: String? = nil) async throws -> [EventEnvelope] {
        try await client.run(
            """
            SELECT payload FROM \(unescaped: schema).outbox WHERE event_type = \(type) AND (\(key)::text IS NULL OR key = \(key))
            ORDER BY id
            """, logger: LocalStack.logger()
        ).decode(String.self).collectAll().map { try EventEnvelope.decode(from: Array($0.utf8)) }
    }

    /// The typed payloads of `P` in the schema's outbox, in the order appended (see ``outboxEnvelopes(_:key:)``).
    public func outboxPayloads<P: EventPayload>(_ type: P.Type, key: String? = nil) async throws -> [P] {
        try await outboxEnvelopes(P.eventType, key: key).map { try $0.payload(as: P.self) }
    }
}
