import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import Logging
import PostgresNIO

extension IntakeStore {
    /// Records an immediate item's decision and sends the decision document to the department's
    /// seal. Only a clerk authorised for the item may decide (Art 8, 13), on an accepted case.
    func decideImmediate(receiptCode: String, _ input: ImmediateDecision, clerk: Clerk, now: Date = Date()) async throws -> ApplicationResponse {
        if input.decision == .deny, (input.reasons ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw HallError.invalid("reasons", "a denial states its reasons", words: "不予许可须写明理由")
        }
        try await requirePosted(clerk, on: nil)
        return try await client.transaction(logger: logger) { connection in
            let rows = try await connection.select(
                """
                SELECT a.case_id, a.status, a.item_code, a.item_version, a.applicant_name, a.response::text
                FROM \(unescaped: schema).applications a WHERE a.receipt_code = \(receiptCode) FOR UPDATE
                """, logger: logger
            ).decode((UUID, String, String, Int?, String, String).self).collectAll()
            guard let row = rows.first else {
                throw HallError(.notFound, "no application \(receiptCode)", field: "receiptCode", words: "没有受理编号为 \(receiptCode) 的申请")
            }
            guard let version = row.3, let item = try await versions(of: row.2, on: connection).first(where: { $0.version == version }) else {
                throw HallError(.conflict, "application \(receiptCode) has no accepted item", field: "receiptCode", words: "申请 \(receiptCode) 没有已受理的事项")
            }
            guard item.kind == .immediate else {
                throw HallError(
                    .conflict, "item \(item.code) is \(item.kind.rawValue): its decision comes from the department's back office",
                    words: "事项 \(item.code) 为\(Words.itemKind(item.kind.rawValue))，由部门后台作出决定")
            }
            guard row.1 == "accepted" else {
                throw HallError(
                    .conflict, "application \(receiptCode) is \(row.1), not awaiting a decision",
                    words: "申请 \(receiptCode) 当前为“\(Words.status(row.1))”，不在待决定状态")
            }
            let authorised = try await connection.select(
                "SELECT 1 FROM \(unescaped: schema).staff WHERE id = \(clerk.staffId) AND active AND \(item.code) = ANY(immediate_items)",
                logger: logger
            ).collectAll()
            guard !authorised.isEmpty else {
                throw HallError(
                    .forbidden, "\(clerk.staffId) is not authorised to decide item \(item.code) on the spot",
                    words: "\(clerk.staffId) 未获授权当场决定事项 \(item.code)")
            }
            try await connection.run(
                """
                UPDATE \(unescaped: schema).applications SET status = 'decided', decision = \(input.decision.rawValue),
                    decision_reasons = \(input.reasons), decided_by = \(clerk.staffId), decided_at = \(now), updated_at = now()
                WHERE case_id = \(row.0)
                """, logger: logger)
            let number = try await nextImmediateDecisionNumber(departmentId: item.leadDepartmentId, decidedAt: now, on: connection)
            let text = """
                \(input.decision == .approve ? "准予许可决定 Approval decision" : "不予许可决定 Denial decision")
                number: \(number)
                case: \(row.0.uuidString.lowercased())
                receipt: \(receiptCode)
                item: \(item.code) v\(item.version) \(item.name)
                applicant: \(row.4)
                decided-by: \(clerk.staffId)
                decided-at: \(RFC3339Timestamp.string(from: now) ?? "")
                \(input.reasons.map { "reasons: \($0)" } ?? "")
                """
            let notice = Notice(
                kind: input.decision == .approve ? .approvalDecision : .denialDecision, departmentId: item.leadDepartmentId, text: text, number: number)
            try await outbox.append(try await recordNotice(notice, caseId: row.0, clerk: clerk, on: connection), on: connection, logger: logger)
            return try JSONDecoder.intake.decode(ApplicationResponse.self, from: Data(row.5.utf8))
        }
    }

