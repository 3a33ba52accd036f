import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKit
import Logging
import PostgresNIO

/// The register's anchors: the key each seal was registered with (`registered_keys`) and every head
/// published (`register_heads`), both append-only for the service's own database role, each
/// written in the same transaction as the event that publishes it.
extension SealStore {
    /// A published head as kept in `register_heads`.
    struct PublishedHead: Sendable, Equatable {
        var serial: Int64
        var imprintHash: String
        var publishedAt: Date
    }

    /// Keeps the key `sealId` was registered with (called by ``register(_:predecessor:by:now:correlationId:causationId:on:logger:)``).
    func keepRegisteredKey(sealId: UUID, publicKey: String, at now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(
            "INSERT INTO \(unescaped: schema).registered_keys (seal_id, public_key, registered_at) VALUES (\(sealId), \(publicKey), \(now))", logger: logger)
    }

    /// The public key `sealId` was registered with; nil for an unknown seal (or an unreadable key).
    func registeredKey(sealId: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Curve25519.Signing.PublicKey? {
        let text = try await connection.run(
            "SELECT public_key FROM \(unescaped: schema).registered_keys WHERE seal_id = \(sealId)", logger: logger
        ).decode(String.self).collectAll().first
        return text.flatMap { Data(base64Encoded: $0) }.flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }

    /// The last head published for `sealId`, nil when none was.
    func lastPublishedHead(sealId: UUID, on connection: PostgresConnection, logger: Logger) async throws -> PublishedHead? {
        try await connection.run(
            """
            SELECT serial, imprint_hash, (extract(epoch FROM published_at) * 1000)::bigint FROM \(unescaped: schema).register_heads
            WHERE seal_id = \(sealId) ORDER BY head_id DESC LIMIT 1
            """, logger: logger
        ).decode((Int64, String, Int64).self).collectAll().first.map {
            PublishedHead(serial: $0.0, imprintHash: $0.1, publishedAt: Date(timeIntervalSince1970: Double($0.2) / 1000))
        }
    }

    /// Signs the head of a seal's register as it stands in this transaction (its recorded last
    /// serial and hash), keeps it and appends `seal.register.head`.
    func publishHead(
        of seal: SealRecord, encryptedKey: String, occasion: RegisterHeadOccasion, now: Date, correlationId: UUID?, causationId: UUID?,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let key = try vault.decrypt(Array(Data(base64Encoded: encryptedKey) ?? Data()), sealId: seal.sealId)
        let publishedAt = Date(timeIntervalSince1970: (now.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        let hash = Hex.encode(seal.lastHash)
        let serial = Int(seal.lastSerial)
        let signature = Data(try key.signature(for: SealRegisterHead.signedBytes(sealId: seal.sealId, serial: serial, imprintHash: hash, publishedAt: publishedAt)))
            .base64EncodedString()
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).register_heads (seal_id, serial, imprint_hash, published_at, occasion, signature)
            VALUES (\(seal.sealId), \(seal.lastSerial), \(hash), \(publishedAt), \(occasion.rawValue), \(signature))
            """, logger: logger)
        let event = SealRegisterHead(
            sealId: seal.sealId, departmentId: seal.departmentId, serial: serial, imprintHash: hash, publishedAt: publishedAt, occasion: occasion,
            signature: signature)
        let envelope = try EventEnvelope(
            payload: event, occurredAt: now, producer: ServiceName.seal.rawValue, caseId: nil, correlationId: correlationId, causationId: causationId)
        try await outbox.append([OutgoingEvent(topic: .sealEvents, key: seal.sealId.uuidString.lowercased(), envelope: envelope)], on: connection, logger: logger)
    }

    /// Publishes the head of every active seal whose last head is older than `interval / 2` (so two
    /// instances ticking together publish once). Returns how many were published.
    func publishDueHeads(now: Date, interval: Duration, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        // One instance at a time; another that finds the lock taken has nothing to add.
        let locked = try await connection.run("SELECT pg_try_advisory_xact_lock(hashtext(\("hall.seal.heads." + schema)))", logger: logger)
            .decode(Bool.self).collectAll().first ?? false
        guard locked else { return 0 }
        let interval = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let publishedSince = now.addingTimeInterval(-interval / 2)
        let rows = try await connection.run(
            """
            SELECT \(unescaped: Self.sealColumns), encrypted_private_key FROM \(unescaped: schema).seals s
            WHERE status = 'active'
              AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema).register_heads h
                              WHERE h.seal_id = s.seal_id AND h.published_at > \(publishedSince))
            ORDER BY department_id
            """, logger: logger
        ).collect()
        for row in rows {
            let seal = try Self.decodeSeal(row)
            let encrypted = try row.makeRandomAccess()["encrypted_private_key"].decode(String.self)
            try await publishHead(of: seal, encryptedKey: encrypted, occasion: .periodic, now: now, correlationId: nil, causationId: nil, on: connection, logger: logger)
        }
        return rows.count
    }
}
