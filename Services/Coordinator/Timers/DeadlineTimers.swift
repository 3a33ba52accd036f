import Foundation
import HallContracts
import HallKit
import Logging
import PostgresNIO

extension CoordinatorStore {
    /// Fires up to `limit` timers that are due by the database's clock, in one transaction: each
    /// timer row is deleted (`FOR UPDATE SKIP LOCKED`, so instances never fire the same one), its
    /// alert recorded once (`ON CONFLICT DO NOTHING`) and its event appended to the outbox.
    /// A timer is never fired before its instant, and a fired one is gone: exactly once.
    ///
    /// - Returns: how many timers fired.
    func fireDueTimers(limit: Int = 2_000) async throws -> Int {
        try await command { connection, events in
            let rows = try await connection.run(
                """
                WITH due AS (
                    SELECT timer_id FROM \(unescaped: schema).timers WHERE fire_at <= now()
                    ORDER BY fire_at LIMIT \(limit) FOR UPDATE SKIP LOCKED),
                fired AS (
                    DELETE FROM \(unescaped: schema).timers t USING due WHERE t.timer_id = due.timer_id
                    RETURNING t.case_id, t.subject, t.kind, t.fire_at),
                described AS (
                    SELECT f.case_id, f.subject, f.kind, f.fire_at, c.receipt_code, c.lead_department_id,
                           COALESCE(k.department_id, c.lead_department_id) AS department_id,
                           COALESCE(k.sub_deadline, c.due_date)::text AS due_date
                    FROM fired f JOIN \(unescaped: schema).cases c ON c.case_id = f.case_id
                    LEFT JOIN \(unescaped: schema).tasks k ON k.task_id = (CASE WHEN f.subject = 'case' THEN NULL ELSE f.subject::uuid END)),
                alerted AS (
                    INSERT INTO \(unescaped: schema).alerts (case_id, subject, kind, department_id, escalated_to, due_date, scheduled_for, fired_at)
                    SELECT case_id, subject, kind, department_id,
                           CASE WHEN kind = 'overdue' THEN (CASE WHEN subject = 'case' THEN 'centre' ELSE 'lead-department' END)
                                WHEN kind = 'silent' THEN 'centre' END,
                           due_date::date, fire_at, now()
                    FROM described
                    ON CONFLICT DO NOTHING
                    RETURNING case_id, subject, kind)
                SELECT d.case_id, d.subject, d.kind, d.receipt_code, d.lead_department_id, d.department_id, d.due_date
                FROM described d JOIN alerted a USING (case_id, subject, kind)
                """, logger: logger)
            let at = now()
            var count = 0
            for try await (caseId, subject, kind, receipt, lead, department, due) in rows.decode((String, String, String, String, String, String, String).self) {
                let due = try HallDate(stored: due)
                count += 1
                let taskId = subject == "case" ? nil : subject
                if kind == "warning" {
                    events.append(
                        PendingEvent(
                            DeadlineWarningRaised(
                                receiptCode: receipt, scope: taskId == nil ? .case : .task, taskId: taskId, departmentId: department, dueDate: due,
                                sharePercent: clock.sharePercent, raisedAt: at),
                            caseId: caseId))
                } else {
                    // A case goes to the centre when overdue; a participant's task to the lead
                    // department, and to the centre if it then stays silent (`silent`).
                    let escalatedTo: EscalationTarget = taskId == nil || kind == "silent" ? .centre : .leadDepartment
                    events.append(
                        PendingEvent(
                            DeadlineEscalated(
                                receiptCode: receipt, scope: taskId == nil ? .case : .task, taskId: taskId, departmentId: department,
                                escalatedTo: escalatedTo, leadDepartmentId: lead, dueDate: due, escalatedAt: at),
                            caseId: caseId))
                }
            }
            return count
        }
    }
}
