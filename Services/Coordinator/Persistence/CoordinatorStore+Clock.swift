import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import PostgresNIO

/// A case as the clock and the decision need it.
struct CaseState: Sendable {
    var caseId: String
    var receiptCode: String
    var noticeNumber: String
    var itemCode: String
    var itemVersion: Int
    var itemName: String
    var applicantName: String
    var leadDepartmentId: String
    var departmentIds: [String]
    var notCounted: [String]
    var acceptedAt: Date
    var dueDate: LocalDate
    var state: String
    var suspendedSince: Date?
    var suspensionCategory: String?
    var awaitingSupplement: Bool
    var suspendedDays: Int
    var extensionDays: Int
    var ledgerSequence: Int
    var outcome: CaseOutcome?
    var bundleId: String?

    var summary: CaseSummary {
        CaseSummary(
            caseId: caseId, receiptCode: receiptCode, noticeNumber: noticeNumber, itemCode: itemCode, itemVersion: itemVersion, itemName: itemName,
            applicantName: applicantName, leadDepartmentId: leadDepartmentId)
    }
}

extension CoordinatorStore {
    /// Reads a case; `lock` takes its row lock for the rest of the transaction.
    func caseState(_ caseId: String, on connection: PostgresConnection, lock: Bool = false) async throws -> CaseState {
        let rows = try await connection.run(
            """
            SELECT \(unescaped: Self.caseStateColumns)
            FROM \(unescaped: schema).cases WHERE case_id = \(caseId) \(unescaped: lock ? "FOR NO KEY UPDATE" : "")
            """, logger: logger)
        for try await row in rows { return try Self.caseState(row) }
        throw CommandRefusal(.unknownTask, "no case \(caseId)", field: "caseId", words: "没有办件 \(caseId)")
    }

    /// The case with the number of its tasks still without a countersigned opinion other than a
    /// request for supplements, read together.
    func caseStateAndPending(_ caseId: String, on connection: PostgresConnection) async throws -> (state: CaseState, pending: Int64) {
        let rows = try await connection.run(
            """
            SELECT \(unescaped: Self.caseStateColumns),
                (SELECT count(*) FILTER (WHERE t.state <> 'countersigned' OR t.opinion = 'needs-supplement')
                 FROM \(unescaped: schema).tasks t WHERE t.case_id = c.case_id) AS pending
            FROM \(unescaped: schema).cases c WHERE c.case_id = \(caseId)
            """, logger: logger)
        for try await row in rows { return (try Self.caseState(row), try row.makeRandomAccess().value("pending")) }
        throw CommandRefusal(.unknownTask, "no case \(caseId)", field: "caseId", words: "没有办件 \(caseId)")
    }

    /// The cases of `caseIds` that exist, by id; `lock` takes their row locks (in the order of
    /// their ids, as every batch does) for the rest of the transaction.
    func caseStates(_ caseIds: [String], on connection: PostgresConnection, lock: Bool = false) async throws -> [String: CaseState] {
        let rows = try await connection.run(
            """
            SELECT \(unescaped: Self.caseStateColumns)
            FROM \(unescaped: schema).cases WHERE case_id = ANY(\(caseIds)::text[]) ORDER BY case_id \(unescaped: lock ? "FOR NO KEY UPDATE" : "")
            """, logger: logger)
        var states: [String: CaseState] = [:]
        for try await row in rows {
            let state = try Self.caseState(row)
            states[state.caseId] = state
        }
        return states
    }

    private static let caseStateColumns = """
        case_id, receipt_code, notice_number, item_code, item_version, item_name, applicant_name, lead_department_id, department_ids,
        not_counted, accepted_at, due_date::text AS due_date, state, suspended_since, suspension_category, awaiting_supplement,
        suspended_days, extension_days, ledger_sequence, outcome, bundle_id
        """

