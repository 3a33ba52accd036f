import Foundation
import HallContracts
import Logging
import PostgresNIO

/// An event to publish once the surrounding transaction commits.
public struct OutgoingEvent: Sendable {
    /// Destination topic (the producing service's own topic, or the topic a request goes to).
    public var topic: Topic
    /// Kafka key: the case id, or the entity id for directory events. Everything with one key is
    /// delivered in the order it was appended.
    public var key: String
    /// The event.
    public var envelope: EventEnvelope

    /// An event keyed by its envelope's case id.
    ///
    /// - Precondition: the envelope has a case id; use ``init(topic:key:envelope:)`` otherwise.
    public init(topic: Topic, envelope: EventEnvelope) {
        precondition(envelope.caseId != nil, "an event without a case id needs an explicit key")
        self.init(topic: topic, key: envelope.caseId!, envelope: envelope)
    }

    /// An event with an explicit key.
    public init(topic: Topic, key: String, envelope: EventEnvelope) {
        self.topic = topic
        self.key = key
        self.envelope = envelope
    }
}

/// The transactional outbox of one service's schema.
///
/// ``append(_:on:logger:)`` writes events in the caller's transaction: they are published by the
/// ``OutboxRelay`` if and only if that transaction commits.
public struct Outbox: Sendable {
    /// The schema holding the `outbox` table.
    public let schema: String

    /// Creates the outbox of a schema.
    public init(schema: String) {
        precondition(DatabaseConfiguration.isValidIdentifier(schema), "schema names are validated by the configuration")
        self.schema = schema
    }

    /// Appends events to the outbox on `connection`, which must be inside the transaction that
    /// makes the state change the events describe. One statement, whatever the count.
    ///
    /// - Throws: an encoding error, or the database error (the caller's transaction then rolls
    ///   back and nothing is published). An event id appended twice violates a unique constraint.
    public func append(_ events: [OutgoingEvent], on connection: PostgresConnection, logger: Logger) async throws {
        if events.isEmpty { return }
        let rows = try rows(events)
        try await connection.query("\(insert: rows)", logger: logger)
    }

    /// The outbox rows of `events`, encoded, in order: interpolate them as `\(insert: rows)` in a
    /// statement that also makes the state change the events describe (a data-modifying `WITH`
    /// member), so the change and its events are one statement and commit together.
    ///
    /// - Throws: an encoding error.
    public func rows(_ events: [OutgoingEvent]) throws -> OutboxRows {
        var rows = OutboxRows(schema: schema)
        for event in events {
            rows.ids.append(event.envelope.id)
            rows.types.append(event.envelope.type)
            rows.versions.append(event.envelope.version)
            rows.producers.append(event.envelope.producer)
            rows.correlations.append(event.envelope.correlationId?.uuidString ?? "")
            rows.causations.append(event.envelope.causationId?.uuidString ?? "")
            rows.topics.append(event.topic.rawValue)
            rows.keys.append(event.key)
            rows.payloads.append(String(decoding: try event.envelope.encoded(), as: UTF8.self))
        }
        return rows
    }

    /// Marks every published row created in `[from, to)` as unpublished so the relay sends it again,
    /// and appends an audit event (`platform.outbox.republished`) to `auditTopic`.
    ///
    /// Use after the broker lost data. Consumers' inboxes make the repeat harmless.
    ///
    /// - Returns: the number of rows queued again.
    public func republish(
        from: Date, to: Date, requestedBy: String, producer: String, auditTopic: Topic,
        client: PostgresClient, logger: Logger
    ) async throws -> Int {
        guard from < to else { throw HallError.invalid("from", "must be before 'to'") }
        return try await client.transaction(logger: logger) { connection in
            let rows = try await (connection.query(
                """
                WITH reset AS (
                    UPDATE \(unescaped: schema).outbox SET published_at = NULL, attempts = 0, last_error = NULL
                    WHERE created_at >= \(from) AND created_at < \(to) AND published_at IS NOT NULL
                    RETURNING 1
                ) SELECT count(*)::bigint FROM reset
                """, logger: logger
            ) as PostgresRowSequence).decode(Int64.self).collectAll().first ?? 0
            let audit = try EventEnvelope(
                payload: OutboxRepublished(fromTime: from, toTime: to, rows: Int(rows), requestedBy: requestedBy),
                producer: producer, caseId: nil)
            try await append([OutgoingEvent(topic: auditTopic, key: "outbox.\(schema)", envelope: audit)], on: connection, logger: logger)
            logger.notice("outbox republish queued", metadata: ["rows": "\(rows)", "from": "\(from)", "to": "\(to)", "requested.by": "\(requestedBy)"])
            return Int(rows)
        }
    }
}

/// Encoded outbox rows (see ``Outbox/rows(_:)``), column by column, ready to be bound as arrays.
public struct OutboxRows: Sendable {
    /// The schema holding the `outbox` table.
    public let schema: String
    var ids: [UUID] = []
    var types: [String] = []
    var versions: [Int] = []
    var producers: [String] = []
    var correlations: [String] = []
    var causations: [String] = []
    var topics: [String] = []
    var keys: [String] = []
    var payloads: [String] = []

    init(schema: String) {
        self.schema = schema
    }

    /// The number of rows.
    public var count: Int { ids.count }
}

extension PostgresQuery.StringInterpolation {
    /// `INSERT INTO <schema>.outbox (…) SELECT … FROM unnest(…)` writing `rows` in their order, as
    /// nine array binds. Usable as a whole statement or as a data-modifying `WITH` member; an empty
    /// `rows` inserts nothing.
    public mutating func appendInterpolation(insert rows: OutboxRows) {
        appendLiteral(
            """
            INSERT INTO \(rows.schema).outbox
                (event_id, event_type, event_version, producer, correlation_id, causation_id, topic, key, payload)
            SELECT e.id, e.type, e.version, e.producer, NULLIF(e.correlation, '')::uuid, NULLIF(e.causation, '')::uuid,
                   e.topic, e.key, e.payload
            FROM unnest(
            """)
        appendInterpolation(rows.ids)
        appendLiteral("::uuid[], ")
        appendInterpolation(rows.types)
        appendLiteral("::text[], ")
        appendInterpolation(rows.versions)
        appendLiteral("::int[], ")
        appendInterpolation(rows.producers)
        appendLiteral("::text[], ")
        appendInterpolation(rows.correlations)
        appendLiteral("::text[],\n            ")
        appendInterpolation(rows.causations)
        appendLiteral("::text[], ")
        appendInterpolation(rows.topics)
        appendLiteral("::text[], ")
        appendInterpolation(rows.keys)
        appendLiteral("::text[], ")
        appendInterpolation(rows.payloads)
        appendLiteral("::text[])\n    AS e(id, type, version, producer, correlation, causation, topic, key, payload)")
    }
}
