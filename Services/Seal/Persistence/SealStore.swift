import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKit
import Logging
import PostgresNIO

/// What a centre administrator registers.
public struct SealRegistration: Sendable, Hashable {
    public var departmentId: String
    public var name: String
    public var code: String
    public var custodianStaffId: String
    public var authorisations: [SealAuthorisation]
    public var validFrom: Date
    public var validUntil: Date

    public init(departmentId: String, name: String, code: String, custodianStaffId: String, authorisations: [SealAuthorisation], validFrom: Date, validUntil: Date) {
        self.departmentId = departmentId
        self.name = name
        self.code = code
        self.custodianStaffId = custodianStaffId
        self.authorisations = authorisations
        self.validFrom = validFrom
        self.validUntil = validUntil
    }
}

/// The result of a sealing request.
public enum SealingOutcome: Sendable, Hashable {
    /// Sealed now (`repeated == false`) or earlier (the same imprint, `repeated == true`).
    case sealed(Imprint, repeated: Bool)
    /// Refused; nothing sealed.
    case refused(SealRefusal)
}

/// The SQL of the seal service, on a connection inside the caller's transaction. Every function
/// that changes state appends its events to the outbox on the same connection.
struct SealStore: Sendable {
    let schema: String
    let vault: KeyVault
    let outbox: Outbox

    init(schema: String, vault: KeyVault) {
        self.schema = schema
        self.vault = vault
        self.outbox = Outbox(schema: schema)
    }

    // MARK: Directory projections

