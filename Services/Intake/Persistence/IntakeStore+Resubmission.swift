import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
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
                field: "additionalDemands", words: "只能要求补正一次性告知书所列的材料（第36条）；本次额外要求已登记在案")
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
                throw HallError(.internalError, "the case's item version is missing", words: "办件对应的事项版本缺失")
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
        guard let row = rows.first else {
            throw HallError(.notFound, "no application with receipt code \(receiptCode)", field: "receiptCode", words: "没有受理编号为 \(receiptCode) 的申请")
        }
        guard row.1 == "awaiting-correction" else {
            throw HallError(
                .conflict, "application \(receiptCode) is \(row.1), not awaiting correction", field: "receiptCode",
                words: "申请 \(receiptCode) 当前为“\(Words.status(row.1))”，不在待补正状态")
        }
        return row.0
    }

    /// One published version of an item (it never changes): from the guides kept a moment, read
    /// afresh when it is newer than what is kept.
    func itemVersion(_ code: String, _ version: Int) async throws -> ItemVersion? {
        if let kept = try await items.versions(of: code, load: { try await versions(of: code) }).first(where: { $0.version == version }) {
            return kept
        }
        return try await versions(of: code).first { $0.version == version }
    }
}
