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

    func targets() async throws -> ComplaintTargets {
        ComplaintTargets(
            windows: try await DirectoryProjection.activeWindows(client: client, schema: schema, logger: logger),
            departments: try await DirectoryProjection.activeDepartments(client: client, schema: schema, logger: logger))
    }

    private func resolve(_ kind: ComplaintTargetKind, _ id: String) async throws -> ResolvedTarget {
        let query: PostgresQuery
        switch kind {
        case .window:
            query = "SELECT name, NULL::text, department_ids, window_id FROM \(unescaped: schema).windows WHERE window_id = \(id) AND active"
        case .department:
            query = "SELECT name, NULL::text, ARRAY[department_id], NULL::text FROM \(unescaped: schema).departments WHERE department_id = \(id) AND active"
        case .staff:
            query = "SELECT name, staff_id, ARRAY[department_id], window_id FROM \(unescaped: schema).staff WHERE staff_id = \(id) AND active"
        }
        let rows = try await client.run(query, logger: logger).decode((String, String?, [String], String?).self)
        for try await (name, staff, departments, window) in rows {
            return ResolvedTarget(name: name, staffId: staff, context: .init(kind: kind, id: id, departmentIds: departments, windowId: window))
        }
        throw HallError.invalid("targetId", "no active \(kind.rawValue) '\(id)' in the hall's directory (GET /v1/targets lists them)")
    }

    func isActiveDepartment(_ departmentId: String) async throws -> Bool {
        try await !client.run(
            "SELECT 1 FROM \(unescaped: schema).departments WHERE department_id = \(departmentId) AND active", logger: logger
        ).decode(Int.self).collectAll().isEmpty
    }

    func file(_ filing: ComplaintFiling, channel: ComplaintChannel, recordedBy: String?, at: Date) async throws -> FiledComplaint {
        try filing.validate()
        let target = try await resolve(filing.targetKind, filing.targetId)
        var caseId: String?
        if let receiptCode = filing.receiptCode {
            let known = try await client.run(
                "SELECT case_id FROM \(unescaped: schema).cases WHERE receipt_code = \(receiptCode)", logger: logger
            ).decode(String?.self).collectAll()
            guard let found = known.first else { throw ReceiptCheck.unknown(receiptCode) }
            caseId = found
        }
        let anonymous = filing.anonymous == true
        let filed = FiledComplaint(
            complaintId: UUID(), trackingCode: TrackingCode.make(), queue: ComplaintQueue(for: filing.category), status: .filed, filedAt: at)
        let deadline = deadlines.deadline(for: .filed, finding: nil, at: at, conclusionDue: nil)
        try await client.transaction(logger: logger) { connection in
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).complaints
                    (complaint_id, tracking_code, channel, recorded_by, category, queue, target_kind, target_id, target_name, target_staff_id,
                     target_department_ids, target_window_id, receipt_code, case_id, anonymous, complainant_name, complainant_contact, content,
                     status, due_step, due_date, filed_at, updated_at)
                VALUES (\(filed.complaintId), \(filed.trackingCode), \(channel.rawValue), \(recordedBy), \(filing.category.rawValue),
                        \(filed.queue.rawValue), \(filing.targetKind.rawValue), \(filing.targetId), \(target.name), \(target.staffId),
                        \(target.context.departmentIds), \(target.context.windowId), \(filing.receiptCode), \(caseId), \(anonymous),
                        \(anonymous ? nil : filing.complainantName), \(anonymous ? nil : filing.complainantContact), \(filing.content), 'filed',
                        \(deadline?.step.rawValue), \(deadline?.dueDate.description)::date, \(at), \(at))
                """, logger: logger)
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).complaint_steps (complaint_id, step, status_after, actor_id, detail, at)
                VALUES (\(filed.complaintId), 'file', 'filed', \(recordedBy ?? (anonymous ? "anonymous" : "complainant")), \(channel.rawValue), \(at))
                """, logger: logger)
            try await replaceTimers(filed.complaintId, deadline, on: connection)
            try await Outbox(schema: schema).append([try ComplaintEvents.filed(filed, filing, channel: channel)], on: connection, logger: logger)
        }
        return filed
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
                   conclusion_due::text, sanction_note, replied_at, review_reason, rating, rating_comment, updated_at
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
            throw HallError(.notFound, "no complaint \(id)", field: "complaintId")
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
                rating = \(updated.rating?.rawValue), rating_comment = \(updated.ratingComment)
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
            if stored.record.complainant != nil { try await recordRead(id, reader: reader, at: at, on: connection) }
            return stored.record
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
            let next = try step.next(from: current.summary.status, finding: current.finding, reviewed: current.reviewReason != nil)
            var subjectDepartments: [String] = []
            switch step {
            case .refer(let department, _, _):
                guard try await isActive(department, on: connection) else {
                    throw HallError.invalid("departmentId", "no active department '\(department)' in the hall's directory")
                }
            case .decideSanctions(let orders, _):
                for (index, order) in orders.enumerated() {
                    let facts = try await subjectFacts(order, on: connection)
                    try SanctionRules.check(order, index: index, subject: facts, target: stored.target)
                    subjectDepartments.append(facts?.departmentId ?? "")
                }
            default: break
            }
            let updated = current.taking(step, to: next, actor: actor, at: at, deadlines: deadlines, subjectDepartments: subjectDepartments)
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
                throw HallError(.conflict, "a review is asked for within \(deadlines.reviewDays) working days of the reply", field: "reason")
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
        guard let status = RemovalProposal.Status(rawValue: row.6) else { throw HallError(.internalError, "a stored proposal status is unknown") }
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
            guard let row = rows.first else { throw HallError(.notFound, "no removal proposal \(id)", field: "proposalId") }
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
