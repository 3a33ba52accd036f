import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKit
import Logging
import PostgresNIO

extension SealStore {
    /// Everything the sealing decision of one request reads.
    struct SealingRead {
        var department: DepartmentRecord?
        var window: WindowRecord?
        var requester: StaffRecord?
        /// The imprint of this very document, when it was sealed before the read began.
        var existing: Imprint?
        /// Whether the department ever had a seal (to tell `no-seal` from `seal-revoked`).
        var everHadSeal: Bool
        /// The department's active seal, locked until the transaction ends; nil when there is none,
        /// or when the document was sealed before (`existing`).
        var activeSeal: SealRecord?
        /// The active seal's private key as stored (encrypted).
        var encryptedKey: String?
    }

    /// Reads, in one statement, the directory facts of every request (department, window,
    /// requester), whether its document was already sealed, and locks the active seal of every
    /// department with a document not sealed before (`SELECT … ORDER BY department_id FOR
    /// UPDATE`, reading its last serial and hash). Returns one read per request, in order.
    ///
    /// Locks are taken in department order, so two transactions sealing for several departments
    /// never wait on each other in a circle. A department whose documents were all sealed before
    /// takes no lock, so repeats never queue behind a busy seal. Under READ COMMITTED a locked row is
    /// its newest version once the lock is granted, so the serial and previous hash read here are
    /// current; an imprint of the same document committed by another transaction while this one
    /// waited is not visible to this statement, and the unique index then stops the insert
    /// (``apply(_:now:reemitOnRepeat:on:logger:requestLogger:answer:)`` throws a retriable error; the
    /// retry finds the imprint).
    func readForSealing(_ requests: [SealingRequest], hashes: [String], on connection: PostgresConnection, logger: Logger) async throws -> [SealingRead] {
        let rows = try await connection.run(
            """
            WITH requested AS MATERIALIZED (
                SELECT * FROM unnest(\(requests.map(\.documentKind.rawValue))::text[], \(hashes)::text[], \(requests.map(\.caseId))::text[],
                                     \(requests.map(\.departmentId))::text[], \(requests.map(\.windowId))::text[], \(requests.map(\.requestedBy))::text[])
                    WITH ORDINALITY AS r (document_kind, document_hash, case_id, department_id, window_id, requested_by, n)
            ), existing AS MATERIALIZED (
                SELECT r.n AS existing_n, \(unescaped: Self.imprintSelectList(of: "i", prefix: "i_"))
                FROM requested r
                JOIN \(unescaped: schema).imprints i ON i.document_kind = r.document_kind AND i.document_hash = r.document_hash
                     AND i.case_id = r.case_id AND i.department_id = r.department_id
            ), locked AS MATERIALIZED (
                SELECT \(unescaped: Self.sealColumns), encrypted_private_key FROM \(unescaped: schema).seals
                WHERE status = 'active'
                  AND department_id IN (SELECT r.department_id FROM requested r WHERE r.n NOT IN (SELECT existing_n FROM existing))
                ORDER BY department_id
                FOR UPDATE
            )
            SELECT r.n,
                   d.department_id AS d_department_id, d.name AS d_name, d.active AS d_active, d.chief_staff_id AS d_chief_staff_id,
                   d.substitute_staff_id AS d_substitute_staff_id, d.substitute_notice AS d_substitute_notice,
                   to_char(d.substitute_from, 'YYYY-MM-DD') AS d_substitute_from, to_char(d.substitute_to, 'YYYY-MM-DD') AS d_substitute_to,
                   w.window_id AS w_window_id, w.kind AS w_kind, w.department_ids AS w_department_ids, w.active AS w_active,
                   st.staff_id AS st_staff_id, st.department_id AS st_department_id, st.qualified AS st_qualified, st.active AS st_active, st.window_id AS st_window_id,
                   EXISTS (SELECT 1 FROM \(unescaped: schema).seals e WHERE e.department_id = r.department_id) AS ever_had_seal,
                   e.*, l.*
            FROM requested r
            LEFT JOIN \(unescaped: schema).departments d ON d.department_id = r.department_id
            LEFT JOIN \(unescaped: schema).windows w ON w.window_id = r.window_id
            LEFT JOIN \(unescaped: schema).staff st ON st.staff_id = r.requested_by
            LEFT JOIN existing e ON e.existing_n = r.n
            LEFT JOIN locked l ON l.department_id = r.department_id AND e.existing_n IS NULL
            ORDER BY r.n
            """, logger: logger
        ).collect()
        guard rows.count == requests.count else {
            throw HallError(
                .internalError, "the sealing read returned \(rows.count) rows for \(requests.count) requests",
                words: "用印查询为 \(requests.count) 个请求返回了 \(rows.count) 行")
        }
        // Rows of one department carry the same locked seal: decode it once.
        var seals: [String: SealRecord] = [:]
        return try rows.map { row in
            let row = row.makeRandomAccess()
            var read = SealingRead(everHadSeal: try row["ever_had_seal"].decode(Bool.self))
            if let id = try row["d_department_id"].decode(String?.self) {
                var substitute: DirectorySubstitute?
                if let staffId = try row["d_substitute_staff_id"].decode(String?.self) {
                    substitute = DirectorySubstitute(
                        staffId: staffId, name: "", noticeReference: try row["d_substitute_notice"].decode(String.self),
                        from: try row["d_substitute_from"].decode(String.self), to: try row["d_substitute_to"].decode(String.self))
                }
                read.department = DepartmentRecord(
                    departmentId: id, name: try row["d_name"].decode(String.self), active: try row["d_active"].decode(Bool.self),
                    chiefRepresentative: try row["d_chief_staff_id"].decode(String?.self), substitute: substitute)
            }
            if let id = try row["w_window_id"].decode(String?.self) {
                read.window = WindowRecord(
                    windowId: id, kind: WindowKind(rawValue: try row["w_kind"].decode(String.self)) ?? .discipline,
                    departmentIds: try row["w_department_ids"].decode([String].self), active: try row["w_active"].decode(Bool.self))
            }
            if let id = try row["st_staff_id"].decode(String?.self) {
                read.requester = StaffRecord(
                    staffId: id, departmentId: try row["st_department_id"].decode(String.self), qualified: try row["st_qualified"].decode(Bool.self),
                    active: try row["st_active"].decode(Bool.self), windowId: try row["st_window_id"].decode(String?.self))
            }
            if try row["existing_n"].decode(Int64?.self) != nil {
                read.existing = try Self.decodeImprint(row, prefix: "i_")
            }
            if let departmentId = try row["department_id"].decode(String?.self) {
                if let seal = seals[departmentId] {
                    read.activeSeal = seal
                } else {
                    let seal = try Self.decodeSeal(row)
                    seals[departmentId] = seal
                    read.activeSeal = seal
                }
                read.encryptedKey = try row["encrypted_private_key"].decode(String.self)
            }
            return read
        }
    }

