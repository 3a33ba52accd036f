import Foundation
import HallCalendar
import HallContracts
import HallKit
import PostgresNIO

extension CoordinatorStore {
    private static let taskColumns = """
        t.task_id::text AS task_id, t.case_id, c.receipt_code, c.item_code, c.item_name, t.department_id, t.role, t.state, t.round,
        t.sub_deadline::text AS sub_deadline, c.due_date::text AS due_date, c.state AS case_state, (c.suspended_since IS NOT NULL) AS suspended,
        c.applicant_name, c.materials::text AS materials, t.claimed_by, t.opinion, t.reasons::text AS reasons, t.supplements::text AS supplements,
        t.officer_id, t.countersigned_by, t.countersign_capacity, c.priority, t.review_conclusions::text AS review_conclusions
        """

    private func taskViews(_ rows: HallRows) async throws -> [TaskView] {
        var views: [TaskView] = []
        let decoder = JSONDecoder()
        for try await row in rows {
            let r = row.makeRandomAccess()
            views.append(
                TaskView(
                    taskId: try r.value("task_id"), caseId: try r.value("case_id"), receiptCode: try r.value("receipt_code"),
                    itemCode: try r.value("item_code"), itemName: try r.value("item_name"), departmentId: try r.value("department_id"),
                    role: try r.value("role"), state: try r.value("state"), round: try r.value("round"), subDeadline: try r.value("sub_deadline"),
                    caseDueDate: try r.value("due_date"), caseState: try r.value("case_state"), clockSuspended: try r.value("suspended"),
                    applicantName: try r.value("applicant_name"),
                    materials: try decoder.decode([ApplicationAccepted.PresentedMaterialRef].self, from: Data(try r.value("materials", as: String.self).utf8)),
                    claimedBy: try r.value("claimed_by"), opinion: try r.value("opinion"),
                    reasons: try decoder.decode([String].self, from: Data(try r.value("reasons", as: String.self).utf8)),
                    supplements: try decoder.decode([SupplementItem].self, from: Data(try r.value("supplements", as: String.self).utf8)),
                    officerId: try r.value("officer_id"), countersignedBy: try r.value("countersigned_by"),
                    countersignCapacity: try r.value("countersign_capacity"), priority: try r.value("priority"),
                    reviewConclusions: try decoder.decode([ReviewConclusion].self, from: Data(try r.value("review_conclusions", as: String.self).utf8))
                        .nilIfEmpty))
        }
        return views
    }

    /// A department's tasks (all departments' for `nil`): green-channel cases first (Art 40), then
    /// the most urgent.
    func tasks(departmentId: String?, state: String?, limit: Int) async throws -> [TaskView] {
        try await client.withConnection { connection in
            let rows = try await connection.run(
                """
                SELECT \(unescaped: Self.taskColumns)
                FROM \(unescaped: schema).tasks t JOIN \(unescaped: schema).cases c ON c.case_id = t.case_id
                WHERE (\(departmentId)::text IS NULL OR t.department_id = \(departmentId)) AND (\(state)::text IS NULL OR t.state = \(state))
                ORDER BY c.priority DESC, t.sub_deadline, t.case_id LIMIT \(limit)
                """, logger: logger)
            return try await taskViews(rows)
        }
    }

    func task(id: String) async throws -> TaskView? {
        guard let uuid = UUID(uuidString: id) else { return nil }
        return try await client.withConnection { connection in
            let rows = try await connection.run(
                """
                SELECT \(unescaped: Self.taskColumns)
                FROM \(unescaped: schema).tasks t JOIN \(unescaped: schema).cases c ON c.case_id = t.case_id WHERE t.task_id = \(uuid)
                """, logger: logger)
            return try await taskViews(rows).first
        }
    }

    func caseView(id: String) async throws -> CaseView? {
        try await client.withConnection { connection in
            try await caseView(id: id, on: connection)
        }
    }

