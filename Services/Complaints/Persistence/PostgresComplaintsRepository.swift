import Foundation
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// ``ComplaintsRepository`` on the service's schema. A step reads the complaint `FOR UPDATE`,
/// applies the shared rules (``ComplaintStep/next(from:finding:reviewed:)``,
/// ``ComplaintRecord/taking(_:to:actor:at:deadlines:subjectDepartments:)``) and writes the record,
/// its step, its sanctions, its deadline timers and its events in one transaction.
struct PostgresComplaintsRepository: ComplaintsRepository {
    let client: PostgresClient
    let schema: String
    let deadlines: ComplaintDeadlines
    let logger: Logger
    /// Filings that arrive together are stored together.
    let filings: GroupCommit<PendingFiling, FiledComplaint>

    init(client: PostgresClient, schema: String, deadlines: ComplaintDeadlines, logger: Logger) {
        (self.client, self.schema, self.deadlines, self.logger) = (client, schema, deadlines, logger)
        filings = GroupCommit(batchesPerLane: 4, maxBatch: 100)
    }

    func targets() async throws -> ComplaintTargets {
        ComplaintTargets(
            windows: try await DirectoryProjection.activeWindows(client: client, schema: schema, logger: logger),
            departments: try await DirectoryProjection.activeDepartments(client: client, schema: schema, logger: logger))
    }

    func isActiveDepartment(_ departmentId: String) async throws -> Bool {
        try await DirectoryProjection.isActiveDepartment(departmentId, client: client, schema: schema, logger: logger)
    }

    /// Files a complaint in a group with the others that arrive while one is being written (group
    /// commit, ``fileBatch(_:)``): each gets exactly the answer it would get alone.
    func file(_ filing: ComplaintFiling, channel: ComplaintChannel, recordedBy: String?, at: Date) async throws -> FiledComplaint {
        try filing.validate()
        return try await filings.submit(PendingFiling(filing: filing, channel: channel, recordedBy: recordedBy, at: at)) { batch in
            await self.fileBatch(batch)
        }
    }

    /// Files a group of complaints: one statement resolves every target in the directory and one
    /// every receipt code; one statement stores all of them with their first step, their deadline
    /// timers and their events (one statement is one transaction). A filing naming an unknown target
    /// or receipt code fails alone; if the statement fails, each is stored alone.
    func fileBatch(_ jobs: [PendingFiling]) async -> [Result<FiledComplaint, any Error>] {
        var results = [Result<FiledComplaint, any Error>?](repeating: nil, count: jobs.count)
        var prepared: [PreparedFiling] = []
        do {
            let targets = try await resolve(jobs.map { ($0.filing.targetKind, $0.filing.targetId) })
            let codes = Array(Set(jobs.compactMap(\.filing.receiptCode)))
            var cases: [String: String?] = [:]
            if !codes.isEmpty {
                for (code, caseId) in try await client.run(
                    "SELECT receipt_code, case_id FROM \(unescaped: schema).cases WHERE receipt_code = ANY(\(codes))", logger: logger
                ).decode((String, String?).self).collectAll() {
                    cases[code] = caseId
                }
            }
            for (index, job) in jobs.enumerated() {
                guard let target = targets[TargetKey(job.filing.targetKind, job.filing.targetId)] else {
                    results[index] = .failure(UnknownTarget.error(job.filing.targetKind, job.filing.targetId))
                    continue
                }
                var caseId: String?
                if let code = job.filing.receiptCode {
                    guard let known = cases[code] else {
                        results[index] = .failure(ReceiptCheck.unknown(code))
                        continue
                    }
                    caseId = known
                }
                prepared.append(try PreparedFiling(index: index, job: job, target: target, caseId: caseId, deadlines: deadlines))
            }
        } catch {
            return jobs.map { _ in .failure(error) }
        }
        if !prepared.isEmpty {
            do {
                try await client.run(try insert(prepared), logger: logger)
                for filing in prepared { results[filing.index] = .success(filing.filed) }
            } catch {
                logger.info("complaint batch not stored, storing each alone", metadata: ["error": "\(String(reflecting: error))", "batch.size": "\(prepared.count)"])
                for filing in prepared {
                    do {
                        try await client.run(try insert([filing]), logger: logger)
                        results[filing.index] = .success(filing.filed)
                    } catch {
                        results[filing.index] = .failure(error)
                    }
                }
            }
        }
        return results.map { $0 ?? .failure(HallError(.internalError, "a filing of the group was not answered", words: "同批登记的投诉中有一件未获处理结果")) }
    }

    private struct TargetKey: Hashable {
        var kind: ComplaintTargetKind
        var id: String
        init(_ kind: ComplaintTargetKind, _ id: String) { (self.kind, self.id) = (kind, id) }
    }

