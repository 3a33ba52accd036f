import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import Logging
import PostgresNIO

/// What intake learns from the coordinator (`hall.coordinator.events`) and what it answers:
/// supplements asked for and brought, cases and bundles completed.
extension IntakeStore {
    /// The case a coordinator event is about: by the envelope's case id, checked against the
    /// payload's receipt code. Throws (the event is retried, then dead-lettered) when intake has
    /// no such case: the coordinator only knows cases intake accepted.
    private func coordinatedCase(
        envelopeCaseId: String?, receiptCode: String, on connection: PostgresConnection
    ) async throws -> (caseId: UUID, status: String, bundleId: String?) {
        let caseId = envelopeCaseId.flatMap(UUID.init(uuidString:))
        let rows = try await connection.select(
            """
            SELECT case_id, status, bundle_id FROM \(unescaped: schema).applications
            WHERE receipt_code = \(receiptCode) AND (\(caseId)::uuid IS NULL OR case_id = \(caseId))
            """, logger: logger
        ).decode((UUID, String, String?).self).collectAll()
        guard let row = rows.first else { throw Self.noCase(envelopeCaseId, receiptCode: receiptCode) }
        return (row.0, row.1, row.2)
    }

    /// A coordinator event names a case intake does not hold.
    private static func noCase(_ envelopeCaseId: String?, receiptCode: String) -> HallError {
        HallError(
            .notFound, "no case \(envelopeCaseId ?? "-") with receipt code \(receiptCode)", field: "receiptCode",
            words: "没有受理编号为 \(receiptCode)、办件编号为 \(envelopeCaseId ?? "-") 的办件")
    }

    /// The decision a case's outcome records (`approve`, `deny`).
    private static func decision(_ outcome: CaseOutcome) -> String {
        outcome == .approved ? "approve" : "deny"
    }

    /// `coordinator.case.decided`: the decision documents of a committed or joint case — one per
    /// department, or the lead's denial — are recorded by department and hash with their decision
    /// numbers, so tracking and the published decisions show each one with its seal (`decision_seals`, joined when read). Repeats change nothing.
    ///
    /// A run of them (they commute with every other event: they only add documents, found by their
    /// case) is recorded with one statement.
    func applyCaseDecided(_ batch: [(CaseDecided, EventEnvelope)], on connection: PostgresConnection) async throws {
        let documents = batch.enumerated().flatMap { index, event in event.0.documents.map { (index, $0) } }
        let found = try await connection.select(
            """
            WITH events AS (
                SELECT * FROM unnest(\(Array(Int32(0)..<Int32(batch.count)))::int[], \(batch.map(\.0.receiptCode))::text[],
                                     \(batch.map { $0.1.caseId.flatMap(UUID.init(uuidString:))?.uuidString ?? "" })::text[],
                                     \(batch.map(\.0.decidedAt))::timestamptz[]) AS e(ord, receipt_code, case_id, decided_at)),
            found AS (
                SELECT e.ord, a.case_id, e.decided_at FROM events e JOIN \(unescaped: schema).applications a
                    ON a.receipt_code = e.receipt_code AND (e.case_id = '' OR a.case_id = e.case_id::uuid)),
            recorded AS (
                INSERT INTO \(unescaped: schema).notices (case_id, kind, department_id, text, sha256, created_at, number)
                SELECT f.case_id, d.kind, d.department_id, NULL, d.sha256, f.decided_at, NULLIF(d.number, '')
                FROM unnest(\(documents.map { Int32($0.0) })::int[], \(documents.map(\.1.documentKind.rawValue))::text[],
                            \(documents.map(\.1.departmentId))::text[], \(documents.map { $0.1.documentHash.lowercased() })::text[],
                            \(documents.map { $0.1.decisionNumber ?? "" })::text[]) AS d(ord, kind, department_id, sha256, number)
                JOIN found f ON f.ord = d.ord
                ON CONFLICT DO NOTHING)
            SELECT DISTINCT ord FROM found
            """, logger: logger
        ).decode(Int32.self).collectAll()
        let known = Set(found)
        if let missing = batch.indices.first(where: { !known.contains(Int32($0)) }).map({ batch[$0] }) {
            throw Self.noCase(missing.1.caseId, receiptCode: missing.0.receiptCode)
        }
    }

