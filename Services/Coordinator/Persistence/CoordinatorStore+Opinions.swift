import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import PostgresNIO
import Synchronization

/// A task row with its case, locked for the command.
struct LockedTask: Sendable {
    var taskId: UUID
    var caseId: String
    var departmentId: String
    var role: String
    var state: String
    var claimedBy: String?
    var opinion: String?
    var caseState: String
}

extension CoordinatorStore {
    /// Locks a task and its case (in that order, the same everywhere) and checks the department. The
    /// locks are `FOR NO KEY UPDATE`: they keep out every other writer of the rows but not the rows
    /// that refer to them (a timer, a decision), whose foreign keys take a key-share lock; with
    /// `FOR UPDATE`, a lane applying one topic's events and a lane applying another's could deadlock.
    func lockTask(_ taskId: String, actor: DepartmentActor, on connection: PostgresConnection) async throws -> LockedTask {
        guard let id = UUID(uuidString: taskId) else { throw CommandRefusal(.unknownTask, "no task \(taskId)", field: "taskId", words: "没有任务 \(taskId)") }
        let rows = try await connection.select(
            """
            SELECT t.task_id, t.case_id, t.department_id, t.role, t.state, t.claimed_by, t.opinion, c.state
            FROM \(unescaped: schema).tasks t JOIN \(unescaped: schema).cases c ON c.case_id = t.case_id
            WHERE t.task_id = \(id) FOR NO KEY UPDATE OF t, c
            """, logger: logger
        ).decode((UUID, String, String, String, String, String?, String?, String).self).collectAll()
        guard let row = rows.first else { throw CommandRefusal(.unknownTask, "no task \(taskId)", field: "taskId", words: "没有任务 \(taskId)") }
        let task = LockedTask(
            taskId: row.0, caseId: row.1, departmentId: row.2, role: row.3, state: row.4, claimedBy: row.5, opinion: row.6, caseState: row.7)
        try DepartmentRules.checkTask(taskId, of: task.departmentId, state: task.state, caseState: task.caseState, actor: actor)
        return task
    }

    /// An officer of the task's department takes it; another officer's claim stands until released.
    func claim(taskId: String, actor: DepartmentActor, on connection: PostgresConnection) async throws {
        let task = try await lockTask(taskId, actor: actor, on: connection)
        if let holder = task.claimedBy, holder != actor.id {
            throw CommandRefusal(.notPermitted, "task \(taskId) is claimed by \(holder)", words: "任务 \(taskId) 已由 \(holder) 认领")
        }
        guard task.state == "open" else {
            throw CommandRefusal(.duplicateOpinion, "task \(taskId) already has an opinion", words: "任务 \(taskId) 已出具审查意见")
        }
        try await connection.run(
            "UPDATE \(unescaped: schema).tasks SET claimed_by = \(actor.id), claimed_at = \(now()) WHERE task_id = \(task.taskId)", logger: logger)
    }