    /// The active targets among `asked`, in one statement.
    private func resolve(_ asked: [(ComplaintTargetKind, String)]) async throws -> [TargetKey: ResolvedTarget] {
        func ids(_ kind: ComplaintTargetKind) -> [String] { Array(Set(asked.filter { $0.0 == kind }.map(\.1))) }
        let rows = try await client.run(
            """
            SELECT 'window', window_id, name, NULL::text, department_ids, window_id FROM \(unescaped: schema).windows
            WHERE window_id = ANY(\(ids(.window))) AND active
            UNION ALL
            SELECT 'department', department_id, name, NULL::text, ARRAY[department_id], NULL::text FROM \(unescaped: schema).departments
            WHERE department_id = ANY(\(ids(.department))) AND active
            UNION ALL
            SELECT 'staff', staff_id, name, staff_id, ARRAY[department_id], window_id FROM \(unescaped: schema).staff
            WHERE staff_id = ANY(\(ids(.staff))) AND active
            """, logger: logger
        ).decode((String, String, String, String?, [String], String?).self).collectAll()
        var found: [TargetKey: ResolvedTarget] = [:]
        for (kind, id, name, staff, departments, window) in rows {
            let kind = try ComplaintTargetKind(stored: kind)
            found[TargetKey(kind, id)] = ResolvedTarget(
                name: name, staffId: staff, context: .init(kind: kind, id: id, departmentIds: departments, windowId: window))
        }
        return found
    }

    /// One statement storing `filings`: the complaints, their first steps, their timers, their events.
    private func insert(_ filings: [PreparedFiling]) throws -> PostgresQuery {
        var ids: [UUID] = [], codes: [String] = [], channels: [String] = [], recorders: [String] = [], categories: [String] = []
        var queues: [String] = [], kinds: [String] = [], targetIds: [String] = [], names: [String] = [], staff: [String] = []
        var departments: [String] = [], windows: [String] = [], receipts: [String] = [], cases: [String] = [], anonymous: [Bool] = []
        var complainants: [String] = [], contacts: [String] = [], contents: [String] = [], actors: [String] = [], dueSteps: [String] = []
        var dueDates: [String] = [], warnings: [Date] = [], overdue: [Date] = [], times: [Date] = []
        var events: [OutgoingEvent] = []
        for prepared in filings {
            let (filing, target, deadline) = (prepared.job.filing, prepared.target, prepared.deadline)
            let isAnonymous = filing.anonymous == true
            ids.append(prepared.filed.complaintId)
            codes.append(prepared.filed.trackingCode)
            channels.append(prepared.job.channel.rawValue)
            recorders.append(prepared.job.recordedBy ?? "")
            categories.append(filing.category.rawValue)
            queues.append(prepared.filed.queue.rawValue)
            kinds.append(filing.targetKind.rawValue)
            targetIds.append(filing.targetId)
            names.append(target.name)
            staff.append(target.staffId ?? "")
            departments.append(target.context.departmentIds.joined(separator: "\u{1F}"))
            windows.append(target.context.windowId ?? "")
            receipts.append(filing.receiptCode ?? "")
            cases.append(prepared.caseId ?? "")
            anonymous.append(isAnonymous)
            complainants.append(isAnonymous ? "" : filing.complainantName ?? "")
            contacts.append(isAnonymous ? "" : filing.complainantContact ?? "")
            contents.append(filing.content)
            actors.append(prepared.job.recordedBy ?? (isAnonymous ? "anonymous" : "complainant"))
            dueSteps.append(deadline.step.rawValue)
            dueDates.append(deadline.dueDate.description)
            let fires = deadline.firesAt
            warnings.append(fires[0].1)
            overdue.append(fires[1].1)
            times.append(prepared.job.at)
            events.append(try ComplaintEvents.filed(prepared.filed, filing, channel: prepared.job.channel))
        }
        let outbox = Outbox(schema: schema)
        let rows = try Outbox.Rows(events)
        return """
            WITH r AS (
                SELECT * FROM unnest(
                    \(ids)::uuid[], \(codes)::text[], \(channels)::text[], \(recorders)::text[], \(categories)::text[], \(queues)::text[],
                    \(kinds)::text[], \(targetIds)::text[], \(names)::text[], \(staff)::text[], \(departments)::text[], \(windows)::text[],
                    \(receipts)::text[], \(cases)::text[], \(anonymous)::boolean[], \(complainants)::text[], \(contacts)::text[], \(contents)::text[],
                    \(actors)::text[], \(dueSteps)::text[], \(dueDates)::text[], \(warnings)::timestamptz[], \(overdue)::timestamptz[], \(times)::timestamptz[])
                AS r(id, code, channel, recorder, category, queue, kind, target, name, staff, departments, window_id, receipt, case_id, anonymous,
                     complainant, contact, content, actor, due_step, due_date, warning_at, overdue_at, at)),
            complaint AS (
                INSERT INTO \(unescaped: schema).complaints
                    (complaint_id, tracking_code, channel, recorded_by, category, queue, target_kind, target_id, target_name, target_staff_id,
                     target_department_ids, target_window_id, receipt_code, case_id, anonymous, complainant_name, complainant_contact, content,
                     status, due_step, due_date, filed_at, updated_at)
                SELECT id, code, channel, NULLIF(recorder, ''), category, queue, kind, target, name, NULLIF(staff, ''),
                       string_to_array(departments, E'\\x1F'), NULLIF(window_id, ''), NULLIF(receipt, ''), NULLIF(case_id, ''), anonymous,
                       NULLIF(complainant, ''), NULLIF(contact, ''), content, 'filed', due_step, due_date::date, at, at
                FROM r),
            step AS (
                INSERT INTO \(unescaped: schema).complaint_steps (complaint_id, step, status_after, actor_id, detail, at)
                SELECT id, 'file', 'filed', actor, channel, at FROM r),
            timer AS (
                INSERT INTO \(unescaped: schema).complaint_timers (complaint_id, flag, step, due_date, fire_at)
                SELECT r.id, f.flag, r.due_step, r.due_date::date, f.fire_at
                FROM r CROSS JOIN LATERAL (VALUES ('warning', r.warning_at), ('overdue', r.overdue_at)) AS f(flag, fire_at))
            \(insert: rows, into: outbox)
            """
    }