    /// Applies a directory event to the shared projection (``DirectoryProjection``); an older
    /// `occurredAt` than the stored one changes nothing.
    /// A change of the chief representative or the filed substitute is also kept in the custody log (Art 32).
    func apply(_ event: DepartmentChanged, occurredAt: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await DirectoryProjection.apply(event, occurredAt: occurredAt, on: connection, schema: schema, logger: logger)
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).custody_log
                (department_id, changed_at, chief_staff_id, substitute_staff_id, substitute_notice, substitute_from, substitute_to)
            SELECT d.department_id, d.occurred_at, d.chief_staff_id, d.substitute_staff_id, d.substitute_notice, d.substitute_from, d.substitute_to
            FROM \(unescaped: schema).departments d
            WHERE d.department_id = \(event.departmentId)
              AND NOT EXISTS (
                  SELECT 1 FROM (SELECT * FROM \(unescaped: schema).custody_log l WHERE l.department_id = d.department_id
                                 ORDER BY entry_id DESC LIMIT 1) last
                  WHERE last.chief_staff_id IS NOT DISTINCT FROM d.chief_staff_id
                    AND last.substitute_staff_id IS NOT DISTINCT FROM d.substitute_staff_id
                    AND last.substitute_notice IS NOT DISTINCT FROM d.substitute_notice
                    AND last.substitute_from IS NOT DISTINCT FROM d.substitute_from
                    AND last.substitute_to IS NOT DISTINCT FROM d.substitute_to)
            """, logger: logger)
    }

    /// The custody of `seal` as of `day` (``SealCustody``).
    func custody(of seal: SealRecord, on day: String, on connection: PostgresConnection, logger: Logger) async throws -> SealCustody {
        let department = try await department(seal.departmentId, on: connection, logger: logger)
        let until = seal.revokedAt ?? Date.distantFuture
        // The state at registration (the last entry before it), then every change while in use.
        let rows = try await connection.run(
            """
            SELECT (extract(epoch FROM changed_at) * 1000)::bigint, chief_staff_id, substitute_staff_id, substitute_notice,
                   to_char(substitute_from, 'YYYY-MM-DD'), to_char(substitute_to, 'YYYY-MM-DD')
            FROM \(unescaped: schema).custody_log
            WHERE department_id = \(seal.departmentId) AND changed_at <= \(until)
              AND entry_id >= coalesce((SELECT max(entry_id) FROM \(unescaped: schema).custody_log
                                        WHERE department_id = \(seal.departmentId) AND changed_at <= \(seal.registeredAt)), 0)
            ORDER BY entry_id
            """, logger: logger
        ).decode((Int64, String?, String?, String?, String?, String?).self).collectAll()
        let log = rows.map { row in
            SealCustody.Entry(
                changedAt: Date(timeIntervalSince1970: Double(row.0) / 1000), chiefRepresentativeId: row.1,
                substitute: row.2.map { Custodian(staffId: $0, capacity: .substitute, noticeReference: row.3, from: row.4, to: row.5) })
        }
        return SealCustody(current: seal.status == .active ? department?.keeper(on: day) : nil, log: log)
    }

    /// Applies a directory event to the shared projection (``DirectoryProjection``).
    func apply(_ event: WindowChanged, occurredAt: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await DirectoryProjection.apply(event, occurredAt: occurredAt, on: connection, schema: schema, logger: logger)
    }

    /// Applies a directory event to the shared projection (``DirectoryProjection``).
    func apply(_ event: StaffChanged, occurredAt: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await DirectoryProjection.apply(event, occurredAt: occurredAt, on: connection, schema: schema, logger: logger)
    }

    func department(_ id: String, on connection: PostgresConnection, logger: Logger) async throws -> DepartmentRecord? {
        let rows = try await connection.run(
            """
            SELECT department_id, name, active, chief_staff_id, substitute_staff_id, substitute_notice,
                   to_char(substitute_from, 'YYYY-MM-DD') AS substitute_from, to_char(substitute_to, 'YYYY-MM-DD') AS substitute_to
            FROM \(unescaped: schema).departments WHERE department_id = \(id)
            """, logger: logger
        ).collect()
        guard let row = rows.first?.makeRandomAccess() else { return nil }
        var substitute: DirectorySubstitute?
        if let staffId = try row["substitute_staff_id"].decode(String?.self) {
            substitute = DirectorySubstitute(
                staffId: staffId, name: "", noticeReference: try row["substitute_notice"].decode(String.self),
                from: try row["substitute_from"].decode(String.self), to: try row["substitute_to"].decode(String.self))
        }
        return DepartmentRecord(
            departmentId: try row["department_id"].decode(String.self), name: try row["name"].decode(String.self),
            active: try row["active"].decode(Bool.self), chiefRepresentative: try row["chief_staff_id"].decode(String?.self), substitute: substitute)
    }

    // MARK: Registry

    static let sealColumns = """
        seal_id, department_id, name, code, custodian_staff_id, authorisations::text AS authorisations, valid_from, valid_until,
        public_key, status, predecessor_seal_id, successor_seal_id, registered_by, registered_at, revoked_by, revoked_at,
        revocation_reason, last_serial, last_hash
        """

    static func decodeSeal(_ row: PostgresRow) throws -> SealRecord {
        try decodeSeal(row.makeRandomAccess())
    }

    static func decodeSeal(_ r: PostgresRandomAccessRow) throws -> SealRecord {
        let authorisations = try EventEnvelope.decoder().decode(
            [SealAuthorisation].self, from: Data(try r["authorisations"].decode(String.self).utf8))
        return SealRecord(
            sealId: try r["seal_id"].decode(UUID.self), departmentId: try r["department_id"].decode(String.self),
            name: try r["name"].decode(String.self), code: try r["code"].decode(String.self),
            custodianStaffId: try r["custodian_staff_id"].decode(String.self), authorisations: authorisations,
            validFrom: try r["valid_from"].decode(Date.self), validUntil: try r["valid_until"].decode(Date.self),
            publicKey: Array(Data(base64Encoded: try r["public_key"].decode(String.self)) ?? Data()),
            status: SealRecord.Status(rawValue: try r["status"].decode(String.self)) ?? .revoked,
            predecessorSealId: try r["predecessor_seal_id"].decode(UUID?.self), successorSealId: try r["successor_seal_id"].decode(UUID?.self),
            registeredBy: try r["registered_by"].decode(String.self), registeredAt: try r["registered_at"].decode(Date.self),
            revokedBy: try r["revoked_by"].decode(String?.self), revokedAt: try r["revoked_at"].decode(Date?.self),
            revocationReason: try r["revocation_reason"].decode(String?.self), lastSerial: try r["last_serial"].decode(Int64.self),
            lastHash: Hex.digest(try r["last_hash"].decode(String.self)) ?? [])
    }

    func seals(departmentId: String?, on connection: PostgresConnection, logger: Logger) async throws -> [SealRecord] {
        let rows: [PostgresRow]
        if let departmentId {
            rows = try await connection.run(
                "SELECT \(unescaped: Self.sealColumns) FROM \(unescaped: schema).seals WHERE department_id = \(departmentId) ORDER BY registered_at",
                logger: logger
            ).collect()
        } else {
            rows = try await connection.run(
                "SELECT \(unescaped: Self.sealColumns) FROM \(unescaped: schema).seals ORDER BY department_id, registered_at", logger: logger
            ).collect()
        }
        return try rows.map(Self.decodeSeal)
    }

    /// A seal this transaction has just written or locked: missing, it is an internal error.
    private func storedSeal(id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> SealRecord {
        guard let record = try await seal(id: id, on: connection, logger: logger) else {
            throw HallError(.internalError, "seal \(id) is not in the register it was just written to", words: "刚写入的印章 \(id) 未能从登记簿中读出")
        }
        return record
    }

    func seal(id: UUID, forUpdate: Bool = false, on connection: PostgresConnection, logger: Logger) async throws -> SealRecord? {
        let rows = try await connection.run(
            "SELECT \(unescaped: Self.sealColumns) FROM \(unescaped: schema).seals WHERE seal_id = \(id) \(unescaped: forUpdate ? "FOR UPDATE" : "")",
            logger: logger
        ).collect()
        return try rows.first.map(Self.decodeSeal)
    }

    /// Registers a seal with a new key pair and appends `seal.seal.registered`.
    ///
    /// - Throws: ``HallError`` `invalid-field` when the custodian is not the department's chief
    ///   representative, `conflict` when the department already has an active seal or the code is taken.
    func register(
        _ registration: SealRegistration, predecessor: UUID?, by admin: String, now: Date, correlationId: UUID?, causationId: UUID?,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> SealRecord {
        let department = try await department(registration.departmentId, on: connection, logger: logger)
        if let problem = SealPolicy.registrationProblem(registration, department: department) {
            throw HallError.invalid(problem.field, problem.rule, words: problem.words)
        }
        let sealId = UUID.random()
        let key = Curve25519.Signing.PrivateKey()
        let publicKey = Data(key.publicKey.rawRepresentation).base64EncodedString()
        let encrypted = Data(try vault.encrypt(key, sealId: sealId)).base64EncodedString()
        let authorisations = String(decoding: try EventEnvelope.encoder().encode(registration.authorisations), as: UTF8.self)
        let inserted = try await connection.run(
            """
            INSERT INTO \(unescaped: schema).seals
                (seal_id, department_id, name, code, custodian_staff_id, authorisations, valid_from, valid_until, public_key,
                 encrypted_private_key, master_key_fingerprint, status, predecessor_seal_id, registered_by, registered_at)
            VALUES (\(sealId), \(registration.departmentId), \(registration.name), \(registration.code), \(registration.custodianStaffId),
                    \(authorisations)::jsonb, \(registration.validFrom), \(registration.validUntil), \(publicKey), \(encrypted),
                    \(vault.fingerprint), 'active', \(predecessor), \(admin), \(now))
            ON CONFLICT DO NOTHING
            RETURNING seal_id
            """, logger: logger
        ).collect()
        guard !inserted.isEmpty else {
            throw HallError(
                .conflict, "department \(registration.departmentId) already has an active seal, or code \(registration.code) is taken", field: "code",
                words: "部门 \(registration.departmentId) 已有在用的印章，或编码 \(registration.code) 已被占用")
        }
        let record = try await storedSeal(id: sealId, on: connection, logger: logger)
        let event = SealRegistered(
            sealId: sealId, departmentId: record.departmentId, name: record.name, code: record.code, custodianStaffId: record.custodianStaffId,
            authorisations: record.authorisations, validFrom: record.validFrom, validUntil: record.validUntil, publicKey: publicKey,
            predecessorSealId: predecessor, registeredBy: admin, registeredAt: now)
        let envelope = try EventEnvelope(payload: event, occurredAt: now, producer: ServiceName.seal.rawValue, caseId: nil, correlationId: correlationId, causationId: causationId)
        try await outbox.append([OutgoingEvent(topic: .sealEvents, key: sealId.uuidString.lowercased(), envelope: envelope)], on: connection, logger: logger)
        // The key as published, and the empty register's head: what verification holds the seal to.
        try await keepRegisteredKey(sealId: sealId, publicKey: publicKey, at: now, on: connection, logger: logger)
        try await publishHead(
            of: record, encryptedKey: encrypted, occasion: .registered, now: now, correlationId: correlationId, causationId: envelope.id,
            on: connection, logger: logger)
        logger.notice("seal registered", metadata: ["seal.id": "\(sealId)", "department.id": "\(record.departmentId)", "seal.code": "\(record.code)"])
        return record
    }

    /// Revokes a seal (and registers its successor in the same transaction when given) and appends
    /// `seal.seal.revoked` (and `seal.seal.registered`).
    func revoke(
        sealId: UUID, reason: String, by admin: String, successor: SealRegistration?, now: Date, correlationId: UUID?,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> (SealRecord, SealRecord?) {
        guard let seal = try await seal(id: sealId, forUpdate: true, on: connection, logger: logger) else {
            throw HallError(.notFound, "no seal \(sealId)", words: "没有编号为 \(sealId) 的印章")
        }
        guard seal.status == .active else { throw HallError(.conflict, "seal \(seal.code) is already revoked", words: "印章 \(seal.code) 已作废") }
        try await connection.run(
            """
            UPDATE \(unescaped: schema).seals SET status = 'revoked', revoked_by = \(admin), revoked_at = \(now), revocation_reason = \(reason)
            WHERE seal_id = \(sealId)
            """, logger: logger)
        let revokedEnvelopeId = UUID.random()
        var next: SealRecord?
        if var successor {
            guard successor.departmentId == seal.departmentId else {
                throw HallError.invalid("successor.departmentId", "must be the revoked seal's department", words: "须与作废的印章属于同一部门")
            }
            successor.departmentId = seal.departmentId
            next = try await register(
                successor, predecessor: sealId, by: admin, now: now, correlationId: correlationId, causationId: revokedEnvelopeId, on: connection, logger: logger)
            try await connection.run(
                "UPDATE \(unescaped: schema).seals SET successor_seal_id = \(next!.sealId) WHERE seal_id = \(sealId)", logger: logger)
        }
        let event = SealRevoked(sealId: sealId, departmentId: seal.departmentId, reason: reason, revokedBy: admin, revokedAt: now, successorSealId: next?.sealId)
        let envelope = try EventEnvelope(
            payload: event, id: revokedEnvelopeId, occurredAt: now, producer: ServiceName.seal.rawValue, caseId: nil, correlationId: correlationId)
        try await outbox.append([OutgoingEvent(topic: .sealEvents, key: sealId.uuidString.lowercased(), envelope: envelope)], on: connection, logger: logger)
        // The register's last head, for good: it seals nothing more.
        let encrypted = try await connection.run(
            "SELECT encrypted_private_key FROM \(unescaped: schema).seals WHERE seal_id = \(sealId)", logger: logger
        ).decode(String.self).collectAll().first ?? ""
        try await publishHead(
            of: seal, encryptedKey: encrypted, occasion: .revoked, now: now, correlationId: correlationId, causationId: revokedEnvelopeId,
            on: connection, logger: logger)
        logger.notice("seal revoked", metadata: ["seal.id": "\(sealId)", "department.id": "\(seal.departmentId)", "successor": "\(next?.sealId.uuidString ?? "none")"])
        return (try await storedSeal(id: sealId, on: connection, logger: logger), next)
    }

    /// Replaces the staff allowed to apply an active seal besides its custodian, records the change
    /// in `authorisation_changes` (who, when, the list before and after) and appends
    /// `seal.seal.authorisations-changed`, all on the seal's locked row (so a sealing decision sees
    /// either the old list or the new one, never a mix).
    ///
    /// - Throws: ``HallError`` `not-found` for an unknown seal, `conflict` for a revoked one.
    func replaceAuthorisations(
        sealId: UUID, authorisations: [SealAuthorisation], by admin: String, now: Date, correlationId: UUID?,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> SealRecord {
        guard var seal = try await seal(id: sealId, forUpdate: true, on: connection, logger: logger) else {
            throw HallError(.notFound, "no seal \(sealId)", words: "没有编号为 \(sealId) 的印章")
        }
        guard seal.status == .active else {
            throw HallError(.conflict, "seal \(seal.code) is revoked; its authorisations can no longer change", words: "印章 \(seal.code) 已作废，用印授权不能再更改")
        }
        let encoder = EventEnvelope.encoder()
        let previous = String(decoding: try encoder.encode(seal.authorisations), as: UTF8.self)
        let next = String(decoding: try encoder.encode(authorisations), as: UTF8.self)
        let event = SealAuthorisationsChanged(
            sealId: sealId, departmentId: seal.departmentId, authorisations: authorisations, previousAuthorisations: seal.authorisations,
            changedBy: admin, changedAt: now)
        let envelope = try EventEnvelope(payload: event, occurredAt: now, producer: ServiceName.seal.rawValue, caseId: nil, correlationId: correlationId)
        let rows = try Outbox.Rows([OutgoingEvent(topic: .sealEvents, key: sealId.uuidString.lowercased(), envelope: envelope)])
        try await connection.run(
            """
            WITH changed AS (
                UPDATE \(unescaped: schema).seals SET authorisations = \(next)::jsonb WHERE seal_id = \(sealId)
            ), audited AS (
                INSERT INTO \(unescaped: schema).authorisation_changes (seal_id, changed_by, changed_at, previous_authorisations, authorisations)
                VALUES (\(sealId), \(admin), \(now), \(previous)::jsonb, \(next)::jsonb)
            )
            \(insert: rows, into: outbox)
            """, logger: logger)
        seal.authorisations = authorisations
        logger.notice(
            "seal authorisations replaced",
            metadata: ["seal.id": "\(sealId)", "department.id": "\(seal.departmentId)", "authorised.staff": "\(authorisations.map(\.staffId))", "changed.by": "\(admin)"])
        return seal
    }

    // MARK: Sealing

    static let imprintColumns = imprintSelectList()

    /// The imprint columns as ``decodeImprint(_:prefix:)`` reads them, from table alias `table`
    /// (none when empty), each named with `prefix` in front.
    static func imprintSelectList(of table: String = "", prefix: String = "") -> String {
        let source = table.isEmpty ? "" : table + "."
        let plain = [
            "imprint_id", "seal_id", "serial", "document_kind", "document_hash", "case_id", "department_id", "requested_by", "window_id",
            "previous_hash", "imprint_hash", "signature",
        ]
        return (plain.map { "\(source)\($0) AS \(prefix)\($0)" } + ["(extract(epoch FROM \(source)sealed_at) * 1000)::bigint AS \(prefix)sealed_at_ms"])
            .joined(separator: ", ")
    }

    /// Reads an imprint row exactly as stored (a tampered row reads as tampered, never "repaired").
    static func decodeImprint(_ row: PostgresRow) throws -> Imprint {
        try decodeImprint(row.makeRandomAccess())
    }

    /// Reads the imprint columns named with `prefix` (``imprintSelectList(of:prefix:)``).
    static func decodeImprint(_ r: PostgresRandomAccessRow, prefix: String = "") throws -> Imprint {
        func bytes(_ column: String, count: Int) throws -> [UInt8] {
            let text = try r[prefix + column].decode(String.self)
            return Hex.digest(text) ?? Array(repeating: 0xff, count: count)
        }
        func text(_ column: String) throws -> String { try r[prefix + column].decode(String.self) }
        // An unknown kind is kept as stored (and hashed so), never read as a known one: such a row fails verification.
        let kindText = try text("document_kind")
        var imprint = Imprint(
            imprintId: try r[prefix + "imprint_id"].decode(UUID.self), sealId: try r[prefix + "seal_id"].decode(UUID.self),
            serial: try r[prefix + "serial"].decode(Int64.self), sealedAtMillis: try r[prefix + "sealed_at_ms"].decode(Int64.self),
            documentKind: SealDocumentKind(rawValue: kindText) ?? .approvalDecision,
            documentHash: try bytes("document_hash", count: 32), caseId: try text("case_id"), departmentId: try text("department_id"),
            requestedBy: try text("requested_by"), windowId: try text("window_id"), previousHash: try bytes("previous_hash", count: 32),
            imprintHash: try bytes("imprint_hash", count: 32),
            signature: Array(Data(base64Encoded: try text("signature")) ?? Data(repeating: 0, count: 64)))
        if SealDocumentKind(rawValue: kindText) == nil { imprint.storedKindText = kindText }
        return imprint
    }

    // MARK: Verification

    func imprint(id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Imprint? {
        try await connection.run(
            "SELECT \(unescaped: Self.imprintColumns) FROM \(unescaped: schema).imprints WHERE imprint_id = \(id)", logger: logger
        ).collect().first.map(Self.decodeImprint)
    }

    func imprints(documentHash: String, on connection: PostgresConnection, logger: Logger) async throws -> [Imprint] {
        try await connection.run(
            "SELECT \(unescaped: Self.imprintColumns) FROM \(unescaped: schema).imprints WHERE document_hash = \(documentHash) ORDER BY seal_id, serial",
            logger: logger
        ).collect().map(Self.decodeImprint)
    }

    /// A seal's register in serial order, up to `through` when given.
    func register(sealId: UUID, through: Int64?, on connection: PostgresConnection, logger: Logger) async throws -> [Imprint] {
        let limit = through ?? Int64.max
        return try await connection.run(
            "SELECT \(unescaped: Self.imprintColumns) FROM \(unescaped: schema).imprints WHERE seal_id = \(sealId) AND serial <= \(limit) ORDER BY serial",
            logger: logger
        ).collect().map(Self.decodeImprint)
    }
}