    func caseView(id: String, on connection: PostgresConnection) async throws -> CaseView? {
        let rows = try await connection.run(
            """
            SELECT case_id, receipt_code, notice_number, item_code, item_name, kind, lead_department_id, department_ids, state, accepted_at,
                   initial_due_date::text AS initial_due_date, due_date::text AS due_date, due_date_provisional,
                   (suspended_since IS NOT NULL) AS suspended, suspension_category, awaiting_supplement, suspended_days, extension_days, outcome,
                   decided_at, completed_at, on_time, bundle_id
            FROM \(unescaped: schema).cases WHERE case_id = \(id)
            """, logger: logger)
        var found: CaseView?
        for try await row in rows {
            let r = row.makeRandomAccess()
            found = CaseView(
                caseId: try r.value("case_id"), receiptCode: try r.value("receipt_code"), noticeNumber: try r.value("notice_number"),
                itemCode: try r.value("item_code"), itemName: try r.value("item_name"), kind: try r.value("kind"),
                leadDepartmentId: try r.value("lead_department_id"), departments: try r.value("department_ids"), state: try r.value("state"),
                acceptedAt: try r.value("accepted_at"), initialDueDate: try r.value("initial_due_date"), dueDate: try r.value("due_date"),
                dueDateProvisional: try r.value("due_date_provisional"), clockSuspended: try r.value("suspended"),
                suspensionCategory: try r.value("suspension_category"), awaitingSupplement: try r.value("awaiting_supplement"),
                suspendedWorkingDays: try r.value("suspended_days"), extensionWorkingDays: try r.value("extension_days"),
                outcome: try r.value("outcome"), decidedAt: try r.value("decided_at"), completedAt: try r.value("completed_at"),
                onTime: try r.value("on_time"), bundleId: try r.value("bundle_id"), tasks: [], ledger: [], decisions: [], reviews: [], alerts: [])
        }
        guard var view = found else { return nil }
        view.tasks = try await taskViews(
            try await connection.run(
                """
                SELECT \(unescaped: Self.taskColumns)
                FROM \(unescaped: schema).tasks t JOIN \(unescaped: schema).cases c ON c.case_id = t.case_id
                WHERE t.case_id = \(id) ORDER BY (t.role = 'lead') DESC, t.department_id
                """, logger: logger))
        view.ledger = try await ledger(caseId: id, on: connection)
        for try await row in try await connection.run(
            """
            SELECT department_id, document_kind, decision_number, document_hash, document_text, requested_by, window_id, imprint_id, sealed_at, seal_refusal
            FROM \(unescaped: schema).decisions WHERE case_id = \(id) ORDER BY department_id
            """, logger: logger)
        {
            let r = row.makeRandomAccess()
            view.decisions.append(
                CaseView.DecisionView(
                    departmentId: try r.value("department_id"), documentKind: try r.value("document_kind"), decisionNumber: try r.value("decision_number"),
                    documentHash: try r.value("document_hash"),
                    documentText: try r.value("document_text"), requestedBy: try r.value("requested_by"), windowId: try r.value("window_id"),
                    imprintId: try r.value("imprint_id"), sealedAt: try r.value("sealed_at"), sealRefusal: try r.value("seal_refusal")))
        }
        for try await row in try await connection.run(
            """
            SELECT review_id::text AS review_id, convened_by, assisted_by, meeting_at, place, department_ids, centre_attends, positions::text AS positions,
                   summary
            FROM \(unescaped: schema).reviews WHERE case_id = \(id) ORDER BY meeting_at
            """, logger: logger)
        {
            let r = row.makeRandomAccess()
            let positions = try r.value("positions", as: String?.self).map {
                try JSONDecoder().decode([ReviewMinuted.Position].self, from: Data($0.utf8))
            }
            view.reviews.append(
                CaseView.ReviewView(
                    reviewId: try r.value("review_id"), convenedBy: try r.value("convened_by"), assistedBy: try r.value("assisted_by"),
                    meetingAt: try r.value("meeting_at"),
                    place: try r.value("place"), departmentIds: try r.value("department_ids"), centreAttends: try r.value("centre_attends"),
                    positions: positions, summary: try r.value("summary")))
        }
        view.alerts = try await alerts(caseId: id, on: connection)
        return view
    }

    private func ledger(caseId: String, on connection: PostgresConnection) async throws -> [LedgerEntryView] {
        var entries: [LedgerEntryView] = []
        for try await row in try await connection.run(
            """
            SELECT sequence, change, category, due_date_before::text AS before, due_date_after::text AS after, working_days, reason, reference,
                   approved_by, department_id, actor_id, changed_at
            FROM \(unescaped: schema).ledger WHERE case_id = \(caseId) ORDER BY sequence
            """, logger: logger)
        {
            let r = row.makeRandomAccess()
            entries.append(
                LedgerEntryView(
                    sequence: try r.value("sequence"), change: try r.value("change"), category: try r.value("category"),
                    dueDateBefore: try r.value("before"), dueDateAfter: try r.value("after"), workingDays: try r.value("working_days"),
                    reason: try r.value("reason"), reference: try r.value("reference"), approvedBy: try r.value("approved_by"),
                    departmentId: try r.value("department_id"), actorId: try r.value("actor_id"), changedAt: try r.value("changed_at")))
        }
        return entries
    }

