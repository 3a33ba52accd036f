import Foundation
import HallCalendar
import HallContracts
import HallKit
import PostgresNIO

extension IntakeStore {
    /// The case as its applicant may see it; nil unless the identity number matches.
    func caseStatus(receiptCode: String, idNumber: String) async throws -> CaseStatus? {
        try await caseView(receiptCode: receiptCode, idNumber: idNumber, texts: false)?.status
    }

    /// The case as its applicant may see it and, for the printed page, the text of every notice
    /// and decision the front desk issued, oldest first; nil unless the identity number matches.
    ///
    /// One call to the schema's `case_status_record` function: its plan is kept by the session,
    /// where a dozen statements would each be parsed and planned again at every look-up. Look-ups
    /// that arrive while others are being read are read together, in one statement.
    func caseView(receiptCode: String, idNumber: String, texts: Bool) async throws
        -> (status: CaseStatus, texts: [(kind: String, departmentId: String, text: String)])?
    {
        // PostgreSQL's text holds no NUL character: no case has one in its code or number.
        guard !receiptCode.utf8.contains(0), !idNumber.utf8.contains(0) else { return nil }
        let lookup = CaseLookup(receiptCode: receiptCode, idNumber: idNumber.uppercased(), texts: texts)
        let json = try await caseLookups.submit(lookup) { lookups in await self.caseRecords(lookups) }
        guard let json else { return nil }
        let record = try CaseRecord(json: json)
        let status = try await caseStatus(record, receiptCode: receiptCode)
        return (status, (record.documents ?? []).compactMap { document in document.text.map { (kind: document.kind, departmentId: document.departmentId, text: $0) } })
    }

