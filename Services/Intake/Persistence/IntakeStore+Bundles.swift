import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

extension IntakeStore {
    /// Decides a "one thing, one go" bundle (Art 4(5)) all or nothing, in one transaction with its
    /// events: a refusal of any application refuses the bundle; otherwise any correction gives
    /// one notice listing every correction of every application and accepts nothing; otherwise
    /// every application is accepted (each its own case, notice number and due date, all with the
    /// bundle's id and size). A repeat with the same idempotency key returns the first answer.
    func submitBundle(_ bundle: BundleSubmission, clerk: Clerk, now: Date = Date()) async throws -> BundleResponse {
        var bundle = try bundle.validated()
        try await requirePosted(clerk, on: nil)
        bundle.greenChannelApproval = try await checkedGreenChannel(bundle.greenChannelApproval, now: now)
        do {
            return try await submitBundleOnce(bundle, clerk: clerk, now: now)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            if let stored = try await storedBundleResponse(clerk: clerk.staffId, key: bundle.idempotencyKey) { return stored }
            throw error
        }
    }

    private func storedBundleResponse(clerk: String, key: String, on connection: PostgresConnection? = nil) async throws -> BundleResponse? {
        let query: PostgresQuery =
            "SELECT response::text FROM \(unescaped: schema).bundles WHERE clerk_id = \(clerk) AND idempotency_key = \(key)"
        let rows: [String]
        if let connection {
            rows = try await connection.select(query, logger: logger).decode(String.self).collectAll()
        } else {
            rows = try await client.run(query, logger: logger).decode(String.self).collectAll()
        }
        return try rows.first.map { try JSONDecoder.intake.decode(BundleResponse.self, from: Data($0.utf8)) }
    }