    /// Records a department's opinion on its task, and its countersignature when given with it.
    func giveOpinion(
        taskId: String, _ input: OpinionInput, actor: DepartmentActor, on connection: PostgresConnection, into events: inout [PendingEvent]
    ) async throws {
        let task = try await lockTask(taskId, actor: actor, on: connection)
        guard task.state == "open" else {
            throw CommandRefusal(
                .duplicateOpinion, "task \(taskId) already has an opinion (\(task.opinion ?? "?"))",
                words: "任务 \(taskId) 已出具审查意见（\(task.opinion.map { Words.decision($0) } ?? "?")）")
        }
        if let holder = task.claimedBy, holder != input.officerId, input.countersignedBy == nil {
            throw CommandRefusal(.notPermitted, "task \(taskId) is claimed by \(holder)", words: "任务 \(taskId) 已由 \(holder) 认领")
        }
        // Check the countersigner before anything is written.
        let capacity: (capacity: CountersignCapacity, notice: String?)?
        if let signer = input.countersignedBy {
            guard let found = try await countersignCapacity(staffId: signer, departmentId: task.departmentId, on: connection) else {
                throw CommandRefusal(
                    .notCountersigner, "\(signer) is neither the chief representative of \(task.departmentId) nor a substitute in force today",
                    field: "countersignedBy", words: "\(signer) 不是部门 \(task.departmentId) 的首席代表，也不是今日在任的代理人")
            }
            capacity = found
        } else {
            capacity = nil
        }
        let at = now()
        let reasons = String(decoding: try JSONEncoder().encode(input.reasons), as: UTF8.self)
        let supplements = String(decoding: try JSONEncoder().encode(input.supplements), as: UTF8.self)
        // Countersigned with the opinion: both written by one update.
        try await connection.run(
            """
            UPDATE \(unescaped: schema).tasks SET state = \(capacity == nil ? "opinion-given" : "countersigned"), opinion = \(input.opinion.rawValue),
                reasons = \(reasons)::jsonb, supplements = \(supplements)::jsonb, officer_id = \(input.officerId), opinion_channel = \(actor.channel.rawValue),
                opinion_at = \(at), claimed_by = COALESCE(claimed_by, \(input.officerId)),
                countersigned_by = \(input.countersignedBy), countersign_capacity = \(capacity?.capacity.rawValue), countersign_notice = \(capacity?.notice),
                countersigned_at = \(capacity == nil ? nil : at)
            WHERE task_id = \(task.taskId)
            """, logger: logger)
        events.append(
            PendingEvent(
                TaskOpinionRecorded(
                    taskId: taskId.lowercased(), departmentId: task.departmentId, opinion: input.opinion, reasons: input.reasons,
                    supplements: input.supplements, officerId: input.officerId, channel: actor.channel, recordedAt: at),
                caseId: task.caseId))
        if let signer = input.countersignedBy, let capacity {
            try await recordCountersignature(
                task: task, opinion: input.opinion, staffId: signer, capacity: capacity, at: at, written: true, on: connection, into: &events)
        }
    }