    /// The records of `lookups`, in order (nil where the case or the identity number does not
    /// match): one call alone, a group in one statement. A group the database refuses is read
    /// again look-up by look-up, so that a look-up it cannot take fails alone, not its group.
    func caseRecords(_ lookups: [CaseLookup]) async -> [Result<String?, any Error>] {
        if lookups.count == 1, let lookup = lookups.first {
            do {
                let rows = try await client.run(
                    "SELECT \(unescaped: schema).case_status_record(\(lookup.receiptCode), \(lookup.idNumber), \(lookup.texts))::text",
                    logger: logger)
                return [.success(try await rows.decode(String?.self).collectAll().first ?? nil)]
            } catch {
                return [.failure(error)]
            }
        }
        do {
            // One statement for the group, each table read once for all its cases (a join over the
            // distinct cases found, not a subquery run at each case): for each look-up the record
            // `case_status_record` gives, key for key. Prepared despite its arrays: planning this
            // join costs more than reading a group, and a group is short, so the generic plan
            // (ten cases) serves every group. pgbench reading 16 cases a statement: 1,820–2,100
            // statements/s against 1,130–1,160 calling the function on each case.
            let rows = try await client.run(
                """
                WITH u AS (
                    SELECT * FROM unnest(\(lookups.map(\.receiptCode))::text[], \(lookups.map(\.idNumber))::text[], \(lookups.map(\.texts))::boolean[]) WITH ORDINALITY AS u(receipt, id_number, texts, n)),
                a AS (
                    SELECT u.n, u.texts, a.* FROM u JOIN \(unescaped: schema).applications a ON a.receipt_code = u.receipt AND a.applicant_id_number = u.id_number),
                k AS (SELECT DISTINCT case_id FROM a),
                corr AS (
                    SELECT c.case_id, json_agg(c.needed ORDER BY c.material_id) AS j
                    FROM k JOIN \(unescaped: schema).corrections c ON c.case_id = k.case_id AND c.resolved_at IS NULL GROUP BY c.case_id),
                prom AS (
                    SELECT p.case_id, json_agg(json_build_object(
                            'material_id', p.material_id, 'due_by', p.due_by::text, 'delivered_at', \(unescaped: schema).micros(p.delivered_at),
                            'received_by', p.received_by) ORDER BY p.due_by, p.material_id) AS j
                    FROM k JOIN \(unescaped: schema).promised_materials p ON p.case_id = k.case_id GROUP BY p.case_id),
                supp AS (
                    SELECT s.case_id, json_agg(json_build_object(
                            'department_id', s.department_id, 'material', s.material, 'needed', s.needed,
                            'requested_at', \(unescaped: schema).micros(s.requested_at), 'supplied_at', \(unescaped: schema).micros(s.supplied_at),
                            'supplied_by_agent', s.supplied_by_agent) ORDER BY s.requested_at, s.id) AS j
                    FROM k JOIN \(unescaped: schema).supplement_requests s ON s.case_id = k.case_id GROUP BY s.case_id),
                chg AS (
                    SELECT d.case_id, json_agg(json_build_object(
                            'from', d.old_due_date::text, 'to', d.new_due_date::text, 'reason', d.reason,
                            'changed_at', \(unescaped: schema).micros(d.changed_at)) ORDER BY d.changed_at, d.id) AS j
                    FROM k JOIN \(unescaped: schema).due_date_changes d ON d.case_id = k.case_id GROUP BY d.case_id),
                fee AS (
                    SELECT f.case_id, json_build_object('payment_reference', f.payment_reference, 'recorded_at', \(unescaped: schema).micros(f.recorded_at)) AS j
                    FROM k JOIN \(unescaped: schema).fees f ON f.case_id = k.case_id),
                docs AS (
                    SELECT t.case_id, t.texts, json_agg(json_build_object(
                            'kind', n.kind, 'department_id', n.department_id, 'imprint_id', COALESCE(n.imprint_id, ds.imprint_id),
                            'sealed_at', \(unescaped: schema).micros(COALESCE(n.sealed_at, ds.sealed_at)), 'seal_refusal', n.seal_refusal,
                            'number', n.number, 'created_at', \(unescaped: schema).micros(n.created_at), 'text', CASE WHEN t.texts THEN n.text END)
                            ORDER BY n.created_at, n.kind, n.department_id) AS j
                    FROM (SELECT DISTINCT case_id, texts FROM a) t
                        JOIN (\(unescaped: schema).notices n LEFT JOIN \(unescaped: schema).decision_seals ds USING (case_id, kind, department_id, sha256))
                        ON n.case_id = t.case_id
                    GROUP BY t.case_id, t.texts),
                green AS (
                    SELECT g.case_id, json_build_object(
                            'reason', g.reason, 'reference', g.reference, 'approved_by', g.approved_by, 'approved_at', \(unescaped: schema).micros(g.approved_at),
                            'recorded_by', g.recorded_by, 'recorded_at', \(unescaped: schema).micros(g.recorded_at)) AS j
                    FROM k JOIN \(unescaped: schema).green_channel_approvals g ON g.case_id = k.case_id),
                agents AS (
                    SELECT g.case_id, json_agg(json_build_object(
                            'agent_id', g.agent_id, 'name', st.name, 'entrustment_reference', g.entrustment_reference,
                            'assigned_at', \(unescaped: schema).micros(g.assigned_at), 'ended_at', \(unescaped: schema).micros(g.ended_at), 'reason', g.reason) ORDER BY g.id) AS j
                    FROM k JOIN \(unescaped: schema).agency_assignments g ON g.case_id = k.case_id JOIN \(unescaped: schema).staff st ON st.id = g.agent_id GROUP BY g.case_id),
                tl AS (
                    SELECT x.case_id, json_agg(json_build_object(
                            'at', \(unescaped: schema).micros(x.at), 'event', x.event, 'department_id', x.department_id, 'detail', x.detail)) AS j
                    FROM k JOIN \(unescaped: schema).case_timeline x ON x.case_id = k.case_id GROUP BY x.case_id)
                SELECT CASE WHEN a.case_id IS NOT NULL THEN json_build_object(
                        'case_id', a.case_id, 'item_code', a.item_code, 'status', a.status, 'notice_number', a.notice_number,
                        'department_id', a.department_id, 'created_at', \(unescaped: schema).micros(a.created_at),
                        'accepted_at', \(unescaped: schema).micros(a.accepted_at), 'due_date', a.due_date::text, 'due_provisional', a.due_provisional,
                        'refusal_reason', a.refusal_reason, 'competent_authority', a.competent_authority, 'bundle_id', a.bundle_id,
                        'item_version', a.item_version, 'outcome', a.outcome, 'completed_at', \(unescaped: schema).micros(a.completed_at),
                        'final_due_date', a.final_due_date::text, 'on_time', a.on_time, 'handed_over_at', \(unescaped: schema).micros(a.handed_over_at),
                        'collected_by_agent', a.collected_by_agent, 'ready_at', \(unescaped: schema).micros(a.ready_at),
                        'corrections', corr.j, 'promised', prom.j, 'supplements', supp.j, 'changes', chg.j, 'fee', fee.j,
                        'documents', docs.j, 'green', green.j, 'agents', agents.j, 'timeline', tl.j)::text END
                FROM u LEFT JOIN a ON a.n = u.n
                    LEFT JOIN corr ON corr.case_id = a.case_id LEFT JOIN prom ON prom.case_id = a.case_id
                    LEFT JOIN supp ON supp.case_id = a.case_id LEFT JOIN chg ON chg.case_id = a.case_id
                    LEFT JOIN fee ON fee.case_id = a.case_id LEFT JOIN docs ON docs.case_id = a.case_id AND docs.texts = a.texts
                    LEFT JOIN green ON green.case_id = a.case_id LEFT JOIN agents ON agents.case_id = a.case_id
                    LEFT JOIN tl ON tl.case_id = a.case_id
                ORDER BY u.n
                """, arrays: .prepared, logger: logger)
            let records = try await rows.decode(String?.self).collectAll()
            guard records.count == lookups.count else {
                throw HallError(
                    .internalError, "the case look-up returned \(records.count) records for \(lookups.count) cases", words: "案件查询结果与所查案件数目不符")
            }
            return records.map { .success($0) }
        } catch let error as PSQLError where error.serverInfo != nil {
            var results: [Result<String?, any Error>] = []
            for lookup in lookups { results += await caseRecords([lookup]) }
            return results
        } catch {
            return Array(repeating: .failure(error), count: lookups.count)
        }
    }