    private static func caseState(_ row: PostgresRow) throws -> CaseState {
        let r = row.makeRandomAccess()
        return CaseState(
            caseId: try r.value("case_id"), receiptCode: try r.value("receipt_code"), noticeNumber: try r.value("notice_number"),
            itemCode: try r.value("item_code"), itemVersion: try r.value("item_version"), itemName: try r.value("item_name"),
            applicantName: try r.value("applicant_name"), leadDepartmentId: try r.value("lead_department_id"),
            departmentIds: try r.value("department_ids"), notCounted: try r.value("not_counted"), acceptedAt: try r.value("accepted_at"),
            dueDate: LocalDate(iso: try r.value("due_date", as: String.self))!, state: try r.value("state"),
            suspendedSince: try r.value("suspended_since"), suspensionCategory: try r.value("suspension_category"),
            awaitingSupplement: try r.value("awaiting_supplement"), suspendedDays: try r.value("suspended_days"),
            extensionDays: try r.value("extension_days"), ledgerSequence: try r.value("ledger_sequence"),
            outcome: try (r.value("outcome", as: String?.self)).map(CaseOutcome.init(stored:)), bundleId: try r.value("bundle_id"))
    }

    /// Locks a case for a department's clock command and checks the department takes part in it.
    private func lockCase(_ caseId: String, actor: DepartmentActor, on connection: PostgresConnection) async throws -> CaseState {
        let state = try await caseState(caseId, on: connection, lock: true)
        try DepartmentRules.checkCase(caseId, departments: state.departmentIds, state: state.state, actor: actor)
        return state
    }

    // MARK: Department commands

    /// Stops the clock for an Art 34 category the item does not count, on a written notice to the applicant.
    func suspend(
        caseId: String, category: String, reason: String, noticeReference: String, actor: DepartmentActor, on connection: PostgresConnection,
        into events: inout [PendingEvent]
    ) async throws {
        let state = try await lockCase(caseId, actor: actor, on: connection)
        guard state.suspendedSince == nil else {
            throw CommandRefusal(
                .clockState, "the clock is already suspended (\(state.suspensionCategory ?? "?"))",
                words: "该办件已暂停计时（\(state.suspensionCategory.map { $0 == "supplement" ? "待补充材料" : Words.notCounted($0) } ?? "?")）")
        }
        guard state.notCounted.contains(category) else {
            throw CommandRefusal(
                .categoryNotAllowed,
                "item \(state.itemCode) does not exclude \(category) from its limit (it excludes: \(state.notCounted.joined(separator: ", ")))",
                field: "category",
                words: "事项 \(state.itemCode) 的办理时限不扣除“\(Words.notCounted(category))”所需时间"
                    + "（可扣除的环节：\(state.notCounted.map { Words.notCounted($0) }.joined(separator: "、"))）")
        }
        try await suspendClock(
            state, category: category, reason: reason, reference: noticeReference, departmentId: actor.departmentId, actorId: actor.id,
            on: connection, into: &events)
        try await reschedule(caseId: caseId, on: connection)
    }

    /// Restarts a clock suspended for an Art 34 category.
    func resume(caseId: String, reason: String, actor: DepartmentActor, on connection: PostgresConnection, into events: inout [PendingEvent]) async throws {
        let state = try await lockCase(caseId, actor: actor, on: connection)
        guard state.suspendedSince != nil else { throw CommandRefusal(.clockState, "the clock is not suspended", words: "该办件未暂停计时") }
        guard state.suspensionCategory != "supplement" else {
            throw CommandRefusal(
                .clockState, "the clock waits for the applicant's supplement; it restarts when intake records it",
                words: "该办件正在等待申请人补充材料；窗口登记补充材料后即恢复计时")
        }
        _ = try await resumeClock(state, reason: reason, departmentId: actor.departmentId, actorId: actor.id, on: connection, into: &events)
        try await reschedule(caseId: caseId, on: connection)
    }