    /// Applies the seal to documents, or refuses, inside the caller's transaction: one read
    /// statement and one write statement for the whole batch, whatever its size. Returns one outcome
    /// per request, in order, and queues one answer per request in the outbox (in request order):
    /// `seal.document.sealed` or `seal.document.refused`, as the event `answer(index, payload)` makes
    /// of the payload (the caller chooses its envelope: correlation, causation, key).
    ///
    /// Serialises on each department's active seal row (``readForSealing(_:hashes:on:logger:)``):
    /// the serials and the hash chain continue, in Swift, from the locked row's last serial and hash,
    /// in request order, so serials have no gaps and two instances never seal one document twice. A
    /// document sealed before, or earlier in the same batch, is a repeat: it returns the existing
    /// imprint, and `reemitOnRepeat` queues its event again (Kafka requesters wait for an answer
    /// caused by their request). Refusals are recorded and answered per request; they use no serial.
    ///
    /// The imprints, each seal's new last serial and hash, the refusals and the events are written by
    /// one statement, which also checks that every imprint was inserted and every seal advanced from
    /// the serial read under the lock. When not — the unique index found a document sealed
    /// concurrently — it throws a retriable ``HallError`` and the caller's transaction must roll back
    /// (all of the batch's writes, events included, go with it).
    ///
    /// - Parameters:
    ///   - requestLogger: the logger for lines about request `index` (the case id is added).
    func apply(
        _ requests: [SealingRequest], now clock: @Sendable () -> Date, reemitOnRepeat: Bool, on connection: PostgresConnection, logger: Logger,
        requestLogger: (Int) -> Logger, answer: (Int, any EventPayload) throws -> OutgoingEvent
    ) async throws -> [SealingOutcome] {
        var outcomes = [SealingOutcome?](repeating: nil, count: requests.count)
        var answers = [OutgoingEvent?](repeating: nil, count: requests.count)
        var refusals = RefusalRows()
        var imprints = ImprintRows()

        func refuse(_ index: Int, _ refusal: SealRefusal, at now: Date) throws {
            let request = requests[index]
            refusals.append(request, refusal, at: now)
            answers[index] = try answer(
                index,
                DocumentRefused(
                    documentKind: request.documentKind, documentHash: request.documentHash, caseId: request.caseId, departmentId: request.departmentId,
                    requestedBy: request.requestedBy, windowId: request.windowId, reason: refusal.reason, detail: refusal.detail, refusedAt: now))
            outcomes[index] = .refused(refusal)
        }

        // Checks that need no stored state; the rest are read together.
        var candidates: [Int] = []
        for (index, request) in requests.enumerated() {
            if let refusal = SealPolicy.precheck(request) { try refuse(index, refusal, at: clock()) } else { candidates.append(index) }
        }
        let hashes = candidates.map { requests[$0].documentHash.lowercased() }
        let reads = candidates.isEmpty ? [] : try await readForSealing(candidates.map { requests[$0] }, hashes: hashes, on: connection, logger: logger)

        /// A locked seal as the batch advances it.
        struct Chain {
            var seal: SealRecord
            var key: Curve25519.Signing.PrivateKey
            var firstSerial: Int64
        }
        var chains: [String: Chain] = [:]
        var sealedHere: [DocumentKey: Imprint] = [:]
        for (position, index) in candidates.enumerated() {
            let request = requests[index]
            let read = reads[position]
            let document = DocumentKey(kind: request.documentKind, hash: hashes[position], caseId: request.caseId, departmentId: request.departmentId)
            if let existing = read.existing ?? sealedHere[document] {
                if reemitOnRepeat { answers[index] = try answer(index, existing.sealedEvent) }
                outcomes[index] = .sealed(existing, repeated: true)
                continue
            }
            let now = clock()
            var chain = chains[request.departmentId]
            let facts = SealingFacts(
                activeSeal: chain?.seal ?? read.activeSeal, everHadSeal: read.everHadSeal, department: read.department, window: read.window,
                requester: read.requester)
            let seal: SealRecord
            switch SealPolicy.decide(request, facts: facts, now: now) {
            case .failure(let refusal):
                try refuse(index, refusal, at: now)
                continue
            case .success(let chosen): seal = chosen
            }
            var current: Chain
            if let chain {
                current = chain
            } else {
                let key = try vault.decrypt(Array(Data(base64Encoded: read.encryptedKey ?? "") ?? Data()), sealId: seal.sealId)
                current = Chain(seal: seal, key: key, firstSerial: seal.lastSerial + 1)
            }
            guard let digest = Hex.digest(hashes[position]) else {
                throw HallError(.internalError, "a checked document hash is not a digest", words: "已校验的文书摘要格式有误")
            }
            let imprint = try Imprint.next(for: request, documentHash: digest, on: current.seal, at: now, signedWith: current.key)
            current.seal.lastSerial = imprint.serial
            current.seal.lastHash = imprint.imprintHash
            chains[request.departmentId] = current
            sealedHere[document] = imprint
            imprints.append(imprint, hash: hashes[position])
            answers[index] = try answer(index, imprint.sealedEvent)
            outcomes[index] = .sealed(imprint, repeated: false)
        }

        let events = try Outbox.Rows(answers.compactMap { $0 })
        if imprints.count > 0 || refusals.count > 0 || events.count > 0 {
            let advancing = Array(chains.values)
            let seals = advancing.map(\.seal.sealId)
            let fromSerials = advancing.map(\.firstSerial)
            let rows = try await connection.run(
                """
                WITH inserted AS (
                    INSERT INTO \(unescaped: schema).imprints
                        (imprint_id, seal_id, serial, sealed_at, document_kind, document_hash, case_id, department_id, requested_by, window_id,
                         previous_hash, imprint_hash, signature)
                    SELECT v.imprint_id, v.seal_id, v.serial, to_timestamp(v.sealed_at_ms::double precision / 1000), v.document_kind, v.document_hash,
                           v.case_id, v.department_id, v.requested_by, v.window_id, v.previous_hash, v.imprint_hash, v.signature
                    FROM unnest(\(imprints.ids)::uuid[], \(imprints.sealIds)::uuid[], \(imprints.serials)::bigint[], \(imprints.sealedAtMillis)::bigint[],
                                \(imprints.kinds)::text[], \(imprints.hashes)::text[], \(imprints.caseIds)::text[], \(imprints.departmentIds)::text[],
                                \(imprints.requestedBy)::text[], \(imprints.windowIds)::text[], \(imprints.previousHashes)::text[],
                                \(imprints.imprintHashes)::text[], \(imprints.signatures)::text[])
                        AS v (imprint_id, seal_id, serial, sealed_at_ms, document_kind, document_hash, case_id, department_id, requested_by, window_id,
                              previous_hash, imprint_hash, signature)
                    ON CONFLICT (document_kind, document_hash, case_id, department_id) DO NOTHING
                    RETURNING seal_id, serial, imprint_hash
                ), advanced AS (
                    UPDATE \(unescaped: schema).seals s SET last_serial = v.last_serial, last_hash = v.last_hash
                    FROM (SELECT i.seal_id, max(i.serial) AS last_serial, min(i.serial) AS first_serial, count(*) AS imprints,
                                 (array_agg(i.imprint_hash ORDER BY i.serial DESC))[1] AS last_hash
                          FROM inserted i GROUP BY i.seal_id) v
                    JOIN unnest(\(seals)::uuid[], \(fromSerials)::bigint[]) AS f (seal_id, first_serial) ON f.seal_id = v.seal_id
                    WHERE s.seal_id = v.seal_id AND s.last_serial = f.first_serial - 1 AND v.first_serial = f.first_serial
                      AND v.last_serial - v.first_serial + 1 = v.imprints
                    RETURNING s.seal_id
                ), refused AS (
                    INSERT INTO \(unescaped: schema).refusals
                        (refused_at, document_kind, document_hash, case_id, department_id, requested_by, window_id, reason, detail)
                    SELECT * FROM unnest(\(refusals.at)::timestamptz[], \(refusals.kinds)::text[], \(refusals.hashes)::text[], \(refusals.caseIds)::text[],
                                         \(refusals.departmentIds)::text[], \(refusals.requestedBy)::text[], \(refusals.windowIds)::text[],
                                         \(refusals.reasons)::text[], \(refusals.details)::text[])
                ), queued AS (
                    \(insert: events, into: outbox)
                )
                SELECT (SELECT count(*) FROM inserted) AS imprints, (SELECT count(*) FROM advanced) AS seals
                """, logger: logger
            ).decode((Int64, Int64).self).collectAll()
            guard let counts = rows.first, counts.0 == Int64(imprints.count), counts.1 == Int64(seals.count) else {
                // Every row written by the same statement goes with the rollback.
                throw HallError(
                    .conflict, "a document of the batch was sealed concurrently; retry to read its imprint",
                    words: "同批中有一份文书已被同时加盖印章，请重试以读取其用印记录", isRetriable: true)
            }
        }
        for (index, outcome) in outcomes.enumerated() {
            var logger = requestLogger(index)
            logger[metadataKey: LogKey.caseId] = "\(requests[index].caseId)"
            switch outcome {
            case .sealed(let imprint, repeated: false):
                logger.info("document sealed", metadata: ["seal.id": "\(imprint.sealId)", "imprint.serial": "\(imprint.serial)", "imprint.id": "\(imprint.imprintId)"])
            case .refused(let refusal):
                logger.info("seal refused", metadata: ["seal.refusal": "\(refusal.reason.rawValue)", "department.id": "\(requests[index].departmentId)"])
            default: break
            }
        }
        return try outcomes.map { outcome in
            guard let outcome else { throw HallError(.internalError, "a seal request of the batch was not answered", words: "同批中有一个用印请求没有得到处理结果") }
            return outcome
        }
    }
}

