import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKit
import Logging
import PostgresNIO

/// The outcome of verifying one imprint: its own hash and signature, and the chain up to it.
struct ImprintVerification: Sendable {
    var imprint: Imprint
    var seal: SealRecord
    /// The imprint's own hash and signature check out under the seal's public key.
    var signatureValid: Bool
    /// The register from genesis up to this imprint is intact.
    var chain: ChainVerifier.Report
    /// Valid = own signature valid and chain intact.
    var valid: Bool { signatureValid && chain.intact }
    /// What the hall's events told of the case the document belongs to, when anything.
    var caseFacts: SealCaseFacts? = nil
}

/// The seal service's state, as the HTTP routes and tools use it. Each call is one transaction
/// (a sealing may share its transaction with concurrent callers' sealings).
protocol SealRepository: Sendable {
    /// Registers a seal with a new key pair (publishes `seal.seal.registered`).
    func registerSeal(_ registration: SealRegistration, by admin: String) async throws -> SealRecord
    /// Revokes a seal and registers its successor when given (publishes `seal.seal.revoked`, `seal.seal.registered`).
    func revokeSeal(id: UUID, reason: String, by admin: String, successor: SealRegistration?) async throws -> (SealRecord, SealRecord?)
    /// Replaces who (besides the custodian) may apply an active seal and for which document kinds;
    /// audited (who, when) and published as `seal.seal.authorisations-changed`.
    func replaceAuthorisations(sealId: UUID, authorisations: [SealAuthorisation], by admin: String) async throws -> SealRecord
    /// Every seal ever issued (of one department when given).
    func seals(departmentId: String?) async throws -> [SealRecord]
    /// One seal.
    func seal(id: UUID) async throws -> SealRecord?
    /// The custody of each seal (Art 32): who keeps it today and the log of changes while in use.
    func custody(of seals: [SealRecord]) async throws -> [UUID: SealCustody]
    /// Applies the seal or refuses (publishes `seal.document.sealed` / `seal.document.refused`; a repeat publishes nothing).
    func apply(_ request: SealingRequest) async throws -> SealingOutcome
    /// Verifies one imprint and the chain up to it; nil when there is no such imprint.
    func verifyImprint(id: UUID) async throws -> ImprintVerification?
    /// Verifies every imprint of a document hash.
    func verifyDocument(hash: String) async throws -> [ImprintVerification]
    /// Re-verifies a seal's whole register; nil when there is no such seal.
    func verifyRegister(sealId: UUID) async throws -> ChainVerifier.Report?
}

/// ``SealRepository`` on PostgreSQL.
struct PostgresSealRepository: SealRepository {
    let client: PostgresClient
    let store: SealStore
    let logger: Logger
    /// The service's clock: the imprint's time is the legal completion time (Art 31).
    let clock: @Sendable () -> Date
    /// Groups concurrent callers' sealing requests into shared transactions.
    let batcher: SealingBatcher

    /// - Parameter sealingLanes: how many sealing transactions run at once (``SealingBatcher``).
    init(
        client: PostgresClient, schema: String, vault: KeyVault, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
        sealingLanes: Int = 8
    ) {
        self.client = client
        self.store = SealStore(schema: schema, vault: vault)
        self.logger = logger
        self.clock = clock
        self.batcher = SealingBatcher(lanes: sealingLanes)
    }

    func registerSeal(_ registration: SealRegistration, by admin: String) async throws -> SealRecord {
        try await client.transaction(logger: logger) { connection in
            try await store.register(
                registration, predecessor: nil, by: admin, now: clock(), correlationId: UUID.random(), causationId: nil, on: connection, logger: logger)
        }
    }

    func revokeSeal(id: UUID, reason: String, by admin: String, successor: SealRegistration?) async throws -> (SealRecord, SealRecord?) {
        let (revoked, next) = try await client.transaction(logger: logger) { connection in
            let result = try await store.revoke(
                sealId: id, reason: reason, by: admin, successor: successor, now: clock(), correlationId: UUID.random(), on: connection, logger: logger)
            return Pair(first: result.0, second: result.1)
        }.tuple
        return (revoked, next)
    }

    func replaceAuthorisations(sealId: UUID, authorisations: [SealAuthorisation], by admin: String) async throws -> SealRecord {
        try await client.transaction(logger: logger) { connection in
            try await store.replaceAuthorisations(
                sealId: sealId, authorisations: authorisations, by: admin, now: clock(), correlationId: UUID.random(), on: connection, logger: logger)
        }
    }

    func seals(departmentId: String?) async throws -> [SealRecord] {
        try await client.withConnection { try await store.seals(departmentId: departmentId, on: $0, logger: logger) }
    }

    func seal(id: UUID) async throws -> SealRecord? {
        try await client.withConnection { try await store.seal(id: id, on: $0, logger: logger) }
    }

