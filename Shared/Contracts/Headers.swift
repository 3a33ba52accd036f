import Foundation

/// Kafka header names carried by every ServiceHall event record, next to the JSON envelope.
///
/// The headers duplicate envelope fields so brokers' tools, routers and dead-letter handling can
/// read them without parsing the value; the envelope is authoritative if they ever disagree.
/// All header values are UTF-8 strings.
public enum EventHeader {
    /// The envelope `id`, lowercase UUID.
    public static let eventId = "hall-event-id"
    /// The envelope `type`, e.g. `intake.application.accepted`.
    public static let eventType = "hall-event-type"
    /// The envelope `version`, decimal, e.g. `1`.
    public static let eventVersion = "hall-event-version"
    /// The envelope `correlationId`, lowercase UUID; absent when the envelope has none.
    public static let correlationId = "hall-correlation-id"
    /// The envelope `causationId`, lowercase UUID; absent when the envelope has none.
    public static let causationId = "hall-causation-id"
    /// The envelope `producer`.
    public static let producer = "hall-producer"
    /// The media type of the record value; always ``contentTypeJSON``.
    public static let contentType = "content-type"
    /// The only value of ``contentType``: `application/json`.
    public static let contentTypeJSON = "application/json"

    /// The headers to send with `envelope`, in a fixed order; optional ones only when set.
    public static func headers(for envelope: EventEnvelope) -> [(key: String, value: String)] {
        var headers: [(key: String, value: String)] = [
            (eventId, envelope.id.uuidString.lowercased()),
            (eventType, envelope.type),
            (eventVersion, String(envelope.version)),
            (producer, envelope.producer),
            (contentType, contentTypeJSON),
        ]
        if let correlation = envelope.correlationId {
            headers.append((correlationId, correlation.uuidString.lowercased()))
        }
        if let causation = envelope.causationId {
            headers.append((causationId, causation.uuidString.lowercased()))
        }
        return headers
    }
}

/// Kafka header names added to a record copied to a dead-letter topic.
///
/// A dead-lettered record keeps the original key, value and headers and adds these (schema
/// `schemas/dead-letter-headers.schema.json`); a key, value or headers too large for the
/// dead-letter topic are cut, and the cut is stated in a header. All values are UTF-8 strings.
public enum DeadLetterHeader {
    /// Human-readable reason, e.g. the ``ContractError`` description. Never contains payload values.
    public static let reason = "hall-dlq-reason"
    /// A ``DeadLetterErrorCode`` raw value.
    public static let errorCode = "hall-dlq-error-code"
    /// The topic the record was read from.
    public static let sourceTopic = "hall-dlq-source-topic"
    /// The partition the record was read from, decimal.
    public static let sourcePartition = "hall-dlq-source-partition"
    /// The offset of the record in its source partition, decimal.
    public static let sourceOffset = "hall-dlq-source-offset"
    /// The consumer group that gave up on the record.
    public static let consumerGroup = "hall-dlq-consumer-group"
    /// How many times the handler was tried before giving up, decimal ≥ 1.
    public static let attempts = "hall-dlq-attempts"
    /// When the record was dead-lettered, RFC 3339 UTC with milliseconds.
    public static let failedAt = "hall-dlq-failed-at"
    /// Present when the value was too long for the dead-letter topic and was cut: the original
    /// value's length in bytes, decimal (the copy holds its first bytes).
    public static let valueBytes = "hall-dlq-value-bytes"
    /// Present when the key was too long and was cut: the original key's length in bytes, decimal.
    public static let keyBytes = "hall-dlq-key-bytes"
    /// Present when the original headers were too large to copy: how many were dropped, decimal.
    public static let headersDropped = "hall-dlq-headers-dropped"

    /// The headers to add to a dead-lettered record, in a fixed order.
    ///
    /// - Parameters:
    ///   - failedAt: when the consumer gave up; written in UTC with milliseconds.
    ///   - attempts: handler attempts, ≥ 1.
    public static func headers(
        reason: String,
        errorCode: DeadLetterErrorCode,
        sourceTopic: String,
        sourcePartition: Int,
        sourceOffset: Int64,
        consumerGroup: String,
        attempts: Int,
        failedAt: Date
    ) -> [(key: String, value: String)] {
        [
            (Self.reason, reason),
            (Self.errorCode, errorCode.rawValue),
            (Self.sourceTopic, sourceTopic),
            (Self.sourcePartition, String(sourcePartition)),
            (Self.sourceOffset, String(sourceOffset)),
            (Self.consumerGroup, consumerGroup),
            (Self.attempts, String(attempts)),
            (Self.failedAt, RFC3339Timestamp.string(from: failedAt) ?? ""),
        ]
    }
}

/// The values of the ``DeadLetterHeader/errorCode`` header: why a record was dead-lettered.
public enum DeadLetterErrorCode: String, CaseIterable, Sendable, Hashable {
    /// The value is not JSON or not a valid ``EventEnvelope``.
    case malformedEnvelope = "malformed-envelope"
    /// The envelope's `type` is not one this consumer handles on this topic.
    case unknownEvent = "unknown-event"
    /// The `type` is handled but not at this `version`.
    case unsupportedVersion = "unsupported-version"
    /// The envelope is valid but its `data` does not match the event's schema.
    case invalidPayload = "invalid-payload"
    /// The handler kept failing (or refused the event) after its retries.
    case handlerFailed = "handler-failed"
    /// The record is not signed, or not by the topic's producer, or its signature does not verify
    /// (``RecordSignatureHeader``).
    case untrustedProducer = "untrusted-producer"
}

/// Kafka header names of a record's signature: who sent it and their Ed25519 signature of the
/// record value's exact bytes (standard base64, 64 bytes).
///
/// The hall services sign every record their outbox sends with their own key; a department system
/// signs its commands with the key it registered with the centre
/// (`intake.directory.department-system-changed`). A consumer accepts a record on a service's topic
/// only from that service (``ServiceName/signers(of:)``), and the coordinator accepts a department
/// command only from a registered system of the department the command names.
public enum RecordSignatureHeader {
    /// Who signed: a ``ServiceName`` raw value, or a department system's id.
    public static let signer = "hall-signer"
    /// The Ed25519 signature of the record value, standard base64.
    public static let signature = "hall-signature"
}