    /// Extends the due date (ALL Art 42): by the lead department, once, at most 10 working days for a
    /// case one department handles (¶1) and 15 for one several departments handle jointly (¶2).
    func extend(
        caseId: String, workingDays: Int, reason: String, approvedBy: String, actor: DepartmentActor, on connection: PostgresConnection,
        into events: inout [PendingEvent]
    ) async throws {
        let state = try await lockCase(caseId, actor: actor, on: connection)
        guard actor.departmentId == state.leadDepartmentId else {
            throw CommandRefusal(
                .notPermitted, "only the lead department \(state.leadDepartmentId) extends the case's limit", field: "departmentId",
                words: "只有牵头部门 \(state.leadDepartmentId) 可以延长该办件的办理时限")
        }
        guard state.extensionDays == 0 else {
            throw CommandRefusal(
                .extensionBeyondLaw, "the case was already extended by \(state.extensionDays) working days; the law allows one extension",
                words: "该办件已延期 \(state.extensionDays) 个工作日；依法只能延期一次")
        }
        let joint = Set(state.departmentIds).count > 1
        try DepartmentRules.checkExtension(workingDays, joint: joint)
        try await checkExtensionApprover(approvedBy, leadDepartmentId: state.leadDepartmentId, joint: joint, on: connection)
        let due = clock.moved(state.dueDate, by: workingDays)
        try await connection.run(
            """
            UPDATE \(unescaped: schema).cases SET due_date = \(due.description)::date, extension_days = \(workingDays) WHERE case_id = \(caseId)
            """, logger: logger)
        try await moveSubDeadlines(caseId: caseId, by: workingDays, on: connection)
        try await appendLedger(
            state, change: .extended, category: nil, before: state.dueDate, after: due, workingDays: workingDays, reason: reason,
            reference: nil, approvedBy: approvedBy, departmentId: actor.departmentId, actorId: actor.id, on: connection, into: &events)
        try await reschedule(caseId: caseId, on: connection)
    }

    /// Who may approve an extension, as the directory records them: the lead department's head
    /// (主管领导, Art 22; ALL Art 42 ¶1), or for a case several departments handle jointly the
    /// people's government's leader in charge of government services, recorded as the hall centre's
    /// head (ALL Art 42 ¶2). Anyone else is refused as `extension-beyond-law` naming `approvedBy`.
    private func checkExtensionApprover(_ approvedBy: String, leadDepartmentId: String, joint: Bool, on connection: PostgresConnection) async throws {
        let rows = try await connection.select(
            """
            SELECT department_id, head_id FROM \(unescaped: schema).departments
            WHERE CASE WHEN \(joint) THEN centre AND active ELSE department_id = \(leadDepartmentId) END
            """, logger: logger
        ).decode((String, String?).self).collectAll()
        let approver = joint ? "the people's government's leader in charge, recorded as the hall centre's head (ALL Art 42 ¶2)"
            : "the head of \(leadDepartmentId) (Art 22; ALL Art 42 ¶1)"
        let approverWords = joint ? "本级人民政府分管政务服务的负责人（登记为政务服务中心负责人）（《行政许可法》第42条第2款）"
            : "部门 \(leadDepartmentId) 的主管领导（第22条；《行政许可法》第42条第1款）"
        guard let head = rows.first?.1 else {
            throw CommandRefusal(
                .extensionBeyondLaw, "the directory records no \(approver), who must approve the extension", field: "approvedBy",
                words: "名录中没有登记\(approverWords)，延期须经其批准")
        }
        guard head == approvedBy else {
            throw CommandRefusal(
                .extensionBeyondLaw, "\(approvedBy) is not \(approver): \(head) approves this extension", field: "approvedBy",
                words: "\(approvedBy) 不是\(approverWords)；本次延期应由 \(head) 批准")
        }
    }

