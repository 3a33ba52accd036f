import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// An accepted application to route, with the event that brought it (the cause of its follow-ups).
struct AcceptedCase: Sendable {
    var accepted: ApplicationAccepted
    var caseId: String
    var envelope: EventEnvelope?
}

extension CoordinatorStore {
    /// Turns accepted committed or joint cases into one task per department each (lead first), the
    /// case's initial ledger entry and its timers, and publishes `coordinator.task.assigned` for each
    /// task. Immediate items are decided at the window and ignored here; a case routed before is left
    /// alone.
    ///
    /// One statement inserts every new case with its tasks, first
    /// ledger entry and timers (cases routed before are left alone), then their task events follow.
    func route(_ batch: [AcceptedCase], on connection: PostgresConnection, into events: inout [PendingEvent]) async throws {
        var cases = CaseColumns()
        var tasks = TaskColumns()
        var timers = TimerColumns()
        var assignments: [String: [(PendingEvent)]] = [:]
        var seen = Set<String>()
        for item in batch where item.accepted.kind != .immediate && seen.insert(item.caseId).inserted {
            let accepted = item.accepted
            let due = LocalDate(accepted.dueDate)
            let acceptedDay = LocalDate.inHall(accepted.acceptedAt)
            if let bundleId = accepted.bundleId, let size = accepted.bundleSize {
                try await connection.run(
                    "INSERT INTO \(unescaped: schema).bundles (bundle_id, size) VALUES (\(bundleId), \(size)) ON CONFLICT (bundle_id) DO NOTHING",
                    logger: logger)
            }
            var departments = [accepted.leadDepartmentId]
            for participant in accepted.participantDepartmentIds where !departments.contains(participant) { departments.append(participant) }
            let materials = accepted.materials ?? []
            cases.caseId.append(item.caseId)
            cases.receiptCode.append(accepted.receiptCode)
            cases.noticeNumber.append(accepted.noticeNumber)
            cases.itemCode.append(accepted.itemCode)
            cases.itemVersion.append(accepted.itemVersion)
            cases.itemName.append(accepted.itemName)
            cases.kind.append(accepted.kind.rawValue)
            cases.leadDepartmentId.append(accepted.leadDepartmentId)
            cases.departmentIds.append(departments.joined(separator: "\u{1F}"))
            cases.applicantKind.append(accepted.applicantKind.rawValue)
            cases.applicantName.append(accepted.applicantName)
            cases.materials.append(String(decoding: try JSONEncoder().encode(materials), as: UTF8.self))
            cases.acceptedAt.append(accepted.acceptedAt)
            cases.promisedLimitDays.append(accepted.promisedLimitDays)
            cases.legalLimitDays.append(accepted.legalLimitDays)
            cases.notCounted.append(accepted.notCounted.map(\.rawValue).joined(separator: "\u{1F}"))
            cases.dueDate.append(due.description)
            cases.dueDateProvisional.append(accepted.dueDateProvisional)
            cases.bundleId.append(accepted.bundleId ?? "")
            cases.reason.append(
                "accepted; promised limit \(accepted.promisedLimitDays) working days from the day after acceptance")
            cases.clerkId.append(accepted.clerkId)
            // The green channel (Art 40): the case's tasks go first.
            cases.priority.append(accepted.greenChannel)
            cases.greenChannel.append(
                try accepted.greenChannelApproval.map { String(decoding: try EventEnvelope.encoder().encode($0), as: UTF8.self) } ?? "")

            var plan = TimerPlan()
            plan.plan(caseId: item.caseId, accepted: acceptedDay, due: due, clock: clock)
            var pending: [PendingEvent] = []
            for (index, department) in departments.enumerated() {
                let role: TaskRole = index == 0 ? .lead : .participant
                let taskId = UUID.random().uuidString.lowercased()
                let sub = clock.subDeadline(role: role, accepted: acceptedDay, due: due)
                tasks.taskId.append(taskId)
                tasks.caseId.append(item.caseId)
                tasks.departmentId.append(department)
                tasks.role.append(role.rawValue)
                tasks.subDeadline.append(sub.description)
                if role == .participant { plan.plan(taskId: taskId, accepted: acceptedDay, subDeadline: sub, clock: clock) }
                var event = PendingEvent(
                    TaskAssigned(
                        taskId: taskId, departmentId: department, role: role, receiptCode: accepted.receiptCode,
                        noticeNumber: accepted.noticeNumber, itemCode: accepted.itemCode, itemVersion: accepted.itemVersion,
                        itemName: accepted.itemName, kind: accepted.kind, leadDepartmentId: accepted.leadDepartmentId,
                        participantDepartmentIds: Array(departments.dropFirst()), applicantKind: accepted.applicantKind,
                        applicantName: accepted.applicantName, materials: materials, acceptedAt: accepted.acceptedAt,
                        caseDueDate: due.hallDate, subDeadline: sub.hallDate, dueDateProvisional: accepted.dueDateProvisional,
                        bundleId: accepted.bundleId, priority: accepted.greenChannel, greenChannelApproval: accepted.greenChannelApproval),
                    caseId: item.caseId)
                event.cause = item.envelope
                pending.append(event)
            }
            for index in plan.subjects.indices {
                timers.caseId.append(item.caseId)
                timers.subject.append(plan.subjects[index])
                timers.kind.append(plan.kinds[index])
                timers.fireAt.append(plan.instants[index])
            }
            assignments[item.caseId] = pending
        }
        guard !seen.isEmpty else { return }
        // One statement: the cases, their tasks, first ledger entries and timers — only for cases
        // not routed before (the tasks, ledger and timers join the rows actually inserted).
        let inserted = try await connection.select(
            """
            WITH input AS (
                SELECT * FROM unnest(
                    \(cases.caseId)::text[], \(cases.receiptCode)::text[], \(cases.noticeNumber)::text[],
                    \(cases.itemCode)::text[], \(cases.itemVersion)::int[], \(cases.itemName)::text[],
                    \(cases.kind)::text[], \(cases.leadDepartmentId)::text[], \(cases.departmentIds)::text[],
                    \(cases.applicantKind)::text[], \(cases.applicantName)::text[], \(cases.materials)::text[],
                    \(cases.acceptedAt)::timestamptz[], \(cases.promisedLimitDays)::int[],
                    \(cases.legalLimitDays)::int[], \(cases.notCounted)::text[], \(cases.dueDate)::text[],
                    \(cases.dueDateProvisional)::bool[], \(cases.bundleId)::text[], \(cases.reason)::text[],
                    \(cases.clerkId)::text[], \(cases.priority)::bool[], \(cases.greenChannel)::text[])
                AS i(case_id, receipt_code, notice_number, item_code, item_version, item_name, kind, lead_department_id, department_ids,
                     applicant_kind, applicant_name, materials, accepted_at, promised_limit_days, legal_limit_days, not_counted, due_date,
                     due_date_provisional, bundle_id, reason, clerk_id, priority, green_channel)),
            new_case AS (
                INSERT INTO \(unescaped: schema).cases
                    (case_id, receipt_code, notice_number, item_code, item_version, item_name, kind, lead_department_id, department_ids,
                     applicant_kind, applicant_name, materials, accepted_at, promised_limit_days, legal_limit_days, not_counted,
                     initial_due_date, due_date, due_date_provisional, state, bundle_id, priority, green_channel)
                SELECT case_id, receipt_code, notice_number, item_code, item_version, item_name, kind, lead_department_id,
                       string_to_array(department_ids, E'\\x1F'), applicant_kind, applicant_name, materials::jsonb, accepted_at,
                       promised_limit_days, legal_limit_days, COALESCE(string_to_array(NULLIF(not_counted, ''), E'\\x1F'), '{}'),
                       due_date::date, due_date::date, due_date_provisional, 'in-progress', NULLIF(bundle_id, ''), priority,
                       NULLIF(green_channel, '')::jsonb
                FROM input
                ON CONFLICT DO NOTHING RETURNING case_id),
            new_tasks AS (
                INSERT INTO \(unescaped: schema).tasks (task_id, case_id, department_id, role, sub_deadline, state)
                SELECT t.id::uuid, t.case_id, t.department, t.role, t.sub::date, 'open'
                FROM unnest(\(tasks.taskId)::text[], \(tasks.caseId)::text[], \(tasks.departmentId)::text[],
                            \(tasks.role)::text[], \(tasks.subDeadline)::text[]) AS t(id, case_id, department, role, sub)
                JOIN new_case c ON c.case_id = t.case_id),
            new_ledger AS (
                INSERT INTO \(unescaped: schema).ledger (case_id, sequence, change, due_date_after, working_days, reason, actor_id, changed_at)
                SELECT i.case_id, 1, 'initial', i.due_date::date, i.promised_limit_days, i.reason, i.clerk_id, i.accepted_at
                FROM input i JOIN new_case c ON c.case_id = i.case_id),
            new_timers AS (
                INSERT INTO \(unescaped: schema).timers (case_id, subject, kind, fire_at)
                SELECT t.case_id, t.subject, t.kind, t.fire_at
                FROM unnest(\(timers.caseId)::text[], \(timers.subject)::text[], \(timers.kind)::text[],
                            \(timers.fireAt)::timestamptz[]) AS t(case_id, subject, kind, fire_at)
                JOIN new_case c ON c.case_id = t.case_id)
            SELECT case_id FROM new_case
            """, logger: logger
        ).decode(String.self).collectAll()
        // Follow-ups in the order the cases came.
        let routed = Set(inserted)
        for item in batch where routed.contains(item.caseId) {
            events.append(contentsOf: assignments.removeValue(forKey: item.caseId) ?? [])
        }
    }

