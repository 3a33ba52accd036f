import Foundation

/// `platform.outbox.republished` v1: an operator re-published part of a service's outbox.
///
/// Emitted by the operator's republish command to the producing service's own events topic
/// (``ServiceName/eventsTopic``) as an audit record, after the rows were queued again. Key: the
/// producing service's name. Consumers other than audit tools ignore it; the republished events
/// themselves keep their original ids, so idempotent consumers apply them at most once.
/// Schema: `schemas/platform.outbox.republished.v1.schema.json`.
public struct OutboxRepublished: EventPayload, Hashable {
    /// `platform.outbox.republished`.
    public static let eventType = "platform.outbox.republished"
    /// Version 1.
    public static let eventVersion = 1

    /// Start of the republished range (inclusive), by the outbox rows' event `occurredAt`; an instant, written in UTC.
    public var fromTime: Date
    /// End of the republished range (exclusive); an instant, written in UTC, not before ``fromTime``.
    public var toTime: Date
    /// Number of outbox rows queued again, ≥ 0.
    public var rows: Int
    /// Who asked for it: the operator's user name or the tool's name, non-empty.
    public var requestedBy: String

    /// Creates the payload. The caller must pass `rows ≥ 0`, `toTime ≥ fromTime` and a non-empty `requestedBy`.
    public init(fromTime: Date, toTime: Date, rows: Int, requestedBy: String) {
        self.fromTime = fromTime
        self.toTime = toTime
        self.rows = rows
        self.requestedBy = requestedBy
    }

    enum CodingKeys: String, CodingKey {
        case fromTime, toTime, rows, requestedBy
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        fromTime = try container.decode(Date.self, forKey: .fromTime)
        toTime = try container.decode(Date.self, forKey: .toTime)
        rows = try container.decode(Int.self, forKey: .rows)
        requestedBy = try container.decode(String.self, forKey: .requestedBy)
        guard rows >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .rows, in: container, debugDescription: "expected an integer ≥ 0")
        }
        guard toTime >= fromTime else {
            throw DecodingError.dataCorruptedError(forKey: .toTime, in: container, debugDescription: "must not be before fromTime")
        }
        guard !requestedBy.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .requestedBy, in: container, debugDescription: "must not be empty")
        }
    }
}