    func custody(of seals: [SealRecord]) async throws -> [UUID: SealCustody] {
        let day = SealPolicy.hallDay(clock())
        return try await client.withConnection { connection in
            var custody: [UUID: SealCustody] = [:]
            for seal in seals { custody[seal.sealId] = try await store.custody(of: seal, on: day, on: connection, logger: logger) }
            return custody
        }
    }

    /// Sealed together with the requests that concurrent callers make at the same moment
    /// (``SealingBatcher``): one transaction for all of them.
    func apply(_ request: SealingRequest) async throws -> SealingOutcome {
        try await batcher.apply(request) { requests in try await sealTogether(requests) }
    }

    /// Seals `requests` in one transaction (one outcome each, in order); a retriable conflict — a
    /// document sealed concurrently by another instance, a deadlock — runs the transaction again
    /// (up to 3 times), and the repeat then finds the imprint.
    func sealTogether(_ requests: [SealingRequest]) async throws -> [SealingOutcome] {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.transaction(logger: logger) { connection in
                    let correlations = requests.map { _ in UUID.random() }
                    return try await store.apply(
                        requests, now: clock, reemitOnRepeat: false, on: connection, logger: logger, requestLogger: { _ in logger }
                    ) { index, payload in
                        let envelope = try EventEnvelope(
                            payload: payload, occurredAt: clock(), producer: ServiceName.seal.rawValue, caseId: requests[index].caseId,
                            correlationId: correlations[index])
                        return OutgoingEvent(topic: .sealEvents, envelope: envelope)
                    }
                }
            } catch let error as HallError where error.isRetriable && attempt < 3 {
                continue
            } catch let error as PSQLError where attempt < 3 && ["40001", "40P01", "23505"].contains(error.serverInfo?[.sqlState] ?? "") {
                continue
            }
        }
    }

    func verifyImprint(id: UUID) async throws -> ImprintVerification? {
        try await client.withConnection { connection -> ImprintVerification? in
            guard let imprint = try await store.imprint(id: id, on: connection, logger: logger) else { return nil }
            return try await verify(imprint, on: connection)
        }
    }

    func verifyDocument(hash: String) async throws -> [ImprintVerification] {
        try await client.withConnection { connection in
            var results: [ImprintVerification] = []
            for imprint in try await store.imprints(documentHash: hash, on: connection, logger: logger) {
                if let result = try await verify(imprint, on: connection) { results.append(result) }
            }
            return results
        }
    }

    func verify(_ imprint: Imprint, on connection: PostgresConnection) async throws -> ImprintVerification? {
        guard let seal = try await store.seal(id: imprint.sealId, on: connection, logger: logger) else { return nil }
        // The key published at registration, never one edited into the seal's row since.
        guard let key = try await store.registeredKey(sealId: seal.sealId, on: connection, logger: logger)
            ?? (try? Curve25519.Signing.PublicKey(rawRepresentation: seal.publicKey))
        else { return nil }
        let register = try await store.register(sealId: seal.sealId, through: imprint.serial, on: connection, logger: logger)
        let chain = ChainVerifier(publicKey: key).verify(register, through: imprint.serial)
        return ImprintVerification(
            imprint: imprint, seal: seal, signatureValid: imprint.check(publicKey: key) == .valid, chain: chain,
            caseFacts: try await store.caseFacts(caseId: imprint.caseId, on: connection, logger: logger))
    }

    /// Publishes the head of every active seal not published within half of `interval` (``SealStore/publishDueHeads(now:interval:on:logger:)``).
    func publishDueHeads(now: Date, interval: Duration) async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            try await store.publishDueHeads(now: now, interval: interval, on: connection, logger: logger)
        }
    }

    func verifyRegister(sealId: UUID) async throws -> ChainVerifier.Report? {
        // One snapshot for the seal's record and its rows, so a concurrent imprint is not mistaken for a break.
        try await client.transaction(logger: logger) { connection -> ChainVerifier.Report? in
            try await connection.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            guard let seal = try await store.seal(id: sealId, on: connection, logger: logger) else { return nil }
            // Checked against the anchors the service's role cannot change: the key as registered
            // (and published) and the last head published.
            guard let key = try await store.registeredKey(sealId: sealId, on: connection, logger: logger), Data(seal.publicKey) == key.rawRepresentation
            else {
                return ChainVerifier.Report(intact: false, checked: 0, firstBrokenSerial: nil, problem: .keyReplaced)
            }
            let head = try await store.lastPublishedHead(sealId: sealId, on: connection, logger: logger)
            let register = try await store.register(sealId: sealId, through: nil, on: connection, logger: logger)
            return ChainVerifier(publicKey: key).verify(
                register, expectedLast: (seal.lastSerial, seal.lastHash),
                publishedHead: head.map { ($0.serial, Hex.digest($0.imprintHash) ?? []) })
        }
    }
}

/// Two values that cross a `sending` boundary together.
struct Pair<A: Sendable, B: Sendable>: Sendable {
    var first: A
    var second: B
    var tuple: (A, B) { (first, second) }
}
