import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

extension CoordinatorStore {
    /// Turns an accepted committed or joint case into one task per department (lead first), its
    /// initial ledger entry and its timers, and publishes `coordinator.task.assigned` for each task.
    /// Immediate items are decided at the window and ignored here. A case routed before is left alone.
    func route(_ accepted: ApplicationAccepted, caseId: String, on connection: PostgresConnection, into events: inout [PendingEvent]) async throws {
        guard accepted.kind != "immediate" else { return }
        guard let due = LocalDate(iso: accepted.dueDate) else { throw HallError.invalid("dueDate", "must be a date YYYY-MM-DD") }
        let acceptedDay = LocalDate.inHall(accepted.acceptedAt)
        if let bundleId = accepted.bundleId, let size = accepted.bundleSize {
            try await connection.query(
                "INSERT INTO \(unescaped: schema).bundles (bundle_id, size) VALUES (\(bundleId), \(size)) ON CONFLICT (bundle_id) DO NOTHING",
                logger: logger)
        }
        var departments = [accepted.leadDepartmentId]
        for participant in accepted.participantDepartmentIds where !departments.contains(participant) { departments.append(participant) }
        let materials = accepted.materials ?? []
        let materialsJSON = String(decoding: try JSONEncoder().encode(materials), as: UTF8.self)
        var taskIds: [UUID] = []
        var roles: [String] = []
        var subDeadlines: [String] = []
        for (index, _) in departments.enumerated() {
            let role: TaskRole = index == 0 ? .lead : .participant
            taskIds.append(UUID())
            roles.append(role.rawValue)
            subDeadlines.append(clock.subDeadline(role: role, accepted: acceptedDay, due: due).description)
        }
        var timers = TimerPlan()
        timers.plan(caseId: caseId, accepted: acceptedDay, due: due, clock: clock)
        for index in departments.indices where roles[index] == TaskRole.participant.rawValue {
            timers.plan(taskId: taskIds[index].uuidString.lowercased(), accepted: acceptedDay, subDeadline: LocalDate(iso: subDeadlines[index])!, clock: clock)
        }
        // One statement: the case, its tasks, its first ledger entry and its timers — or nothing when
        // the case was routed before.
        let inserted = try await connection.select(
            """
            WITH new_case AS (
                INSERT INTO \(unescaped: schema).cases
                    (case_id, receipt_code, notice_number, item_code, item_version, item_name, kind, lead_department_id, department_ids,
                     applicant_kind, applicant_name, materials, accepted_at, promised_limit_days, legal_limit_days, not_counted,
                     initial_due_date, due_date, due_date_provisional, state, bundle_id)
                VALUES (\(caseId), \(accepted.receiptCode), \(accepted.noticeNumber), \(accepted.itemCode), \(accepted.itemVersion),
                        \(accepted.itemName), \(accepted.kind), \(accepted.leadDepartmentId), \(departments), \(accepted.applicantKind),
                        \(accepted.applicantName), \(materialsJSON)::jsonb, \(accepted.acceptedAt), \(accepted.promisedLimitDays),
                        \(accepted.legalLimitDays), \(accepted.notCounted), \(due.description)::date, \(due.description)::date,
                        \(accepted.dueDateProvisional), 'in-progress', \(accepted.bundleId))
                ON CONFLICT DO NOTHING RETURNING case_id),
            new_tasks AS (
                INSERT INTO \(unescaped: schema).tasks (task_id, case_id, department_id, role, sub_deadline, state)
                SELECT t.id, c.case_id, t.department, t.role, t.sub::date, 'open'
                FROM new_case c, unnest(\(taskIds)::uuid[], \(departments)::text[], \(roles)::text[], \(subDeadlines)::text[]) AS t(id, department, role, sub)),
            new_ledger AS (
                INSERT INTO \(unescaped: schema).ledger (case_id, sequence, change, due_date_after, working_days, reason, actor_id, changed_at)
                SELECT c.case_id, 1, 'initial', \(due.description)::date, \(accepted.promisedLimitDays),
                       \("accepted; promised limit \(accepted.promisedLimitDays) working days from the day after acceptance"),
                       \(accepted.clerkId), \(accepted.acceptedAt)
                FROM new_case c),
            new_timers AS (
                INSERT INTO \(unescaped: schema).timers (case_id, subject, kind, fire_at)
                SELECT c.case_id, t.subject, t.kind, t.fire_at
                FROM new_case c, unnest(\(timers.subjects)::text[], \(timers.kinds)::text[], \(timers.instants)::timestamptz[]) AS t(subject, kind, fire_at))
            SELECT case_id FROM new_case
            """, logger: logger
        ).decode(String.self).collectAll()
        guard !inserted.isEmpty else { return }
        for index in departments.indices {
            events.append(
                PendingEvent(
                    TaskAssigned(
                        taskId: taskIds[index].uuidString.lowercased(), departmentId: departments[index], role: roles[index],
                        receiptCode: accepted.receiptCode, noticeNumber: accepted.noticeNumber, itemCode: accepted.itemCode,
                        itemVersion: accepted.itemVersion, itemName: accepted.itemName, kind: accepted.kind,
                        leadDepartmentId: accepted.leadDepartmentId, participantDepartmentIds: Array(departments.dropFirst()),
                        applicantKind: accepted.applicantKind, applicantName: accepted.applicantName, materials: materials,
                        acceptedAt: accepted.acceptedAt, caseDueDate: due.description, subDeadline: subDeadlines[index],
                        dueDateProvisional: accepted.dueDateProvisional, bundleId: accepted.bundleId),
                    caseId: caseId))
        }
    }

