import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// The appraisal service's consumer (group `hall.appraisal`) on `hall.intake.events`,
/// `hall.coordinator.events` and `hall.complaints.events`: the directory and the catalogue's items,
/// and the facts the figures are counted from (``AppraisalMigrations``).
///
/// Everything is applied through the inbox (a redelivered event changes nothing); events the
/// service does not route are ignored. Each fact is written so that the order of delivery does not
/// matter: a replay of every topic into a fresh schema gives the same figures.
enum AppraisalConsumer {
    static func definition(calendar: WorkingCalendar) -> ConsumerDefinition {
        var router = EventRouter()
        DirectoryProjection.register(on: &router)
        router.on(CatalogueItemPublished.self) { event, _, context in
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).items AS i (item_code, version, name, lead_department_id)
                VALUES (\(event.itemCode), \(event.version), \(event.name), \(event.leadDepartmentId))
                ON CONFLICT (item_code) DO UPDATE SET version = excluded.version, name = excluded.name, lead_department_id = excluded.lead_department_id
                WHERE i.version < excluded.version
                """, logger: context.logger)
        }
        router.on(ApplicationAccepted.self) { event, envelope, context in
            try await desk(
                .init(outcome: "accepted", receiptCode: event.receiptCode, itemCode: event.itemCode, departmentId: event.leadDepartmentId,
                      staffId: event.clerkId, windowId: event.windowId, at: event.acceptedAt), envelope, context)
            guard let caseId = envelope.caseId?.lowercased() else { return }
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).case_facts AS c
                    (case_id, receipt_code, item_code, department_id, staff_id, window_id, accepted_at, applicant_check, channel, due_date)
                VALUES (\(caseId), \(event.receiptCode), \(event.itemCode), \(event.leadDepartmentId), \(event.clerkId), \(event.windowId), \(event.acceptedAt),
                        \(event.applicantCheck), \(event.channel.rawValue), \(event.dueDate.description)::date)
                ON CONFLICT (case_id) DO UPDATE SET staff_id = excluded.staff_id, window_id = excluded.window_id, applicant_check = excluded.applicant_check,
                    channel = excluded.channel, due_date = excluded.due_date
                """, logger: context.logger)
        }
        router.on(ApplicationRefused.self) { event, envelope, context in
            try await desk(
                .init(outcome: "refused", receiptCode: event.receiptCode, itemCode: event.itemCode, departmentId: nil, staffId: event.clerkId,
                      windowId: event.windowId, at: event.refusedAt), envelope, context)
        }
        router.on(ApplicationCorrectionNotified.self) { event, envelope, context in
            try await desk(
                .init(outcome: "correction-notified", receiptCode: event.receiptCode, itemCode: event.itemCode, departmentId: nil,
                      staffId: event.clerkId, windowId: nil, at: event.notifiedAt), envelope, context)
        }
        router.on(CaseCompleted.self) { event, envelope, context in
            try await completed(
                .init(receiptCode: event.receiptCode, itemCode: event.itemCode, departmentId: event.leadDepartmentId, outcome: event.outcome,
                      acceptedAt: event.acceptedAt, completedAt: event.completedAt, onTime: event.onTime, suspended: event.suspendedWorkingDays),
                envelope, context, calendar)
        }
        router.on(ApplicationCompleted.self) { event, envelope, context in
            try await completed(
                .init(receiptCode: event.receiptCode, itemCode: event.itemCode, departmentId: event.leadDepartmentId, outcome: event.outcome,
                      acceptedAt: event.acceptedAt, completedAt: event.completedAt, onTime: event.onTime, suspended: 0),
                envelope, context, calendar)
        }
        router.on(ClockChanged.self) { event, envelope, context in
            guard let caseId = envelope.caseId?.lowercased() else { return }
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).clock_changes (case_id, sequence, due_date_after)
                VALUES (\(caseId), \(event.sequence), \(event.dueDateAfter.description)::date) ON CONFLICT DO NOTHING
                """, logger: context.logger)
        }
        router.on(TaskAssigned.self) { event, envelope, context in
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).task_assignments (event_id, task_id, department_id, assigned_at)
                VALUES (\(envelope.id), \(event.taskId), \(event.departmentId), \(envelope.occurredAt)) ON CONFLICT DO NOTHING
                """, logger: context.logger)
        }
        router.on(TaskOpinionRecorded.self) { event, envelope, context in
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).task_opinions (event_id, task_id, department_id, recorded_at)
                VALUES (\(envelope.id), \(event.taskId), \(event.departmentId), \(event.recordedAt)) ON CONFLICT DO NOTHING
                """, logger: context.logger)
        }
        router.on(ComplaintFiled.self) { event, _, context in
            guard let receipt = event.receiptCode else { return }
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).complaint_links (complaint_id, receipt_code, category, status, updated_at)
                VALUES (\(event.complaintId), \(receipt), \(event.category.rawValue), 'filed', \(event.filedAt)) ON CONFLICT DO NOTHING
                """, logger: context.logger)
        }
        router.on(ComplaintProgressed.self) { event, _, context in
            try await followUp(event, context)
            guard event.step == .conclude, let finding = event.finding else { return }
            // The conclusion in force is the latest (a review's replaces the first), whatever the order of delivery.
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).complaint_facts AS f (complaint_id, target_kind, target_id, finding, concluded_at, day, category)
                VALUES (\(event.complaintId), \(event.targetKind.rawValue), \(event.targetId), \(finding.rawValue), \(event.at),
                        \(LocalDate.inHall(event.at).description)::date, \(event.category.rawValue))
                ON CONFLICT (complaint_id) DO UPDATE SET finding = excluded.finding, concluded_at = excluded.concluded_at, day = excluded.day
                WHERE f.concluded_at < excluded.concluded_at
                """, logger: context.logger)
        }
        router.on(SanctionDecided.self) { event, _, context in
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).sanction_facts (sanction_id, kind, subject_kind, subject_id, department_id, day)
                VALUES (\(event.sanctionId), \(event.kind.rawValue), \(event.subjectKind.rawValue), \(event.subjectId), \(event.departmentId),
                        \(LocalDate.inHall(event.decidedAt).description)::date)
                ON CONFLICT (sanction_id) DO NOTHING
                """, logger: context.logger)
        }
        return ConsumerDefinition(
            groupId: ServiceName.appraisal.defaultConsumerGroup, topics: [.intakeEvents, .coordinatorEvents, .complaintsEvents], handler: router)
    }

    /// A case completed: routed by the coordinator (`coordinator.case.completed`) or an immediate
    /// item decided at the window (`intake.application.completed`).
    struct Completion {
        var receiptCode: String
        var itemCode: String
        var departmentId: String
        var outcome: CaseOutcome
        var acceptedAt: Date
        var completedAt: Date
        var onTime: Bool
        var suspended: Int
    }

    /// Records a completion on the case's facts, whether or not its acceptance has arrived.
    static func completed(_ fact: Completion, _ envelope: EventEnvelope, _ context: HandlerContext, _ calendar: WorkingCalendar) async throws {
        guard let caseId = envelope.caseId?.lowercased() else {
            throw HallError.invalid("caseId", "a completed case's event names its case")
        }
        let days = HandlingTime.workingDays(acceptedAt: fact.acceptedAt, completedAt: fact.completedAt, suspended: fact.suspended, calendar: calendar)
        try await context.connection.run(
            """
            INSERT INTO \(unescaped: context.schema).case_facts AS c
                (case_id, receipt_code, item_code, department_id, accepted_at, completed_at, completed_day, outcome, on_time, handling_days)
            VALUES (\(caseId), \(fact.receiptCode), \(fact.itemCode), \(fact.departmentId), \(fact.acceptedAt), \(fact.completedAt),
                    \(LocalDate.inHall(fact.completedAt).description)::date, \(fact.outcome.rawValue), \(fact.onTime), \(days))
            ON CONFLICT (case_id) DO UPDATE SET completed_at = excluded.completed_at, completed_day = excluded.completed_day,
                outcome = excluded.outcome, on_time = excluded.on_time, handling_days = excluded.handling_days
            """, logger: context.logger)
    }

    /// A complaint about a rated case and its rectification are one follow-up: the complaint's
    /// standing is kept, and its reply closes the rectification open at the time.
    static func followUp(_ event: ComplaintProgressed, _ context: HandlerContext) async throws {
        let linked = try await context.connection.select(
            """
            UPDATE \(unescaped: context.schema).complaint_links SET status = \(event.status.rawValue), finding = COALESCE(\(event.finding?.rawValue), finding),
                updated_at = \(event.at)
            WHERE complaint_id = \(event.complaintId) AND updated_at <= \(event.at)
            RETURNING receipt_code
            """, logger: context.logger
        ).decode(String.self).collectAll()
        guard let receipt = linked.first, event.status == .replied || event.status == .closed else { return }
        let closed = try await context.connection.select(
            """
            UPDATE \(unescaped: context.schema).rectifications SET step = 'closed-by-complaint', due_step = NULL, due_date = NULL, overdue = false,
                done_at = \(event.at), done_day = \(LocalDate.inHall(event.at).description)::date
            WHERE receipt_code = \(receipt) AND done_at IS NULL AND opened_at <= \(event.at)
            RETURNING rectification_id, rating_id, department_id
            """, logger: context.logger
        ).decode((UUID, UUID, String).self).collectAll()
        for (rectification, rating, department) in closed {
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).rectification_steps (rectification_id, step, actor_id, note, at)
                VALUES (\(rectification), 'closed-by-complaint', \(event.actorId), \("complaint \(event.complaintId.uuidString.lowercased()) \(event.status.rawValue)"), \(event.at))
                """, logger: context.logger)
            try await context.connection.run(
                "DELETE FROM \(unescaped: context.schema).rectification_timers WHERE rectification_id = \(rectification)", logger: context.logger)
            try await context.emit(
                RectificationProgressed(
                    rectificationId: rectification, ratingId: rating, receiptCode: receipt, step: .closedByComplaint, departmentId: department, dueDate: nil,
                    actorId: event.actorId, at: event.at),
                to: .appraisalEvents, caseId: nil, key: rectification.uuidString.lowercased())
        }
    }

    /// An application answered at the window.
    struct DeskOutcome {
        var outcome: String
        var receiptCode: String
        var itemCode: String
        var departmentId: String?
        var staffId: String
        var windowId: String?
        var at: Date
    }

    /// Records an answer at the window once (the event's id is the key).
    static func desk(_ fact: DeskOutcome, _ envelope: EventEnvelope, _ context: HandlerContext) async throws {
        try await context.connection.run(
            """
            INSERT INTO \(unescaped: context.schema).desk_outcomes (event_id, outcome, receipt_code, item_code, department_id, staff_id, window_id, day)
            VALUES (\(envelope.id), \(fact.outcome), \(fact.receiptCode), \(fact.itemCode), \(fact.departmentId), \(fact.staffId), \(fact.windowId),
                    \(LocalDate.inHall(fact.at).description)::date)
            ON CONFLICT (event_id) DO NOTHING
            """, logger: context.logger)
    }
}