    /// The next number of the department's decisions taken on the spot at a window (immediate
    /// items): a series of its own (`即`) beside the one the coordinator numbers the back office's
    /// decisions with (``DecisionNumbers``).
    func nextImmediateDecisionNumber(departmentId: String, decidedAt: Date, on connection: PostgresConnection) async throws -> String {
        try await DecisionNumbers.next(
            departmentId: departmentId, decidedAt: decidedAt, series: "即", schema: schema, departments: ("departments", "id"), on: connection,
            logger: logger)
    }

    /// A sealed document came back from the seal service. It counts only when its hash, kind and
    /// department are those of a document of the case: a notice or immediate decision intake
    /// issued (recorded on it here), or a department's decision the coordinator announced
    /// (`coordinator.case.decided`; kept in `decision_seals` and joined to the announcement when
    /// read, whichever of the two topics delivers first). A sealed decision of an immediate item
    /// makes the case ready at the window and complete — its sealing time is the legal completion
    /// time (Art 31), on time when the sealing day (in the hall's time zone) is not after the due
    /// date. Committed and joint cases become ready when the coordinator completes them
    /// (`coordinator.case.completed`: every department's decision sealed). Idempotent.
    ///
    /// A batch (in the order the seal service reported it) is recorded with one statement for the
    /// notices and one for the departments' decisions whatever its size, to the same effect as its
    /// events applied one by one (the last imprint of a notice wins; the first completes an immediate case).
    func applySealed(_ batch: [(DocumentSealed, EventEnvelope)], on connection: PostgresConnection) async throws {
        let ours = batch.enumerated().compactMap { index, item in UUID(uuidString: item.0.caseId).map { (ord: index, caseId: $0, sealed: item.0) } }
        guard !ours.isEmpty else { return }  // none of ours
        let issuedHere = try await connection.select(
            """
            WITH input AS (
                SELECT DISTINCT ON (case_id, kind, department_id, sha256) *
                FROM unnest(\(ours.map(\.ord))::int[], \(ours.map(\.caseId))::uuid[], \(ours.map(\.sealed.documentKind.rawValue))::text[],
                            \(ours.map(\.sealed.departmentId))::text[], \(ours.map { $0.sealed.documentHash.lowercased() })::text[],
                            \(ours.map(\.sealed.imprintId))::uuid[], \(ours.map(\.sealed.sealedAt))::timestamptz[])
                    AS i(ord, case_id, kind, department_id, sha256, imprint_id, sealed_at)
                ORDER BY case_id, kind, department_id, sha256, ord DESC
            )
            UPDATE \(unescaped: schema).notices n SET imprint_id = i.imprint_id, sealed_at = i.sealed_at, seal_refusal = NULL
            FROM input i
            WHERE n.case_id = i.case_id AND n.kind = i.kind AND n.department_id = i.department_id AND n.sha256 = i.sha256 AND n.text IS NOT NULL
            RETURNING i.case_id, i.kind, i.department_id, i.sha256
            """, logger: logger
        ).decode((UUID, String, String, String).self).collectAll()
        /// A notice as the update matched it.
        struct Notice: Hashable {
            var caseId: UUID, kind: String, departmentId: String, sha256: String
        }
        let issued = Set(issuedHere.map { Notice(caseId: $0.0, kind: $0.1, departmentId: $0.2, sha256: $0.3) })
        func wasIssuedHere(_ item: (ord: Int, caseId: UUID, sealed: DocumentSealed)) -> Bool {
            issued.contains(
                Notice(caseId: item.caseId, kind: item.sealed.documentKind.rawValue, departmentId: item.sealed.departmentId, sha256: item.sealed.documentHash.lowercased()))
        }
        let decisions = ours.filter { $0.sealed.documentKind.isDecision }
        // A department's decision issued by the coordinator.
        let departments = decisions.filter { !wasIssuedHere($0) }
        if !departments.isEmpty {
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).decision_seals (case_id, kind, department_id, sha256, imprint_id, sealed_at)
                SELECT DISTINCT ON (i.case_id, i.kind, i.department_id, i.sha256) a.case_id, i.kind, i.department_id, i.sha256, i.imprint_id, i.sealed_at
                FROM unnest(\(departments.map(\.ord))::int[], \(departments.map(\.caseId))::uuid[], \(departments.map(\.sealed.documentKind.rawValue))::text[],
                            \(departments.map(\.sealed.departmentId))::text[], \(departments.map { $0.sealed.documentHash.lowercased() })::text[],
                            \(departments.map(\.sealed.imprintId))::uuid[], \(departments.map(\.sealed.sealedAt))::timestamptz[])
                    AS i(ord, case_id, kind, department_id, sha256, imprint_id, sealed_at)
                JOIN \(unescaped: schema).applications a ON a.case_id = i.case_id
                ORDER BY i.case_id, i.kind, i.department_id, i.sha256, i.ord
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        // An immediate item's decision, issued and now sealed here: the case is complete.
        for decision in decisions where wasIssuedHere(decision) {
            try await completeImmediate(decision.sealed, caseId: decision.caseId, on: connection)
        }
    }