    /// Carries out a run of a department system's commands read together — approvals and denials,
    /// each countersigned with its opinion, each on a task of its own — with one statement per step
    /// whatever their number: the signers, the tasks and their cases (locked), the countersigners, the
    /// opinions. Each case then advances once, after the last of its opinions, as it would after each
    /// in turn. Returns false, having done nothing, when the run holds anything else (a request for
    /// supplements, an opinion to be countersigned later, a task named twice); throws the first
    /// refusal, and the consumer then applies the run command by command.
    func giveOpinionsTogether(_ batch: [(OpinionSubmitted, EventEnvelope)], context: HandlerContext) async throws -> Bool {
        let commands = batch.map(\.0)
        guard commands.allSatisfy({ $0.countersignedBy != nil && $0.opinion != .needsSupplement }),
            Set(commands.map { $0.taskId.lowercased() }).count == commands.count
        else { return false }
        let connection = context.connection
        var ids: [UUID] = []
        for command in commands {
            try DepartmentCommand.opinion(taskId: command.taskId, Self.input(command)).validate()
            guard let id = UUID(uuidString: command.taskId) else {
                throw CommandRefusal(.unknownTask, "no task \(command.taskId)", field: "taskId", words: "没有任务 \(command.taskId)")
            }
            ids.append(id)
        }
        let distrust = try await DepartmentSystemProjection.distrust(
            batch.map { (context.record(of: $0.1), $0.0.departmentId) }, on: connection, schema: context.schema, logger: logger)
        if let reason = distrust.compactMap({ $0 }).first { throw CommandRefusal(.unauthenticated, reason) }
        // Tasks and cases locked in the order of the tasks' ids.
        var tasks: [UUID: LockedTask] = [:]
        for try await row in try await connection.select(
            """
            SELECT t.task_id, t.case_id, t.department_id, t.role, t.state, t.claimed_by, t.opinion, c.state
            FROM \(unescaped: schema).tasks t JOIN \(unescaped: schema).cases c ON c.case_id = t.case_id
            WHERE t.task_id = ANY(\(ids)::uuid[]) ORDER BY t.task_id FOR NO KEY UPDATE OF t, c
            """, logger: logger
        ).decode((UUID, String, String, String, String, String?, String?, String).self) {
            tasks[row.0] = LockedTask(
                taskId: row.0, caseId: row.1, departmentId: row.2, role: row.3, state: row.4, claimedBy: row.5, opinion: row.6, caseState: row.7)
        }
        let today = LocalDate.inHall(now()).description
        var chiefs: [String: (chief: String?, substitute: String?, notice: String?, inForce: Bool?)] = [:]
        for try await row in try await connection.select(
            """
            SELECT department_id, chief_staff_id, substitute_staff_id, substitute_notice,
                   (substitute_from <= \(today)::date AND substitute_to >= \(today)::date)
            FROM \(unescaped: schema).departments WHERE department_id = ANY(\(Array(Set(tasks.values.map(\.departmentId))))::text[]) AND active
            """, logger: logger
        ).decode((String, String?, String?, String?, Bool?).self) {
            chiefs[row.0] = (row.1, row.2, row.3, row.4)
        }
        var locked: [LockedTask] = []
        var capacities: [(capacity: CountersignCapacity, notice: String?)] = []
        for (command, id) in zip(commands, ids) {
            guard let task = tasks[id] else {
                throw CommandRefusal(.unknownTask, "no task \(command.taskId)", field: "taskId", words: "没有任务 \(command.taskId)")
            }
            let actor = DepartmentActor(id: command.officerId, departmentId: command.departmentId, channel: .kafka)
            try DepartmentRules.checkTask(command.taskId, of: task.departmentId, state: task.state, caseState: task.caseState, actor: actor)
            guard task.state == "open" else {
                throw CommandRefusal(.duplicateOpinion, "task \(command.taskId) already has an opinion (\(task.opinion ?? "?"))")
            }
            let signer = command.countersignedBy ?? ""
            let chief = chiefs[task.departmentId]
            guard let capacity = Self.capacity(of: signer, chief: chief?.chief, substitute: chief?.substitute, notice: chief?.notice, inForce: chief?.inForce)
            else {
                throw CommandRefusal(
                    .notCountersigner, "\(signer) is neither the chief representative of \(task.departmentId) nor a substitute in force today",
                    field: "countersignedBy")
            }
            locked.append(task)
            capacities.append(capacity)
        }
        let at = now()
        let encoder = JSONEncoder()
        try await connection.run(
            """
            UPDATE \(unescaped: schema).tasks t SET state = 'countersigned', opinion = v.opinion, reasons = v.reasons::jsonb,
                supplements = '[]'::jsonb, officer_id = v.officer_id, opinion_channel = \(CommandChannel.kafka.rawValue), opinion_at = \(at),
                claimed_by = COALESCE(t.claimed_by, v.officer_id), countersigned_by = v.countersigned_by, countersign_capacity = v.capacity,
                countersign_notice = NULLIF(v.notice, ''), countersigned_at = \(at)
            FROM unnest(\(ids)::uuid[], \(commands.map(\.opinion.rawValue))::text[],
                        \(try commands.map { String(decoding: try encoder.encode($0.reasons), as: UTF8.self) })::text[],
                        \(commands.map(\.officerId))::text[], \(commands.map { $0.countersignedBy ?? "" })::text[],
                        \(capacities.map(\.capacity.rawValue))::text[], \(capacities.map { $0.notice ?? "" })::text[])
                AS v(task_id, opinion, reasons, officer_id, countersigned_by, capacity, notice)
            WHERE t.task_id = v.task_id
            """, logger: logger)
        // The events each command's own, in order; a case advances after the last of its commands.
        let lastOfCase = Dictionary(locked.enumerated().map { ($0.element.caseId, $0.offset) }) { _, later in later }
        var events: [PendingEvent] = []
        for (index, (command, envelope)) in batch.enumerated() {
            let task = locked[index], capacity = capacities[index], signer = command.countersignedBy ?? ""
            var own: [PendingEvent] = [
                PendingEvent(
                    TaskOpinionRecorded(
                        taskId: command.taskId.lowercased(), departmentId: task.departmentId, opinion: command.opinion, reasons: command.reasons,
                        supplements: [], officerId: command.officerId, channel: .kafka, recordedAt: at),
                    caseId: task.caseId),
                PendingEvent(
                    TaskCountersigned(
                        taskId: task.taskId.uuidString.lowercased(), departmentId: task.departmentId, opinion: command.opinion, staffId: signer,
                        capacity: capacity.capacity, noticeReference: capacity.notice, countersignedAt: at),
                    caseId: task.caseId),
            ]
            if lastOfCase[task.caseId] == index {
                let (state, pending) = try await caseStateAndPending(task.caseId, on: connection)
                let countersigned = locked.filter { $0.caseId == task.caseId }.map(\.taskId)
                try await advance(state, pending: pending, countersigned: countersigned, on: connection, into: &own)
            }
            events += own.map { var event = $0; event.cause = envelope; return event }
        }
        try await emit(events, context: context)
        return true
    }