    /// The applicant brought the supplement (intake): the clock runs again and the tasks that asked reopen.
    func applySupplemented(_ supplemented: ApplicationSupplemented, caseId: String, on connection: PostgresConnection, into events: inout [PendingEvent])
        async throws
    {
        let state: CaseState
        do {
            state = try await caseState(caseId, on: connection, lock: true)
        } catch is CommandRefusal {
            return  // not a routed case (an immediate item)
        }
        guard state.awaitingSupplement, state.state == "in-progress" else { return }
        var current = state
        if state.suspensionCategory == "supplement" {
            current = try await resumeClock(
                state, reason: "the applicant brought the supplement: \(supplemented.materials.joined(separator: ", "))", departmentId: nil,
                actorId: supplemented.clerkId, on: connection, into: &events)
        }
        try await connection.run("UPDATE \(unescaped: schema).cases SET awaiting_supplement = false WHERE case_id = \(caseId)", logger: logger)
        let reopened = try await connection.select(
            """
            WITH history AS (
                INSERT INTO \(unescaped: schema).task_history (task_id, round, opinion, reasons, supplements, officer_id, countersigned_by, recorded_at)
                SELECT task_id, round, opinion, reasons, supplements, officer_id, countersigned_by, countersigned_at
                FROM \(unescaped: schema).tasks WHERE case_id = \(caseId) AND state = 'countersigned' AND opinion = 'needs-supplement'
                RETURNING task_id)
            UPDATE \(unescaped: schema).tasks t SET state = 'open', round = round + 1, opinion = NULL, reasons = '[]', supplements = '[]',
                officer_id = NULL, opinion_channel = NULL, opinion_at = NULL, countersigned_by = NULL, countersign_capacity = NULL,
                countersign_notice = NULL, countersigned_at = NULL
            FROM history h WHERE t.task_id = h.task_id
            RETURNING t.task_id, t.department_id, t.role, t.sub_deadline::text, t.round
            """, logger: logger
        ).decode((UUID, String, String, String, Int).self).collectAll()
        if !reopened.isEmpty {
            let materials = try await connection.select(
                "SELECT materials::text, applicant_kind, kind, due_date_provisional FROM \(unescaped: schema).cases WHERE case_id = \(caseId)",
                logger: logger
            ).decode((String, String, String, Bool).self).collectAll().first
            let presented = try JSONDecoder().decode([ApplicationAccepted.PresentedMaterialRef].self, from: Data((materials?.0 ?? "[]").utf8))
            for task in reopened {
                events.append(
                    PendingEvent(
                        TaskAssigned(
                            taskId: task.0.uuidString.lowercased(), departmentId: task.1, role: try TaskRole(stored: task.2), receiptCode: state.receiptCode,
                            noticeNumber: state.noticeNumber, itemCode: state.itemCode, itemVersion: state.itemVersion, itemName: state.itemName,
                            kind: try materials.map { try ItemKind(stored: $0.2) } ?? .joint, leadDepartmentId: state.leadDepartmentId,
                            participantDepartmentIds: state.departmentIds.filter { $0 != state.leadDepartmentId }, applicantKind: try materials.map { try ApplicantKind(stored: $0.1) } ?? .person,
                            applicantName: state.applicantName, materials: presented, acceptedAt: state.acceptedAt,
                            caseDueDate: current.dueDate.hallDate, subDeadline: try HallDate(stored: task.3), dueDateProvisional: materials?.3 ?? false,
                            bundleId: state.bundleId, round: task.4),
                        caseId: caseId))
            }
        }
        try await reschedule(caseId: caseId, on: connection)
    }

    // MARK: Ledger

    /// Stops the clock (no due-date change yet: the stopped working days are added on resume).
    func suspendClock(
        _ state: CaseState, category: String, reason: String, reference: String?, departmentId: String?, actorId: String,
        on connection: PostgresConnection, into events: inout [PendingEvent]
    ) async throws {
        try await connection.run(
            """
            UPDATE \(unescaped: schema).cases SET suspended_since = \(now()), suspension_category = \(category) WHERE case_id = \(state.caseId)
            """, logger: logger)
        try await appendLedger(
            state, change: .suspended, category: category, before: state.dueDate, after: state.dueDate, workingDays: 0, reason: reason,
            reference: reference, approvedBy: nil, departmentId: departmentId, actorId: actorId, on: connection, into: &events)
    }