    /// A sealed decision of an immediate item makes its case ready at the window and complete.
    private func completeImmediate(_ sealed: DocumentSealed, caseId: UUID, on connection: PostgresConnection) async throws {
        let completed = try await connection.select(
            """
            UPDATE \(unescaped: schema).applications
            SET status = 'ready', ready_at = now(), decision = COALESCE(decision, \(sealed.documentKind == .approvalDecision ? "approve" : "deny")),
                decision_imprint_id = \(sealed.imprintId), sealed_at = \(sealed.sealedAt), updated_at = now(),
                outcome = \(sealed.documentKind == .approvalDecision ? "approved" : "denied"), completed_at = \(sealed.sealedAt),
                final_due_date = due_date, on_time = \(LocalDate.inHall(sealed.sealedAt).description)::date <= due_date
            WHERE case_id = \(caseId) AND status = 'decided'
            RETURNING receipt_code, item_code, accepted_at, due_date::text, on_time, clerk_id, window_id
            """, logger: logger
        ).decode((String, String, Date, String, Bool, String, String?).self).collectAll()
        // The case is complete: the same fact the coordinator publishes for the cases it routes.
        for (receipt, item, acceptedAt, due, onTime, clerk, window) in completed {
            let payload = ApplicationCompleted(
                receiptCode: receipt, itemCode: item, leadDepartmentId: sealed.departmentId,
                outcome: sealed.documentKind == .approvalDecision ? .approved : .denied, acceptedAt: acceptedAt, completedAt: sealed.sealedAt,
                dueDate: try HallDate(stored: due), onTime: onTime, clerkId: clerk, windowId: window)
            try await outbox.append(
                [OutgoingEvent(
                    topic: .intakeEvents, key: caseId.uuidString.lowercased(),
                    envelope: try EventEnvelope(payload: payload, producer: "intake", caseId: caseId.uuidString.lowercased()))],
                on: connection, logger: logger)
        }
    }

    /// The seal service refused a document: the clerk sees why on the notice.
    func applySealRefused(_ refused: DocumentRefused, on connection: PostgresConnection) async throws {
        guard let caseId = UUID(uuidString: refused.caseId) else { return }
        try await connection.run(
            """
            UPDATE \(unescaped: schema).notices SET seal_refusal = \("\(refused.reason.rawValue): \(refused.detail)")
            WHERE case_id = \(caseId) AND kind = \(refused.documentKind.rawValue) AND department_id = \(refused.departmentId)
                AND sha256 = \(refused.documentHash.lowercased()) AND imprint_id IS NULL
            """, logger: logger)
    }

