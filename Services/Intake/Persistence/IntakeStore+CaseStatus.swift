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
        let record = try JSONDecoder().decode(CaseRecord.self, from: Data(json.utf8))
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
            let rows = try await client.run(
                """
                SELECT \(unescaped: schema).case_status_record(u.receipt, u.id_number, u.texts)::text
                FROM unnest(\(lookups.map(\.receiptCode))::text[], \(lookups.map(\.idNumber))::text[], \(lookups.map(\.texts))::boolean[])
                    WITH ORDINALITY AS u(receipt, id_number, texts, n)
                ORDER BY u.n
                """, logger: logger)
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
/// 2000-01-01, PostgreSQL's own form; dates as ISO text). Its snake_case keys are spelled out:
/// a decoder converting every key of every look-up took half the time of reading the record.
struct CaseRecord: Decodable {
    /// An instant as PostgreSQL keeps it, turned into a `Date` exactly as postgres-nio does when it
    /// reads a `timestamptz`, so a status read here equals one read row by row.
    struct Instant: Decodable {
        static let start = Date(timeIntervalSince1970: 946_684_800)
        let date: Date
        init(from decoder: any Decoder) throws {
            let micros = try decoder.singleValueContainer().decode(Int64.self)
            date = Date(timeInterval: Double(micros) / 1_000_000, since: Self.start)
        }
    }
    struct Promised: Decodable {
        let materialId: String, dueBy: String, deliveredAt: Instant?, receivedBy: String?
        enum CodingKeys: String, CodingKey { case materialId = "material_id", dueBy = "due_by", deliveredAt = "delivered_at", receivedBy = "received_by" }
    }
    struct Supplement: Decodable {
        let departmentId: String, material: String, needed: String, requestedAt: Instant, suppliedAt: Instant?, suppliedByAgent: String?
        enum CodingKeys: String, CodingKey { case departmentId = "department_id", material, needed, requestedAt = "requested_at", suppliedAt = "supplied_at", suppliedByAgent = "supplied_by_agent" }
    }
    struct Change: Decodable {
        let from: String, to: String, reason: String, changedAt: Instant
        enum CodingKeys: String, CodingKey { case from, to, reason, changedAt = "changed_at" }
    }
    struct Fee: Decodable {
        let paymentReference: String?, recordedAt: Instant
        enum CodingKeys: String, CodingKey { case paymentReference = "payment_reference", recordedAt = "recorded_at" }
    }
    struct Document: Decodable {
        let kind: String, departmentId: String, imprintId: UUID?, sealedAt: Instant?, sealRefusal: String?, number: String?, createdAt: Instant
        /// The text as issued, when asked for and kept (the front desk keeps none of a department's decision).
        let text: String?
        enum CodingKeys: String, CodingKey {
            case kind, departmentId = "department_id", imprintId = "imprint_id", sealedAt = "sealed_at", sealRefusal = "seal_refusal", number, createdAt = "created_at", text
        }
    }
    struct Green: Decodable {
        let reason: String, reference: String, approvedBy: String, approvedAt: Instant, recordedBy: String, recordedAt: Instant
        enum CodingKeys: String, CodingKey { case reason, reference, approvedBy = "approved_by", approvedAt = "approved_at", recordedBy = "recorded_by", recordedAt = "recorded_at" }
    }
    struct Agent: Decodable {
        let agentId: String, name: String, entrustmentReference: String, assignedAt: Instant, endedAt: Instant?, reason: String?
        enum CodingKeys: String, CodingKey { case agentId = "agent_id", name, entrustmentReference = "entrustment_reference", assignedAt = "assigned_at", endedAt = "ended_at", reason }
    }
    struct Event: Decodable {
        let at: Instant, event: String, departmentId: String?, detail: String?
        enum CodingKeys: String, CodingKey { case at, event, departmentId = "department_id", detail }
    }

    let departmentId: String?, createdAt: Instant?
    let itemCode: String, status: String, noticeNumber: String?, acceptedAt: Instant?, dueDate: String?
    let dueProvisional: Bool?, refusalReason: String?, competentAuthority: String?, bundleId: String?, itemVersion: Int?
    let outcome: String?, completedAt: Instant?, finalDueDate: String?, onTime: Bool?, handedOverAt: Instant?, collectedByAgent: String?
    let readyAt: Instant?
    let corrections: [String]?, promised: [Promised]?, supplements: [Supplement]?, changes: [Change]?, fee: Fee?
    let documents: [Document]?, green: Green?, agents: [Agent]?
    /// The events recorded as such (a task's countersignature, a suspension, …); ``events`` adds the rest.
    let timeline: [Event]?

    enum CodingKeys: String, CodingKey {
        case departmentId = "department_id", createdAt = "created_at"
        case itemCode = "item_code", status, noticeNumber = "notice_number", acceptedAt = "accepted_at", dueDate = "due_date"
        case dueProvisional = "due_provisional", refusalReason = "refusal_reason", competentAuthority = "competent_authority"
        case bundleId = "bundle_id", itemVersion = "item_version", outcome, completedAt = "completed_at", finalDueDate = "final_due_date"
        case onTime = "on_time", handedOverAt = "handed_over_at", collectedByAgent = "collected_by_agent", readyAt = "ready_at"
        case corrections, promised, supplements, changes, fee, documents, green, agents, timeline
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