    /// Alerts of one case (`caseId`), of one department (`departmentId`: as the late one, or as
    /// the lead it was escalated to), or all (neither), latest first.
    private func alerts(caseId: String? = nil, departmentId: String? = nil, on connection: PostgresConnection) async throws -> [AlertView] {
        let rows = try await connection.run(
            """
            SELECT case_id, subject, kind, department_id, escalated_to, due_date::text, scheduled_for, fired_at
            FROM \(unescaped: schema).alerts
            WHERE (\(caseId)::text IS NULL OR case_id = \(caseId))
              AND (\(departmentId)::text IS NULL OR department_id = \(departmentId)
                   OR (escalated_to = 'lead-department'
                       AND case_id IN (SELECT case_id FROM \(unescaped: schema).cases WHERE lead_department_id = \(departmentId))))
            ORDER BY fired_at DESC LIMIT 500
            """, logger: logger)
        return try await alertViews(rows)
    }

    /// Alert rows (`case_id, subject, kind, department_id, escalated_to, due_date::text, scheduled_for, fired_at`) as views.
    private func alertViews(_ rows: HallRows) async throws -> [AlertView] {
        var views: [AlertView] = []
        for try await (caseId, subject, kind, department, escalatedTo, due, scheduled, fired) in rows.decode(
            (String, String, String, String, String?, String, Date, Date).self)
        {
            views.append(
                AlertView(
                    caseId: caseId, subject: subject, kind: kind, departmentId: department, escalatedTo: escalatedTo, dueDate: due,
                    scheduledFor: scheduled, firedAt: fired))
        }
        return views
    }

    /// Every department's open work (one department's for `departmentId`): the tasks not yet
    /// countersigned, with the alerts standing on them; departments of the directory with nothing
    /// open are listed too.
    func overview(departmentId: String?, today: LocalDate) async throws -> CentreOverview {
        try await client.withConnection { connection in
            let rows = try await connection.run(
                """
                SELECT \(unescaped: Self.taskColumns)
                FROM \(unescaped: schema).tasks t JOIN \(unescaped: schema).cases c ON c.case_id = t.case_id
                WHERE t.state IN ('open', 'opinion-given') AND (\(departmentId)::text IS NULL OR t.department_id = \(departmentId))
                ORDER BY t.sub_deadline, t.task_id LIMIT 20000
                """, logger: logger)
            let tasks = try await taskViews(rows)
            let alertRows = try await connection.run(
                """
                SELECT a.case_id, a.subject, a.kind, a.department_id, a.escalated_to, a.due_date::text, a.scheduled_for, a.fired_at
                FROM \(unescaped: schema).alerts a JOIN \(unescaped: schema).tasks t ON a.subject = t.task_id::text
                WHERE t.state IN ('open', 'opinion-given') AND (\(departmentId)::text IS NULL OR t.department_id = \(departmentId))
                """, logger: logger)
            let alerts = try await alertViews(alertRows)
            let departments = try await connection.run(
                "SELECT department_id FROM \(unescaped: schema).departments WHERE active AND NOT centre AND (\(departmentId)::text IS NULL OR department_id = \(departmentId))",
                logger: logger
            ).decode(String.self).collectAll()
            return CentreOverview(tasks: tasks, alerts: alerts, departments: departments + (departmentId.map { [$0] } ?? []), today: today)
        }
    }

    /// Warnings and escalations concerning a department (as the late one, or as the lead it was escalated to); all for `nil`.
    func alerts(departmentId: String?) async throws -> [AlertView] {
        try await client.withConnection { connection in try await alerts(departmentId: departmentId, on: connection) }
    }

