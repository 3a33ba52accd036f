import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

extension IntakeStore {
    /// Checks a resubmission against the same list of corrections (and nothing else).
    func resubmit(receiptCode: String, _ resubmission: Resubmission, clerk: Clerk, now: Date = Date()) async throws -> ApplicationResponse {
        try await requirePosted(clerk, on: nil)
        if let demands = resubmission.additionalDemands, !demands.isEmpty {
            // Record the refused demand in its own transaction, then refuse the request.
            try await client.transaction(logger: logger) { connection in
                let caseId = try await caseIdForCorrection(receiptCode, on: connection)
                for material in demands {
                    try await connection.run(
                        "INSERT INTO \(unescaped: schema).refused_demands (case_id, material_id, demanded_by) VALUES (\(caseId), \(material), \(clerk.staffId))",
                        logger: logger)
                }
            }
            throw HallError(
                .conflict, "only the materials listed in the one-time correction notice may be asked for (Art 36); the demand was recorded",
                field: "additionalDemands")
        }
        return try await client.transaction(logger: logger) { connection in
            var caseId = try await caseIdForCorrection(receiptCode, on: connection)
            // The applications of a bundle are accepted together: resubmissions of one bundle
            // queue on the bundle's row, so the last correction in accepts them all exactly once.
            var bundle: (id: String, size: Int)?
            if let bundleId = try await bundleId(ofCase: caseId, on: connection) {
                let size = try await connection.select(
                    "SELECT size FROM \(unescaped: schema).bundles WHERE id = \(bundleId) FOR UPDATE", logger: logger
                ).decode(Int.self).collectAll()[0]
                bundle = (bundleId, size)
                caseId = try await caseIdForCorrection(receiptCode, on: connection)  // still awaiting, now that we hold the bundle
            }
            let row = try await connection.select(
                "SELECT item_code, item_version, response::text, presented::text FROM \(unescaped: schema).applications WHERE case_id = \(caseId) FOR UPDATE",
                logger: logger
            ).decode((String, Int, String, String).self).collectAll()[0]
            var response = try JSONDecoder.intake.decode(ApplicationResponse.self, from: Data(row.2.utf8))
            guard let item = try await versions(of: row.0, on: connection).first(where: { $0.version == row.1 }) else {
                throw HallError(.internalError, "the case's item version is missing")
            }
            let open = try await connection.select(
                "SELECT material_id FROM \(unescaped: schema).corrections WHERE case_id = \(caseId) AND resolved_at IS NULL", logger: logger
            ).decode(String.self).collectAll()
            // The same list, and only it: every listed material is required now, nothing else is checked.
            var listed = item
            listed.materials = item.materials.filter { open.contains($0.id) }.map {
                var material = $0
                material.requirement = .required
                material.condition = nil
                return material
            }
            let brought = resubmission.materials.filter { open.contains($0.materialId) }
            let verdict = try MaterialsCheck.check(
                materials: brought, conditionsMet: [], promised: resubmission.promised ?? [], against: listed, today: LocalDate.inHall(now))
            let remaining: [Correction]
            switch verdict {
            case .corrections(let list): remaining = list
            case .complete: remaining = []
            }
            let fixed = open.filter { id in !remaining.contains { $0.materialId == id } }
            try await connection.run(
                "UPDATE \(unescaped: schema).corrections SET resolved_at = now() WHERE case_id = \(caseId) AND material_id = ANY(\(fixed))",
                logger: logger)
            // What the applicant has presented now: the first submission, with the listed materials as brought again.
            var presented = try JSONDecoder.intake.decode([PresentedMaterial].self, from: Data(row.3.utf8))
            presented.removeAll { material in brought.contains { $0.materialId == material.materialId } }
            presented += brought
            let presentedJSON = String(decoding: try JSONEncoder.intake.encode(presented), as: UTF8.self)

            var outgoing: [OutgoingEvent] = []
            if remaining.isEmpty {
                if case .complete(let promises) = verdict {
                    for promise in promises {
                        try await connection.run(
                            "INSERT INTO \(unescaped: schema).promised_materials (case_id, material_id, due_by) VALUES (\(caseId), \(promise.materialId), \(promise.dueBy.description)::date)",
                            logger: logger)
                    }
                    response.promisedMaterials = promises.isEmpty ? nil : promises
                }
                // A bundle's application is held for the others; any other is accepted just below.
                response.outcome = .held
                response.corrections = nil
            } else {
                response.corrections = remaining
                outgoing.append(try correctionEventFor(receiptCode: receiptCode, item: item, corrections: remaining, now: now, clerk: clerk, caseId: caseId))
            }
            let json = String(decoding: try JSONEncoder.intake.encode(response), as: UTF8.self)
            try await connection.run(
                """
                UPDATE \(unescaped: schema).applications SET status = \(remaining.isEmpty && bundle != nil ? "held" : "awaiting-correction"),
                    presented = \(presentedJSON)::jsonb, response = \(json)::jsonb, updated_at = now()
                WHERE case_id = \(caseId)
                """, logger: logger)
            if remaining.isEmpty {
                if let bundle {
                    // Accepted together once no application of the bundle awaits a correction.
                    if let accepted = try await acceptBundleIfComplete(bundle, clerk: clerk, now: now, on: connection) {
                        outgoing += accepted.events
                        response = accepted.responses[caseId] ?? response
                    }
                } else {
                    let (accepted, events) = try await acceptStored(caseId: caseId, bundle: nil, clerk: clerk, now: now, on: connection)
                    response = accepted
                    outgoing += events
                }
            }
            try await outbox.append(outgoing, on: connection, logger: logger)
            return response
        }
    }