    /// The clerk hands the sealed result to the applicant, or to the case's agent (综合窗口出件).
    /// A bundle's case is handed out with its bundle (`handOverBundle`), not alone.
    func handOver(receiptCode: String, _ input: HandOver = HandOver(), clerk: Clerk) async throws -> CaseStatus {
        let updated = try await client.transaction(logger: logger) { connection in
            let rows = try await connection.select(
                """
                SELECT case_id, bundle_id, department_id, window_id FROM \(unescaped: schema).applications WHERE receipt_code = \(receiptCode) FOR UPDATE
                """, logger: logger
            ).decode((UUID, String?, String?, String?).self).collectAll()
            if let row = rows.first { try await requireWindowClerk(clerk, cases: [(row.2 ?? "", row.3)], on: connection) }
            if let bundleId = rows.first?.1 {
                throw HallError(
                    .conflict, "application \(receiptCode) belongs to bundle \(bundleId), which is handed out together: POST /v1/bundles/\(bundleId)/handover",
                    field: "receiptCode",
                    words: "申请 \(receiptCode) 属于一件事套餐 \(bundleId)，结果须一并交付：请按套餐办理（POST /v1/bundles/\(bundleId)/handover）")
            }
            if let row = rows.first { try await requireReleasable([row.0], on: connection) }
            var agent: String?
            if input.collectedBy == .agent, let caseId = rows.first?.0 {
                agent = try await requireCurrentAgentId(
                    caseId: caseId, field: "collectedBy", otherwise: "no agent is assigned to application \(receiptCode): the applicant collects",
                    words: "申请 \(receiptCode) 未指定代办员，应由申请人本人领取", on: connection)
            }
            return try await connection.select(
                """
                UPDATE \(unescaped: schema).applications SET status = 'issued', handed_over_at = now(), handed_over_by = \(clerk.staffId),
                    collected_by_agent = \(agent), updated_at = now()
                WHERE receipt_code = \(receiptCode) AND status = 'ready' RETURNING applicant_id_number
                """, logger: logger
            ).decode(String.self).collectAll()
        }
        guard let idNumber = updated.first, let status = try await caseStatus(receiptCode: receiptCode, idNumber: idNumber) else {
            throw HallError(
                .conflict, "application \(receiptCode) has no sealed result ready at the window", field: "receiptCode",
                words: "申请 \(receiptCode) 没有已用印、在窗口待领取的办理结果")
        }
        return status
    }

    /// Who may act at a window (Art 19, 20, 27): active, qualified staff of the directory posted at
    /// the token's window, or a stand-in filed with the centre for that window today, at an open
    /// window. The token's word for who and where is checked against the directory, never taken
    /// (403 naming `window` otherwise).
    func requirePosted(_ clerk: Clerk, on connection: PostgresConnection?) async throws {
        guard let windowId = clerk.windowId else {
            throw HallError(
                .forbidden, "the front desk acts at a hall window: the token names none", field: "window", words: "前台业务须在大厅窗口办理，登录凭证未指明窗口")
        }
        let today = LocalDate.inHall(Date()).description
        if postings.isPosted(clerk.staffId, windowId, on: today) { return }
        let found = try await select(
            """
            SELECT s.window_id IS NOT DISTINCT FROM w.id,
                   EXISTS (SELECT 1 FROM \(unescaped: schema).stand_ins i WHERE i.staff_id = s.id AND i.window_id = w.id
                           AND i.from_date <= \(today)::date AND i.to_date >= \(today)::date)
            FROM \(unescaped: schema).staff s JOIN \(unescaped: schema).windows w ON w.id = \(windowId) AND w.active
            WHERE s.id = \(clerk.staffId) AND s.active AND s.qualified
            """, on: connection
        ).decode((Bool, Bool).self).collectAll().first
        guard let (posted, standIn) = found else {
            throw HallError(
                .forbidden, "\(clerk.staffId) is not active, qualified staff of the hall's directory at an open window \(windowId) (Art 19)",
                field: "window", words: "\(clerk.staffId) 不是大厅目录中在开放窗口 \(windowId) 的在岗且具备资格的工作人员（第19条）")
        }
        guard posted || standIn else {
            throw HallError(
                .forbidden, "\(clerk.staffId) is not posted at window \(windowId) and no stand-in for it is filed with the centre for today (Art 20)",
                field: "window", words: "\(clerk.staffId) 未派驻窗口 \(windowId)，今日也没有在政务服务中心备案的顶岗（第20条）")
        }
        postings.remember(clerk.staffId, windowId, on: today)
    }