    /// `intake.application.green-channel-granted`: the centre put a case on the green channel after
    /// it was accepted (Art 40); its tasks go first in every queue from now on, and
    /// `coordinator.case.priority-changed` (the approval and each open task with its department)
    /// tells department systems, in the same transaction. A case not routed here (an immediate
    /// item, or not accepted yet: its accepted event will carry the approval), a completed case or
    /// one already on the green channel is left alone and nothing is published.
    func applyGreenChannel(
        _ granted: ApplicationGreenChannelGranted, caseId: String, on connection: PostgresConnection, into events: inout [PendingEvent]
    ) async throws {
        let approval = String(decoding: try EventEnvelope.encoder().encode(granted.approval), as: UTF8.self)
        let updated = try await connection.select(
            """
            UPDATE \(unescaped: schema).cases SET priority = true, green_channel = \(approval)::jsonb
            WHERE case_id = \(caseId) AND NOT priority AND state <> 'completed'
            RETURNING receipt_code, item_code, lead_department_id
            """, logger: logger
        ).decode((String, String, String).self).collectAll()
        logger.info(
            "green channel granted", metadata: [LogKey.caseId: "\(caseId)", "case.prioritised": "\(!updated.isEmpty)",
            "green_channel.reference": "\(granted.approval.reference)"])
        guard let routed = updated.first else { return }
        let openTasks = try await connection.select(
            """
            SELECT task_id::text, department_id, role FROM \(unescaped: schema).tasks
            WHERE case_id = \(caseId) AND state IN ('open', 'opinion-given') ORDER BY role, department_id
            """, logger: logger
        ).decode((String, String, String).self).collectAll().map {
            CasePriorityChanged.OpenTask(taskId: $0.0, departmentId: $0.1, role: try TaskRole(stored: $0.2))
        }
        events.append(
            PendingEvent(
                CasePriorityChanged(
                    receiptCode: routed.0, itemCode: routed.1, leadDepartmentId: routed.2, priority: true, greenChannelApproval: granted.approval,
                    grantedBy: granted.recordedBy, openTasks: openTasks, changedAt: Date()),
                caseId: caseId))
    }