    /// What the applicant is told, from what `case_status_record` read.
    private func caseStatus(_ record: CaseRecord, receiptCode: String) async throws -> CaseStatus {
        let promised = record.promised ?? [], supplements = (record.supplements ?? []).map {
            SupplementRequest(
                departmentId: $0.departmentId, material: $0.material, needed: $0.needed, requestedAt: $0.requestedAt.date,
                suppliedAt: $0.suppliedAt?.date, broughtByAgent: $0.suppliedByAgent)
        }
        let open = supplements.filter { $0.suppliedAt == nil }
        let awaiting = (record.corrections ?? [])
            + promised.filter { $0.deliveredAt == nil }.sorted { $0.materialId < $1.materialId }.map { "\($0.materialId) (promised by \($0.dueBy))" }
            + open.map { "\($0.needed) (asked by \($0.departmentId))" }
        let timeline = record.events.map {
            CaseStatus.TimelineEntry(at: $0.at.date, event: $0.event, departmentId: $0.departmentId, detail: $0.detail)
        }
        let suspended = timeline.last { ["suspended", "resumed"].contains($0.event) }?.event == "suspended"
        let stored = record.status
        let status = stored == "accepted" && !open.isEmpty ? "awaiting-supplement" : stored == "accepted" && suspended ? "suspended" : stored
        // A department that countersigned its approval or denial has given its opinion.
        let opinionGiven = Set(timeline.filter { $0.event == "countersigned" && $0.detail != TaskOpinion.needsSupplement.rawValue }.compactMap(\.departmentId))
        let changes = (record.changes ?? []).compactMap { change -> CaseStatus.DueDateChange? in
            guard let from = LocalDate(iso: change.from), let to = LocalDate(iso: change.to) else { return nil }
            return CaseStatus.DueDateChange(from: from, to: to, reason: change.reason, changedAt: change.changedAt.date)
        }
        let today = LocalDate.inHall(Date())
        let promises = promised.compactMap { row -> CaseStatus.Promise? in
            guard let due = LocalDate(iso: row.dueBy) else { return nil }
            return .init(materialId: row.materialId, dueBy: due, receivedAt: row.deliveredAt?.date, receivedBy: row.receivedBy, overdue: row.deliveredAt == nil && due < today)
        }
        var collection: CaseStatus.CollectionStatus?
        if stored == "ready", let readyAt = record.readyAt?.date {
            let deadline = Collection.deadline(readyAt: readyAt, today: today, calendar: calendar)
            collection = .init(readyAt: readyAt, collectBy: deadline.collectBy, overdue: deadline.overdue)
        }
        var fee: CaseStatus.FeeStatus?
        var departments: [CaseStatus.DepartmentStatus]?
        if let version = record.itemVersion, let item = try await itemVersion(record.itemCode, version) {
            if let cents = item.fee.amountCents, let basis = item.fee.basis, !["refused", "awaiting-correction", "held"].contains(stored) {
                fee = .init(
                    amountCents: cents, basis: basis, paid: record.fee != nil, paymentReference: record.fee?.paymentReference, paidAt: record.fee?.recordedAt.date)
            }
            departments = item.departmentIds.enumerated().map { index, department in
                let part: String
                switch stored {
                case "completed", "ready", "issued": part = "completed"
                case "accepted", "decided":
                    part = open.contains { $0.departmentId == department } ? "awaiting-supplement" : opinionGiven.contains(department) ? "opinion-given" : "in-progress"
                default: part = "not-started"
                }
                return .init(departmentId: department, role: index == 0 ? "lead" : "participant", status: part)
            }
        }
        var completion: CaseStatus.Completion?
        if let completedAt = record.completedAt?.date, let outcome = record.outcome {
            completion = CaseStatus.Completion(
                outcome: outcome, completedAt: completedAt, dueDate: record.finalDueDate.flatMap(LocalDate.init(iso:)), onTime: record.onTime ?? false)
        }
        let handover = record.handedOverAt.map {
            CaseStatus.Handover(
                handedOverAt: $0.date, collectedBy: record.collectedByAgent == nil ? Party.applicant.rawValue : Party.agent.rawValue,
                agentId: record.collectedByAgent)
        }
        let documents = (record.documents ?? []).map {
            CaseStatus.DocumentStatus(
                kind: $0.kind, number: $0.number, issuedAt: $0.createdAt.date, departmentId: $0.departmentId, sealed: $0.imprintId != nil,
                imprintId: $0.imprintId, sealedAt: $0.sealedAt?.date, sealRefusal: $0.sealRefusal)
        }
        let green = record.green.map {
            CaseStatus.GreenChannel(
                reason: $0.reason, reference: $0.reference, approvedBy: $0.approvedBy, approvedAt: $0.approvedAt.date, recordedBy: $0.recordedBy,
                recordedAt: $0.recordedAt.date)
        }
        let agents = (record.agents ?? []).map {
            CaseStatus.Agent(
                agentId: $0.agentId, name: $0.name, entrustmentReference: $0.entrustmentReference, assignedAt: $0.assignedAt.date,
                endedAt: $0.endedAt?.date, reason: $0.reason)
        }
        return CaseStatus(
            receiptCode: receiptCode, itemCode: record.itemCode, status: status, noticeNumber: record.noticeNumber, acceptedAt: record.acceptedAt?.date,
            dueDate: record.dueDate.flatMap(LocalDate.init(iso:)), dueDateProvisional: record.dueProvisional, awaiting: awaiting,
            refusalReason: record.refusalReason, competentAuthority: record.competentAuthority, bundleId: record.bundleId,
            supplements: supplements.isEmpty ? nil : supplements, departments: departments, dueDateChanges: changes.isEmpty ? nil : changes,
            documents: documents.isEmpty ? nil : documents, greenChannel: green, agent: agents.last { $0.endedAt == nil },
            previousAgents: agents.contains { $0.endedAt != nil } ? agents.filter { $0.endedAt != nil } : nil,
            handover: handover, completion: completion, promisedMaterials: promises.isEmpty ? nil : promises, fee: fee, collection: collection,
            timeline: timeline)
    }
}