    /// Refused commands of a department (all for `nil`), latest first.
    func rejections(departmentId: String?) async throws -> [RejectionView] {
        try await client.withConnection { connection in
            let rows = try await connection.run(
                """
                SELECT command_id, command_type, department_id, task_id, case_id, reason, detail, rejected_at FROM \(unescaped: schema).rejections
                WHERE \(departmentId)::text IS NULL OR department_id = \(departmentId) ORDER BY rejection_id DESC LIMIT 500
                """, logger: logger)
            var views: [RejectionView] = []
            for try await (command, type, department, task, caseId, reason, detail, at) in rows.decode(
                (String, String, String, String?, String?, String, String, Date).self)
            {
                views.append(
                    RejectionView(
                        commandId: command, commandType: type, departmentId: department, taskId: task, caseId: caseId, reason: reason, detail: detail,
                        rejectedAt: at))
            }
            return views
        }
    }

    /// The applicant's view, found by receipt code and acceptance notice number together.
    func publicCase(receiptCode: String, noticeNumber: String) async throws -> PublicCaseView? {
        try await client.withConnection { connection in
            let ids = try await connection.select(
                """
                SELECT case_id FROM \(unescaped: schema).cases WHERE receipt_code = \(receiptCode) AND notice_number = \(noticeNumber)
                """, logger: logger
            ).decode(String.self).collectAll()
            guard let id = ids.first, let view = try await caseView(id: id, on: connection) else { return nil }
            return publicView(view)
        }
    }

    private func publicView(_ view: CaseView) -> PublicCaseView {
        // The hall's public words, the same as intake's tracking.
        let status: String =
            switch view.state {
            case "completed": "completed"
            case "decided": "decided"
            default: view.awaitingSupplement ? "awaiting-supplement" : view.clockSuspended ? "suspended" : "accepted"
            }
        return PublicCaseView(
            receiptCode: view.receiptCode, itemName: view.itemName, status: status, dueDate: view.dueDate, dueDateProvisional: view.dueDateProvisional,
            clockSuspended: view.clockSuspended, awaitingSupplement: view.awaitingSupplement,
            supplements: view.awaitingSupplement ? view.tasks.filter { $0.opinion == TaskOpinion.needsSupplement.rawValue }.flatMap(\.supplements) : [],
            outcome: view.state == "completed" ? view.outcome : nil, completedAt: view.completedAt, onTime: view.onTime,
            departments: view.tasks.map { task in
                PublicCaseView.DepartmentStatus(
                    departmentId: task.departmentId,
                    status: task.state == "countersigned"
                        ? (task.opinion == TaskOpinion.needsSupplement.rawValue ? "awaiting-supplement" : "opinion-given") : "in-progress")
            },
            dueDateHistory: view.ledger.map {
                PublicCaseView.Change(
                    change: $0.change, dueDateBefore: $0.dueDateBefore, dueDateAfter: $0.dueDateAfter, workingDays: $0.workingDays, reason: $0.reason,
                    category: $0.category, changedAt: $0.changedAt)
            },
            bundleId: view.bundleId)
    }

    /// A bundle's one status, shown to whoever holds the receipt code and notice number of one of its cases.
    func publicBundle(bundleId: String, receiptCode: String, noticeNumber: String) async throws -> PublicBundleView? {
        try await client.withConnection { connection in
            let owner = try await connection.select(
                """
                SELECT b.size, b.completed_at FROM \(unescaped: schema).bundles b JOIN \(unescaped: schema).cases c ON c.bundle_id = b.bundle_id
                WHERE b.bundle_id = \(bundleId) AND c.receipt_code = \(receiptCode) AND c.notice_number = \(noticeNumber)
                """, logger: logger
            ).decode((Int, Date?).self).collectAll()
            guard let bundle = owner.first else { return nil }
            let ids = try await connection.select(
                "SELECT case_id FROM \(unescaped: schema).cases WHERE bundle_id = \(bundleId) ORDER BY receipt_code", logger: logger
            ).decode(String.self).collectAll()
            var cases: [PublicCaseView] = []
            for id in ids {
                if let view = try await caseView(id: id, on: connection) { cases.append(publicView(view)) }
            }
            let status =
                bundle.1 != nil
                ? "completed" : cases.count < bundle.0 ? "accepted" : cases.allSatisfy({ ["decided", "completed"].contains($0.status) })
                    ? "decided" : cases.contains(where: \.awaitingSupplement) ? "awaiting-supplement" : "accepted"
            return PublicBundleView(bundleId: bundleId, status: status, size: bundle.0, completedAt: bundle.1, cases: cases)
        }
    }
}

extension Array {
    /// Nil for an empty array (a view leaves the member out), the array otherwise.
    var nilIfEmpty: [Element]? { isEmpty ? nil : self }
}