    // MARK: Reading a complaint

    private static let summaryColumns =
        "complaint_id, category, channel, target_kind, target_id, target_name, status, anonymous, filed_at, due_step, due_date::text, overdue, referred_to"
    private typealias SummaryRow = (UUID, String, String, String, String, String, String, Bool, Date, String?, String?, Bool, String?)

    private static func summary(_ row: SummaryRow) throws -> ComplaintSummary {
        var deadline: ComplaintDeadline?
        if let step = row.9, let due = row.10 { deadline = ComplaintDeadline(step: try .init(stored: step), dueDate: try HallDate(stored: due)) }
        return ComplaintSummary(
            complaintId: row.0, category: try .init(stored: row.1), channel: try .init(stored: row.2), targetKind: try .init(stored: row.3),
            targetId: row.4, targetName: row.5, status: try .init(stored: row.6), anonymous: row.7, filedAt: row.8, deadline: deadline, overdue: row.11,
            referredTo: row.12)
    }

    /// A complaint as stored, with what the access and sanction rules need besides the record.
    private struct Stored {
        var record: ComplaintRecord
        var queue: ComplaintQueue
        var targetStaffId: String?
        var target: ComplaintTargetContext
        var updatedAt: Date
    }

    private enum Key {
        case id(UUID)
        case trackingCode(String)
    }