/// A case to look up: its receipt code, the identity number its applicant gave (upper case), and
/// whether the notices' texts are wanted.
struct CaseLookup: Sendable {
    /// Groups read at the same time: about one per core, so that the database's backends do not
    /// compete for the cores with the service and each other.
    static let batchesAtOnce = 2
    /// Look-ups in one group at most.
    static let maxBatch = 32

    var receiptCode: String
    var idNumber: String
    var texts: Bool
}

/// One case as the schema's `case_status_record` function returns it (instants as microseconds since
/// 2000-01-01, PostgreSQL's own form; dates as ISO text), read with a ``JSONReader``: through
/// `JSONDecoder` the record took 20 µs, a twentieth of a case-status page. A member the record
/// does not know is skipped; one of the wrong kind, or a record without its item or status, throws.
struct CaseRecord {
    /// An instant as PostgreSQL keeps it, turned into a `Date` exactly as postgres-nio does when it
    /// reads a `timestamptz`, so a status read here equals one read row by row.
    struct Instant {
        static let start = Date(timeIntervalSince1970: 946_684_800)
        let date: Date
        init(micros: Int64) {
            date = Date(timeInterval: Double(micros) / 1_000_000, since: Self.start)
        }
        static func read(_ reader: inout JSONReader) throws -> Instant? {
            try reader.integer().map(Instant.init(micros:))
        }
    }
    struct Promised {
        var materialId = "", dueBy = "", deliveredAt: Instant?, receivedBy: String?
    }
    struct Supplement {
        var departmentId = "", material = "", needed = "", requestedAt = Instant(micros: 0), suppliedAt: Instant?, suppliedByAgent: String?
    }
    struct Change {
        var from = "", to = "", reason = "", changedAt = Instant(micros: 0)
    }
    struct Fee {
        var paymentReference: String?, recordedAt = Instant(micros: 0)
    }
    struct Document {
        var kind = "", departmentId = "", imprintId: UUID?, sealedAt: Instant?, sealRefusal: String?, number: String?, createdAt = Instant(micros: 0)
        /// The text as issued, when asked for and kept (the front desk keeps none of a department's decision).
        var text: String?
    }
    struct Green {
        var reason = "", reference = "", approvedBy = "", approvedAt = Instant(micros: 0), recordedBy = "", recordedAt = Instant(micros: 0)
    }
    struct Agent {
        var agentId = "", name = "", entrustmentReference = "", assignedAt = Instant(micros: 0), endedAt: Instant?, reason: String?
    }
    struct Event {
        var at: Instant, event: String, departmentId: String?, detail: String?
    }

