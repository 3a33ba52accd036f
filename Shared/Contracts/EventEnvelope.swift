import Foundation

/// The one JSON envelope around every ServiceHall event, on every topic.
///
/// Wire format (schema `schemas/envelope.schema.json`), members in sorted order, compact, UTF-8:
///
/// ```json
/// {"caseId":"…","causationId":"…","correlationId":"…","data":{…},"id":"…",
///  "occurredAt":"2026-01-05T08:30:00.123Z","producer":"intake","type":"intake.application.accepted","version":1}
/// ```
///
/// - `id`, `correlationId`, `causationId` are lowercase UUID strings (decoding accepts upper case).
/// - `occurredAt` is RFC 3339 UTC with exactly three fractional digits (``RFC3339Timestamp``).
/// - `caseId`, `correlationId`, `causationId` are omitted when `nil` (decoding also accepts `null`).
/// - `data` is always a JSON object.
/// - Any other member makes the envelope malformed.
///
/// Consumers are idempotent by ``id``: delivery is at least once, so the same envelope may arrive
/// more than once and must be applied once (inbox). The Kafka record key is ``caseId`` when the
/// event is about a case, otherwise the id of the entity it is about (see ``Topic``).
public struct EventEnvelope: Codable, Sendable, Hashable {
    /// Unique id of this event, chosen by the producer; the idempotency key for consumers.
    public var id: UUID
    /// Event type, dotted lowercase, e.g. `intake.application.accepted`.
    public var type: String
    /// Schema version of ``data`` for this ``type``, ≥ 1.
    public var version: Int
    /// When the fact happened (not when it was published), an instant; written in UTC, millisecond precision.
    public var occurredAt: Date
    /// Name of the producing system: a ``ServiceName`` raw value, or a department system's name.
    public var producer: String
    /// The case this event is about (e.g. the application's receipt code), `nil` for events not about a case.
    public var caseId: String?
    /// Id shared by every event that stems from one original request; usually the first event's id.
    public var correlationId: UUID?
    /// Id of the event (or command) that directly caused this one.
    public var causationId: UUID?
    /// The payload, always a JSON object; decode it with ``payload(as:)``.
    ///
    /// An envelope made from a typed payload (``init(payload:id:occurredAt:producer:caseId:correlationId:causationId:)``)
    /// keeps the payload's wire bytes and builds this value only when it is read; setting it
    /// replaces them.
    public var data: JSONValue {
        get {
            switch storage {
            case .value(let value):
                return value
            case .encoded(let bytes), .received(let bytes):
                do {
                    return try JSONValue.parse(bytes)
                } catch {
                    preconditionFailure("an envelope's data bytes were checked as a JSON object when they were stored: \(error)")
                }
            }
        }
        set { storage = .value(newValue) }
    }

    /// ``data`` as a value, or as the compact wire bytes the typed payload was encoded to once
    /// (sorted keys, unescaped slashes, dates as ``RFC3339Timestamp``): an event built to be sent
    /// is encoded once instead of encoded, decoded into a `JSONValue` and encoded again.
    /// An envelope read from the wire keeps its data's bytes as they came (`received`: a sender
    /// may space or order them its own way), so a payload is decoded from them once, instead of
    /// through a `JSONValue` encoded again.
    private enum DataStorage: Sendable {
        case value(JSONValue)
        case encoded([UInt8])
        case received([UInt8])
    }

    private var storage: DataStorage

    /// Creates an envelope from already-built parts, without checks.
    ///
    /// The caller must pass a ``type`` matching the dotted pattern, a ``version`` ≥ 1, a non-empty
    /// ``producer`` and an object as ``data``, or the envelope will be rejected by consumers.
    /// Prefer ``init(payload:id:occurredAt:producer:caseId:correlationId:causationId:)``.
    public init(
        id: UUID = UUID.random(),
        type: String,
        version: Int,
        occurredAt: Date = Date(),
        producer: String,
        caseId: String? = nil,
        correlationId: UUID? = nil,
        causationId: UUID? = nil,
        data: JSONValue
    ) {
        self.id = id
        self.type = type
        self.version = version
        self.occurredAt = occurredAt
        self.producer = producer
        self.caseId = caseId
        self.correlationId = correlationId
        self.causationId = causationId
        self.storage = .value(data)
    }