    /// `coordinator.case.clock-changed`: the due date the applicant follows at the window moves
    /// with the coordinator's ledger (suspension, resume, extension), each change recorded with its reason.
    func applyClockChanged(_ changed: ClockChanged, caseId envelopeCaseId: String?, on connection: PostgresConnection) async throws {
        let found = try await coordinatedCase(envelopeCaseId: envelopeCaseId, receiptCode: changed.receiptCode, on: connection)
        if changed.change == .recalculated, let after = LocalDate(iso: changed.dueDateAfter.description) {
            // The coordinator counted the date again on a newly published calendar: final unless it reaches a year still unknown.
            try await connection.run(
                """
                UPDATE \(unescaped: schema).applications SET due_provisional = \(!calendar.knownYears.contains(after.year)), updated_at = now()
                WHERE case_id = \(found.caseId)
                """, logger: logger)
        }
        guard changed.dueDateAfter != changed.dueDateBefore else {
            logger.info("case clock \(changed.change)", metadata: [LogKey.caseId: "\(found.caseId)", "category": "\(changed.category ?? "-")"])
            return
        }
        let category = changed.category.map { " (\($0))" } ?? ""
        let reason = "\(changed.change)\(category) by \(changed.departmentId ?? "the hall"), \(changed.workingDays) working days: \(changed.reason)"
        try await connection.run(
            """
            WITH previous AS (
                SELECT case_id, due_date, due_provisional FROM \(unescaped: schema).applications WHERE case_id = \(found.caseId) FOR NO KEY UPDATE),
            moved AS (
                UPDATE \(unescaped: schema).applications a SET due_date = \(changed.dueDateAfter.description)::date, updated_at = now()
                FROM previous p WHERE a.case_id = p.case_id AND p.due_date IS DISTINCT FROM \(changed.dueDateAfter.description)::date
                RETURNING a.case_id)
            INSERT INTO \(unescaped: schema).due_date_changes (case_id, old_due_date, new_due_date, old_provisional, new_provisional, reason, changed_at)
            SELECT p.case_id, COALESCE(p.due_date, \(changed.dueDateBefore.description)::date), \(changed.dueDateAfter.description)::date, COALESCE(p.due_provisional, false),
                   COALESCE(p.due_provisional, false), \(reason), \(changed.changedAt)
            FROM previous p JOIN moved m ON m.case_id = p.case_id
            """, logger: logger)
    }

    /// An entry of a case's timeline, as ``recordTimeline(_:on:)`` takes it.
    struct TimelineEntry: Sendable {
        var envelope: EventEnvelope
        var event: String
        var at: Date
        var departmentId: String?
        var detail: String?
    }