    var departmentId: String?, createdAt: Instant?
    var itemCode = "", status = "", noticeNumber: String?, acceptedAt: Instant?, dueDate: String?
    var dueProvisional: Bool?, refusalReason: String?, competentAuthority: String?, bundleId: String?, itemVersion: Int?
    var outcome: String?, completedAt: Instant?, finalDueDate: String?, onTime: Bool?, handedOverAt: Instant?, collectedByAgent: String?
    var readyAt: Instant?
    var corrections: [String]?, promised: [Promised]?, supplements: [Supplement]?, changes: [Change]?, fee: Fee?
    var documents: [Document]?, green: Green?, agents: [Agent]?
    /// The events recorded as such (a task's countersignature, a suspension, …); ``events`` adds the rest.
    var timeline: [Event]?

    /// The record in `json`, the function's text.
    init(json: String) throws {
        var reader = JSONReader(json)
        var record = CaseRecord()
        try reader.object { reader, key in try record.read(key, &reader) }
        try reader.end()
        guard !record.itemCode.isEmpty, !record.status.isEmpty else {
            throw JSONReader.Malformed(offset: 0, expected: "a case record with its item_code and status")
        }
        self = record
    }

    private init() {}

    private mutating func read(_ key: String, _ r: inout JSONReader) throws {
        switch key {
        case "department_id": departmentId = try r.string()
        case "created_at": createdAt = try Instant.read(&r)
        case "item_code": itemCode = try Self.required(r.string(), key, at: r.offset)
        case "status": status = try Self.required(r.string(), key, at: r.offset)
        case "notice_number": noticeNumber = try r.string()
        case "accepted_at": acceptedAt = try Instant.read(&r)
        case "due_date": dueDate = try r.string()
        case "due_provisional": dueProvisional = try r.bool()
        case "refusal_reason": refusalReason = try r.string()
        case "competent_authority": competentAuthority = try r.string()
        case "bundle_id": bundleId = try r.string()
        case "item_version": itemVersion = try r.integer().map { Int($0) }
        case "outcome": outcome = try r.string()
        case "completed_at": completedAt = try Instant.read(&r)
        case "final_due_date": finalDueDate = try r.string()
        case "on_time": onTime = try r.bool()
        case "handed_over_at": handedOverAt = try Instant.read(&r)
        case "collected_by_agent": collectedByAgent = try r.string()
        case "ready_at": readyAt = try Instant.read(&r)
        case "corrections": corrections = try r.list { try Self.required($0.string(), key, at: $0.offset) }
        case "promised":
            promised = try Self.objects(&r, Promised()) { promise, key, r in
                switch key {
                case "material_id": promise.materialId = try Self.required(r.string(), key, at: r.offset)
                case "due_by": promise.dueBy = try Self.required(r.string(), key, at: r.offset)
                case "delivered_at": promise.deliveredAt = try Instant.read(&r)
                case "received_by": promise.receivedBy = try r.string()
                default: try r.skip()
                }
            }
        case "supplements":
            supplements = try Self.objects(&r, Supplement()) { supplement, key, r in
                switch key {
                case "department_id": supplement.departmentId = try Self.required(r.string(), key, at: r.offset)
                case "material": supplement.material = try Self.required(r.string(), key, at: r.offset)
                case "needed": supplement.needed = try Self.required(r.string(), key, at: r.offset)
                case "requested_at": supplement.requestedAt = try Self.required(Instant.read(&r), key, at: r.offset)
                case "supplied_at": supplement.suppliedAt = try Instant.read(&r)
                case "supplied_by_agent": supplement.suppliedByAgent = try r.string()
                default: try r.skip()
                }
            }
        case "changes":
            changes = try Self.objects(&r, Change()) { change, key, r in
                switch key {
                case "from": change.from = try Self.required(r.string(), key, at: r.offset)
                case "to": change.to = try Self.required(r.string(), key, at: r.offset)
                case "reason": change.reason = try Self.required(r.string(), key, at: r.offset)
                case "changed_at": change.changedAt = try Self.required(Instant.read(&r), key, at: r.offset)
                default: try r.skip()
                }
            }
        case "fee":
            fee = try Self.object(&r, Fee()) { fee, key, r in
                switch key {
                case "payment_reference": fee.paymentReference = try r.string()
                case "recorded_at": fee.recordedAt = try Self.required(Instant.read(&r), key, at: r.offset)
                default: try r.skip()
                }
            }
        case "documents":
            documents = try Self.objects(&r, Document()) { document, key, r in
                switch key {
                case "kind": document.kind = try Self.required(r.string(), key, at: r.offset)
                case "department_id": document.departmentId = try Self.required(r.string(), key, at: r.offset)
                case "imprint_id":
                    document.imprintId = try r.string().map { try Self.required(UUID(uuidString: $0), key, at: r.offset) }
                case "sealed_at": document.sealedAt = try Instant.read(&r)
                case "seal_refusal": document.sealRefusal = try r.string()
                case "number": document.number = try r.string()
                case "created_at": document.createdAt = try Self.required(Instant.read(&r), key, at: r.offset)
                case "text": document.text = try r.string()
                default: try r.skip()
                }
            }
        case "green":
            green = try Self.object(&r, Green()) { green, key, r in
                switch key {
                case "reason": green.reason = try Self.required(r.string(), key, at: r.offset)
                case "reference": green.reference = try Self.required(r.string(), key, at: r.offset)
                case "approved_by": green.approvedBy = try Self.required(r.string(), key, at: r.offset)
                case "approved_at": green.approvedAt = try Self.required(Instant.read(&r), key, at: r.offset)
                case "recorded_by": green.recordedBy = try Self.required(r.string(), key, at: r.offset)
                case "recorded_at": green.recordedAt = try Self.required(Instant.read(&r), key, at: r.offset)
                default: try r.skip()
                }
            }
        case "agents":
            agents = try Self.objects(&r, Agent()) { agent, key, r in
                switch key {
                case "agent_id": agent.agentId = try Self.required(r.string(), key, at: r.offset)
                case "name": agent.name = try Self.required(r.string(), key, at: r.offset)
                case "entrustment_reference": agent.entrustmentReference = try Self.required(r.string(), key, at: r.offset)
                case "assigned_at": agent.assignedAt = try Self.required(Instant.read(&r), key, at: r.offset)
                case "ended_at": agent.endedAt = try Instant.read(&r)
                case "reason": agent.reason = try r.string()
                default: try r.skip()
                }
            }
        case "timeline":
            timeline = try Self.objects(&r, Event(at: Instant(micros: 0), event: "", departmentId: nil, detail: nil)) { event, key, r in
                switch key {
                case "at": event.at = try Self.required(Instant.read(&r), key, at: r.offset)
                case "event": event.event = try Self.required(r.string(), key, at: r.offset)
                case "department_id": event.departmentId = try r.string()
                case "detail": event.detail = try r.string()
                default: try r.skip()
                }
            }
        default: try r.skip()
        }
    }