    /// Wraps a typed payload: `type` and `version` come from `P`, `data` is the encoded payload.
    ///
    /// - Parameters:
    ///   - occurredAt: when the fact happened; only milliseconds survive the wire.
    ///   - producer: the producing service, e.g. `ServiceName.intake.rawValue`.
    ///   - caseId: the case the event is about, `nil` if none (then the Kafka key is the entity id).
    /// - Throws: ``ContractError`` with code ``ContractError/Code/invalidPayload`` if the payload
    ///   cannot be encoded or does not encode to a JSON object.
    public init<P: EventPayload>(
        payload: P,
        id: UUID = UUID.random(),
        occurredAt: Date = Date(),
        producer: String,
        caseId: String?,
        correlationId: UUID? = nil,
        causationId: UUID? = nil
    ) throws {
        // Encoded once, as it will be on the wire: the same bytes `JSONValue(encoding:)` followed
        // by encoding that value would give (same encoder, sorted keys), without the round trip.
        let bytes: [UInt8]
        do {
            bytes = Array(try Self.encoder().encode(payload))
        } catch {
            throw ContractError(.invalidPayload, "cannot encode \(P.self): \(error)", fieldPath: "data")
        }
        guard bytes.first == UInt8(ascii: "{") else {
            throw ContractError(.invalidPayload, "\(P.self) must encode to a JSON object", fieldPath: "data")
        }
        self.init(
            id: id, type: P.eventType, version: P.eventVersion, occurredAt: occurredAt, producer: producer,
            caseId: caseId, correlationId: correlationId, causationId: causationId, data: [:]
        )
        self.storage = .encoded(bytes)
    }

    /// Decodes ``data`` as the typed payload `P`.
    ///
    /// - Throws: ``ContractError`` with code
    ///   - ``ContractError/Code/unknownEventType`` if ``type`` is not `P.eventType`;
    ///   - ``ContractError/Code/unsupportedVersion`` if ``version`` is not `P.eventVersion`;
    ///   - ``ContractError/Code/invalidPayload`` if `data` does not decode; `fieldPath` names the
    ///     member, e.g. `data.rows`.
    public func payload<P: EventPayload>(as payloadType: P.Type = P.self) throws -> P {
        guard type == P.eventType else {
            throw ContractError(.unknownEventType, "event type '\(type)' is not '\(P.eventType)'", fieldPath: "type")
        }
        guard version == P.eventVersion else {
            throw ContractError(
                .unsupportedVersion, "version \(version) of '\(type)' is not supported (expected \(P.eventVersion))",
                fieldPath: "version"
            )
        }
        do {
            switch storage {
            case .value(let value): return try value.decode(as: P.self)
            case .encoded(let bytes), .received(let bytes): return try Self.decoder().decode(P.self, from: Data(bytes))
            }
        } catch {
            throw ContractError.from(error, code: .invalidPayload, prefix: "data")
        }
    }

    // MARK: Wire format

    /// The exact wire bytes: compact UTF-8 JSON, sorted keys, unescaped slashes.
    ///
    /// Deterministic: the same envelope always gives the same bytes.
    /// - Throws: ``ContractError/Code/invalidPayload`` if ``data`` holds a non-finite number, or
    ///   ``ContractError/Code/malformedEnvelope`` if ``occurredAt`` is outside years 0000–9999.
    public func encoded() throws -> [UInt8] {
        do {
            return try writeWireBytes()
        } catch {
            if let error = error as? ContractError { throw error }
            throw ContractError(.invalidPayload, "cannot encode envelope: \(error)")
        }
    }