    /// Restarts the clock: the due date (and every open sub-deadline) moves by the working days it stood still.
    func resumeClock(
        _ state: CaseState, reason: String, departmentId: String?, actorId: String, on connection: PostgresConnection,
        into events: inout [PendingEvent]
    ) async throws -> CaseState {
        guard let since = state.suspendedSince else { return state }
        let days = clock.suspendedWorkingDays(since: since, until: now())
        let due = clock.moved(state.dueDate, by: days)
        try await connection.run(
            """
            UPDATE \(unescaped: schema).cases SET suspended_since = NULL, suspension_category = NULL, due_date = \(due.description)::date,
                suspended_days = suspended_days + \(days)
            WHERE case_id = \(state.caseId)
            """, logger: logger)
        try await moveSubDeadlines(caseId: state.caseId, by: days, on: connection)
        try await appendLedger(
            state, change: .resumed, category: state.suspensionCategory, before: state.dueDate, after: due, workingDays: days, reason: reason,
            reference: nil, approvedBy: nil, departmentId: departmentId, actorId: actorId, on: connection, into: &events)
        var resumed = state
        resumed.suspendedSince = nil
        resumed.suspensionCategory = nil
        resumed.dueDate = due
        resumed.suspendedDays += days
        resumed.ledgerSequence += 1
        return resumed
    }

    private func moveSubDeadlines(caseId: String, by days: Int, on connection: PostgresConnection) async throws {
        guard days > 0 else { return }
        let tasks = try await connection.select(
            "SELECT task_id, sub_deadline::text FROM \(unescaped: schema).tasks WHERE case_id = \(caseId)", logger: logger
        ).decode((UUID, String).self).collectAll()
        for (taskId, sub) in tasks {
            guard let date = LocalDate(iso: sub) else { continue }
            try await connection.run(
                "UPDATE \(unescaped: schema).tasks SET sub_deadline = \(clock.moved(date, by: days).description)::date WHERE task_id = \(taskId)",
                logger: logger)
        }
    }