    /// Records timeline entries with one statement (each once, keyed by its event; those of cases
    /// not known here are left out).
    func recordTimeline(_ entries: [TimelineEntry], on connection: PostgresConnection) async throws {
        let entries = entries.compactMap { entry in entry.envelope.caseId.flatMap(UUID.init(uuidString:)).map { (caseId: $0, entry: entry) } }
        guard entries.count > 1 else {
            if let entry = entries.first?.entry {
                try await recordTimeline(entry.envelope, event: entry.event, at: entry.at, departmentId: entry.departmentId, detail: entry.detail, on: connection)
            }
            return
        }
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).case_timeline (event_id, case_id, at, event, department_id, detail)
            SELECT e.event_id, a.case_id, e.at, e.event, NULLIF(e.department_id, ''), NULLIF(e.detail, '')
            FROM unnest(\(entries.map(\.entry.envelope.id))::uuid[], \(entries.map(\.caseId))::uuid[], \(entries.map(\.entry.at))::timestamptz[],
                        \(entries.map(\.entry.event))::text[], \(entries.map { $0.entry.departmentId ?? "" })::text[],
                        \(entries.map { $0.entry.detail ?? "" })::text[])
                AS e(event_id, case_id, at, event, department_id, detail)
            JOIN \(unescaped: schema).applications a ON a.case_id = e.case_id
            ON CONFLICT (event_id) DO NOTHING
            """, logger: logger)
    }

    /// Records what the coordinator reported of a case (an opinion, a countersignature, a clock
    /// change) on its timeline, once per event; an event about a case intake does not hold is skipped.
    func recordTimeline(
        _ envelope: EventEnvelope, event: String, at: Date, departmentId: String?, detail: String?, on connection: PostgresConnection
    ) async throws {
        guard let caseId = envelope.caseId.flatMap(UUID.init(uuidString:)) else { return }
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).case_timeline (event_id, case_id, at, event, department_id, detail)
            SELECT \(envelope.id), case_id, \(at), \(event), \(departmentId), \(detail) FROM \(unescaped: schema).applications WHERE case_id = \(caseId)
            ON CONFLICT (event_id) DO NOTHING
            """, logger: logger)
    }

    /// `coordinator.case.supplement-requested`: records on the case what a department awaits
    /// from the applicant (shown in case tracking and to the clerk). A repeat of the same request
    /// (same task, material and request time) changes nothing.
    func applySupplementRequested(_ requested: SupplementRequested, caseId envelopeCaseId: String?, on connection: PostgresConnection) async throws {
        let found = try await coordinatedCase(envelopeCaseId: envelopeCaseId, receiptCode: requested.receiptCode, on: connection)
        let known = try await connection.select(
            """
            SELECT count(*)::bigint FROM \(unescaped: schema).supplement_requests
            WHERE case_id = \(found.caseId) AND task_id = \(requested.taskId) AND requested_at = \(requested.requestedAt)
            """, logger: logger
        ).decode(Int64.self).collectAll()[0]
        if known > 0 { return }
        guard found.status == "accepted" else {
            throw HallError(
                .conflict, "case \(found.caseId) is \(found.status): no supplement can be asked for", field: "receiptCode",
                words: "办件 \(found.caseId) 当前为“\(Words.status(found.status))”，不能要求补充材料")
        }
        for item in requested.supplements {
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).supplement_requests (case_id, department_id, task_id, material, needed, requested_at)
                VALUES (\(found.caseId), \(requested.departmentId), \(requested.taskId), \(item.material), \(item.needed), \(requested.requestedAt))
                ON CONFLICT (case_id, task_id, material, requested_at) DO NOTHING
                """, logger: logger)
        }
        logger.info(
            "supplement requested", metadata: [LogKey.caseId: "\(found.caseId)", LogKey.departmentId: "\(requested.departmentId)",
            "supplements": "\(requested.supplements.count)"])
    }

    /// The clerk records what the applicant brought for the supplements asked for. Once nothing
    /// is awaited any more, `intake.application.supplemented` tells the coordinator (with every
    /// material brought since the last one), so the case clock resumes only when all is in.
    ///
    /// - Throws: ``HallError`` `not-found` for an unknown receipt code, `conflict` when the case
    ///   awaits no supplement, `invalid-field` naming `materials[i]` for something not asked for.
    func recordSupplement(receiptCode: String, _ delivery: SupplementDelivery, clerk: Clerk, now: Date = Date()) async throws -> CaseStatus {
        let delivery = try delivery.validated()
        let idNumber = try await client.transaction(logger: logger) { connection in
            let rows = try await connection.select(
                "SELECT case_id, status, applicant_id_number FROM \(unescaped: schema).applications WHERE receipt_code = \(receiptCode) FOR NO KEY UPDATE",
                logger: logger
            ).decode((UUID, String, String).self).collectAll()
            guard let row = rows.first else {
                throw HallError(.notFound, "no application with receipt code \(receiptCode)", field: "receiptCode", words: "没有受理编号为 \(receiptCode) 的申请")
            }
            let open = try await connection.select(
                "SELECT DISTINCT material FROM \(unescaped: schema).supplement_requests WHERE case_id = \(row.0) AND supplied_at IS NULL",
                logger: logger
            ).decode(String.self).collectAll()
            guard row.1 == "accepted", !open.isEmpty else {
                throw HallError(
                    .conflict, "application \(receiptCode) is not awaiting a supplement (no department asked for one, or all was brought)",
                    field: "receiptCode", words: "申请 \(receiptCode) 无需补充材料（部门未要求补充，或材料已全部补齐）")
            }
            let remaining = try SupplementMatching.remaining(open: open, brought: delivery.materials)
            // The centre's agent may bring it on the applicant's behalf (全程代办, Art 40).
            var agent: String?
            if delivery.broughtBy == .agent {
                agent = try await requireCurrentAgentId(
                    caseId: row.0, field: "broughtBy", otherwise: "no agent is assigned to application \(receiptCode)",
                    words: "申请 \(receiptCode) 未指定代办员", on: connection)
            }
            try await connection.run(
                """
                UPDATE \(unescaped: schema).supplement_requests SET supplied_at = \(now), supplied_by = \(clerk.staffId), supplied_by_agent = \(agent)
                WHERE case_id = \(row.0) AND supplied_at IS NULL AND material = ANY(\(delivery.materials))
                """, logger: logger)
            if remaining.isEmpty {
                let materials = try await connection.select(
                    """
                    UPDATE \(unescaped: schema).supplement_requests SET reported_at = \(now)
                    WHERE case_id = \(row.0) AND reported_at IS NULL RETURNING material
                    """, logger: logger
                ).decode(String.self).collectAll()
                var distinct: [String] = []
                for material in materials where !distinct.contains(material) { distinct.append(material) }
                let supplemented = ApplicationSupplemented(
                    receiptCode: receiptCode, materials: distinct.sorted(), supplementedAt: now, clerkId: clerk.staffId, windowId: clerk.windowId)
                try await outbox.append([try event(supplemented, caseId: row.0)], on: connection, logger: logger)
                logger.info("supplement complete", metadata: [LogKey.caseId: "\(row.0)"])
            }
            return row.2
        }
        guard let status = try await caseStatus(receiptCode: receiptCode, idNumber: idNumber) else {
            throw HallError(.notFound, "no application with receipt code \(receiptCode)", field: "receiptCode", words: "没有受理编号为 \(receiptCode) 的申请")
        }
        return status
    }

    /// A case as the clerk at the window sees it (no identity number needed).
    func clerkCaseStatus(receiptCode: String, clerk: Clerk) async throws -> CaseStatus {
        let idNumber = try await client.withConnection { connection in
            let row = try await connection.select(
                """
                SELECT applicant_id_number, department_id, window_id FROM \(unescaped: schema).applications WHERE receipt_code = \(receiptCode)
                """, logger: logger
            ).decode((String, String?, String?).self).collectAll().first
            // A clerk reads the cases of the windows they may hand out at, not any case of the hall.
            if let row { try await requireWindowClerk(clerk, cases: [(row.1 ?? "", row.2)], on: connection) }
            return row?.0
        }
        guard let idNumber, let status = try await caseStatus(receiptCode: receiptCode, idNumber: idNumber) else {
            throw HallError(.notFound, "no application with receipt code \(receiptCode)", field: "receiptCode", words: "没有受理编号为 \(receiptCode) 的申请")
        }
        return status
    }

    /// The case as a clerk who may read it sees it (``clerkCaseStatus(receiptCode:clerk:)``), with
    /// the text of every notice and decision issued, oldest first, for printing at the window.
    func clerkCaseDocuments(receiptCode: String, clerk: Clerk) async throws -> (status: CaseStatus, texts: [(kind: String, departmentId: String, text: String, sha256: String)]) {
        let status = try await clerkCaseStatus(receiptCode: receiptCode, clerk: clerk)
        let texts = try await client.run(
            """
            SELECT n.kind, n.department_id, n.text, n.sha256 FROM \(unescaped: schema).notices n
            JOIN \(unescaped: schema).applications a ON a.case_id = n.case_id
            WHERE a.receipt_code = \(receiptCode) AND n.text IS NOT NULL ORDER BY n.created_at
            """, logger: logger
        ).decode((String, String, String, String).self).collectAll().map { (kind: $0.0, departmentId: $0.1, text: $0.2, sha256: $0.3) }
        return (status, texts)
    }

    /// `coordinator.case.completed`: every department's decision of a committed or joint case is
    /// sealed. The case is ready at the window with its outcome, completion time and on-time flag;
    /// a bundle's case waits (`completed`) until its bundle is complete. Repeats change nothing.
    ///
    /// A run of them is applied with one statement for the usual case, a lone case awaiting its
    /// result; the others (a bundle's case, a repeat, a case that cannot be completed) then one by
    /// one, in their order.
    func applyCaseCompleted(_ batch: [(CaseCompleted, EventEnvelope)], on connection: PostgresConnection) async throws {
        let completions = batch.map(\.0)
        // Each lone case awaiting its result readied by its first completion (its row lock taken by the update).
        let readied = try await connection.select(
            """
            UPDATE \(unescaped: schema).applications a
            SET status = 'ready', ready_at = now(), outcome = v.outcome, decision = v.decision,
                decision_imprint_id = NULLIF(v.imprint, '')::uuid, sealed_at = v.completed_at, completed_at = v.completed_at,
                final_due_date = v.due_date::date, on_time = v.on_time, updated_at = now()
            FROM (
                SELECT DISTINCT ON (receipt_code) * FROM unnest(
                    \(Array(Int32(0)..<Int32(batch.count)))::int[], \(completions.map(\.receiptCode))::text[],
                    \(batch.map { $0.1.caseId.flatMap(UUID.init(uuidString:))?.uuidString ?? "" })::text[],
                    \(completions.map(\.outcome.rawValue))::text[], \(completions.map { Self.decision($0.outcome) })::text[],
                    \(completions.map { $0.imprintIds.first.flatMap(UUID.init(uuidString:))?.uuidString ?? "" })::text[],
                    \(completions.map(\.completedAt))::timestamptz[], \(completions.map(\.dueDate.description))::text[],
                    \(completions.map(\.onTime))::boolean[])
                    AS i(ord, receipt_code, case_id, outcome, decision, imprint, completed_at, due_date, on_time)
                ORDER BY receipt_code, ord) AS v
            WHERE a.receipt_code = v.receipt_code AND (v.case_id = '' OR a.case_id = v.case_id::uuid) AND a.status = 'accepted' AND a.bundle_id IS NULL
            RETURNING v.ord, a.case_id
            """, logger: logger
        ).decode((Int32, UUID).self).collectAll()
        var done = Set<Int32>()
        for (ord, readyCase) in readied {
            done.insert(ord)
            let completed = completions[Int(ord)]
            logger.info(
                "case completed", metadata: [LogKey.caseId: "\(readyCase)", "case.outcome": "\(completed.outcome)", "case.on_time": "\(completed.onTime)",
                "case.ready": "true"])
        }
        for (index, (completed, envelope)) in batch.enumerated() where !done.contains(Int32(index)) {
            try await applyCaseCompletedOtherwise(completed, caseId: envelope.caseId, on: connection)
        }
    }

    /// A completion the usual statement did not apply: a bundle's case, a repeat, or a case that cannot be completed.
    private func applyCaseCompletedOtherwise(_ completed: CaseCompleted, caseId envelopeCaseId: String?, on connection: PostgresConnection) async throws {
        let decision = Self.decision(completed.outcome)
        let imprint = completed.imprintIds.first.flatMap(UUID.init(uuidString:))
        let found = try await coordinatedCase(envelopeCaseId: envelopeCaseId, receiptCode: completed.receiptCode, on: connection)
        // Serialise with `coordinator.bundle.completed` of the same bundle (another partition):
        // whichever commits second sees the other and makes the case ready.
        var bundleComplete = true
        if let bundleId = found.bundleId {
            bundleComplete = try await connection.select(
                "SELECT completed_at IS NOT NULL FROM \(unescaped: schema).bundles WHERE id = \(bundleId) FOR NO KEY UPDATE", logger: logger
            ).decode(Bool.self).collectAll().first ?? false
        }
        // NO KEY UPDATE: it keeps out the case's other writers, not the rows that refer to the case
        // (a sealed decision of the seal topic's lane); with FOR UPDATE the two lanes could deadlock.
        let current = try await connection.select(
            "SELECT status FROM \(unescaped: schema).applications WHERE case_id = \(found.caseId) FOR NO KEY UPDATE", logger: logger
        ).decode(String.self).collectAll()[0]
        switch current {
        case "accepted": break
        case "completed", "ready", "issued": return  // a repeat
        default:
            throw HallError(
                .conflict, "case \(found.caseId) is \(current): it cannot be completed", field: "receiptCode",
                words: "办件 \(found.caseId) 当前为“\(Words.status(current))”，不能办结")
        }
        try await connection.run(
            """
            UPDATE \(unescaped: schema).applications
            SET status = \(bundleComplete ? "ready" : "completed"), ready_at = CASE WHEN \(bundleComplete) THEN now() END, outcome = \(completed.outcome.rawValue), decision = \(decision),
                decision_imprint_id = \(imprint), sealed_at = \(completed.completedAt), completed_at = \(completed.completedAt),
                final_due_date = \(completed.dueDate.description)::date, on_time = \(completed.onTime), updated_at = now()
            WHERE case_id = \(found.caseId)
            """, logger: logger)
        logger.info(
            "case completed", metadata: [LogKey.caseId: "\(found.caseId)", "case.outcome": "\(completed.outcome)", "case.on_time": "\(completed.onTime)",
            "case.ready": "\(bundleComplete)"])
    }

    /// `coordinator.bundle.completed`: every case of the bundle is complete; its cases are handed
    /// out together, so the completed ones become ready now (a case whose own completion arrives
    /// later becomes ready then). Repeats change nothing.
    func applyBundleCompleted(_ completed: BundleCompleted, on connection: PostgresConnection) async throws {
        let rows = try await connection.select(
            """
            UPDATE \(unescaped: schema).bundles SET completed_at = COALESCE(completed_at, \(completed.completedAt)), updated_at = now()
            WHERE id = \(completed.bundleId) AND status = 'accepted' RETURNING id
            """, logger: logger
        ).decode(String.self).collectAll()
        guard !rows.isEmpty else {
            throw HallError(.notFound, "no accepted bundle \(completed.bundleId)", field: "bundleId", words: "没有已受理的一件事套餐 \(completed.bundleId)")
        }
        let ready = try await connection.select(
            """
            UPDATE \(unescaped: schema).applications SET status = 'ready', ready_at = now(), updated_at = now()
            WHERE bundle_id = \(completed.bundleId) AND status = 'completed' RETURNING case_id
            """, logger: logger
        ).decode(UUID.self).collectAll()
        logger.info("bundle completed", metadata: [LogKey.bundleId: "\(completed.bundleId)", "cases.ready": "\(ready.count)"])
    }
}