    /// What a Kafka opinion command says, as the rules read it.
    static func input(_ command: OpinionSubmitted) -> OpinionInput {
        OpinionInput(
            opinion: command.opinion, reasons: command.reasons, supplements: command.supplements, officerId: command.officerId,
            countersignedBy: command.countersignedBy)
    }

    /// The chief representative (or the filed substitute) countersigns the opinion on the task.
    func countersign(taskId: String, staffId: String, actor: DepartmentActor, on connection: PostgresConnection, into events: inout [PendingEvent]) async throws {
        let task = try await lockTask(taskId, actor: actor, on: connection)
        try DepartmentRules.checkCountersignable(taskId, state: task.state)
        guard let capacity = try await countersignCapacity(staffId: staffId, departmentId: task.departmentId, on: connection) else {
            throw CommandRefusal(
                .notCountersigner, "\(staffId) is neither the chief representative of \(task.departmentId) nor a substitute in force today",
                field: "staffId", words: "\(staffId) 不是部门 \(task.departmentId) 的首席代表，也不是今日在任的代理人")
        }
        let opinion = TaskOpinion(rawValue: task.opinion ?? "") ?? .approve
        try await recordCountersignature(task: task, opinion: opinion, staffId: staffId, capacity: capacity, at: now(), on: connection, into: &events)
    }

    /// Records the countersignature on the task (unless the opinion's update `written` it) and advances the case.
    private func recordCountersignature(
        task: LockedTask, opinion: TaskOpinion, staffId: String, capacity: (capacity: CountersignCapacity, notice: String?), at: Date,
        written: Bool = false, on connection: PostgresConnection, into events: inout [PendingEvent]
    ) async throws {
        if !written {
            try await connection.run(
                """
                UPDATE \(unescaped: schema).tasks SET state = 'countersigned', countersigned_by = \(staffId), countersign_capacity = \(capacity.capacity.rawValue),
                    countersign_notice = \(capacity.notice), countersigned_at = \(at)
                WHERE task_id = \(task.taskId)
                """, logger: logger)
        }
        events.append(
            PendingEvent(
                TaskCountersigned(
                    taskId: task.taskId.uuidString.lowercased(), departmentId: task.departmentId, opinion: opinion, staffId: staffId,
                    capacity: capacity.capacity, noticeReference: capacity.notice, countersignedAt: at),
                caseId: task.caseId))
        try await advance(caseId: task.caseId, after: task, opinion: opinion, by: staffId, on: connection, into: &events)
    }

    /// After a countersignature: a supplement request stops the clock and goes to the applicant;
    /// when every department's opinion stands, the case is decided.
    private func advance(
        caseId: String, after task: LockedTask, opinion: TaskOpinion, by staffId: String, on connection: PostgresConnection,
        into events: inout [PendingEvent]
    ) async throws {
        let (state, pending) = try await caseStateAndPending(caseId, on: connection)
        if opinion == .needsSupplement {
            let supplements = try await connection.select(
                "SELECT supplements::text FROM \(unescaped: schema).tasks WHERE task_id = \(task.taskId)", logger: logger
            ).decode(String.self).collectAll().first ?? "[]"
            let items = try JSONDecoder().decode([SupplementItem].self, from: Data(supplements.utf8))
            try await connection.run(
                "UPDATE \(unescaped: schema).cases SET awaiting_supplement = true WHERE case_id = \(caseId)", logger: logger)
            if state.suspendedSince == nil {
                try await suspendClock(
                    state, category: "supplement", reason: "awaiting the applicant's supplement asked for by \(task.departmentId)", reference: nil,
                    departmentId: task.departmentId, actorId: staffId, on: connection, into: &events)
            }
            events.append(
                PendingEvent(
                    SupplementRequested(
                        receiptCode: state.receiptCode, departmentId: task.departmentId, taskId: task.taskId.uuidString.lowercased(),
                        supplements: items, requestedAt: now()),
                    caseId: caseId))
            try await reschedule(caseId: caseId, on: connection)
            return
        }
        try await advance(state, pending: pending, countersigned: [task.taskId], on: connection, into: &events)
    }