    /// The complaint with `key`, or nil; `lock` takes its row for the transaction.
    private func load(_ key: Key, lock: Bool, on connection: PostgresConnection) async throws -> Stored? {
        var (askedId, code): (UUID?, String?) = (nil, nil)
        switch key {
        case .id(let asked): askedId = asked
        case .trackingCode(let asked): code = asked
        }
        let rows = try await connection.select(
            """
            SELECT \(unescaped: Self.summaryColumns), queue, target_staff_id, target_department_ids, target_window_id, tracking_code, recorded_by,
                   receipt_code, case_id, content, complainant_name, complainant_contact, not_accepted_reason, finding, findings, reply,
                   referral_instructions, identity_released, referred_at, department_findings, department_return_reason, department_returned_at,
                   conclusion_due::text, sanction_note, replied_at, review_reason, rating, rating_comment, updated_at, handlers
            FROM \(unescaped: schema).complaints
            WHERE (\(askedId)::uuid IS NULL OR complaint_id = \(askedId)) AND (\(code)::text IS NULL OR tracking_code = \(code))
            \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger
        ).collectAll()
        guard let row = rows.first?.makeRandomAccess() else { return nil }
        let summary = try Self.summary(
            (try row.value("complaint_id"), try row.value("category"), try row.value("channel"), try row.value("target_kind"),
             try row.value("target_id"), try row.value("target_name"), try row.value("status"), try row.value("anonymous"), try row.value("filed_at"),
             try row.value("due_step"), try row.value("due_date"), try row.value("overdue"), try row.value("referred_to")))
        let id = summary.complaintId
        var complainant: ComplaintRecord.Complainant?
        if let name = try row.value("complainant_name", as: String?.self), let contact = try row.value("complainant_contact", as: String?.self) {
            complainant = .init(name: name, contact: contact)
        }
        var referral: ReferralRecord?
        if let department = try row.value("referred_to", as: String?.self), let referredAt = try row.value("referred_at", as: Date?.self) {
            referral = ReferralRecord(
                departmentId: department, instructions: try row.value("referral_instructions", as: String?.self) ?? "",
                identityReleased: try row.value("identity_released"), referredAt: referredAt, findings: try row.value("department_findings"),
                returnReason: try row.value("department_return_reason"), returnedAt: try row.value("department_returned_at"))
        }
        let steps = try await connection.select(
            "SELECT step, status_after, actor_id, detail, at FROM \(unescaped: schema).complaint_steps WHERE complaint_id = \(id) ORDER BY at, step",
            logger: logger
        ).decode((String, String, String, String?, Date).self).collectAll()
        let flags = try await connection.select(
            """
            SELECT step, flag, due_date::text, flagged_at FROM \(unescaped: schema).complaint_flags WHERE complaint_id = \(id) ORDER BY flagged_at, flag DESC
            """, logger: logger
        ).decode((String, String, String, Date).self).collectAll()
        let record = ComplaintRecord(
            summary: summary, trackingCode: try row.value("tracking_code"), recordedBy: try row.value("recorded_by"),
            receiptCode: try row.value("receipt_code"), caseId: try row.value("case_id"), content: try row.value("content"), complainant: complainant,
            notAcceptedReason: try row.value("not_accepted_reason"), finding: try (row.value("finding", as: String?.self)).map(ComplaintFinding.init(stored:)),
            findings: try row.value("findings"), reply: try row.value("reply"), referral: referral,
            conclusionDue: try row.value("conclusion_due", as: String?.self).map(HallDate.init(stored:)),
            sanctions: try await sanctions(complaint: id, on: connection).reversed(), sanctionNote: try row.value("sanction_note"),
            repliedAt: try row.value("replied_at"), reviewReason: try row.value("review_reason"),
            rating: try row.value("rating", as: String?.self).map(ComplaintRating.init(stored:)), ratingComment: try row.value("rating_comment"),
            flags: try flags.map { ComplaintRecord.Flag(step: try .init(stored: $0.0), flag: try .init(stored: $0.1), dueDate: try HallDate(stored: $0.2), at: $0.3) },
            handlers: try row.value("handlers"),
            steps: try steps.map { ComplaintRecord.Step(step: $0.0, statusAfter: try .init(stored: $0.1), actorId: $0.2, detail: $0.3, at: $0.4) })
        return Stored(
            record: record, queue: try .init(stored: try row.value("queue", as: String.self)), targetStaffId: try row.value("target_staff_id"),
            target: ComplaintTargetContext(
                kind: summary.targetKind, id: summary.targetId, departmentIds: try row.value("target_department_ids"),
                windowId: try row.value("target_window_id")),
            updatedAt: try row.value("updated_at"))
    }

    private func loaded(_ id: UUID, lock: Bool, on connection: PostgresConnection) async throws -> Stored {
        guard let stored = try await load(.id(id), lock: lock, on: connection) else {
            throw HallError(.notFound, "no complaint \(id)", field: "complaintId", words: "没有编号为 \(id) 的投诉")
        }
        return stored
    }

    /// The sanctions resting on `complaint`, or on `subject`, or all (newest first).
    private func sanctions(complaint: UUID? = nil, subject: String? = nil, on connection: PostgresConnection) async throws -> [Sanction] {
        let rows = try await connection.select(
            """
            SELECT sanction_id, kind, subject_kind, subject_id, department_id, reason, complaint_ids, decided_by, decided_at
            FROM \(unescaped: schema).sanctions
            WHERE (\(complaint)::uuid IS NULL OR \(complaint)::uuid = ANY (complaint_ids)) AND (\(subject)::text IS NULL OR subject_id = \(subject))
            ORDER BY decided_at DESC, sanction_id LIMIT 1000
            """, logger: logger
        ).decode((UUID, String, String, String, String, String, [UUID], String, Date).self).collectAll()
        return try rows.map {
            Sanction(
                sanctionId: $0.0, kind: try .init(stored: $0.1), subjectKind: try .init(stored: $0.2), subjectId: $0.3, departmentId: $0.4,
                reason: $0.5, complaintIds: $0.6, decidedBy: $0.7, decidedAt: $0.8)
        }
    }

    // MARK: Writing a step

    /// Writes `updated` (the record after a step from `before`), the new step and sanctions, the
    /// deadline's timers and `events`.
    private func save(_ updated: ComplaintRecord, from before: ComplaintRecord, events: [OutgoingEvent], at: Date, on connection: PostgresConnection)
        async throws
    {
        let id = updated.summary.complaintId
        let referral = updated.referral
        try await connection.run(
            """
            UPDATE \(unescaped: schema).complaints SET status = \(updated.summary.status.rawValue), updated_at = \(at),
                not_accepted_reason = \(updated.notAcceptedReason), finding = \(updated.finding?.rawValue), findings = \(updated.findings),
                reply = \(updated.reply), replied_at = \(updated.repliedAt),
                concluded_at = CASE WHEN \(updated.finding != before.finding || updated.findings != before.findings) THEN \(at) ELSE concluded_at END,
                referred_to = \(referral?.departmentId), referral_instructions = \(referral?.instructions),
                identity_released = \(referral?.identityReleased ?? false), referred_at = \(referral?.referredAt),
                department_findings = \(referral?.findings), department_return_reason = \(referral?.returnReason),
                department_returned_at = \(referral?.returnedAt), conclusion_due = \(updated.conclusionDue?.description)::date,
                due_step = \(updated.summary.deadline?.step.rawValue), due_date = \(updated.summary.deadline?.dueDate.description)::date,
                overdue = \(updated.summary.overdue), sanction_note = \(updated.sanctionNote), review_reason = \(updated.reviewReason),
                rating = \(updated.rating?.rawValue), rating_comment = \(updated.ratingComment), handlers = \(updated.handlers)
            WHERE complaint_id = \(id)
            """, logger: logger)
        for step in updated.steps.dropFirst(before.steps.count) {
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).complaint_steps (complaint_id, step, status_after, actor_id, detail, at)
                VALUES (\(id), \(step.step), \(step.statusAfter.rawValue), \(step.actorId), \(step.detail), \(step.at))
                """, logger: logger)
        }
        for sanction in updated.sanctions.dropFirst(before.sanctions.count) { try await insert(sanction, on: connection) }
        if updated.summary.deadline != before.summary.deadline || updated.summary.status != before.summary.status {
            try await replaceTimers(id, updated.summary.deadline, on: connection)
        }
        try await Outbox(schema: schema).append(events, on: connection, logger: logger)
    }

    private func insert(_ sanction: Sanction, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).sanctions
                (sanction_id, kind, subject_kind, subject_id, department_id, reason, complaint_ids, decided_by, decided_at)
            VALUES (\(sanction.sanctionId), \(sanction.kind.rawValue), \(sanction.subjectKind.rawValue), \(sanction.subjectId),
                    \(sanction.departmentId), \(sanction.reason), \(sanction.complaintIds), \(sanction.decidedBy), \(sanction.decidedAt))
            """, logger: logger)
    }

    /// The timers of the complaint's current deadline (a warning and an overdue flag), or none.
    private func replaceTimers(_ id: UUID, _ deadline: ComplaintDeadline?, on connection: PostgresConnection) async throws {
        try await connection.run("DELETE FROM \(unescaped: schema).complaint_timers WHERE complaint_id = \(id)", logger: logger)
        guard let deadline else { return }
        for (flag, fireAt) in deadline.firesAt {
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).complaint_timers (complaint_id, flag, step, due_date, fire_at)
                VALUES (\(id), \(flag.rawValue), \(deadline.step.rawValue), \(deadline.dueDate.description)::date, \(fireAt))
                """, logger: logger)
        }
    }

    // MARK: Handlers

    func track(code: String) async throws -> ComplaintTracking? {
        guard TrackingCode.isWellFormed(code) else { return nil }
        return try await client.withConnection { connection in
            try await load(.trackingCode(code), lock: false, on: connection).map { $0.record.tracking(deadlines: deadlines, updatedAt: $0.updatedAt) }
        }
    }

    func queue(_ queue: ComplaintQueue, reader: String) async throws -> [ComplaintSummary] {
        let rows = try await client.run(
            """
            SELECT \(unescaped: Self.summaryColumns) FROM \(unescaped: schema).complaints
            WHERE queue = \(queue.rawValue) AND target_staff_id IS DISTINCT FROM \(reader)
            ORDER BY filed_at DESC LIMIT 500
            """, logger: logger
        ).decode(SummaryRow.self)
        var summaries: [ComplaintSummary] = []
        for try await row in rows { summaries.append(try Self.summary(row)) }
        return summaries
    }

    func record(_ id: UUID, queue: ComplaintQueue, reader: String, at: Date) async throws -> ComplaintRecord {
        try await client.transaction(logger: logger) { connection in
            let stored = try await loaded(id, lock: false, on: connection)
            try ComplaintAccess.checkReader(reader, targetStaffId: stored.targetStaffId, complaintQueue: stored.queue, asked: queue)
            let view = ComplaintAccess.view(stored.record, reader: reader)
            if view.complainant != nil { try await recordRead(id, reader: reader, at: at, on: connection) }
            return view
        }
    }

    func addHandler(_ handler: String, on id: UUID, queue: ComplaintQueue, actor: String, at: Date) async throws -> ComplaintRecord {
        try await client.transaction(logger: logger) { connection in
            let stored = try await loaded(id, lock: true, on: connection)
            try ComplaintAccess.checkReader(actor, targetStaffId: stored.targetStaffId, complaintQueue: stored.queue, asked: queue)
            let updated = try ComplaintAccess.adding(handler, to: stored.record, targetStaffId: stored.targetStaffId, by: actor, at: at)
            try await save(updated, from: stored.record, events: [], at: at, on: connection)
            return ComplaintAccess.view(updated, reader: actor)
        }
    }

    private func recordRead(_ id: UUID, reader: String, at: Date, on connection: PostgresConnection) async throws {
        try await connection.run(
            "INSERT INTO \(unescaped: schema).identity_reads (complaint_id, reader_id, read_at) VALUES (\(id), \(reader), \(at))", logger: logger)
    }

    func take(_ step: ComplaintStep, on id: UUID, queue: ComplaintQueue, actor: String, at: Date) async throws -> ComplaintRecord {
        try await client.transaction(logger: logger) { connection in
            let stored = try await loaded(id, lock: true, on: connection)
            let current = stored.record
            try ComplaintAccess.checkReader(actor, targetStaffId: stored.targetStaffId, complaintQueue: stored.queue, asked: queue)
            let handlers = try ComplaintAccess.acting(current, actor: actor)
            let next = try step.next(from: current.summary.status, finding: current.finding, reviewed: current.reviewReason != nil)
            var subjectDepartments: [String] = []
            switch step {
            case .refer(let department, _, _):
                guard try await isActive(department, on: connection) else {
                    throw HallError.invalid(
                        "departmentId", "no active department '\(department)' in the hall's directory", words: "大厅名录中没有在册的部门“\(department)”")
                }
            case .decideSanctions(let orders, _):
                for (index, order) in orders.enumerated() {
                    let facts = try await subjectFacts(order, on: connection)
                    try SanctionRules.check(order, index: index, subject: facts, target: stored.target)
                    subjectDepartments.append(facts?.departmentId ?? "")
                }
            default: break
            }
            var updated = current.taking(step, to: next, actor: actor, at: at, deadlines: deadlines, subjectDepartments: subjectDepartments)
            updated.handlers = handlers
            var events = try updated.events(of: step, before: current, actor: actor, at: at)
            if let finding = step.finding, finding != .unsubstantiated, let staff = stored.targetStaffId {
                if let proposal = try await proposeRemoval(staff, complaint: id, at: at, on: connection) {
                    events.append(try ComplaintEvents.removalProposed(proposal))
                }
            }
            try await save(updated, from: current, events: events, at: at, on: connection)
            // The answer shows the complainant to the handler: a read like any other.
            if updated.complainant != nil { try await recordRead(id, reader: actor, at: at, on: connection) }
            return updated
        }
    }

    private func isActive(_ department: String, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.select(
            "SELECT 1 FROM \(unescaped: schema).departments WHERE department_id = \(department) AND active", logger: logger
        ).decode(Int.self).collectAll().isEmpty
    }

    private func subjectFacts(_ order: SanctionOrder, on connection: PostgresConnection) async throws -> SanctionSubjectFacts? {
        switch order.subjectKind {
        case .staff:
            let rows = try await connection.select(
                "SELECT department_id, window_id FROM \(unescaped: schema).staff WHERE staff_id = \(order.subjectId) AND active", logger: logger
            ).decode((String, String?).self).collectAll()
            return rows.first.map { SanctionSubjectFacts(departmentId: $0.0, windowId: $0.1) }
        case .department:
            return try await isActive(order.subjectId, on: connection) ? SanctionSubjectFacts(departmentId: order.subjectId) : nil
        }
    }

    /// The removal rule after a substantiated conclusion about `staff`: a proposal on their
    /// substantiated complaints within twelve months, when there are two and this one is in no
    /// proposal yet; while one is undecided, this complaint is added to it.
    private func proposeRemoval(_ staff: String, complaint: UUID, at: Date, on connection: PostgresConnection) async throws -> RemovalProposal? {
        let proposed = try await connection.select(
            "SELECT 1 FROM \(unescaped: schema).removal_proposals WHERE \(complaint) = ANY (complaint_ids)", logger: logger
        ).collectAll()
        if !proposed.isEmpty { return nil }
        let appended = try await connection.select(
            """
            UPDATE \(unescaped: schema).removal_proposals SET complaint_ids = array_append(complaint_ids, \(complaint))
            WHERE staff_id = \(staff) AND status = 'pending' RETURNING proposal_id
            """, logger: logger
        ).collectAll()
        if !appended.isEmpty { return nil }
        let earlier = try await connection.select(
            """
            SELECT complaint_id FROM \(unescaped: schema).complaints
            WHERE target_staff_id = \(staff) AND finding IN ('substantiated', 'partly-substantiated') AND concluded_at >= \(RemovalRule.windowStart(before: at))
              AND complaint_id <> \(complaint)
            ORDER BY concluded_at
            """, logger: logger
        ).decode(UUID.self).collectAll()
        let complaints = earlier + [complaint]
        guard complaints.count >= RemovalRule.complaints else { return nil }
        let who = try await connection.select(
            "SELECT name, department_id FROM \(unescaped: schema).staff WHERE staff_id = \(staff)", logger: logger
        ).decode((String, String).self).collectAll()
        guard let (name, department) = who.first else { return nil }
        let proposal = RemovalProposal(
            proposalId: UUID(), staffId: staff, staffName: name, departmentId: department, complaintIds: complaints, proposedAt: at, status: .pending)
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).removal_proposals (proposal_id, staff_id, staff_name, department_id, complaint_ids, proposed_at, status)
            VALUES (\(proposal.proposalId), \(staff), \(name), \(department), \(complaints), \(at), 'pending')
            """, logger: logger)
        return proposal
    }

    // MARK: The complainant

    func complainantStep(_ step: ComplaintStep, code: String, at: Date) async throws -> ComplaintTracking? {
        guard TrackingCode.isWellFormed(code) else { return nil }
        return try await client.transaction(logger: logger) { connection in
            guard let stored = try await load(.trackingCode(code), lock: true, on: connection) else { return nil }
            let current = stored.record
            let next = try step.next(from: current.summary.status, finding: current.finding, reviewed: current.reviewReason != nil)
            if let repliedAt = current.repliedAt, !deadlines.reviewOpen(repliedAt: repliedAt, at: at) {
                throw HallError(
                    .conflict, "a review is asked for within \(deadlines.reviewDays) working days of the reply", field: "reason",
                    words: "复查须在答复后 \(deadlines.reviewDays) 个工作日内申请")
            }
            let updated = current.taking(step, to: next, actor: "complainant", at: at, deadlines: deadlines)
            try await save(updated, from: current, events: try updated.events(of: step, before: current, actor: "complainant", at: at), at: at, on: connection)
            return updated.tracking(deadlines: deadlines, updatedAt: at)
        }
    }

    func rate(code: String, rating: ComplaintRating, comment: String?, at: Date) async throws -> ComplaintTracking? {
        guard TrackingCode.isWellFormed(code) else { return nil }
        return try await client.transaction(logger: logger) { connection in
            guard let stored = try await load(.trackingCode(code), lock: true, on: connection) else { return nil }
            let updated = try stored.record.rated(rating, comment: comment, at: at)
            let events = try ComplaintEvents.rated(updated, queue: stored.queue, at: at).map { [$0] } ?? []
            try await save(updated, from: stored.record, events: events, at: at, on: connection)
            return updated.tracking(deadlines: deadlines, updatedAt: at)
        }
    }

    // MARK: The department

    func referrals(department: String, reader: String) async throws -> [Referral] {
        try await client.withConnection { connection in
            let ids = try await connection.select(
                """
                SELECT complaint_id FROM \(unescaped: schema).complaints
                WHERE referred_to = \(department) AND target_staff_id IS DISTINCT FROM \(reader)
                ORDER BY referred_at DESC LIMIT 200
                """, logger: logger
            ).decode(UUID.self).collectAll()
            var referrals: [Referral] = []
            for id in ids {
                if var view = try await loaded(id, lock: false, on: connection).record.referralView {
                    view.complainant = nil
                    referrals.append(view)
                }
            }
            return referrals
        }
    }

    func referral(_ id: UUID, department: String, reader: String, at: Date) async throws -> Referral {
        try await client.transaction(logger: logger) { connection in
            let stored = try await loaded(id, lock: false, on: connection)
            let view = try ComplaintAccess.departmentView(stored.record, targetStaffId: stored.targetStaffId, department: department, reader: reader)
            if view.complainant != nil { try await recordRead(id, reader: reader, at: at, on: connection) }
            return view
        }
    }

    func departmentStep(_ step: ComplaintStep, on id: UUID, department: String, actor: String, at: Date) async throws -> Referral {
        try await client.transaction(logger: logger) { connection in
            let stored = try await loaded(id, lock: true, on: connection)
            let current = stored.record
            _ = try ComplaintAccess.departmentView(current, targetStaffId: stored.targetStaffId, department: department, reader: actor)
            let next = try step.next(from: current.summary.status, finding: current.finding, reviewed: current.reviewReason != nil)
            let updated = current.taking(step, to: next, actor: actor, at: at, deadlines: deadlines)
            try await save(updated, from: current, events: try updated.events(of: step, before: current, actor: actor, at: at), at: at, on: connection)
            let view = try ComplaintAccess.departmentView(updated, targetStaffId: stored.targetStaffId, department: department, reader: actor)
            if view.complainant != nil { try await recordRead(id, reader: actor, at: at, on: connection) }
            return view
        }
    }

    // MARK: Sanctions and removals

    func sanctions(subjectId: String?) async throws -> [Sanction] {
        try await client.withConnection { connection in
            try await sanctions(subject: subjectId, on: connection)
        }
    }

    private static let proposalColumns =
        "proposal_id, staff_id, staff_name, department_id, complaint_ids, proposed_at, status, decided_by, decided_at, reason, sanction_id"
    private typealias ProposalRow = (UUID, String, String, String, [UUID], Date, String, String?, Date?, String?, UUID?)

    private static func proposal(_ row: ProposalRow) throws -> RemovalProposal {
        guard let status = RemovalProposal.Status(rawValue: row.6) else {
            throw HallError(.internalError, "a stored proposal status is unknown", words: "已保存的调离建议状态无法识别")
        }
        return RemovalProposal(
            proposalId: row.0, staffId: row.1, staffName: row.2, departmentId: row.3, complaintIds: row.4, proposedAt: row.5, status: status,
            decidedBy: row.7, decidedAt: row.8, reason: row.9, sanctionId: row.10)
    }

    func removalProposals(pendingOnly: Bool) async throws -> [RemovalProposal] {
        try await client.run(
            """
            SELECT \(unescaped: Self.proposalColumns) FROM \(unescaped: schema).removal_proposals
            WHERE NOT \(pendingOnly) OR status = 'pending' ORDER BY proposed_at DESC LIMIT 500
            """, logger: logger
        ).decode(ProposalRow.self).collectAll().map(Self.proposal)
    }

    func decideRemoval(_ id: UUID, remove: Bool, reason: String, by actor: String, at: Date) async throws -> RemovalProposal {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.select(
                "SELECT \(unescaped: Self.proposalColumns) FROM \(unescaped: schema).removal_proposals WHERE proposal_id = \(id) FOR UPDATE", logger: logger
            ).decode(ProposalRow.self).collectAll()
            guard let row = rows.first else { throw HallError(.notFound, "no removal proposal \(id)", field: "proposalId", words: "没有编号为 \(id) 的调离建议") }
            let (decided, sanction) = try RemovalRule.decide(try Self.proposal(row), remove: remove, reason: reason, by: actor, at: at)
            var events: [OutgoingEvent] = []
            if let sanction {
                try await insert(sanction, on: connection)
                events.append(try ComplaintEvents.sanctioned(sanction))
            }
            try await connection.run(
                """
                UPDATE \(unescaped: schema).removal_proposals SET status = \(decided.status.rawValue), decided_by = \(actor), decided_at = \(at),
                    reason = \(reason), sanction_id = \(decided.sanctionId)
                WHERE proposal_id = \(id)
                """, logger: logger)
            try await Outbox(schema: schema).append(events, on: connection, logger: logger)
            return decided
        }
    }

    // MARK: Deadlines

    func fireDueTimers(now: Date, limit: Int) async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.select(
                """
                WITH due AS (
                    SELECT complaint_id, flag FROM \(unescaped: schema).complaint_timers WHERE fire_at <= \(now)
                    ORDER BY fire_at LIMIT \(limit) FOR UPDATE SKIP LOCKED),
                fired AS (
                    DELETE FROM \(unescaped: schema).complaint_timers t USING due WHERE t.complaint_id = due.complaint_id AND t.flag = due.flag
                    RETURNING t.complaint_id, t.step, t.flag, t.due_date),
                flagged AS (
                    INSERT INTO \(unescaped: schema).complaint_flags (complaint_id, step, flag, due_date, flagged_at)
                    SELECT complaint_id, step, flag, due_date, \(now) FROM fired
                    ON CONFLICT DO NOTHING
                    RETURNING complaint_id, step, flag, due_date)
                SELECT f.complaint_id, f.step, f.flag, f.due_date::text, c.queue, c.referred_to
                FROM flagged f JOIN \(unescaped: schema).complaints c USING (complaint_id)
                """, logger: logger
            ).decode((UUID, String, String, String, String, String?).self).collectAll()
            var events: [OutgoingEvent] = []
            for (id, step, flag, due, queue, department) in rows {
                let deadline = ComplaintDeadline(step: try .init(stored: step), dueDate: try HallDate(stored: due))
                let flag = try DeadlineFlag(stored: flag)
                events.append(try ComplaintEvents.flagged(id, deadline, flag, queue: try .init(stored: queue), departmentId: department, at: now))
                if flag == .overdue {
                    try await connection.run(
                        """
                        UPDATE \(unescaped: schema).complaints SET overdue = true
                        WHERE complaint_id = \(id) AND due_step = \(step) AND due_date = \(due)::date
                        """, logger: logger)
                }
            }
            try await Outbox(schema: schema).append(events, on: connection, logger: logger)
            return rows.count
        }
    }

    func identityReads(complaintId: UUID?) async throws -> [IdentityRead] {
        let rows = try await client.run(
            """
            SELECT complaint_id, reader_id, read_at FROM \(unescaped: schema).identity_reads
            WHERE \(complaintId)::uuid IS NULL OR complaint_id = \(complaintId) ORDER BY read_at DESC LIMIT 1000
            """, logger: logger
        ).decode((UUID, String, Date).self).collectAll()
        return rows.map { IdentityRead(complaintId: $0.0, readerId: $0.1, readAt: $0.2) }
    }
}

/// A filing waiting for its group (see ``PostgresComplaintsRepository/fileBatch(_:)``).
struct PendingFiling: Sendable {
    var filing: ComplaintFiling
    var channel: ComplaintChannel
    var recordedBy: String?
    var at: Date
}

/// A filing whose target and receipt code are known, with its answer and deadline, ready to store.
private struct PreparedFiling {
    var index: Int
    var job: PendingFiling
    var target: ResolvedTarget
    var caseId: String?
    var filed: FiledComplaint
    var deadline: ComplaintDeadline

    init(index: Int, job: PendingFiling, target: ResolvedTarget, caseId: String?, deadlines: ComplaintDeadlines) throws {
        (self.index, self.job, self.target, self.caseId) = (index, job, target, caseId)
        filed = FiledComplaint(
            complaintId: UUID(), trackingCode: TrackingCode.make(), queue: ComplaintQueue(for: job.filing.category), status: .filed, filedAt: job.at)
        guard let deadline = deadlines.deadline(for: .filed, finding: nil, at: job.at, conclusionDue: nil) else {
            throw HallError(.internalError, "a filed complaint has no acceptance deadline", words: "已登记的投诉没有受理期限")
        }
        self.deadline = deadline
    }
}