    /// The clerk handing results out (综合窗口出件) or reading a case at the front desk: someone who
    /// may act at the token's window (``requirePosted(_:on:)``), a window that serves each case's
    /// department or took the case (403 naming `window` otherwise).
    func requireWindowClerk(_ clerk: Clerk, cases: [(department: String, acceptedAt: String?)], on connection: PostgresConnection) async throws {
        try await requirePosted(clerk, on: connection)
        guard !cases.isEmpty, let windowId = clerk.windowId, let window = try await window(windowId, on: connection) else { return }
        for (department, acceptedAt) in cases where !window.departments.contains(department) && acceptedAt != windowId {
            throw HallError(
                .forbidden, "window \(windowId) neither serves department \(department) nor took the case", field: "window",
                words: "窗口 \(windowId) 既不服务部门 \(department)，也不是该办件的受理窗口")
        }
    }

    /// Records the fee of a case, paid at the hall's bank window: exactly the catalogue's standard
    /// for the case's item version, with the bank's receipt reference, only on an accepted case not
    /// handed out yet, by a clerk at a window that serves the case's department or took it.
    func recordFee(receiptCode: String, _ input: FeeRecord, clerk: Clerk) async throws {
        let fee = try input.validated()
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.select(
                """
                SELECT case_id, item_code, item_version, status, department_id, window_id FROM \(unescaped: schema).applications
                WHERE receipt_code = \(receiptCode) FOR UPDATE
                """, logger: logger
            ).decode((UUID, String, Int?, String, String?, String?).self).collectAll()
            guard let row = rows.first else {
                throw HallError(.notFound, "no application \(receiptCode)", field: "receiptCode", words: "没有受理编号为 \(receiptCode) 的申请")
            }
            try await requireWindowClerk(clerk, cases: [(row.4 ?? "", row.5)], on: connection)
            guard ["accepted", "decided", "completed", "ready"].contains(row.3), let version = row.2,
                let item = try await versions(of: row.1, on: connection).first(where: { $0.version == version })
            else {
                throw HallError(
                    .conflict, "application \(receiptCode) is \(row.3): a fee is paid only on an accepted case before its hand-over", field: "receiptCode",
                    words: "申请 \(receiptCode) 当前为“\(Words.status(row.3))”：只有已受理、尚未交付结果的办件才能缴费")
            }
            let (standard, basis) = try FeeRule.charge(fee.amountCents, for: item)
            let inserted = try await connection.select(
                """
                INSERT INTO \(unescaped: schema).fees (case_id, amount_cents, basis, recorded_by, payment_reference)
                VALUES (\(row.0), \(standard), \(basis), \(clerk.staffId), \(fee.paymentReference))
                ON CONFLICT (case_id) DO NOTHING RETURNING 1
                """, logger: logger
            ).collectAll()
            guard !inserted.isEmpty else {
                throw HallError(.conflict, "the fee of \(receiptCode) is already recorded", field: "receiptCode", words: "申请 \(receiptCode) 的收费已经登记")
            }
        }
    }

    /// A material promised under tolerated-gap acceptance is brought to the window: checked against
    /// what the item version requires of it and recorded (once) with who received it.
    func receivePromised(receiptCode: String, materialId: String, _ arrival: PromisedArrival, clerk: Clerk, now: Date = Date()) async throws
        -> CaseStatus.Promise
    {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.select(
                """
                SELECT a.case_id, a.item_code, a.item_version, a.department_id, a.window_id, p.due_by::text, p.delivered_at, p.received_by
                FROM \(unescaped: schema).applications a
                LEFT JOIN \(unescaped: schema).promised_materials p ON p.case_id = a.case_id AND p.material_id = \(materialId)
                WHERE a.receipt_code = \(receiptCode) FOR UPDATE OF a
                """, logger: logger
            ).decode((UUID, String, Int?, String?, String?, String?, Date?, String?).self).collectAll()
            guard let row = rows.first else {
                throw HallError(.notFound, "no application \(receiptCode)", field: "receiptCode", words: "没有受理编号为 \(receiptCode) 的申请")
            }
            try await requireWindowClerk(clerk, cases: [(row.3 ?? "", row.4)], on: connection)
            guard let due = row.5.flatMap(LocalDate.init(iso:)) else {
                throw HallError(
                    .notFound, "application \(receiptCode) has no material '\(materialId)' promised for later", field: "materialId",
                    words: "申请 \(receiptCode) 没有承诺补交的材料“\(materialId)”")
            }
            if let delivered = row.6 {
                return CaseStatus.Promise(materialId: materialId, dueBy: due, receivedAt: delivered, receivedBy: row.7, overdue: false)
            }
            guard let version = row.2, let item = try await versions(of: row.1, on: connection).first(where: { $0.version == version }),
                let material = item.materials.first(where: { $0.id == materialId })
            else {
                throw HallError(.conflict, "application \(receiptCode) has no accepted item", field: "receiptCode", words: "申请 \(receiptCode) 没有已受理的事项")
            }
            if let problem = MaterialsCheck.shortfall(form: arrival.form, copies: arrival.copies, legalForm: arrival.legalForm, for: material) {
                let field = switch problem {
                case .wrongForm: "form"
                case .tooFewCopies: "copies"
                default: "legalForm"
                }
                let shortfall = switch problem {
                case .wrongForm: "形式不符"
                case .tooFewCopies: "份数不足"
                case .notInLegalForm: "不符合法定形式"
                case .missing: "缺少"
                }
                let needed = "\(material.name)（\(Words.materialForm(material.form.rawValue))，\(material.copies) 份）"
                    + (problem == .notInLegalForm ? "，须符合法定形式" : "")
                throw HallError.invalid(
                    field, "the promised material is still not in order (\(problem.rawValue)): bring \(MaterialsCheck.wording(problem, material))",
                    words: "承诺补交的容缺材料仍不符合要求（\(shortfall)）：请提交\(needed)")
            }
            try await connection.run(
                """
                UPDATE \(unescaped: schema).promised_materials SET delivered_at = \(now), received_by = \(clerk.staffId)
                WHERE case_id = \(row.0) AND material_id = \(materialId)
                """, logger: logger)
            logger.info("promised material received", metadata: [LogKey.caseId: "\(row.0)", "material": "\(materialId)"])
            return CaseStatus.Promise(materialId: materialId, dueBy: due, receivedAt: now, receivedBy: clerk.staffId, overdue: false)
        }
    }

    /// Refuses to hand out any of `caseIds` while its fee is unpaid or a promised material is
    /// owed (``Release``). Runs inside the hand-over's transaction, the cases locked.
    func requireReleasable(_ caseIds: [UUID], on connection: PostgresConnection) async throws {
        let rows = try await connection.select(
            """
            SELECT a.receipt_code, a.outcome, i.fee_cents,
                   EXISTS (SELECT 1 FROM \(unescaped: schema).fees f WHERE f.case_id = a.case_id),
                   COALESCE(o.materials, '{}'), COALESCE(o.due, '{}')
            FROM \(unescaped: schema).applications a
            JOIN \(unescaped: schema).items i ON i.code = a.item_code AND i.version = a.item_version
            LEFT JOIN LATERAL (
                SELECT array_agg(p.material_id ORDER BY p.due_by, p.material_id) AS materials,
                       array_agg(p.due_by::text ORDER BY p.due_by, p.material_id) AS due
                FROM \(unescaped: schema).promised_materials p WHERE p.case_id = a.case_id AND p.delivered_at IS NULL) o ON true
            WHERE a.case_id = ANY(\(caseIds)) AND a.status = 'ready' ORDER BY a.bundle_position NULLS FIRST, a.receipt_code
            """, logger: logger
        ).decode((String, String?, Int64?, Bool, [String], [String]).self).collectAll()
        try Release.check(
            rows.map { row in
                Release.Case(
                    receiptCode: row.0, outcome: row.1, feeCents: row.2, feePaid: row.3,
                    openPromises: zip(row.4, row.5).compactMap { material, due in LocalDate(iso: due).map { (material, $0) } })
            })
    }

    /// What the front desk has to follow up (ALL Art 44; 容缺): promised materials past their date
    /// and results ready for more than 10 working days and not collected, oldest first. A clerk sees
    /// the cases of the departments the window serves and those the window took; the centre all.
    func reminders(clerk: Clerk?, today: LocalDate = .inHall(Date()), limit: Int = 500) async throws -> Reminders {
        try await client.withConnection { connection in
            var departments: [String]?
            var window: String?
            if let clerk {
                try await requirePosted(clerk, on: connection)  // a clerk without a window stops here
                window = clerk.windowId
                if let windowId = clerk.windowId { departments = try await self.window(windowId, on: connection)?.departments ?? [] }
            }
            let promises = try await connection.select(
                """
                SELECT a.receipt_code, a.item_code, p.material_id, p.due_by::text, a.applicant_contact
                FROM \(unescaped: schema).promised_materials p JOIN \(unescaped: schema).applications a ON a.case_id = p.case_id
                WHERE p.delivered_at IS NULL AND p.due_by < \(today.description)::date AND a.status NOT IN ('issued', 'refused')
                    AND (\(departments)::text[] IS NULL OR a.department_id = ANY(\(departments)::text[]) OR a.window_id = \(window))
                ORDER BY p.due_by, a.receipt_code, p.material_id LIMIT \(limit)
                """, logger: logger
            ).decode((String, String, String, String, String).self).collectAll().compactMap { row -> Reminders.OverduePromise? in
                guard let due = LocalDate(iso: row.3) else { return nil }
                return .init(receiptCode: row.0, itemCode: row.1, materialId: row.2, dueBy: due, daysOverdue: due.distance(to: today), contact: row.4)
            }
            // Ready before the 10th working day back cannot have been collected in time; the exact
            // deadline of each is counted on the calendar.
            let waiting = try await connection.select(
                """
                SELECT a.receipt_code, a.item_code, a.ready_at, a.applicant_contact, a.bundle_id
                FROM \(unescaped: schema).applications a
                WHERE a.status = 'ready' AND a.ready_at < \(today.description)::date - 10
                    AND (\(departments)::text[] IS NULL OR a.department_id = ANY(\(departments)::text[]) OR a.window_id = \(window))
                ORDER BY a.ready_at, a.receipt_code LIMIT \(limit)
                """, logger: logger
            ).decode((String, String, Date, String, String?).self).collectAll().compactMap { row -> Reminders.Uncollected? in
                let deadline = Collection.deadline(readyAt: row.2, today: today, calendar: calendar)
                guard deadline.overdue else { return nil }
                return .init(receiptCode: row.0, itemCode: row.1, readyAt: row.2, collectBy: deadline.collectBy, contact: row.3, bundleId: row.4)
            }
            return Reminders(overduePromises: promises, uncollected: waiting)
        }
    }

    /// A notice or decision of the case as issued and kept, for printing: the text the seal's hash
    /// was taken of, or the one-time correction notice. Nil when the receipt code and identity
    /// number do not match, or the case has no such document issued by the front desk.
    func documentText(receiptCode: String, idNumber: String, kind: NoticeKind) async throws -> String? {
        try await client.run(
            """
            SELECT n.text FROM \(unescaped: schema).notices n JOIN \(unescaped: schema).applications a ON a.case_id = n.case_id
            WHERE a.receipt_code = \(receiptCode) AND a.applicant_id_number = \(idNumber.uppercased()) AND n.kind = \(kind.rawValue)
                AND n.text IS NOT NULL
            ORDER BY n.created_at LIMIT 1
            """, logger: logger
        ).decode(String.self).collectAll().first
    }

    /// Sealed approval decisions, newest first (Art 38; ALL Art 40): every department's decision of
    /// a joint case, each with its own department and imprint; searched by item, department and
    /// sealing date, a page of `query.limit` at a time (keyset on the sealing time and imprint).
    func publishedDecisions(_ query: DecisionQuery) async throws -> (decisions: [PublishedDecision], next: DecisionQuery.Cursor?) {
        let rows = try await client.run(
            """
            SELECT d.*, (extract(epoch FROM d.sealed_at) * 1000000)::bigint FROM (
                SELECT a.item_code, i.name, 'approved' AS decision, n.department_id, a.applicant_kind, a.applicant_name,
                       COALESCE(n.sealed_at, s.sealed_at) AS sealed_at, COALESCE(n.imprint_id, s.imprint_id) AS imprint_id, n.number
                FROM \(unescaped: schema).notices n
                LEFT JOIN \(unescaped: schema).decision_seals s USING (case_id, kind, department_id, sha256)
                JOIN \(unescaped: schema).applications a ON a.case_id = n.case_id
                JOIN \(unescaped: schema).items i ON i.code = a.item_code AND i.version = a.item_version
                WHERE n.kind = 'approval-decision' AND COALESCE(n.imprint_id, s.imprint_id) IS NOT NULL
                    AND (\(query.itemCode)::text IS NULL OR a.item_code = \(query.itemCode))
                    AND (\(query.departmentId)::text IS NULL OR n.department_id = \(query.departmentId))
            ) d
            WHERE (\(query.from?.startInstant)::timestamptz IS NULL OR d.sealed_at >= \(query.from?.startInstant))
                AND (\(query.to?.endInstant)::timestamptz IS NULL OR d.sealed_at < \(query.to?.endInstant))
                AND (\(query.after?.sealedMicros)::bigint IS NULL
                     OR ((extract(epoch FROM d.sealed_at) * 1000000)::bigint, d.imprint_id)
                        < (\(query.after?.sealedMicros), \(query.after?.imprintId)))
            ORDER BY d.sealed_at DESC, d.imprint_id DESC LIMIT \(query.limit + 1)
            """, logger: logger
        ).decode((String, String, String, String, String, String, Date, UUID, String?, Int64).self).collectAll()
        let decisions = rows.prefix(query.limit).map { row in
            let applicant = PublishedApplicant.shown(kind: ApplicantKind(rawValue: row.4) ?? .person, name: row.5)
            return PublishedDecision(
                itemCode: row.0, itemName: row.1, decision: row.2, departmentId: row.3, decisionNumber: row.8, applicant: applicant, sealedAt: row.6,
                imprintId: row.7)
        }
        guard rows.count > query.limit else { return (Array(decisions), nil) }
        let last = rows[query.limit - 1]
        return (Array(decisions), DecisionQuery.Cursor(sealedMicros: last.9, imprintId: last.7))
    }

    /// Recomputes provisional due dates with the calendar now loaded (after a new year's official
    /// schedule was added) and records every change with its reason. Returns the number changed.
    /// Only cases whose clock never moved: a case suspended or extended by its departments is
    /// counted again by the coordinator, which owns that clock (`coordinator.case.clock-changed`
    /// `recalculated`), so that the two never disagree.
    func recomputeProvisionalDueDates() async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.select(
                """
                SELECT a.case_id, a.accepted_at, a.due_date::text, i.promised_limit_days
                FROM \(unescaped: schema).applications a JOIN \(unescaped: schema).items i ON i.code = a.item_code AND i.version = a.item_version
                WHERE a.due_provisional AND a.accepted_at IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema).due_date_changes d WHERE d.case_id = a.case_id)
                FOR UPDATE OF a
                """, logger: logger
            ).decode((UUID, Date, String, Int).self).collectAll()
            var changed = 0
            for (caseId, acceptedAt, oldText, days) in rows {
                let due = calendar.dueDate(acceptedAt: acceptedAt, workingDays: days)
                guard due.date.description != oldText || !due.isProvisional else { continue }
                try await connection.run(
                    "UPDATE \(unescaped: schema).applications SET due_date = \(due.date.description)::date, due_provisional = \(due.isProvisional), updated_at = now() WHERE case_id = \(caseId)",
                    logger: logger)
                let years = calendar.knownYears.map(String.init).joined(separator: ", ")
                try await connection.run(
                    """
                    INSERT INTO \(unescaped: schema).due_date_changes (case_id, old_due_date, new_due_date, old_provisional, new_provisional, reason)
                    VALUES (\(caseId), \(oldText)::date, \(due.date.description)::date, true, \(due.isProvisional),
                            \("official calendar now known for \(years)"))
                    """, logger: logger)
                changed += 1
            }
            return changed
        }
    }
}