    /// Replaces the case's pending timers by those its current state calls for: none while the clock
    /// is suspended or once the case is completed; the case's warning and overdue timers until it is
    /// completed; each participant task's until it is countersigned. Timers whose alert already fired
    /// are not planned again (each warning and escalation fires once).
    func reschedule(caseId: String, on connection: PostgresConnection) async throws {
        try await connection.run("DELETE FROM \(unescaped: schema).timers WHERE case_id = \(caseId)", logger: logger)
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

/// Column arrays for a multi-row statement built with `unnest`.
/// The cases of a routing batch, column by column (one `unnest` in the routing statement).
private struct CaseColumns {
    var caseId: [String] = []
    var receiptCode: [String] = []
    var noticeNumber: [String] = []
    var itemCode: [String] = []
    var itemVersion: [Int] = []
    var itemName: [String] = []
    var kind: [String] = []
    var leadDepartmentId: [String] = []
    var departmentIds: [String] = []
    var applicantKind: [String] = []
    var applicantName: [String] = []
    var materials: [String] = []
    var acceptedAt: [Date] = []
    var promisedLimitDays: [Int] = []
    var legalLimitDays: [Int] = []
    var notCounted: [String] = []
    var dueDate: [String] = []
    var dueDateProvisional: [Bool] = []
    var bundleId: [String] = []
    var reason: [String] = []
    var clerkId: [String] = []
    var priority: [Bool] = []
    var greenChannel: [String] = []
}

/// Their tasks, column by column.
private struct TaskColumns {
    var taskId: [String] = []
    var caseId: [String] = []
    var departmentId: [String] = []
    var role: [String] = []
    var subDeadline: [String] = []
}

/// Their timers, column by column.
private struct TimerColumns {
    var caseId: [String] = []
    var subject: [String] = []
    var kind: [String] = []
    var fireAt: [Date] = []
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

    /// A participant task's warning and overdue timers, against its sub-deadline, and the second
    /// escalation (`silent`, to the hall centre) when it is still silent some working days later.
    mutating func plan(taskId: String, accepted: LocalDate, subDeadline: LocalDate, clock: CaseClock) {
        add(taskId, accepted: accepted, end: subDeadline, clock: clock)
        subjects.append(taskId)
        kinds.append("silent")
        instants.append(clock.silentInstant(end: subDeadline))
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
        try await connection.run(
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