    /// After countersignatures that ask for no supplement: the case is decided once no task awaits
    /// an opinion (`pending`); until then only the countersigned tasks' timers go, the case's and
    /// the other tasks' standing as planned.
    private func advance(
        _ state: CaseState, pending: Int64, countersigned taskIds: [UUID], on connection: PostgresConnection, into events: inout [PendingEvent]
    ) async throws {
        if pending == 0 { return try await decide(state, on: connection, into: &events) }
        try await connection.run(
            """
            DELETE FROM \(unescaped: schema).timers
            WHERE case_id = \(state.caseId) AND subject = ANY(\(taskIds.map { $0.uuidString.lowercased() })::text[])
            """, logger: logger)
    }

    // MARK: Decision

    /// Every opinion stands: approve → one approval decision per department; any denial → one
    /// denial decision of the lead listing every reason. A running suspension ends with the decision.
    /// The documents go to the seal service now, a bundle's case too: its seal time is its legal
    /// completion time and decides whether it was on time (Art 31); only the hand-over at the front
    /// desk waits for the whole bundle.
    private func decide(_ state: CaseState, on connection: PostgresConnection, into events: inout [PendingEvent]) async throws {
        var current = state
        if current.suspendedSince != nil {
            current = try await resumeClock(current, reason: "decided", departmentId: nil, actorId: "system", on: connection, into: &events)
        }
        let rows = try await connection.select(
            """
            SELECT department_id, opinion, reasons::text, countersigned_by FROM \(unescaped: schema).tasks
            WHERE case_id = \(state.caseId) ORDER BY (role = 'lead') DESC, department_id
            """, logger: logger
        ).decode((String, String, String, String).self).collectAll()
        let decidedAt = now()
        var reasons: [DepartmentReason] = []
        for row in rows where row.1 == TaskOpinion.deny.rawValue {
            for reason in try JSONDecoder().decode([String].self, from: Data(row.2.utf8)) {
                reasons.append(DepartmentReason(departmentId: row.0, reason: reason))
            }
        }
        let summary = state.summary
        var documents: [(DecisionDocument, String)] = []
        if reasons.isEmpty {
            for row in rows {
                let number = try await nextDecisionNumber(departmentId: row.0, decidedAt: decidedAt, on: connection)
                documents.append((DecisionDocument.approval(case: summary, departmentId: row.0, number: number, decidedAt: decidedAt), row.3))
            }
        } else {
            let leadSigner = rows.first { $0.0 == state.leadDepartmentId }?.3 ?? rows[0].3
            let number = try await nextDecisionNumber(departmentId: state.leadDepartmentId, decidedAt: decidedAt, on: connection)
            documents.append((DecisionDocument.denial(case: summary, reasons: reasons, number: number, decidedAt: decidedAt), leadSigner))
        }
        var described: [CaseDecided.Document] = []
        for (document, signer) in documents {
            let window = try await sealWindow(staffId: signer, departmentId: document.departmentId, on: connection)
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).decisions
                    (case_id, department_id, document_kind, document_text, document_hash, requested_by, window_id, decision_number)
                VALUES (\(state.caseId), \(document.departmentId), \(document.kind.rawValue), \(document.text), \(document.sha256), \(signer), \(window),
                        \(document.number))
                """, logger: logger)
            described.append(
                CaseDecided.Document(
                    departmentId: document.departmentId, documentKind: document.kind, documentHash: document.sha256, requestedBy: signer, windowId: window,
                    decisionNumber: document.number))
        }
        let outcome: CaseOutcome = reasons.isEmpty ? .approved : .denied
        try await connection.run(
            """
            UPDATE \(unescaped: schema).cases SET state = 'decided', outcome = \(outcome.rawValue), decided_at = \(decidedAt)
            WHERE case_id = \(state.caseId)
            """, logger: logger)
        // Every task is countersigned (that is what decided the case), so none is left to close.
        events.append(
            PendingEvent(
                CaseDecided(
                    receiptCode: state.receiptCode, outcome: outcome, reasons: reasons, documents: described, decidedAt: decidedAt,
                    dueDate: current.dueDate.hallDate),
                caseId: state.caseId))
        if state.suspendedSince == nil {
            // The clock ran on unchanged: the case's own timers stand as planned, the tasks' go.
            try await connection.run("DELETE FROM \(unescaped: schema).timers WHERE case_id = \(state.caseId) AND subject <> 'case'", logger: logger)
        } else {
            try await reschedule(caseId: state.caseId, on: connection)
        }
        let requests = described.map {
            SealDocumentRequested(
                documentKind: $0.documentKind, documentHash: $0.documentHash, caseId: state.caseId, departmentId: $0.departmentId,
                requestedBy: $0.requestedBy, windowId: $0.windowId)
        }
        try await requestSeals(caseId: state.caseId, bundleId: state.bundleId, decided: requests, on: connection, into: &events)
    }

    /// The department's next decision number (``DecisionNumbers``), in the coordinator's series.
    private func nextDecisionNumber(departmentId: String, decidedAt: Date, on connection: PostgresConnection) async throws -> String {
        Self.numbersTaken.store(true, ordering: .relaxed)
        return try await DecisionNumbers.next(
            departmentId: departmentId, decidedAt: decidedAt, schema: schema, departments: ("departments", "department_id"), on: connection, logger: logger)
    }

    /// Whether this process took decision numbers since it last topped up their slots.
    static let numbersTaken = Atomic<Bool>(false)

    /// Keeps free decision numbers ready for the departments that decide (``DecisionNumbers``), in
    /// short transactions, when numbers were taken since the last time: a consumer's batch then
    /// seldom raises a department's high-water mark itself, which would hold every other decision of
    /// the department until the batch commits. Returns the departments topped up.
    func topUpDecisionNumbers() async throws -> Int {
        guard Self.numbersTaken.exchange(false, ordering: .relaxed) else { return 0 }
        return try await DecisionNumbers.topUp(year: LocalDate.inHall(now()).year, schema: schema, client: client, logger: logger)
    }

    /// Sends a decided case's decision documents (`decided`, just recorded) to the seal service, with
    /// those of any decided case of its bundle still held back (a case decided before bundles were
    /// sealed case by case), each case's in the order of their departments.
    private func requestSeals(
        caseId: String, bundleId: String?, decided: [SealDocumentRequested], on connection: PostgresConnection, into events: inout [PendingEvent]
    ) async throws {
        // Claimed under the case rows' locks: two instances deciding cases of one bundle never both send one.
        let cases = try await connection.select(
            """
            UPDATE \(unescaped: schema).cases SET seal_requested = true
            WHERE (case_id = \(caseId) OR (bundle_id = \(bundleId) AND state <> 'in-progress')) AND NOT seal_requested
            RETURNING case_id
            """, logger: logger
        ).decode(String.self).collectAll()
        for id in cases {
            if id == caseId {
                for request in decided.sorted(by: { $0.departmentId < $1.departmentId }) {
                    events.append(PendingEvent(request, topic: .sealRequests, caseId: id))
                }
                continue
            }
            let documents = try await connection.select(
                """
                SELECT department_id, document_kind, document_hash, requested_by, window_id FROM \(unescaped: schema).decisions
                WHERE case_id = \(id) AND imprint_id IS NULL ORDER BY department_id
                """, logger: logger
            ).decode((String, String, String, String, String).self).collectAll()
            for document in documents {
                events.append(
                    PendingEvent(
                        SealDocumentRequested(
                            documentKind: SealDocumentKind(rawValue: document.1) ?? .approvalDecision, documentHash: document.2, caseId: id,
                            departmentId: document.0, requestedBy: document.3, windowId: document.4),
                        topic: .sealRequests, caseId: id))
            }
        }
    }

    /// The department's chief representative asks again to seal its decision after a refusal (e.g.
    /// once its seal is registered), in their own name.
    func resealDecision(caseId: String, actor: DepartmentActor, on connection: PostgresConnection, into events: inout [PendingEvent]) async throws {
        guard try await countersignCapacity(staffId: actor.id, departmentId: actor.departmentId, on: connection) != nil else {
            throw CommandRefusal(
                .notCountersigner, "\(actor.id) is neither the chief representative of \(actor.departmentId) nor a substitute in force today",
                words: "\(actor.id) 不是部门 \(actor.departmentId) 的首席代表，也不是今日在任的代理人")
        }
        let rows = try await connection.select(
            """
            SELECT d.document_kind, d.document_hash, c.seal_requested FROM \(unescaped: schema).decisions d
            JOIN \(unescaped: schema).cases c ON c.case_id = d.case_id
            WHERE d.case_id = \(caseId) AND d.department_id = \(actor.departmentId) AND d.imprint_id IS NULL FOR NO KEY UPDATE OF d
            """, logger: logger
        ).decode((String, String, Bool).self).collectAll()
        guard let row = rows.first else {
            throw CommandRefusal(
                .unknownTask, "no unsealed decision of \(actor.departmentId) on case \(caseId)", words: "部门 \(actor.departmentId) 在办件 \(caseId) 中没有待用印的决定")
        }
        if !row.2 {
            try await connection.run("UPDATE \(unescaped: schema).cases SET seal_requested = true WHERE case_id = \(caseId)", logger: logger)
        }
        let window = try await sealWindow(staffId: actor.id, departmentId: actor.departmentId, on: connection)
        try await connection.run(
            """
            UPDATE \(unescaped: schema).decisions SET requested_by = \(actor.id), window_id = \(window), seal_refusal = NULL
            WHERE case_id = \(caseId) AND department_id = \(actor.departmentId)
            """, logger: logger)
        events.append(
            PendingEvent(
                SealDocumentRequested(
                    documentKind: SealDocumentKind(rawValue: row.0) ?? .approvalDecision, documentHash: row.1, caseId: caseId,
                    departmentId: actor.departmentId, requestedBy: actor.id, windowId: window),
                topic: .sealRequests, caseId: caseId))
    }

    // MARK: Seal results

    /// Decisions were sealed (in the order the seal service reported them): when every decision of
    /// a case is, the case is completed at the last seal time (Art 31), on time or late against the
    /// ledger's due date; a bundle completes with its last case. A batch is applied with one
    /// statement for each step whatever its size; its effect is that of the events applied one by
    /// one (an imprint for a decision already sealed changes nothing, the first of two wins), and
    /// each completion follows from the event that sealed the case's last decision.
    func applySealed(
        _ batch: [(DocumentSealed, EventEnvelope)], on connection: PostgresConnection, into events: inout [PendingEvent]
    ) async throws {
        let decisions = batch.enumerated().filter { $0.element.0.documentKind.isDecision }
        guard !decisions.isEmpty else { return }
        let sealed = decisions.map(\.element.0)
        let updated = try await connection.select(
            """
            WITH input AS (
                SELECT DISTINCT ON (case_id, department_id, document_hash) *
                FROM unnest(\(decisions.map(\.offset))::int[], \(sealed.map { $0.imprintId.uuidString.lowercased() })::text[],
                            \(sealed.map(\.sealedAt))::timestamptz[], \(sealed.map(\.caseId))::text[], \(sealed.map(\.departmentId))::text[],
                            \(sealed.map(\.documentHash))::text[])
                    AS i(ord, imprint_id, sealed_at, case_id, department_id, document_hash)
                ORDER BY case_id, department_id, document_hash, ord
            )
            UPDATE \(unescaped: schema).decisions d SET imprint_id = i.imprint_id, sealed_at = i.sealed_at, seal_refusal = NULL
            FROM input i
            WHERE d.case_id = i.case_id AND d.department_id = i.department_id AND d.document_hash = i.document_hash AND d.imprint_id IS NULL
            RETURNING d.case_id, i.ord
            """, logger: logger
        ).decode((String, Int).self).collectAll()
        guard !updated.isEmpty else { return }
        // Each case once, at the event that sealed its last decision in the batch.
        var lastSealing: [String: Int] = [:]
        for (caseId, ord) in updated { lastSealing[caseId] = max(lastSealing[caseId] ?? ord, ord) }
        let caseIds = lastSealing.keys.sorted()
        let states = try await caseStates(caseIds, on: connection, lock: true)
        let progress = try await connection.select(
            """
            SELECT case_id, count(*) FILTER (WHERE imprint_id IS NULL), max(sealed_at),
                   array_agg(imprint_id ORDER BY department_id) FILTER (WHERE imprint_id IS NOT NULL)
            FROM \(unescaped: schema).decisions WHERE case_id = ANY(\(caseIds)::text[]) GROUP BY case_id
            """, logger: logger
        ).decode((String, Int64, Date?, [String]?).self).collectAll()
        var completions: [(ord: Int, state: CaseState, completedAt: Date, onTime: Bool, imprints: [String])] = []
        for (caseId, unsealed, lastSealedAt, imprints) in progress {
            guard unsealed == 0, let completedAt = lastSealedAt, let state = states[caseId], state.state == "decided", let ord = lastSealing[caseId]
            else { continue }
            completions.append((ord, state, completedAt, clock.isOnTime(completedAt: completedAt, due: state.dueDate), imprints ?? []))
        }
        guard !completions.isEmpty else { return }
        completions.sort { $0.ord < $1.ord }
        let completed = completions.map(\.state.caseId)
        try await connection.run(
            """
            UPDATE \(unescaped: schema).cases c SET state = 'completed', completed_at = v.completed_at, on_time = v.on_time
            FROM unnest(\(completed)::text[], \(completions.map(\.completedAt))::timestamptz[], \(completions.map(\.onTime))::boolean[])
                AS v(case_id, completed_at, on_time)
            WHERE c.case_id = v.case_id
            """, logger: logger)
        try await connection.run("DELETE FROM \(unescaped: schema).timers WHERE case_id = ANY(\(completed)::text[])", logger: logger)
        for completion in completions {
            let state = completion.state
            var completedEvent = PendingEvent(
                CaseCompleted(
                    receiptCode: state.receiptCode, itemCode: state.summary.itemCode, leadDepartmentId: state.leadDepartmentId,
                    departmentIds: state.departmentIds, outcome: state.outcome ?? .approved, acceptedAt: state.acceptedAt,
                    completedAt: completion.completedAt, dueDate: state.dueDate.hallDate, onTime: completion.onTime, imprintIds: completion.imprints,
                    suspendedWorkingDays: state.suspendedDays, extensionWorkingDays: state.extensionDays, bundleId: state.bundleId),
                caseId: state.caseId)
            completedEvent.cause = batch[completion.ord].1
            events.append(completedEvent)
        }
        // After every case's completion, so that a bundle's completion follows its cases' in the outbox.
        var bundles: [(bundleId: String, ord: Int)] = []
        for completion in completions {
            guard let bundleId = completion.state.bundleId else { continue }
            bundles.removeAll { $0.bundleId == bundleId }
            bundles.append((bundleId, completion.ord))
        }
        for (bundleId, ord) in bundles { try await completeBundle(bundleId, cause: batch[ord].1, on: connection, into: &events) }
    }

    /// A bundle completes with its last case: every member completed.
    private func completeBundle(_ bundleId: String, cause: EventEnvelope, on connection: PostgresConnection, into events: inout [PendingEvent]) async throws {
        let size = try await connection.select(
            "SELECT size FROM \(unescaped: schema).bundles WHERE bundle_id = \(bundleId) AND completed_at IS NULL FOR NO KEY UPDATE", logger: logger
        ).decode(Int.self).collectAll().first
        guard let size else { return }
        let members = try await connection.select(
            """
            SELECT case_id, receipt_code, outcome FROM \(unescaped: schema).cases WHERE bundle_id = \(bundleId) AND state = 'completed'
            ORDER BY receipt_code
            """, logger: logger
        ).decode((String, String, String).self).collectAll()
        guard members.count >= size else { return }
        let at = now()
        try await connection.run("UPDATE \(unescaped: schema).bundles SET completed_at = \(at) WHERE bundle_id = \(bundleId)", logger: logger)
        var completedEvent = PendingEvent(
            BundleCompleted(
                bundleId: bundleId, cases: try members.map { BundleCompleted.Member(caseId: $0.0, receiptCode: $0.1, outcome: try CaseOutcome(stored: $0.2)) },
                completedAt: at),
            key: bundleId)
        completedEvent.cause = cause
        events.append(completedEvent)
    }

    /// The seal service refused a decision: recorded for the department to fix and ask again.
    func applySealRefused(_ refused: DocumentRefused, on connection: PostgresConnection) async throws {
        try await connection.run(
            """
            UPDATE \(unescaped: schema).decisions SET seal_refusal = \("\(refused.reason.rawValue): \(refused.detail)")
            WHERE case_id = \(refused.caseId) AND department_id = \(refused.departmentId) AND document_hash = \(refused.documentHash.lowercased())
              AND imprint_id IS NULL
            """, logger: logger)
    }
}
