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

    /// An event keyed by its envelope's case id (an envelope without one is keyed by its own id,
    /// which spreads such events over the partitions; give an explicit key with
    /// ``init(topic:key:envelope:)`` where order matters).
    public init(topic: Topic, envelope: EventEnvelope) {
        self.init(topic: topic, key: envelope.caseId ?? envelope.id.uuidString.lowercased(), envelope: envelope)
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
        let rows = try Rows(events)
        try await connection.run("\(insert: rows, into: self)", logger: logger)
    }

    /// Events encoded as the outbox's columns, ready to be written by a statement: ``append(_:on:logger:)``,
    /// or a caller's own statement that changes its state and queues its events in one round trip
    /// (`WITH changed AS (…), queued AS (\(insert: rows, into: outbox)) SELECT …`).
    public struct Rows: Sendable {
        var ids: [UUID] = []
        var types: [String] = []
        var versions: [Int] = []
        var producers: [String] = []
        var correlations: [String] = []
        var causations: [String] = []
        var topics: [String] = []
        var keys: [String] = []
        var payloads: [String] = []

        /// The number of events.
        public var count: Int { ids.count }

        /// Encodes `events`.
        ///
        /// - Throws: an encoding error of an envelope.
        public init(_ events: [OutgoingEvent]) throws {
            for event in events {
                ids.append(event.envelope.id)
                types.append(event.envelope.type)
                versions.append(event.envelope.version)
                producers.append(event.envelope.producer)
                correlations.append(event.envelope.correlationId?.uuidString ?? "")
                causations.append(event.envelope.causationId?.uuidString ?? "")
                topics.append(event.topic.rawValue)
                keys.append(event.key)
                payloads.append(String(decoding: try event.envelope.encoded(), as: UTF8.self))
            }
        }
    }

    /// Queues again every event appended in `[from, to)` that the relay has already published,
    /// and appends an audit event (`platform.outbox.republished`) to `auditTopic`.
    ///
    /// Outbox rows are never changed: each published row of the range is appended again as a
    /// copy (same event id, `republish_of` = the original row), in the original order, after
    /// everything already waiting. Rows of the range not yet published are not copied (they go
    /// out anyway), nor are earlier copies. Use after the broker lost data; consumers' inboxes
    /// make the repeat harmless.
    ///
    /// - Returns: the number of rows queued again.
    public func republish(
        from: Date, to: Date, requestedBy: String, producer: String, auditTopic: Topic,
        client: PostgresClient, logger: Logger
    ) async throws -> Int {
        guard from < to else { throw HallError.invalid("from", "must be before 'to'", words: "须早于结束时间（to）") }
        return try await client.transaction(logger: logger) { connection in
            try await republish(
                from: from, to: to, topics: nil, requestedBy: requestedBy, producer: producer, auditTopic: auditTopic,
                on: connection, logger: logger)
        }
    }

    /// ``republish(from:to:requestedBy:producer:auditTopic:client:logger:)`` in the caller's
    /// transaction, limited to `topics` (outbox topic names, without namespace) when given.
    public func republish(
        from: Date, to: Date, topics: [String]?, requestedBy: String, producer: String, auditTopic: Topic,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> Int {
        let rows = try await (connection.run(
            """
            WITH copied AS (
                INSERT INTO \(unescaped: schema).outbox
                    (event_id, event_type, event_version, producer, correlation_id, causation_id, topic, key, payload, republish_of)
                SELECT o.event_id, o.event_type, o.event_version, o.producer, o.correlation_id, o.causation_id,
                       o.topic, o.key, o.payload, o.id
                FROM \(unescaped: schema).outbox AS o
                JOIN \(unescaped: schema).outbox_cursor AS c ON c.bucket = o.bucket
                WHERE o.created_at >= \(from) AND o.created_at < \(to) AND o.republish_of IS NULL
                  AND (o.publish_xid, o.id) <= (c.last_xid, c.last_id)
                  AND (\(topics == nil) OR o.topic = ANY(\(topics ?? [])::text[]))
                ORDER BY o.publish_xid, o.id
                RETURNING 1
            ) SELECT count(*)::bigint FROM copied
            """, logger: logger
        ) as HallRows).decode(Int64.self).collectAll().first ?? 0
        let audit = try EventEnvelope(
            payload: OutboxRepublished(fromTime: from, toTime: to, rows: Int(rows), requestedBy: requestedBy),
            producer: producer, caseId: nil)
        try await append([OutgoingEvent(topic: auditTopic, key: "outbox.\(schema)", envelope: audit)], on: connection, logger: logger)
        logger.notice("outbox republish queued", metadata: ["rows": "\(rows)", "from": "\(from)", "to": "\(to)", "requested.by": "\(requestedBy)"])
        return Int(rows)
    }
}

extension PostgresQuery.StringInterpolation {
    /// Writes `INSERT INTO <schema>.outbox … ` of `rows` at this point of a query, every value a bind
    /// parameter. The events are published if and only if the transaction running the statement commits.
    public mutating func appendInterpolation(insert rows: Outbox.Rows, into outbox: Outbox) {
        OutboxWakeups.appended(schema: outbox.schema)
        appendLiteral(
            """
            INSERT INTO \(outbox.schema).outbox
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
        appendLiteral("::text[], ")
        appendInterpolation(rows.causations)
        appendLiteral("::text[], ")
        appendInterpolation(rows.topics)
        appendLiteral("::text[], ")
        appendInterpolation(rows.keys)
        appendLiteral("::text[], ")
        appendInterpolation(rows.payloads)
        appendLiteral(
            """
            ::text[])
                AS e(id, type, version, producer, correlation, causation, topic, key, payload)
            """)
    }
}