/// A document as the register's unique index knows it.
private struct DocumentKey: Hashable {
    var kind: SealDocumentKind
    var hash: String
    var caseId: String
    var departmentId: String
}

/// Imprints as the columns of the batch write.
private struct ImprintRows {
    var ids: [UUID] = []
    var sealIds: [UUID] = []
    var serials: [Int64] = []
    var sealedAtMillis: [Int64] = []
    var kinds: [String] = []
    var hashes: [String] = []
    var caseIds: [String] = []
    var departmentIds: [String] = []
    var requestedBy: [String] = []
    var windowIds: [String] = []
    var previousHashes: [String] = []
    var imprintHashes: [String] = []
    var signatures: [String] = []

    var count: Int { ids.count }

    mutating func append(_ imprint: Imprint, hash: String) {
        ids.append(imprint.imprintId)
        sealIds.append(imprint.sealId)
        serials.append(imprint.serial)
        sealedAtMillis.append(imprint.sealedAtMillis)
        kinds.append(imprint.documentKind.rawValue)
        hashes.append(hash)
        caseIds.append(imprint.caseId)
        departmentIds.append(imprint.departmentId)
        requestedBy.append(imprint.requestedBy)
        windowIds.append(imprint.windowId)
        previousHashes.append(Hex.encode(imprint.previousHash))
        imprintHashes.append(Hex.encode(imprint.imprintHash))
        signatures.append(Data(imprint.signature).base64EncodedString())
    }
}

/// Refusals as the columns of the batch write (the document hash as the requester gave it).
private struct RefusalRows {
    var at: [Date] = []
    var kinds: [String] = []
    var hashes: [String] = []
    var caseIds: [String] = []
    var departmentIds: [String] = []
    var requestedBy: [String] = []
    var windowIds: [String] = []
    var reasons: [String] = []
    var details: [String] = []

    var count: Int { at.count }

    mutating func append(_ request: SealingRequest, _ refusal: SealRefusal, at now: Date) {
        at.append(now)
        kinds.append(request.documentKind.rawValue)
        hashes.append(request.documentHash)
        caseIds.append(request.caseId)
        departmentIds.append(request.departmentId)
        requestedBy.append(request.requestedBy)
        windowIds.append(request.windowId)
        reasons.append(refusal.reason.rawValue)
        details.append(refusal.detail)
    }
}