    private func submitBundleOnce(_ bundle: BundleSubmission, clerk: Clerk, now: Date) async throws -> BundleResponse {
        try await client.transaction(logger: logger) { connection in
            if let stored = try await storedBundleResponse(clerk: clerk.staffId, key: bundle.idempotencyKey, on: connection) {
                return stored
            }
            let today = LocalDate.inHall(now)
            let bundleId = Self.newBundleId()
            let size = bundle.applications.count
            var assessments: [Assessment] = []
            for index in bundle.applications.indices {
                do {
                    let assessment = try await assess(bundle.submission(index), clerk: clerk, today: today, on: connection)
                    if let item = assessment.item, item.kind == .immediate {
                        throw HallError.invalid(
                            "itemCode", "item \(item.code) is an immediate item, decided on the spot: submit it on its own, not in a bundle",
                            words: "事项 \(item.code) 为即办件，当场办结，请单独提交，不纳入一件事套餐")
                    }
                    assessments.append(assessment)
                } catch let error as HallError {
                    throw error.inBundle(index)
                }
            }

            var answer = BundleResponse(bundleId: bundleId, outcome: .accepted, bundleSize: size, applications: [])
            let verdict = BundleVerdict.decide(assessments.map(\.verdict))
            for (index, assessment) in assessments.enumerated() {
                let submission = bundle.submission(index)
                var outgoing: [OutgoingEvent] = []
                var response = ApplicationResponse(
                    caseId: UUID.random(), receiptCode: Self.newReceiptCode(), outcome: .refused, itemCode: submission.itemCode,
                    itemVersion: assessment.item?.version, bundleId: bundleId)
                switch (verdict, assessment.verdict) {
                case (.refused, .refused(let refusal)):
                    response.refusal = refusal
                    outgoing.append(try refusedEventFor(response, refusal: refusal, now: now, clerk: clerk))
                    if answer.refusal == nil {
                        answer.refusal = .init(
                            position: index, itemCode: submission.itemCode, receiptCode: response.receiptCode, reasonCode: refusal.reasonCode,
                            reason: "application \(index + 1) of the bundle (item \(submission.itemCode)): \(refusal.reason)",
                            competentAuthority: refusal.competentAuthority)
                    }
                case (.refused, _):
                    // In order, but the bundle cannot go ahead without the refused application: no case.
                    answer.applications.append(.init(position: index, itemCode: submission.itemCode, outcome: "not-accepted", application: nil))
                    continue
                case (.corrections, .corrections(let list)):
                    response.outcome = .correctionRequired
                    response.corrections = list
                    response.correctionNoticeNumber = try await nextCorrectionNoticeNumber(now: now, on: connection)
                    outgoing.append(
                        try correctionEventFor(
                            receiptCode: response.receiptCode, item: try assessment.requireItem(), corrections: list, now: now, clerk: clerk,
                            caseId: response.caseId))
                    answer.corrections = (answer.corrections ?? []) + list.map {
                        .init(
                            position: index, itemCode: submission.itemCode, receiptCode: response.receiptCode, materialId: $0.materialId,
                            problem: $0.problem, needed: $0.needed)
                    }
                case (.corrections, .complete(let promises)):
                    response.outcome = .held
                    response.promisedMaterials = promises.isEmpty ? nil : promises
                case (.accepted, .complete(let promises)):
                    try await accept(&response, item: try assessment.requireItem(), promised: promises, now: now, on: connection)
                    outgoing.append(
                        try acceptedEventFor(
                            response, item: try assessment.requireItem(), channel: submission.channel,
                            greenChannel: submission.greenChannelApproval?.approval(now: now), applicantKind: submission.applicant.kind,
                            applicantName: submission.applicant.name, applicantIdNumber: submission.applicant.idNumber, materials: submission.materials, bundle: (bundleId, size), clerk: clerk))
                default:
                    preconditionFailure("bundle verdict \(verdict) does not fit application \(index): \(assessment.verdict)")
                }
                // The application, its notice, its event and the notice's seal request: one statement.
                let statement = try applicationInsert(
                    submission, assessment: assessment, response: response, bundle: (bundleId, index), clerk: clerk, events: outgoing, now: now)
                _ = try await connection.select(statement, logger: logger).decode(UUID.self).collectAll()
                answer.applications.append(.init(position: index, itemCode: submission.itemCode, outcome: response.outcome.rawValue, application: response))
            }
            let status: String
            switch verdict {
            case .refused:
                answer.outcome = .refused
                status = "refused"
            case .corrections:
                answer.outcome = .correctionRequired
                status = "awaiting-correction"
            case .accepted:
                status = "accepted"
            }
            let json = String(decoding: try JSONEncoder.intake.encode(answer), as: UTF8.self)
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).bundles
                    (id, idempotency_key, clerk_id, window_id, applicant_id_number, applicant_name, size, status, accepted_at, response)
                VALUES (\(bundleId), \(bundle.idempotencyKey), \(clerk.staffId), \(clerk.windowId), \(bundle.applicant.idNumber.uppercased()),
                        \(bundle.applicant.name), \(size), \(status), \(status == "accepted" ? now : nil), \(json)::jsonb)
                """, logger: logger)
            logger.info("bundle submitted", metadata: [LogKey.bundleId: "\(bundleId)", "bundle.outcome": "\(answer.outcome.rawValue)", "bundle.size": "\(size)"])
            return answer
        }
    }

    /// The bundle a case belongs to, if any.
    func bundleId(ofCase caseId: UUID, on connection: PostgresConnection) async throws -> String? {
        try await connection.select("SELECT bundle_id FROM \(unescaped: schema).applications WHERE case_id = \(caseId)", logger: logger)
            .decode(String?.self).collectAll().first ?? nil
    }

    /// Accepts every held application of a bundle together, once none awaits a correction (the
    /// caller holds the bundle's row lock). Returns nil while some application still does.
    func acceptBundleIfComplete(
        _ bundle: (id: String, size: Int), clerk: Clerk, now: Date, on connection: PostgresConnection
    ) async throws -> (responses: [UUID: ApplicationResponse], events: [OutgoingEvent])? {
        let cases = try await connection.select(
            "SELECT case_id, status FROM \(unescaped: schema).applications WHERE bundle_id = \(bundle.id) ORDER BY bundle_position",
            logger: logger
        ).decode((UUID, String).self).collectAll()
        guard cases.count == bundle.size, cases.allSatisfy({ $0.1 == "held" }) else { return nil }
        var responses: [UUID: ApplicationResponse] = [:]
        var events: [OutgoingEvent] = []
        for (caseId, _) in cases {
            let (response, outgoing) = try await acceptStored(caseId: caseId, bundle: bundle, clerk: clerk, now: now, on: connection)
            responses[caseId] = response
            events += outgoing
        }
        try await connection.run(
            "UPDATE \(unescaped: schema).bundles SET status = 'accepted', accepted_at = \(now), updated_at = now() WHERE id = \(bundle.id)",
            logger: logger)
        logger.info("bundle accepted after corrections", metadata: [LogKey.bundleId: "\(bundle.id)", "bundle.size": "\(bundle.size)"])
        return (responses, events)
    }

    /// The bundle as its applicant may see it: one status for the bundle, and each case with its
    /// departments. Nil unless the identity number matches.
    func bundleStatus(bundleId: String, idNumber: String) async throws -> BundleStatus? {
        let rows = try await client.run(
            """
            SELECT status, size, accepted_at, completed_at, response::text, handed_over_at FROM \(unescaped: schema).bundles
            WHERE id = \(bundleId) AND applicant_id_number = \(idNumber.uppercased())
            """, logger: logger
        ).decode((String, Int, Date?, Date?, String, Date?).self).collectAll()
        guard let row = rows.first else { return nil }
        let answer = try JSONDecoder.intake.decode(BundleResponse.self, from: Data(row.4.utf8))
        let receipts = try await client.run(
            "SELECT receipt_code FROM \(unescaped: schema).applications WHERE bundle_id = \(bundleId) ORDER BY bundle_position", logger: logger
        ).decode(String.self).collectAll()
        var cases: [CaseStatus] = []
        for receipt in receipts {
            if let status = try await caseStatus(receiptCode: receipt, idNumber: idNumber) { cases.append(status) }
        }
        let status: String
        switch row.0 {
        case "refused", "awaiting-correction": status = row.0
        default:
            let statuses = cases.map(\.status)
            if statuses.allSatisfy({ $0 == "issued" }) {
                status = "issued"
            } else if statuses.allSatisfy({ $0 == "ready" || $0 == "issued" }) {
                status = "ready"
            } else if statuses.contains("awaiting-supplement") {
                status = "awaiting-supplement"
            } else {
                status = "in-progress"
            }
        }
        // The notice's corrections still open.
        let open = try await client.run(
            """
            SELECT a.bundle_position, a.item_code, a.receipt_code, c.material_id, c.problem, c.needed
            FROM \(unescaped: schema).corrections c JOIN \(unescaped: schema).applications a ON a.case_id = c.case_id
            WHERE a.bundle_id = \(bundleId) AND c.resolved_at IS NULL ORDER BY a.bundle_position, c.material_id
            """, logger: logger
        ).decode((Int, String, String, String, String, String).self).collectAll().map { row in
            BundleResponse.BundleCorrection(
                position: row.0, itemCode: row.1, receiptCode: row.2, materialId: row.3, problem: Correction.Problem(rawValue: row.4) ?? .missing,
                needed: row.5)
        }
        return BundleStatus(
            bundleId: bundleId, status: status, bundleSize: row.1, acceptedAt: row.2, completedAt: row.3, handedOverAt: row.5,
            refusal: answer.refusal, corrections: open.isEmpty ? nil : open, cases: cases)
    }

    /// A bundle id: `B` and 10 characters from an alphabet without look-alikes.
    static func newBundleId() -> String {
        "B" + newReceiptCode().dropFirst()
    }
}