    /// Replaces the case's pending timers by those its current state calls for: none while the clock
    /// is suspended or once the case is completed; the case's warning and overdue timers until it is
    /// completed; each participant task's until it is countersigned. Timers whose alert already fired
    /// are not planned again (each warning and escalation fires once).
    func reschedule(caseId: String, on connection: PostgresConnection) async throws {
        try await connection.query("DELETE FROM \(unescaped: schema).timers WHERE case_id = \(caseId)", logger: logger)
        let cases = try await connection.select(
            """
            SELECT accepted_at, due_date::text, state, suspended_since IS NOT NULL FROM \(unescaped: schema).cases WHERE case_id = \(caseId)
            """, logger: logger
        ).decode((Date, String, String, Bool).self).collectAll()
        guard let row = cases.first, row.2 != "completed", !row.3, let due = LocalDate(iso: row.1) else { return }
        let accepted = LocalDate.inHall(row.0)
        var timers = TimerPlan()
        timers.plan(caseId: caseId, accepted: accepted, due: due, clock: clock)
        if row.2 == "in-progress" {
            let tasks = try await connection.select(
                """
                SELECT task_id, sub_deadline::text FROM \(unescaped: schema).tasks
                WHERE case_id = \(caseId) AND role = 'participant' AND state IN ('open', 'opinion-given')
                """, logger: logger
            ).decode((UUID, String).self).collectAll()
            for (taskId, sub) in tasks {
                if let sub = LocalDate(iso: sub) { timers.plan(taskId: taskId.uuidString.lowercased(), accepted: accepted, subDeadline: sub, clock: clock) }
            }
        }
        try await timers.insert(caseId: caseId, schema: schema, on: connection, logger: logger)
    }
}

/// The timers a case needs, built in memory and inserted in one statement.
struct TimerPlan {
    var subjects: [String] = []
    var kinds: [String] = []
    var instants: [Date] = []

    /// The case's warning (share of the time used) and overdue (the day after the due date) timers.
    mutating func plan(caseId: String, accepted: LocalDate, due: LocalDate, clock: CaseClock) {
        add("case", accepted: accepted, end: due, clock: clock)
    }

    /// A participant task's warning and overdue timers, against its sub-deadline.
    mutating func plan(taskId: String, accepted: LocalDate, subDeadline: LocalDate, clock: CaseClock) {
        add(taskId, accepted: accepted, end: subDeadline, clock: clock)
    }

    private mutating func add(_ subject: String, accepted: LocalDate, end: LocalDate, clock: CaseClock) {
        if let warning = clock.warningInstant(start: accepted, end: end) {
            subjects.append(subject)
            kinds.append("warning")
            instants.append(warning)
        }
        subjects.append(subject)
        kinds.append("overdue")
        instants.append(clock.overdueInstant(end: end))
    }

    /// Inserts the planned timers, leaving out those whose alert already fired.
    func insert(caseId: String, schema: String, on connection: PostgresConnection, logger: Logger) async throws {
        guard !subjects.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema).timers (case_id, subject, kind, fire_at)
            SELECT \(caseId), t.subject, t.kind, t.fire_at
            FROM unnest(\(subjects)::text[], \(kinds)::text[], \(instants)::timestamptz[]) AS t(subject, kind, fire_at)
            WHERE NOT EXISTS (
                SELECT 1 FROM \(unescaped: schema).alerts a WHERE a.case_id = \(caseId) AND a.subject = t.subject AND a.kind = t.kind)
            ON CONFLICT (case_id, subject, kind) DO UPDATE SET fire_at = EXCLUDED.fire_at
            """, logger: logger)
    }
}
