import Crypto
import Foundation
import HallContracts
import HallImprints
import Logging
import PostgresNIO

/// The seals' public keys as a service learns them from `seal.seal.registered`, and the check
/// every `seal.document.sealed` passes before the service acts on it: the imprint's hash is the
/// hash of its fields, its signature verifies with the key registered for its seal, the seal is
/// the imprint's department's, and it was sealed within the seal's validity.
///
/// A service that acts on sealed documents adds the migration and registers on its consumer of
/// `hall.seal.events` instead of handling `DocumentSealed` itself:
///
/// ```swift
/// SealKeyProjection.register(on: &router, wants: { $0.documentKind == … }) { batch, context in try await store.applySealed(batch, …) }
/// ```
///
/// The sealed events a consumer reads together reach `apply` together, checked, in the order they
/// came (one look-up of their seals' keys, and one set of statements in the service for the lot);
/// those `wants` turns down change nothing and are not checked, as records a consumer passes over.
/// A sealed event whose seal's registration has not arrived yet (another partition) is held and
/// applied, checked, when it does. One that fails the check is refused: the batch is rolled back,
/// the consumer applies its events one by one, and that one is dead-lettered with the reason, the
/// case untouched.
public enum SealKeyProjection {
    public static let migration = Migration(
        component: "seal-keys", version: 1, name: "the seals' registered public keys, and imprints held until their seal's key is known",
        statements: [
            """
            CREATE TABLE IF NOT EXISTS seal_keys (
                seal_id uuid PRIMARY KEY,
                department_id text NOT NULL,
                public_key text NOT NULL,
                valid_from timestamptz NOT NULL,
                valid_until timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS held_imprints (
                imprint_id uuid PRIMARY KEY,
                seal_id uuid NOT NULL,
                event jsonb NOT NULL,
                held_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX IF NOT EXISTS held_imprints_seal ON held_imprints (seal_id)",
        ])

    /// What a service does with sealed documents once they are checked: each with the event that
    /// brought it (the cause of what the service publishes in return), in the order they came.
    public typealias Apply = @Sendable ([(DocumentSealed, EventEnvelope)], HandlerContext) async throws -> Void

    /// Keeps the keys from `seal.seal.registered`, and hands the checked `seal.document.sealed`
    /// events that `wants` to `apply`.
    public static func register(
        on router: inout EventRouter, wants: @escaping @Sendable (DocumentSealed) -> Bool = { _ in true }, apply: @escaping Apply
    ) {
        router.on(SealRegistered.self) { event, _, context in
            let schema = context.outbox.schema
            try await lockHolding(context)
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: schema).seal_keys (seal_id, department_id, public_key, valid_from, valid_until)
                VALUES (\(event.sealId), \(event.departmentId), \(event.publicKey), \(event.validFrom), \(event.validUntil))
                ON CONFLICT (seal_id) DO NOTHING
                """, logger: context.logger)
            // The imprints that came before their seal's key, in the order they were sealed.
            let held = try await context.connection.select(
                """
                DELETE FROM \(unescaped: schema).held_imprints WHERE seal_id = \(event.sealId) RETURNING event::text
                """, logger: context.logger
            ).decode(String.self).collectAll()
            let decoder = EventEnvelope.decoder()
            let imprints = try held.map { try decoder.decode(DocumentSealed.self, from: Data($0.utf8)) }.sorted { $0.serial < $1.serial }
            for sealed in imprints where wants(sealed) {
                do {
                    try await checked(sealed, context.event, context: context, apply: apply)
                } catch let refusal as ContractError {
                    context.logger.warning("a held imprint failed its seal's check", metadata: ["imprintId": "\(sealed.imprintId)", "reason": "\(refusal)"])
                }
            }
        }
        // A revoked seal seals nothing after its revocation.
        router.on(SealRevoked.self) { event, _, context in
            try await context.connection.run(
                """
                UPDATE \(unescaped: context.outbox.schema).seal_keys SET valid_until = LEAST(valid_until, \(event.revokedAt)) WHERE seal_id = \(event.sealId)
                """, logger: context.logger)
        }
        router.onBatch(DocumentSealed.self) { batch, context in
            let wanted = batch.filter { wants($0.0) }
            guard !wanted.isEmpty else { return }
            // The seals are almost always known: one look-up for the batch, no lock.
            let keys = try await keys(Set(wanted.map(\.0.sealId)), context: context)
            guard wanted.allSatisfy({ keys[$0.0.sealId] != nil }) else {
                // A seal not registered yet: one by one, holding what waits for its key.
                for (sealed, envelope) in wanted { try await checked(sealed, envelope, context: context.applying(envelope), apply: apply) }
                return
            }
            for (sealed, _) in wanted {
                if let key = keys[sealed.sealId], let refusal = refusal(sealed, key) { throw refusal }
            }
            try await apply(wanted, context)
        }
    }

    /// A seal's registration as the projection keeps it.
    struct Key {
        var departmentId: String
        var publicKey: String
        var validFrom: Date
        var validUntil: Date
    }

    /// The registered keys of `sealIds` that are known.
    static func keys(_ sealIds: Set<UUID>, context: HandlerContext) async throws -> [UUID: Key] {
        let schema = context.outbox.schema
        // One seal (the usual batch) by a statement kept prepared; statements given arrays are not.
        let rows =
            if sealIds.count == 1, let sealId = sealIds.first {
                try await context.connection.select(
                    """
                    SELECT seal_id, department_id, public_key, valid_from, valid_until FROM \(unescaped: schema).seal_keys WHERE seal_id = \(sealId)
                    """, logger: context.logger
                ).decode((UUID, String, String, Date, Date).self).collectAll()
            } else {
                try await context.connection.select(
                    """
                    SELECT seal_id, department_id, public_key, valid_from, valid_until FROM \(unescaped: schema).seal_keys
                    WHERE seal_id = ANY(\(Array(sealIds))::uuid[])
                    """, logger: context.logger
                ).decode((UUID, String, String, Date, Date).self).collectAll()
            }
        return Dictionary(rows.map { ($0.0, Key(departmentId: $0.1, publicKey: $0.2, validFrom: $0.3, validUntil: $0.4)) }) { first, _ in first }
    }

    /// Applies `sealed` when it passes its seal's check, holds it while the seal is unknown, and
    /// refuses it (``ContractError``, so the consumer dead-letters it with the reason) otherwise.
    static func checked(_ sealed: DocumentSealed, _ envelope: EventEnvelope, context: HandlerContext, apply: Apply) async throws {
        let schema = context.outbox.schema
        var found = try await keys([sealed.sealId], context: context)[sealed.sealId]
        if found == nil {
            // Only an imprint about to be held takes the holding lock, and looks again.
            try await lockHolding(context)
            found = try await keys([sealed.sealId], context: context)[sealed.sealId]
        }
        guard let key = found else {
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: schema).held_imprints (imprint_id, seal_id, event)
                VALUES (\(sealed.imprintId), \(sealed.sealId), \(String(decoding: try EventEnvelope.encoder().encode(sealed), as: UTF8.self))::jsonb)
                ON CONFLICT DO NOTHING
                """, logger: context.logger)
            return
        }
        if let refusal = refusal(sealed, key) { throw refusal }
        try await apply([(sealed, envelope)], context)
    }

    static func refusal(_ sealed: DocumentSealed, _ key: Key) -> ContractError? {
        refusal(sealed, departmentId: key.departmentId, publicKey: key.publicKey, validFrom: key.validFrom, validUntil: key.validUntil)
    }

    /// The lock of holding imprints and registering keys, until the transaction ends: partitions are
    /// applied concurrently, and an imprint held while its seal's registration commits would
    /// otherwise never be released. One lock for every seal of the schema, so that transactions
    /// holding several imprints and registering several seals can never wait for each other in a
    /// circle (per-seal locks taken in a consumer's batch did deadlock); it is taken only on those
    /// rare paths, never for an imprint whose seal is known.
    static func lockHolding(_ context: HandlerContext) async throws {
        try await context.connection.run(
            "SELECT pg_advisory_xact_lock(hashtextextended(\("seal-keys " + context.outbox.schema), 0))", logger: context.logger)
    }

    /// Why `sealed` is not an imprint of the registered seal, or nothing.
    public static func refusal(_ sealed: DocumentSealed, departmentId: String, publicKey: String, validFrom: Date, validUntil: Date) -> ContractError? {
        guard sealed.departmentId == departmentId else {
            return ContractError(.invalidPayload, "the seal is registered for another department than the imprint names", fieldPath: "data.departmentId")
        }
        guard let keyBytes = Data(base64Encoded: publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes) else {
            return ContractError(.invalidPayload, "the seal's registered public key is not an Ed25519 key", fieldPath: "data.sealId")
        }
        guard let imprint = Imprint(sealed) else {
            return ContractError(.invalidPayload, "the imprint's hashes or signature are not in their published form", fieldPath: "data.signature")
        }
        switch imprint.check(publicKey: key) {
        case .valid: break
        case .hashMismatch:
            return ContractError(.invalidPayload, "the imprint hash is not the hash of the imprint's fields", fieldPath: "data.imprintHash")
        case .badSignature:
            return ContractError(.invalidPayload, "the signature does not verify with the seal's registered key", fieldPath: "data.signature")
        }
        guard sealed.sealedAt >= validFrom, sealed.sealedAt <= validUntil else {
            return ContractError(.invalidPayload, "sealed outside the seal's validity", fieldPath: "data.sealedAt")
        }
        return nil
    }
}
