import Foundation
import HallContracts
import Logging
import PostgresNIO

/// What a consumer does with an event type and version.
public enum EventAcceptance: Sendable, Equatable {
    /// Apply it with the handler.
    case handle
    /// A known event that this consumer has no use for: skip it (its offset still advances).
    case ignore
    /// A type no contract defines: dead-letter it.
    case unknownType
    /// A known type at a version this consumer cannot read: dead-letter it.
    case unsupportedVersion
}

/// Everything a handler may touch while applying one event: the transaction's connection (the
/// same transaction records the event as applied), the outbox for follow-up events, and a logger
/// carrying the event and case ids.
public struct HandlerContext: Sendable {
    /// The connection of the transaction that also records the event in the inbox.
    public let connection: PostgresConnection
    /// The consuming service's schema.
    public let schema: String
    /// Logger with `event.id`, `case.id` and `correlation.id` metadata.
    public let logger: Logger
    /// The consuming service's outbox.
    public let outbox: Outbox
    /// The consuming service's name (the producer of follow-up events).
    public let serviceName: String
    /// The event being applied.
    public let event: EventEnvelope
    /// The record's signature headers and value, as read (nil when the record had none). A handler
    /// of records that outsiders sign — department commands — checks it against the signer's
    /// registered key.
    public var record: SignedRecord?
    /// The signed records of the events given to a batch handler with this context, by event id
    /// (see ``record(of:)``).
    public var records: [UUID: SignedRecord] = [:]
    /// Whether the event is applied alone, behind a savepoint of the consumer's (after a handler of
    /// its batch failed), rather than with the rest of its batch. A handler that keeps part of its
    /// work when it refuses an event (a record of the refusal) needs a savepoint of its own to undo
    /// the rest; in a batch it need not take one: it throws, and the consumer applies the batch
    /// again event by event, alone.
    public var isolated = false

    /// Creates a context.
    public init(
        connection: PostgresConnection, schema: String, logger: Logger, outbox: Outbox, serviceName: String, event: EventEnvelope,
        record: SignedRecord? = nil
    ) {
        self.connection = connection
        self.schema = schema
        self.logger = logger
        self.outbox = outbox
        self.serviceName = serviceName
        self.event = event
        self.record = record
    }

    /// Appends a follow-up event in the same transaction. Its correlation id is the incoming
    /// event's (or the incoming event's id when it had none); its causation id is the incoming id.
    public func emit<P: EventPayload>(_ payload: P, to topic: Topic, caseId: String?, key: String? = nil) async throws {
        try await outbox.append([try followUp(payload, to: topic, caseId: caseId, key: key)], on: connection, logger: logger)
    }

    /// The follow-up event ``emit(_:to:caseId:key:)`` would append, for a handler that writes it
    /// with its own statement (``Outbox/Rows``).
    public func followUp<P: EventPayload>(_ payload: P, to topic: Topic, caseId: String?, key: String? = nil) throws -> OutgoingEvent {
        let envelope = try EventEnvelope(
            payload: payload, producer: serviceName, caseId: caseId ?? event.caseId,
            correlationId: event.correlationId ?? event.id, causationId: event.id)
        guard let key = key ?? envelope.caseId else {
            throw HallError.invalid("key", "a follow-up event without a case id needs an explicit key", words: "没有办件编号的后续事件须明确指定键")
        }
        return OutgoingEvent(topic: topic, key: key, envelope: envelope)
    }
}

/// Who signed a record and how, with the exact bytes signed (``RecordSignatureHeader``).
public struct SignedRecord: Sendable {
    /// The `hall-signer` header.
    public var signer: String
    /// The `hall-signature` header.
    public var signature: String
    /// The record value.
    public var value: [UInt8]

    /// Creates the value.
    public init(signer: String, signature: String, value: [UInt8]) {
        self.signer = signer
        self.signature = signature
        self.value = value
    }

    /// Whether the signature verifies with `publicKey` (32 bytes, standard base64).
    public func verifies(publicKey: String) -> Bool {
        RecordSignature.verifies(signature, of: value, publicKey: publicKey)
    }
}

/// Applies events to a service's state. Implementations must do all their writes through
/// `context.connection`, so that the effect and the inbox record commit together.
public protocol EventHandler: Sendable {
    /// How this handler treats an event type and version.
    func acceptance(type: String, version: Int) -> EventAcceptance
    /// Applies the event. Throwing rolls back this event's writes; the consumer retries it, and
    /// dead-letters it after the configured number of attempts. A `ContractError` (payload does not
    /// match its schema) is dead-lettered at once.
    func handle(_ event: EventEnvelope, context: HandlerContext) async throws
    /// Whether consecutive events of this type and version may be applied together by
    /// ``handleBatch(_:context:)`` (one round trip for many events). Default: no.
    func isBatchable(type: String, version: Int) -> Bool
    /// Applies consecutive events of one batchable type and version, in order, in the consumer's
    /// transaction; `context.event` is the first of them. Throwing rolls back the whole batch, and
    /// the consumer then applies the events one by one (``handle(_:context:)``). Default: one by one.
    func handleBatch(_ events: [EventEnvelope], context: HandlerContext) async throws
    /// Whether the state this handler leaves does not depend on the order its events are applied
    /// in (each fact written so that any order of delivery gives the same state). The consumer then
    /// applies a transaction's events of each batchable type as one batch, after the others in
    /// their order, instead of one batch per run of consecutive events. Default: no.
    var commutes: Bool { get }
    /// Whether this batchable type's events commute with every other event of the handler: what
    /// they write depends on no other event's effect and no other event's handling reads it (a
    /// timeline entry keyed by its event). The consumer then applies a transaction's events of the
    /// type as one batch after the others, as for a handler that ``commutes`` as a whole. Default: no.
    func commutes(type: String, version: Int) -> Bool
}