    /// Appends an entry to the case's ledger (sequence without gaps, under the case's row lock) and publishes it.
    private func appendLedger(
        _ state: CaseState, change: ClockChange, category: String?, before: LocalDate, after: LocalDate, workingDays: Int, reason: String,
        reference: String?, approvedBy: String?, departmentId: String?, actorId: String, on connection: PostgresConnection,
        into events: inout [PendingEvent]
    ) async throws {
        let sequence = try await connection.select(
            """
            UPDATE \(unescaped: schema).cases SET ledger_sequence = ledger_sequence + 1 WHERE case_id = \(state.caseId) RETURNING ledger_sequence
            """, logger: logger
        ).decode(Int.self).collectAll().first ?? state.ledgerSequence + 1
        let at = now()
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).ledger (case_id, sequence, change, category, due_date_before, due_date_after, working_days, reason,
                reference, approved_by, department_id, actor_id, changed_at)
            VALUES (\(state.caseId), \(sequence), \(change.rawValue), \(category), \(before.description)::date, \(after.description)::date, \(workingDays),
                    \(reason), \(reference), \(approvedBy), \(departmentId), \(actorId), \(at))
            """, logger: logger)
        events.append(
            PendingEvent(
                ClockChanged(
                    receiptCode: state.receiptCode, sequence: sequence, change: change, category: category, dueDateBefore: before.hallDate,
                    dueDateAfter: after.hallDate, workingDays: workingDays, reason: reason, reference: reference, approvedBy: approvedBy,
                    departmentId: departmentId, actorId: actorId, changedAt: at),
                caseId: state.caseId))
    }

    // MARK: A new year's official calendar

    /// Counts again the due date of every open case whose due date was provisional (it reached a
    /// year whose official calendar was not published), now that the calendar loaded may know that
    /// year: from the acceptance day, the promised limit plus the working days of every suspension
    /// and of the extension already applied (the ledger). A changed date moves the open tasks'
    /// sub-deadlines and the timers, is entered in the ledger as `recalculated` and published; a date
    /// that only stopped being provisional is recorded as final. Returns the cases changed.
    func recomputeProvisionalDueDates() async throws -> Int {
        let candidates = try await client.run(
            "SELECT case_id FROM \(unescaped: schema).cases WHERE due_date_provisional AND state = 'in-progress' ORDER BY case_id", logger: logger
        ).decode(String.self).collectAll()
        var changed = 0
        for caseId in candidates {
            let moved = try await command { connection, events -> Bool in
                let state = try await caseState(caseId, on: connection, lock: true)
                let row = try await connection.select(
                    "SELECT promised_limit_days, due_date_provisional FROM \(unescaped: schema).cases WHERE case_id = \(caseId)", logger: logger
                ).decode((Int, Bool).self).collectAll().first
                guard let (promised, provisional) = row, provisional, state.state == "in-progress" else { return false }
                let due = clock.calendar.addingWorkingDays(
                    promised + state.suspendedDays + state.extensionDays, after: LocalDate.inHall(state.acceptedAt))
                guard due.value != state.dueDate || !due.isProvisional else { return false }
                try await connection.run(
                    """
                    UPDATE \(unescaped: schema).cases SET due_date = \(due.value.description)::date, due_date_provisional = \(due.isProvisional)
                    WHERE case_id = \(caseId)
                    """, logger: logger)
                guard due.value != state.dueDate else { return true }
                let accepted = LocalDate.inHall(state.acceptedAt)
                let tasks = try await connection.select(
                    "SELECT task_id, role FROM \(unescaped: schema).tasks WHERE case_id = \(caseId)", logger: logger
                ).decode((UUID, String).self).collectAll()
                for (taskId, role) in tasks {
                    let sub = clock.subDeadline(role: TaskRole(rawValue: role) ?? .participant, accepted: accepted, due: due.value)
                    try await connection.run(
                        "UPDATE \(unescaped: schema).tasks SET sub_deadline = \(sub.description)::date WHERE task_id = \(taskId)", logger: logger)
                }
                let years = clock.calendar.knownYears.map(String.init).joined(separator: ", ")
                try await appendLedger(
                    state, change: .recalculated, category: nil, before: state.dueDate, after: due.value, workingDays: 0,
                    reason: "the official calendar is published for \(years): counted again from acceptance with \(promised) promised, \(state.suspendedDays) suspended and \(state.extensionDays) extended working days",
                    reference: nil, approvedBy: nil, departmentId: nil, actorId: ServiceName.coordinator.rawValue, on: connection, into: &events)
                try await reschedule(caseId: caseId, on: connection)
                return true
            }
            if moved { changed += 1 }
        }
        return changed
    }

    // MARK: Joint review (会审)

    /// The hall centre convenes a joint review meeting (Art 28(5)); the lead department's chief
    /// representative, or the substitute filed for today, assists and is recorded as such.
    func convene(
        caseId: String, _ meeting: ReviewConvening, convenedBy: String, on connection: PostgresConnection, into events: inout [PendingEvent]
    ) async throws -> UUID {
        try ReviewRules.check(meeting)
        let state: CaseState
        do { state = try await caseState(caseId, on: connection, lock: true) } catch is CommandRefusal {
            throw HallError(.notFound, "no case \(caseId)", field: "caseId", words: "没有办件 \(caseId)")
        }
        guard state.outcome == nil else {
            throw HallError(
                .conflict, "case \(caseId) is decided: there is nothing left to review", field: "caseId", words: "办件 \(caseId) 已作出决定，无需再进行联合审查")
        }
        if let stranger = meeting.departmentIds.first(where: { !state.departmentIds.contains($0) }) {
            throw HallError.invalid("departmentIds", "department \(stranger) has no task on this case", words: "部门 \(stranger) 在该办件中没有任务")
        }
        let assistant = try await chiefInOffice(of: state.leadDepartmentId, on: connection)
        let reviewId = UUID.random()
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).reviews (review_id, case_id, convened_by, assisted_by, meeting_at, place, department_ids, centre_attends)
            VALUES (\(reviewId), \(caseId), \(convenedBy), \(assistant), \(meeting.meetingAt), \(meeting.place), \(meeting.departmentIds), true)
            """, logger: logger)
        events.append(
            PendingEvent(
                ReviewConvened(
                    reviewId: reviewId.uuidString.lowercased(), receiptCode: state.receiptCode, convenedBy: convenedBy, meetingAt: meeting.meetingAt,
                    place: meeting.place, departmentIds: meeting.departmentIds, centreAttends: true),
                caseId: caseId))
        return reviewId
    }

    /// The department's chief representative in office today: the substitute on a filed notice
    /// within its days, otherwise the chief representative.
    func chiefInOffice(of departmentId: String, on connection: PostgresConnection) async throws -> String? {
        let today = LocalDate.inHall(now()).description
        return try await connection.select(
            """
            SELECT CASE WHEN substitute_from <= \(today)::date AND substitute_to >= \(today)::date THEN substitute_staff_id ELSE chief_staff_id END
            FROM \(unescaped: schema).departments WHERE department_id = \(departmentId)
            """, logger: logger
        ).decode(String?.self).collectAll().first ?? nil
    }

    /// The minutes of a joint review, recorded once by the centre: each department's conclusion,
    /// kept on the review and on that department's task.
    func recordMinutes(
        reviewId: UUID, positions: [ReviewMinuted.Position], summary: String, recordedBy: String, on connection: PostgresConnection,
        into events: inout [PendingEvent]
    ) async throws {
        try ReviewRules.check(positions: positions, summary: summary)
        let rows = try await connection.select(
            """
            SELECT case_id, department_ids, positions IS NOT NULL FROM \(unescaped: schema).reviews WHERE review_id = \(reviewId) FOR NO KEY UPDATE
            """, logger: logger
        ).decode((String, [String], Bool).self).collectAll()
        guard let review = rows.first else { throw HallError(.notFound, "no joint review \(reviewId)", field: "reviewId", words: "没有联合审查 \(reviewId)") }
        guard !review.2 else {
            throw HallError(
                .conflict, "the minutes of review \(reviewId) are already recorded", field: "reviewId", words: "联合审查 \(reviewId) 的会议纪要已记录")
        }
        for (index, position) in positions.enumerated() where !review.1.contains(position.departmentId) {
            throw HallError.invalid(
                "positions[\(index)].departmentId", "department \(position.departmentId) was not called to this review",
                words: "部门 \(position.departmentId) 未被通知参加本次联合审查")
        }
        let state = try await caseState(review.0, on: connection)
        let at = now()
        let json = String(decoding: try JSONEncoder().encode(positions), as: UTF8.self)
        try await connection.run(
            """
            UPDATE \(unescaped: schema).reviews SET positions = \(json)::jsonb, summary = \(summary), recorded_by = \(recordedBy), recorded_at = \(at)
            WHERE review_id = \(reviewId)
            """, logger: logger)
        // Each department's conclusion stands on its own task, where its officer and chief representative see it.
        for position in positions {
            let conclusion = ReviewConclusion(
                reviewId: reviewId.uuidString.lowercased(), position: position.position.rawValue, note: position.note, summary: summary,
                recordedAt: RFC3339Timestamp.string(from: at) ?? "")
            let entry = String(decoding: try JSONEncoder().encode([conclusion]), as: UTF8.self)
            try await connection.run(
                """
                UPDATE \(unescaped: schema).tasks SET review_conclusions = review_conclusions || \(entry)::jsonb
                WHERE case_id = \(review.0) AND department_id = \(position.departmentId)
                """, logger: logger)
        }
        events.append(
            PendingEvent(
                ReviewMinuted(
                    reviewId: reviewId.uuidString.lowercased(), receiptCode: state.receiptCode, positions: positions, summary: summary,
                    recordedBy: recordedBy, recordedAt: at),
                caseId: review.0))
    }
}
