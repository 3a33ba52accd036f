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
        // Every fact below is written so that the order of delivery does not matter.
        router.commutes = true
        DirectoryProjection.register(on: &router)
        router.on(CatalogueItemPublished.self) { event, _, context in
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).items AS i (item_code, version, name, lead_department_id, withdrawn_from)
                VALUES (\(event.itemCode), \(event.version), \(event.name), \(event.leadDepartmentId),
                        \(event.withdrawn == true ? event.effectiveFrom.description : nil)::date)
                ON CONFLICT (item_code) DO UPDATE SET version = excluded.version, name = excluded.name, lead_department_id = excluded.lead_department_id,
                    withdrawn_from = excluded.withdrawn_from
                WHERE i.version < excluded.version
                """, logger: context.logger)
        }
        // The events of a busy day come in runs of one type: each run is written with one statement per table.
        router.onBatch(ApplicationAccepted.self) { batch, context in
            try await desk(
                batch.map {
                    .init(id: $0.1.id, outcome: "accepted", receiptCode: $0.0.receiptCode, itemCode: $0.0.itemCode, departmentId: $0.0.leadDepartmentId,
                          staffId: $0.0.clerkId, windowId: $0.0.windowId, at: $0.0.acceptedAt)
                }, context)
            try await accepted(batch, context)
        }
        router.onBatch(ApplicationRefused.self) { batch, context in
            try await desk(
                batch.map {
                    .init(id: $0.1.id, outcome: "refused", receiptCode: $0.0.receiptCode, itemCode: $0.0.itemCode, departmentId: nil, staffId: $0.0.clerkId,
                          windowId: $0.0.windowId, at: $0.0.refusedAt)
                }, context)
        }
        router.onBatch(ApplicationCorrectionNotified.self) { batch, context in
            try await desk(
                batch.map {
                    .init(id: $0.1.id, outcome: "correction-notified", receiptCode: $0.0.receiptCode, itemCode: $0.0.itemCode, departmentId: nil,
                          staffId: $0.0.clerkId, windowId: nil, at: $0.0.notifiedAt)
                }, context)
        }
        router.onBatch(CaseCompleted.self) { batch, context in
            try await completed(
                try batch.map { event, envelope in
                    .init(caseId: try caseId(of: envelope), receiptCode: event.receiptCode, itemCode: event.itemCode, departmentId: event.leadDepartmentId,
                          outcome: event.outcome, acceptedAt: event.acceptedAt, completedAt: event.completedAt, onTime: event.onTime,
                          suspended: event.suspendedWorkingDays)
                }, context, calendar)
        }
        router.onBatch(ApplicationCompleted.self) { batch, context in
            try await completed(
                try batch.map { event, envelope in
                    .init(caseId: try caseId(of: envelope), receiptCode: event.receiptCode, itemCode: event.itemCode, departmentId: event.leadDepartmentId,
                          outcome: event.outcome, acceptedAt: event.acceptedAt, completedAt: event.completedAt, onTime: event.onTime, suspended: 0)
                }, context, calendar)
        }
        router.on(ClockChanged.self) { event, envelope, context in
            guard let caseId = envelope.caseId?.lowercased() else { return }
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).clock_changes (case_id, sequence, due_date_after)
                VALUES (\(caseId), \(event.sequence), \(event.dueDateAfter.description)::date) ON CONFLICT DO NOTHING
                """, logger: context.logger)
        }
        router.onBatch(TaskAssigned.self) { batch, context in
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).task_assignments (event_id, task_id, department_id, assigned_at)
                SELECT * FROM unnest(\(batch.map(\.1.id))::uuid[], \(batch.map(\.0.taskId))::text[], \(batch.map(\.0.departmentId))::text[],
                                     \(batch.map(\.1.occurredAt))::timestamptz[])
                ON CONFLICT DO NOTHING
                """, logger: context.logger)
        }
        router.onBatch(TaskOpinionRecorded.self) { batch, context in
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.schema).task_opinions (event_id, task_id, department_id, recorded_at)
                SELECT * FROM unnest(\(batch.map(\.1.id))::uuid[], \(batch.map(\.0.taskId))::text[], \(batch.map(\.0.departmentId))::text[],
                                     \(batch.map(\.0.recordedAt))::timestamptz[])
                ON CONFLICT DO NOTHING
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
        var caseId: String
        var receiptCode: String
        var itemCode: String
        var departmentId: String
        var outcome: CaseOutcome
        var acceptedAt: Date
        var completedAt: Date
        var onTime: Bool
        var suspended: Int
    }

    /// The case a completion is about, from its envelope.
    static func caseId(of envelope: EventEnvelope) throws -> String {
        guard let caseId = envelope.caseId?.lowercased() else {
            throw HallError.invalid("caseId", "a completed case's event names its case", words: "办结事件须注明所属办件")
        }
        return caseId
    }

    /// The last of each case's facts in a run, as applying them one by one would leave it.
    static func lastPerCase<Fact>(_ facts: [Fact], _ caseId: (Fact) -> String) -> [Fact] {
        var seen = Set<String>()
        return facts.reversed().filter { seen.insert(caseId($0)).inserted }.reversed()
    }

    /// Records completions on the cases' facts, whether or not their acceptances have arrived.
    static func completed(_ facts: [Completion], _ context: HandlerContext, _ calendar: WorkingCalendar) async throws {
        let facts = lastPerCase(facts, \.caseId)
        let days = facts.map { HandlingTime.workingDays(acceptedAt: $0.acceptedAt, completedAt: $0.completedAt, suspended: $0.suspended, calendar: calendar) }
        try await context.connection.run(
            """
            INSERT INTO \(unescaped: context.schema).case_facts AS c
                (case_id, receipt_code, item_code, department_id, accepted_at, completed_at, completed_day, outcome, on_time, handling_days)
            SELECT t.case_id, t.receipt_code, t.item_code, t.department_id, t.accepted_at, t.completed_at, t.completed_day::date, t.outcome, t.on_time, t.days
            FROM unnest(\(facts.map(\.caseId))::text[], \(facts.map(\.receiptCode))::text[], \(facts.map(\.itemCode))::text[],
                        \(facts.map(\.departmentId))::text[], \(facts.map(\.acceptedAt))::timestamptz[], \(facts.map(\.completedAt))::timestamptz[],
                        \(facts.map { LocalDate.inHall($0.completedAt).description })::text[], \(facts.map(\.outcome.rawValue))::text[],
                        \(facts.map(\.onTime))::bool[], \(days)::int[])
                AS t(case_id, receipt_code, item_code, department_id, accepted_at, completed_at, completed_day, outcome, on_time, days)
            ON CONFLICT (case_id) DO UPDATE SET completed_at = excluded.completed_at, completed_day = excluded.completed_day,
                outcome = excluded.outcome, on_time = excluded.on_time, handling_days = excluded.handling_days
            """, logger: context.logger)
    }

    /// Records accepted cases: who accepted them, their channel, due date and bundle, whether or not their completions have arrived.
    static func accepted(_ batch: [(ApplicationAccepted, EventEnvelope)], _ context: HandlerContext) async throws {
        let cases = lastPerCase(batch.compactMap { event, envelope in envelope.caseId.map { (event, $0.lowercased()) } }, \.1)
        guard !cases.isEmpty else { return }
        let events = cases.map(\.0)
        try await context.connection.run(
            """
            INSERT INTO \(unescaped: context.schema).case_facts AS c
                (case_id, receipt_code, item_code, department_id, staff_id, window_id, accepted_at, applicant_check, channel, due_date, bundle_id, bundle_size)
            SELECT t.case_id, t.receipt_code, t.item_code, t.department_id, t.staff_id, NULLIF(t.window_id, ''), t.accepted_at, NULLIF(t.applicant_check, ''),
                   t.channel, t.due_date::date, NULLIF(t.bundle_id, ''), NULLIF(t.bundle_size, 0)
            FROM unnest(\(cases.map(\.1))::text[], \(events.map(\.receiptCode))::text[], \(events.map(\.itemCode))::text[],
                        \(events.map(\.leadDepartmentId))::text[], \(events.map(\.clerkId))::text[], \(events.map { $0.windowId ?? "" })::text[],
                        \(events.map(\.acceptedAt))::timestamptz[], \(events.map { $0.applicantCheck ?? "" })::text[], \(events.map(\.channel.rawValue))::text[],
                        \(events.map(\.dueDate.description))::text[], \(events.map { $0.bundleId ?? "" })::text[], \(events.map { $0.bundleSize ?? 0 })::int[])
                AS t(case_id, receipt_code, item_code, department_id, staff_id, window_id, accepted_at, applicant_check, channel, due_date, bundle_id, bundle_size)
            ON CONFLICT (case_id) DO UPDATE SET staff_id = excluded.staff_id, window_id = excluded.window_id, applicant_check = excluded.applicant_check,
                channel = excluded.channel, due_date = excluded.due_date, bundle_id = excluded.bundle_id, bundle_size = excluded.bundle_size
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
        /// The event's id: the fact's key.
        var id: UUID
        var outcome: String
        var receiptCode: String
        var itemCode: String
        var departmentId: String?
        var staffId: String
        var windowId: String?
        var at: Date
    }

    /// Records answers at the window, each once (the event's id is the key).
    static func desk(_ facts: [DeskOutcome], _ context: HandlerContext) async throws {
        try await context.connection.run(
            """
            INSERT INTO \(unescaped: context.schema).desk_outcomes (event_id, outcome, receipt_code, item_code, department_id, staff_id, window_id, day)
            SELECT t.event_id, t.outcome, t.receipt_code, t.item_code, NULLIF(t.department_id, ''), t.staff_id, NULLIF(t.window_id, ''), t.day::date
            FROM unnest(\(facts.map(\.id))::uuid[], \(facts.map(\.outcome))::text[], \(facts.map(\.receiptCode))::text[], \(facts.map(\.itemCode))::text[],
                        \(facts.map { $0.departmentId ?? "" })::text[], \(facts.map(\.staffId))::text[], \(facts.map { $0.windowId ?? "" })::text[],
                        \(facts.map { LocalDate.inHall($0.at).description })::text[])
                AS t(event_id, outcome, receipt_code, item_code, department_id, staff_id, window_id, day)
            ON CONFLICT (event_id) DO NOTHING
            """, logger: context.logger)
    }
}