extension EventHandler {
    public func isBatchable(type: String, version: Int) -> Bool { false }

    public var commutes: Bool { false }

    public func commutes(type: String, version: Int) -> Bool { false }

    public func handleBatch(_ events: [EventEnvelope], context: HandlerContext) async throws {
        for event in events { try await handle(event, context: context.applying(event)) }
    }
}

extension HandlerContext {
    /// The same transaction and outbox, for another event of the batch.
    public func applying(_ other: EventEnvelope) -> HandlerContext {
        var logger = self.logger
        logger[metadataKey: LogKey.eventId] = "\(other.id)"
        if let caseId = other.caseId { logger[metadataKey: LogKey.caseId] = "\(caseId)" }
        var context = HandlerContext(
            connection: connection, schema: schema, logger: logger, outbox: outbox, serviceName: serviceName, event: other, record: record(of: other))
        context.records = records
        return context
    }

    /// The signed record `envelope` came in: this context's own, or one of its batch's.
    public func record(of envelope: EventEnvelope) -> SignedRecord? {
        envelope.id == event.id ? record : records[envelope.id]
    }
}

/// An ``EventHandler`` built from typed routes: `router.on(SomeEvent.self) { event, envelope, context in … }`.
///
/// Types registered are handled; other versions of a registered type, and types known to the
/// ``EventCatalogue`` at another version only, are unsupported; other catalogue events are ignored;
/// anything else is an unknown type.
public struct EventRouter: EventHandler {
    public typealias Route = @Sendable (EventEnvelope, HandlerContext) async throws -> Void
    public typealias BatchRoute = @Sendable ([EventEnvelope], HandlerContext) async throws -> Void
    private var routes: [String: [Int: Route]] = [:]
    private var batchRoutes: [String: [Int: BatchRoute]] = [:]
    private var commuting: Set<String> = []
    /// See ``EventHandler/commutes``: set by a service whose every route is order-independent.
    public var commutes = false

    /// An empty router.
    public init() {}

    /// Handles payload type `P` with `body`.
    public mutating func on<P: EventPayload>(
        _ type: P.Type, _ body: @escaping @Sendable (P, EventEnvelope, HandlerContext) async throws -> Void
    ) {
        routes[P.eventType, default: [:]][P.eventVersion] = { envelope, context in
            try await body(try envelope.payload(as: P.self), envelope, context)
        }
    }

    /// Handles payload type `P` in batches: consecutive events of that type in one consumer
    /// transaction are given to `body` together (a single event is a batch of one); with
    /// `commuting` (see ``EventHandler/commutes(type:version:)``), all of the transaction's.
    public mutating func onBatch<P: EventPayload>(
        _ type: P.Type, commuting: Bool = false, _ body: @escaping @Sendable ([(P, EventEnvelope)], HandlerContext) async throws -> Void
    ) {
        let batch: BatchRoute = { envelopes, context in
            try await body(try envelopes.map { (try $0.payload(as: P.self), $0) }, context)
        }
        batchRoutes[P.eventType, default: [:]][P.eventVersion] = batch
        routes[P.eventType, default: [:]][P.eventVersion] = { envelope, context in try await batch([envelope], context) }
        if commuting { self.commuting.insert("\(P.eventType)#\(P.eventVersion)") } else { self.commuting.remove("\(P.eventType)#\(P.eventVersion)") }
    }

    public func isBatchable(type: String, version: Int) -> Bool {
        batchRoutes[type]?[version] != nil
    }

    public func commutes(type: String, version: Int) -> Bool {
        commuting.contains("\(type)#\(version)")
    }

    public func handleBatch(_ events: [EventEnvelope], context: HandlerContext) async throws {
        guard let first = events.first, let batch = batchRoutes[first.type]?[first.version],
            events.allSatisfy({ $0.type == first.type && $0.version == first.version })
        else {
            for event in events { try await handle(event, context: context.applying(event)) }
            return
        }
        try await batch(events, context)
    }

    public func acceptance(type: String, version: Int) -> EventAcceptance {
        if let versions = routes[type] {
            return versions[version] != nil ? .handle : .unsupportedVersion
        }
        if EventCatalogue.descriptor(type: type, version: version) != nil { return .ignore }
        if EventCatalogue.all.contains(where: { $0.type == type }) { return .unsupportedVersion }
        return .unknownType
    }

    public func handle(_ event: EventEnvelope, context: HandlerContext) async throws {
        guard let route = routes[event.type]?[event.version] else {
            throw ContractError(.unknownEventType, "no route for \(event.type) v\(event.version)")
        }
        try await route(event, context)
    }
}