    private func caseIdForCorrection(_ receiptCode: String, on connection: PostgresConnection) async throws -> UUID {
        let rows = try await connection.select(
            "SELECT case_id, status FROM \(unescaped: schema).applications WHERE receipt_code = \(receiptCode)", logger: logger
        ).decode((UUID, String).self).collectAll()
        guard let row = rows.first else { throw HallError(.notFound, "no application with receipt code \(receiptCode)", field: "receiptCode") }
        guard row.1 == "awaiting-correction" else {
            throw HallError(.conflict, "application \(receiptCode) is \(row.1), not awaiting correction", field: "receiptCode")
        }
        return row.0
    }

    /// The case as its applicant may see it; nil unless the identity number matches.
    func caseStatus(receiptCode: String, idNumber: String) async throws -> CaseStatus? {
        let rows = try await client.run(
            """
            SELECT case_id, item_code, status, notice_number, accepted_at, due_date::text, due_provisional, refusal_reason, competent_authority,
                   bundle_id, item_version, outcome, completed_at, final_due_date::text AS final_due_date, on_time, handed_over_at, collected_by_agent,
                   ready_at
            FROM \(unescaped: schema).applications WHERE receipt_code = \(receiptCode) AND applicant_id_number = \(idNumber.uppercased())
            """, logger: logger
        ).collectAll()
        guard let found = rows.first?.makeRandomAccess() else { return nil }
        let row = (
            try found["case_id"].decode(UUID.self), try found["item_code"].decode(String.self), try found["status"].decode(String.self),
            try found["notice_number"].decode(String?.self), try found["accepted_at"].decode(Date?.self), try found["due_date"].decode(String?.self),
            try found["due_provisional"].decode(Bool?.self), try found["refusal_reason"].decode(String?.self),
            try found["competent_authority"].decode(String?.self), try found["bundle_id"].decode(String?.self), try found["item_version"].decode(Int?.self)
        )
        var completion: CaseStatus.Completion?
        if let completedAt = try found["completed_at"].decode(Date?.self) {
            completion = CaseStatus.Completion(
                outcome: try found["outcome"].decode(String.self), completedAt: completedAt,
                dueDate: try found["final_due_date"].decode(String?.self).flatMap(LocalDate.init(iso:)), onTime: try found["on_time"].decode(Bool.self))
        }
        let handover = try found["handed_over_at"].decode(Date?.self).map { handedOverAt in
            let agent = try found["collected_by_agent"].decode(String?.self)
            return CaseStatus.Handover(handedOverAt: handedOverAt, collectedBy: agent == nil ? Party.applicant.rawValue : Party.agent.rawValue, agentId: agent)
        }
        let caseId = row.0
        var awaiting = try await client.run(
            "SELECT needed FROM \(unescaped: schema).corrections WHERE case_id = \(caseId) AND resolved_at IS NULL ORDER BY material_id",
            logger: logger
        ).decode(String.self).collectAll()
        // The promises, read once: every one for the status, those not yet kept for what is awaited.
        let promised = try await client.run(
            """
            SELECT material_id, due_by::text, delivered_at, received_by FROM \(unescaped: schema).promised_materials
            WHERE case_id = \(caseId) ORDER BY due_by, material_id
            """, logger: logger
        ).decode((String, String, Date?, String?).self).collectAll()
        awaiting += promised.filter { $0.2 == nil }.sorted { $0.0 < $1.0 }.map { "\($0.0) (promised by \($0.1))" }
        let supplements = try await client.run(
            """
            SELECT department_id, material, needed, requested_at, supplied_at, supplied_by_agent FROM \(unescaped: schema).supplement_requests
            WHERE case_id = \(caseId) ORDER BY requested_at, id
            """, logger: logger
        ).decode((String, String, String, Date, Date?, String?).self).collectAll().map {
            SupplementRequest(departmentId: $0.0, material: $0.1, needed: $0.2, requestedAt: $0.3, suppliedAt: $0.4, broughtByAgent: $0.5)
        }
        let open = supplements.filter { $0.suppliedAt == nil }
        awaiting += open.map { "\($0.needed) (asked by \($0.departmentId))" }
        let timeline = try await caseTimeline(caseId: caseId)
        let suspended = timeline.last { ["suspended", "resumed"].contains($0.event) }?.event == "suspended"
        let status = row.2 == "accepted" && !open.isEmpty ? "awaiting-supplement" : row.2 == "accepted" && suspended ? "suspended" : row.2
        // A department that countersigned its approval or denial has given its opinion.
        let opinionGiven = Set(timeline.filter { $0.event == "countersigned" && $0.detail != TaskOpinion.needsSupplement.rawValue }.compactMap(\.departmentId))

        let changes = try await client.run(
            """
            SELECT old_due_date::text, new_due_date::text, reason, changed_at FROM \(unescaped: schema).due_date_changes
            WHERE case_id = \(caseId) ORDER BY changed_at, id
            """, logger: logger
        ).decode((String, String, String, Date).self).collectAll().compactMap { change -> CaseStatus.DueDateChange? in
            guard let from = LocalDate(iso: change.0), let to = LocalDate(iso: change.1) else { return nil }
            return CaseStatus.DueDateChange(from: from, to: to, reason: change.2, changedAt: change.3)
        }
        let today = LocalDate.inHall(Date())
        let promises = promised.compactMap { row -> CaseStatus.Promise? in
            guard let due = LocalDate(iso: row.1) else { return nil }
            return .init(materialId: row.0, dueBy: due, receivedAt: row.2, receivedBy: row.3, overdue: row.2 == nil && due < today)
        }
        var collection: CaseStatus.CollectionStatus?
        if row.2 == "ready", let readyAt = try found["ready_at"].decode(Date?.self) {
            let deadline = Collection.deadline(readyAt: readyAt, today: today, calendar: calendar)
            collection = .init(readyAt: readyAt, collectBy: deadline.collectBy, overdue: deadline.overdue)
        }
        var fee: CaseStatus.FeeStatus?
        var departments: [CaseStatus.DepartmentStatus]?
        if let version = row.10, let item = try await itemVersion(row.1, version) {
            if let cents = item.fee.amountCents, let basis = item.fee.basis, !["refused", "awaiting-correction", "held"].contains(row.2) {
                let paid = try await client.run(
                    "SELECT payment_reference, recorded_at FROM \(unescaped: schema).fees WHERE case_id = \(caseId)", logger: logger
                ).decode((String?, Date).self).collectAll().first
                fee = .init(amountCents: cents, basis: basis, paid: paid != nil, paymentReference: paid?.0, paidAt: paid?.1)
            }
            departments = item.departmentIds.enumerated().map { index, department in
                let part: String
                switch row.2 {
                case "completed", "ready", "issued": part = "completed"
                case "accepted", "decided":
                    part = open.contains { $0.departmentId == department } ? "awaiting-supplement" : opinionGiven.contains(department) ? "opinion-given" : "in-progress"
                default: part = "not-started"
                }
                return .init(departmentId: department, role: index == 0 ? "lead" : "participant", status: part)
            }
        }
        let details = try await trackingDetails(caseId: caseId)
        return CaseStatus(
            receiptCode: receiptCode, itemCode: row.1, status: status, noticeNumber: row.3, acceptedAt: row.4,
            dueDate: row.5.flatMap(LocalDate.init(iso:)), dueDateProvisional: row.6, awaiting: awaiting, refusalReason: row.7,
            competentAuthority: row.8, bundleId: row.9, supplements: supplements.isEmpty ? nil : supplements, departments: departments,
            dueDateChanges: changes.isEmpty ? nil : changes, documents: details.documents.isEmpty ? nil : details.documents,
            greenChannel: details.greenChannel, agent: details.agents.last { $0.endedAt == nil },
            previousAgents: details.agents.contains { $0.endedAt != nil } ? details.agents.filter { $0.endedAt != nil } : nil,
            handover: handover, completion: completion, promisedMaterials: promises.isEmpty ? nil : promises, fee: fee, collection: collection,
            timeline: timeline)
    }