    /// An object read member by member into `empty`; nil for null.
    private static func object<Element>(
        _ reader: inout JSONReader, _ empty: Element, _ member: (inout Element, String, inout JSONReader) throws -> Void
    ) throws -> Element? {
        var element = empty
        return try reader.object { reader, key in try member(&element, key, &reader) } ? element : nil
    }

    /// A list of such objects; nil for null.
    private static func objects<Element>(
        _ reader: inout JSONReader, _ empty: Element, _ member: (inout Element, String, inout JSONReader) throws -> Void
    ) throws -> [Element]? {
        try reader.list { reader in try required(object(&reader, empty, member), "a list's object", at: reader.offset) }
    }

    /// `value`, or an error naming `key` when it is null.
    private static func required<Value>(_ value: Value?, _ key: String, at offset: Int) throws -> Value {
        guard let value else { throw JSONReader.Malformed(offset: offset, expected: "a value of \(key)") }
        return value
    }

    /// The case's timeline, oldest first (ties by the event's name): the events recorded as such
    /// and those the record shows by itself — the acceptance or refusal, each correction notice and
    /// seal, each supplement asked and brought, each promised material brought, the fee, the
    /// completion, readiness and hand-over.
    var events: [Event] {
        var events: [Event] = []
        if let acceptedAt { events.append(Event(at: acceptedAt, event: "accepted", departmentId: departmentId, detail: noticeNumber)) }
        if status == "refused", let createdAt { events.append(Event(at: createdAt, event: "refused", departmentId: departmentId, detail: refusalReason)) }
        for document in documents ?? [] {
            if document.kind == "correction-notice" {
                events.append(Event(at: document.createdAt, event: "correction-notified", departmentId: document.departmentId, detail: document.number))
            }
            if let sealedAt = document.sealedAt { events.append(Event(at: sealedAt, event: "sealed", departmentId: document.departmentId, detail: document.kind)) }
        }
        for supplement in supplements ?? [] {
            events.append(Event(at: supplement.requestedAt, event: "supplement-requested", departmentId: supplement.departmentId, detail: supplement.material))
            if let suppliedAt = supplement.suppliedAt {
                events.append(Event(at: suppliedAt, event: "supplement-brought", departmentId: supplement.departmentId, detail: supplement.material))
            }
        }
        for promise in promised ?? [] {
            if let deliveredAt = promise.deliveredAt { events.append(Event(at: deliveredAt, event: "promised-material-brought", departmentId: nil, detail: promise.materialId)) }
        }
        events += timeline ?? []
        if let completedAt { events.append(Event(at: completedAt, event: "completed", departmentId: nil, detail: outcome)) }
        if let readyAt { events.append(Event(at: readyAt, event: "ready", departmentId: nil, detail: nil)) }
        if let fee { events.append(Event(at: fee.recordedAt, event: "fee-paid", departmentId: nil, detail: nil)) }
        if let handedOverAt { events.append(Event(at: handedOverAt, event: "handed-over", departmentId: nil, detail: nil)) }
        return events.enumerated().sorted {
            ($0.element.at.date, $0.element.event, $0.offset) < ($1.element.at.date, $1.element.event, $1.offset)
        }.map(\.element)
    }
}