    /// Writes the wire form member by member, in the sorted order `JSONEncoder` with `.sortedKeys`
    /// gives (the golden fixtures pin it), splicing in ``data``'s bytes as they are.
    private func writeWireBytes() throws -> [UInt8] {
        let dataBytes: [UInt8]
        switch storage {
        case .encoded(let bytes): dataBytes = bytes
        case .value(let value): dataBytes = Array(try Self.encoder().encode(value))
        case .received: dataBytes = Array(try Self.encoder().encode(data))   // in the wire's own form again
        }
        guard let occurredAtText = RFC3339Timestamp.string(from: occurredAt) else {
            throw EncodingError.invalidValue(
                occurredAt, .init(codingPath: [CodingKeys.occurredAt], debugDescription: "date outside years 0000–9999"))
        }
        var out: [UInt8] = []
        out.reserveCapacity(dataBytes.count + 320)
        out.append(UInt8(ascii: "{"))
        if let caseId {
            try Self.appendMember("caseId", caseId, to: &out)
        }
        if let causationId {
            try Self.appendMember("causationId", causationId.uuidString.lowercased(), to: &out)
        }
        if let correlationId {
            try Self.appendMember("correlationId", correlationId.uuidString.lowercased(), to: &out)
        }
        out.append(contentsOf: #""data":"#.utf8)
        out.append(contentsOf: dataBytes)
        out.append(UInt8(ascii: ","))
        try Self.appendMember("id", id.uuidString.lowercased(), to: &out)
        try Self.appendMember("occurredAt", occurredAtText, to: &out)
        try Self.appendMember("producer", producer, to: &out)
        try Self.appendMember("type", type, to: &out)
        out.append(contentsOf: #""version":"#.utf8)
        out.append(contentsOf: String(version).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Appends `"name":"value",`. Printable ASCII without quote or backslash is written as it is
    /// (every id, type, producer, timestamp and most case ids); anything else goes through
    /// `JSONEncoder`, so escaping stays exactly the encoder's.
    private static func appendMember(_ name: String, _ value: String, to out: inout [UInt8]) throws {
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: #"":"#.utf8)
        let plain = value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        if plain {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\""))
        } else {
            out.append(contentsOf: try encoder().encode(value))
        }
        out.append(UInt8(ascii: ","))
    }

    /// Reads an envelope from wire bytes (a Kafka record value).
    ///
    /// Checks the envelope, not the payload: use ``payload(as:)`` for that.
    /// - Throws: ``ContractError`` with code ``ContractError/Code/malformedEnvelope`` if the bytes
    ///   are not JSON or not a valid envelope; `fieldPath` names the offending member.
    public static func decode(from bytes: some Collection<UInt8>) throws -> EventEnvelope {
        let data = Data(bytes)
        do {
            let reader = decoder()
            reader.userInfo[dataAsReceived] = true
            var envelope = try reader.decode(EventEnvelope.self, from: data)
            // The checked document's `data` member, as it came; a document this does not read
            // plainly (an escaped key, `data` twice) is read the long way.
            guard let span = data.withUnsafeBytes({ JSONMembers.span(of: "data", in: $0.bindMemory(to: UInt8.self)) }) else {
                return try decoder().decode(EventEnvelope.self, from: data)
            }
            envelope.storage = .received(Array(data[span]))
            return envelope
        } catch {
            throw ContractError.from(error, code: .malformedEnvelope, prefix: nil)
        }
    }

    /// Set in a decoder's `userInfo`: ``init(from:)`` checks that `data` is an object but leaves
    /// reading it to ``decode(from:)``.
    static let dataAsReceived = CodingUserInfoKey(rawValue: "servicehall.envelope.dataAsReceived")!

    /// A new `JSONEncoder` configured like the wire: sorted keys, unescaped slashes, dates as
    /// ``RFC3339Timestamp`` (UTC, 3 fractional digits). Use it for any JSON that must match the contracts.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            guard let text = RFC3339Timestamp.string(from: date) else {
                throw EncodingError.invalidValue(
                    date, .init(codingPath: encoder.codingPath, debugDescription: "date outside years 0000–9999")
                )
            }
            var container = encoder.singleValueContainer()
            try container.encode(text)
        }
        return encoder
    }

    /// A new `JSONDecoder` that reads dates as RFC 3339 with any fraction and offset (``RFC3339Timestamp``).
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339Timestamp.date(from: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an RFC 3339 date-time such as 2026-01-05T08:30:00.123Z"
                )
            }
            return date
        }
        return decoder
    }

    // MARK: Codable

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, type, version, occurredAt, producer, caseId, correlationId, causationId, data
    }

    /// Envelopes are equal when every member is, ``data`` compared as JSON values (whether it is
    /// held as a value or as pre-encoded bytes).
    public static func == (lhs: EventEnvelope, rhs: EventEnvelope) -> Bool {
        guard lhs.id == rhs.id, lhs.type == rhs.type, lhs.version == rhs.version, lhs.occurredAt == rhs.occurredAt,
              lhs.producer == rhs.producer, lhs.caseId == rhs.caseId, lhs.correlationId == rhs.correlationId,
              lhs.causationId == rhs.causationId
        else { return false }
        switch (lhs.storage, rhs.storage) {
        case (.encoded(let a), .encoded(let b)) where a == b, (.received(let a), .received(let b)) where a == b: return true
        default: return lhs.data == rhs.data
        }
    }

    /// Hashes consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(type)
        hasher.combine(version)
        hasher.combine(occurredAt)
        hasher.combine(producer)
        hasher.combine(caseId)
        hasher.combine(correlationId)
        hasher.combine(causationId)
        hasher.combine(data)
    }

    /// Decodes and checks an envelope. Throws `DecodingError` (``decode(from:)`` turns it into a ``ContractError``).
    public init(from decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = all.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [unknown], debugDescription: "envelope member '\(unknown.stringValue)' is not defined")
            )
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try Self.decodeUUID(container, .id)
        self.type = try container.decode(String.self, forKey: .type)
        guard Self.isValidType(type) else {
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container,
                debugDescription: "expected dotted lowercase segments such as intake.application.accepted"
            )
        }
        // Read as JSONValue first: Foundation's error for a fractional number has no coding path.
        guard case .int(let rawVersion) = try container.decode(JSONValue.self, forKey: .version),
              let version = Int(exactly: rawVersion), version >= 1
        else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: container, debugDescription: "expected an integer ≥ 1")
        }
        self.version = version
        let occurredAtText = try container.decode(String.self, forKey: .occurredAt)
        guard let occurredAt = RFC3339Timestamp.date(from: occurredAtText) else {
            throw DecodingError.dataCorruptedError(
                forKey: .occurredAt, in: container,
                debugDescription: "expected an RFC 3339 date-time such as 2026-01-05T08:30:00.123Z"
            )
        }
        self.occurredAt = occurredAt
        self.producer = try container.decode(String.self, forKey: .producer)
        guard Self.isValidProducer(producer) else {
            throw DecodingError.dataCorruptedError(
                forKey: .producer, in: container, debugDescription: "expected a lowercase name such as intake"
            )
        }
        self.caseId = try container.decodeIfPresent(String.self, forKey: .caseId)
        if let caseId, caseId.isEmpty || caseId.utf8.count > 128 {
            throw DecodingError.dataCorruptedError(
                forKey: .caseId, in: container, debugDescription: "expected 1 to 128 bytes"
            )
        }
        self.correlationId = try Self.decodeUUIDIfPresent(container, .correlationId)
        self.causationId = try Self.decodeUUIDIfPresent(container, .causationId)
        if decoder.userInfo[Self.dataAsReceived] as? Bool == true, (try? container.decode(ObjectShape.self, forKey: .data)) != nil {
            self.storage = .received([])
            return
        }
        let data = try container.decode(JSONValue.self, forKey: .data)
        self.storage = .value(data)
        guard case .object = data else {
            throw DecodingError.dataCorruptedError(forKey: .data, in: container, debugDescription: "expected a JSON object")
        }
    }

    /// Encodes the envelope in wire form (lowercase UUIDs, RFC 3339 millisecond UTC date, nil members omitted).
    ///
    /// Throws `EncodingError.invalidValue` if ``occurredAt`` is outside years 0000–9999.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(version, forKey: .version)
        guard let occurredAtText = RFC3339Timestamp.string(from: occurredAt) else {
            throw EncodingError.invalidValue(
                occurredAt,
                .init(codingPath: container.codingPath + [CodingKeys.occurredAt], debugDescription: "date outside years 0000–9999")
            )
        }
        try container.encode(occurredAtText, forKey: .occurredAt)
        try container.encode(producer, forKey: .producer)
        try container.encodeIfPresent(caseId, forKey: .caseId)
        try container.encodeIfPresent(correlationId?.uuidString.lowercased(), forKey: .correlationId)
        try container.encodeIfPresent(causationId?.uuidString.lowercased(), forKey: .causationId)
        try container.encode(data, forKey: .data)
    }

    private static func decodeUUID(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> UUID {
        let text = try container.decode(String.self, forKey: key)
        guard text.utf8.count == 36, let uuid = UUID(uuidString: text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "expected a UUID such as 0b9e3c1a-5f7d-4c2e-9a61-3d8f2b7e4c10"
            )
        }
        return uuid
    }

    private static func decodeUUIDIfPresent(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> UUID? {
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
        return try decodeUUID(container, key)
    }

    /// `^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$`, as in the schema.
    static func isValidType(_ type: String) -> Bool {
        let segments = type.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count >= 2 else { return false }
        return segments.allSatisfy(isLowercaseName)
    }

    /// `^[a-z][a-z0-9-]*$`, at most 64 bytes, as in the schema.
    static func isValidProducer(_ producer: String) -> Bool {
        producer.utf8.count <= 64 && isLowercaseName(producer.utf8[...])
    }

    private static func isLowercaseName(_ bytes: Substring.UTF8View) -> Bool {
        guard let first = bytes.first, (0x61...0x7A).contains(first) else { return false }
        return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }
    }
}