    /// One published version of an item (it never changes): from the guides kept a moment, read
    /// afresh when it is newer than what is kept.
    func itemVersion(_ code: String, _ version: Int) async throws -> ItemVersion? {
        if let kept = try await items.versions(of: code, load: { try await versions(of: code) }).first(where: { $0.version == version }) {
            return kept
        }
        return try await versions(of: code).first { $0.version == version }
    }

    /// Everything that happened to the case, oldest first, in the words of ``CaseStatus/TimelineEntry``:
    /// what the front desk did and what the departments, the coordinator's clock and the seals reported.
    func caseTimeline(caseId: UUID) async throws -> [CaseStatus.TimelineEntry] {
        try await client.run(
            """
            SELECT at, event, department_id, detail FROM (
                SELECT accepted_at AS at, 'accepted' AS event, department_id, notice_number AS detail
                    FROM \(unescaped: schema).applications WHERE case_id = \(caseId) AND accepted_at IS NOT NULL
                UNION ALL SELECT created_at, 'refused', department_id, refusal_reason
                    FROM \(unescaped: schema).applications WHERE case_id = \(caseId) AND status = 'refused'
                UNION ALL SELECT created_at, 'correction-notified', department_id, number
                    FROM \(unescaped: schema).notices WHERE case_id = \(caseId) AND kind = 'correction-notice'
                UNION ALL SELECT COALESCE(n.sealed_at, s.sealed_at), 'sealed', n.department_id, n.kind
                    FROM \(unescaped: schema).notices n LEFT JOIN \(unescaped: schema).decision_seals s USING (case_id, kind, department_id, sha256)
                    WHERE n.case_id = \(caseId) AND COALESCE(n.sealed_at, s.sealed_at) IS NOT NULL
                UNION ALL SELECT requested_at, 'supplement-requested', department_id, material
                    FROM \(unescaped: schema).supplement_requests WHERE case_id = \(caseId)
                UNION ALL SELECT supplied_at, 'supplement-brought', department_id, material
                    FROM \(unescaped: schema).supplement_requests WHERE case_id = \(caseId) AND supplied_at IS NOT NULL
                UNION ALL SELECT delivered_at, 'promised-material-brought', NULL, material_id
                    FROM \(unescaped: schema).promised_materials WHERE case_id = \(caseId) AND delivered_at IS NOT NULL
                UNION ALL SELECT at, event, department_id, detail FROM \(unescaped: schema).case_timeline WHERE case_id = \(caseId)
                UNION ALL SELECT completed_at, 'completed', NULL, outcome
                    FROM \(unescaped: schema).applications WHERE case_id = \(caseId) AND completed_at IS NOT NULL
                UNION ALL SELECT ready_at, 'ready', NULL, NULL FROM \(unescaped: schema).applications WHERE case_id = \(caseId) AND ready_at IS NOT NULL
                UNION ALL SELECT recorded_at, 'fee-paid', NULL, NULL FROM \(unescaped: schema).fees WHERE case_id = \(caseId)
                UNION ALL SELECT handed_over_at, 'handed-over', NULL, NULL
                    FROM \(unescaped: schema).applications WHERE case_id = \(caseId) AND handed_over_at IS NOT NULL
            ) t ORDER BY at, event
            """, logger: logger
        ).decode((Date, String, String?, String?).self).collectAll().map {
            CaseStatus.TimelineEntry(at: $0.0, event: $0.1, departmentId: $0.2, detail: $0.3)
        }
    }
}
