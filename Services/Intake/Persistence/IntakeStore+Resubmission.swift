import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// What the applicant brings back after a one-time correction notice.
struct Resubmission: Codable, Sendable {
    var materials: [PresentedMaterial]
    var promised: [PromisedMaterial]?
    /// Materials the clerk wants to ask for beyond the notice. Art 36 forbids it: the system
    /// refuses the demand and records it.
    var additionalDemands: [String]?
}

/// What an applicant sees when following a case (no login: receipt code + identity number).
struct CaseStatus: Codable, Sendable, Equatable {
    var receiptCode: String
    var itemCode: String
    /// `accepted`, `refused` or `awaiting-correction`.
    var status: String
    var noticeNumber: String?
    var acceptedAt: Date?
    var dueDate: LocalDate?
    var dueDateProvisional: Bool?
    /// Awaited from the applicant: open corrections and promised materials.
    var awaiting: [String]
    var refusalReason: String?
    var competentAuthority: String?
}

extension IntakeStore {
    /// Checks a resubmission against the same list of corrections (and nothing else).
    func resubmit(receiptCode: String, _ resubmission: Resubmission, clerk: Clerk, now: Date = Date()) async throws -> ApplicationResponse {
        if let demands = resubmission.additionalDemands, !demands.isEmpty {
            // Record the refused demand in its own transaction, then refuse the request.
            try await client.transaction(logger: logger) { connection in
                let caseId = try await caseIdForCorrection(receiptCode, on: connection)
                for material in demands {
                    try await connection.query(
                        "INSERT INTO \(unescaped: schema).refused_demands (case_id, material_id, demanded_by) VALUES (\(caseId), \(material), \(clerk.staffId))",
                        logger: logger)
                }
            }
            throw HallError(
                .conflict, "only the materials listed in the one-time correction notice may be asked for (Art 36); the demand was recorded",
                field: "additionalDemands")
        }
        return try await client.transaction(logger: logger) { connection in
            let caseId = try await caseIdForCorrection(receiptCode, on: connection)
            let row = try await connection.select(
                "SELECT item_code, item_version, response::text FROM \(unescaped: schema).applications WHERE case_id = \(caseId) FOR UPDATE",
                logger: logger
            ).decode((String, Int, String).self).collectAll()[0]
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
            let verdict = try MaterialsCheck.check(
                materials: resubmission.materials.filter { open.contains($0.materialId) }, conditionsMet: [],
                promised: resubmission.promised ?? [], against: listed, today: LocalDate.inHall(now))
            let remaining: [Correction]
            switch verdict {
            case .corrections(let list): remaining = list
            case .complete: remaining = []
            }
            let fixed = open.filter { id in !remaining.contains { $0.materialId == id } }
            try await connection.query(
                "UPDATE \(unescaped: schema).corrections SET resolved_at = now() WHERE case_id = \(caseId) AND material_id = ANY(\(fixed))",
                logger: logger)
            var outgoing: [OutgoingEvent] = []
            if remaining.isEmpty {
                let promised: [PromisedMaterial]
                if case .complete(let promises) = verdict { promised = promises } else { promised = [] }
                try await accept(&response, item: item, promised: promised, now: now, on: connection)
                for promise in promised {
                    try await connection.query(
                        "INSERT INTO \(unescaped: schema).promised_materials (case_id, material_id, due_by) VALUES (\(caseId), \(promise.materialId), \(promise.dueBy.description)::date)",
                        logger: logger)
                }
                let applicant = try await connection.select(
                    "SELECT applicant_kind, applicant_name, channel, green_channel FROM \(unescaped: schema).applications WHERE case_id = \(caseId)",
                    logger: logger
                ).decode((String, String, String, Bool).self).collectAll()[0]
                outgoing.append(
                    try acceptedEventFor(
                        response, item: item, channel: applicant.2, greenChannel: applicant.3, applicantKind: applicant.0,
                        applicantName: applicant.1, clerk: clerk))
                outgoing += try await recordNotice(
                    .acceptance(response, item: item, applicantName: applicant.1), caseId: caseId, clerk: clerk, on: connection)
            } else {
                response.corrections = remaining
                outgoing.append(try correctionEventFor(receiptCode: receiptCode, item: item, corrections: remaining, now: now, clerk: clerk, caseId: caseId))
            }
            let json = String(decoding: try JSONEncoder.intake.encode(response), as: UTF8.self)
            try await connection.query(
                """
                UPDATE \(unescaped: schema).applications SET status = \(remaining.isEmpty ? "accepted" : "awaiting-correction"),
                    notice_number = \(response.noticeNumber), accepted_at = \(response.acceptedAt),
                    due_date = \(response.dueDate?.description)::date, due_provisional = \(response.dueDateProvisional),
                    response = \(json)::jsonb, updated_at = now()
                WHERE case_id = \(caseId)
                """, logger: logger)
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
        let rows = try await client.query(
            """
            SELECT case_id, item_code, status, notice_number, accepted_at, due_date::text, due_provisional, refusal_reason, competent_authority
            FROM \(unescaped: schema).applications WHERE receipt_code = \(receiptCode) AND applicant_id_number = \(idNumber.uppercased())
            """, logger: logger
        ).decode((UUID, String, String, String?, Date?, String?, Bool?, String?, String?).self).collectAll()
        guard let row = rows.first else { return nil }
        var awaiting = try await client.query(
            "SELECT needed FROM \(unescaped: schema).corrections WHERE case_id = \(row.0) AND resolved_at IS NULL ORDER BY material_id",
            logger: logger
        ).decode(String.self).collectAll()
        awaiting += try await client.query(
            "SELECT material_id || ' (promised by ' || due_by::text || ')' FROM \(unescaped: schema).promised_materials WHERE case_id = \(row.0) AND delivered_at IS NULL",
            logger: logger
        ).decode(String.self).collectAll()
        return CaseStatus(
            receiptCode: receiptCode, itemCode: row.1, status: row.2, noticeNumber: row.3, acceptedAt: row.4,
            dueDate: row.5.flatMap(LocalDate.init(iso:)), dueDateProvisional: row.6, awaiting: awaiting, refusalReason: row.7,
            competentAuthority: row.8)
    }
}
