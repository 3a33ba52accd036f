import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import Hummingbird
import Logging
import PostgresNIO

extension HallError.Code {
    /// A bundle is handed out together: some of its cases are not ready.
    static let bundleNotReady = HallError.Code(type: "bundle-not-ready", title: "Not every case of the bundle is ready", status: .conflict)
}

extension IntakeStore {
    /// Checks that the green channel's approver is active staff of the hall centre (Art 40).
    func checkGreenChannelApprover(_ staffId: String, field: String, on connection: PostgresConnection?) async throws {
        guard try await centreStaffName(staffId, on: connection) != nil else {
            throw HallError.invalid(
                field, "\(staffId) is not active staff of the hall centre, which approves green channels (Art 40)",
                words: "\(staffId) 不是政务服务中心的在岗工作人员，绿色通道须由政务服务中心批准（第40条）")
        }
    }

    /// A green channel asked for at submission: its approver checked (active centre staff, else
    /// `invalid-field` naming `greenChannelApproval.approvedBy`), approved now unless it says when.
    func checkedGreenChannel(_ approval: GreenChannelInput?, now: Date) async throws -> GreenChannelInput? {
        guard var approval else { return nil }
        approval.approvedAt = approval.approvedAt ?? now
        try await checkGreenChannelApprover(approval.approvedBy, field: "greenChannelApproval.approvedBy", on: nil)
        return approval
    }

    /// The centre's green-channel approval of a case, if it has one.
    func greenChannelApproval(caseId: UUID, on connection: PostgresConnection?) async throws -> GreenChannelApproval? {
        try await select(
            """
            SELECT reason, reference, approved_by, approved_at FROM \(unescaped: schema).green_channel_approvals WHERE case_id = \(caseId)
            """, on: connection
        ).decode((String, String, String, Date).self).collectAll().first.map {
            GreenChannelApproval(reason: try GreenChannelReason(stored: $0.0), reference: $0.1, approvedBy: $0.2, approvedAt: $0.3)
        }
    }

    /// A centre administrator puts a submitted case on the green channel (Art 40) and
    /// `intake.application.green-channel-granted` tells the coordinator, in the same transaction.
    /// The same approval again changes nothing.
    ///
    /// - Throws: ``HallError`` `not-found` for an unknown receipt code, `conflict` for a refused or
    ///   issued case or one already on the green channel under another approval, `invalid-field`
    ///   naming the field for a bad approval or an approver who is not centre staff.
    func grantGreenChannel(receiptCode: String, _ input: GreenChannelInput, recordedBy: String, now: Date = Date()) async throws -> CaseStatus {
        try input.check()
        let idNumber = try await client.transaction(logger: logger) { connection in
            let rows = try await connection.select(
                """
                SELECT case_id, status, item_code, applicant_id_number FROM \(unescaped: schema).applications
                WHERE receipt_code = \(receiptCode) FOR UPDATE
                """, logger: logger
            ).decode((UUID, String, String, String).self).collectAll()
            guard let row = rows.first else {
                throw HallError(.notFound, "no application \(receiptCode)", field: "receiptCode", words: "没有受理编号为 \(receiptCode) 的申请")
            }
            guard !["refused", "issued"].contains(row.1) else {
                throw HallError(
                    .conflict, "application \(receiptCode) is \(row.1): it cannot go on the green channel", field: "receiptCode",
                    words: "申请 \(receiptCode) 当前为“\(Words.status(row.1))”，不能进入绿色通道")
            }
            if let existing = try await greenChannelApproval(caseId: row.0, on: connection) {
                guard existing.reference == input.reference, existing.reason == input.reason, existing.approvedBy == input.approvedBy else {
                    throw HallError(
                        .conflict, "application \(receiptCode) is already on the green channel under approval \(existing.reference)", field: "reference",
                        words: "申请 \(receiptCode) 已凭批准文件 \(existing.reference) 进入绿色通道")
                }
                return row.3  // the same approval again
            }
            try await checkGreenChannelApprover(input.approvedBy, field: "approvedBy", on: connection)
            let approval = input.approval(now: now)
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).green_channel_approvals (case_id, reason, reference, approved_by, approved_at, recorded_by)
                VALUES (\(row.0), \(approval.reason.rawValue), \(approval.reference), \(approval.approvedBy), \(approval.approvedAt), \(recordedBy))
                """, logger: logger)
            try await connection.run(
                "UPDATE \(unescaped: schema).applications SET green_channel = true, updated_at = now() WHERE case_id = \(row.0)", logger: logger)
            let granted = ApplicationGreenChannelGranted(receiptCode: receiptCode, itemCode: row.2, approval: approval, recordedBy: recordedBy)
            try await outbox.append([try event(granted, caseId: row.0)], on: connection, logger: logger)
            logger.info("green channel granted", metadata: [LogKey.caseId: "\(row.0)", "green_channel.reference": "\(approval.reference)"])
            return row.3
        }
        return try await requireStatus(receiptCode: receiptCode, idNumber: idNumber)
    }

    /// A centre administrator assigns the centre's agent of a case, or replaces the agent (the
    /// previous assignment ends, both are kept); `intake.application.agent-assigned` is published
    /// in the same transaction. The same agent under the same entrustment again changes nothing.
    ///
    /// - Throws: ``HallError`` `not-found`, `conflict` (a refused or issued case; the same agent
    ///   under another entrustment), `invalid-field` naming `agentId` (not active centre staff) or
    ///   `reason` (a replacement without a reason).
    func assignAgent(receiptCode: String, _ input: AgentAssignment, assignedBy: String, now: Date = Date()) async throws -> CaseStatus {
        let input = try input.validated()
        let idNumber = try await client.transaction(logger: logger) { connection in
            let rows = try await connection.select(
                "SELECT case_id, status, applicant_id_number FROM \(unescaped: schema).applications WHERE receipt_code = \(receiptCode) FOR UPDATE",
                logger: logger
            ).decode((UUID, String, String).self).collectAll()
            guard let row = rows.first else {
                throw HallError(.notFound, "no application \(receiptCode)", field: "receiptCode", words: "没有受理编号为 \(receiptCode) 的申请")
            }
            guard !["refused", "issued"].contains(row.1) else {
                throw HallError(
                    .conflict, "application \(receiptCode) is \(row.1): there is nothing left to do for an agent", field: "receiptCode",
                    words: "申请 \(receiptCode) 当前为“\(Words.status(row.1))”，已没有需要代办员办理的事项")
            }
            let name = try await requireCentreAgent(input.agentId, on: connection)
            try await assignAgent(input, named: name, toCase: row.0, receiptCode: receiptCode, assignedBy: assignedBy, now: now, on: connection)
            return row.2
        }
        return try await requireStatus(receiptCode: receiptCode, idNumber: idNumber)
    }

    /// A centre administrator assigns (or replaces) the centre's agent of every case of a "one
    /// thing, one go" bundle at once, as the applicant entrusted the centre with the whole matter:
    /// all cases or none, each with its own `intake.application.agent-assigned`, in the bundle's
    /// order. Cases that already have this agent under this entrustment are left as they are.
    ///
    /// - Throws: ``HallError`` `not-found` (unknown bundle), `conflict` (a refused bundle, or one
    ///   already handed over; the same agent under another entrustment on a case), `invalid-field`
    ///   naming `agentId` (not active centre staff) or `reason` (a replacement without a reason).
    func assignBundleAgent(bundleId: String, _ input: AgentAssignment, assignedBy: String, now: Date = Date()) async throws -> BundleStatus {
        let input = try input.validated()
        let idNumber = try await client.transaction(logger: logger) { connection in
            let bundle = try await lockBundle(bundleId, on: connection)
            guard bundle.0 == "accepted", !bundle.1 else {
                throw HallError(
                    .conflict, "bundle \(bundleId) is \(bundle.1 ? "handed over" : bundle.0): there is nothing left to do for an agent", field: "bundleId",
                    words: "一件事套餐 \(bundleId) 当前为“\(bundle.1 ? "已交付" : Words.status(bundle.0))”，已没有需要代办员办理的事项")
            }
            let name = try await requireCentreAgent(input.agentId, on: connection)
            let cases = try await connection.select(
                """
                SELECT case_id, receipt_code FROM \(unescaped: schema).applications
                WHERE bundle_id = \(bundleId) ORDER BY bundle_position FOR UPDATE
                """, logger: logger
            ).decode((UUID, String).self).collectAll()
            for (caseId, receipt) in cases {
                try await assignAgent(input, named: name, toCase: caseId, receiptCode: receipt, assignedBy: assignedBy, now: now, on: connection)
            }
            return bundle.2
        }
        guard let status = try await bundleStatus(bundleId: bundleId, idNumber: idNumber) else {
            throw HallError(.notFound, "no bundle \(bundleId)", field: "bundleId", words: "没有编号为 \(bundleId) 的一件事套餐")
        }
        return status
    }

    /// Locks a bundle's row for the caller's transaction: its status, whether it was handed over,
    /// and its applicant's id number.
    ///
    /// - Throws: ``HallError`` `not-found` naming `bundleId`.
    private func lockBundle(_ bundleId: String, on connection: PostgresConnection) async throws -> (String, Bool, String) {
        let bundles = try await connection.select(
            """
            SELECT status, handed_over_at IS NOT NULL, applicant_id_number FROM \(unescaped: schema).bundles
            WHERE id = \(bundleId) FOR UPDATE
            """, logger: logger
        ).decode((String, Bool, String).self).collectAll()
        guard let bundle = bundles.first else {
            throw HallError(.notFound, "no bundle \(bundleId)", field: "bundleId", words: "没有编号为 \(bundleId) 的一件事套餐")
        }
        return bundle
    }

    /// The name of `agentId`, who must be active staff of the hall centre.
    private func requireCentreAgent(_ agentId: String, on connection: PostgresConnection) async throws -> String {
        guard let name = try await centreStaffName(agentId, on: connection) else {
            throw HallError.invalid(
                "agentId", "\(agentId) is not active staff of the hall centre (agents are the centre's staff, Art 40)",
                words: "\(agentId) 不是政务服务中心的在岗工作人员（代办员由政务服务中心工作人员担任，第40条）")
        }
        return name
    }

    /// Records `input` as the agent of one case, ending the previous agent's assignment, with its
    /// event, in the caller's transaction (which holds the case's row). The same agent under the
    /// same entrustment again changes nothing.
    private func assignAgent(
        _ input: AgentAssignment, named name: String, toCase caseId: UUID, receiptCode: String, assignedBy: String, now: Date,
        on connection: PostgresConnection
    ) async throws {
        let current = try await currentAgent(caseId: caseId, on: connection)
        let change = try Agency.change(
            current: current.map { ($0.agentId, $0.entrustmentReference) }, agentId: input.agentId, entrustment: input.entrustmentReference,
            reason: input.reason, receiptCode: receiptCode)
        switch change {
        case .unchanged:
            return
        case .first:
            break
        case .replacing:
            try await connection.run(
                """
                UPDATE \(unescaped: schema).agency_assignments SET ended_at = \(now)
                WHERE case_id = \(caseId) AND ended_at IS NULL
                """, logger: logger)
        }
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).agency_assignments (case_id, agent_id, entrustment_reference, reason, assigned_by, assigned_at)
            VALUES (\(caseId), \(input.agentId), \(input.entrustmentReference), \(current == nil ? nil : input.reason), \(assignedBy), \(now))
            """, logger: logger)
        let assigned = ApplicationAgentAssigned(
            receiptCode: receiptCode, agentId: input.agentId, agentName: name, entrustmentReference: input.entrustmentReference,
            previousAgentId: current?.agentId, reason: current == nil ? nil : input.reason, assignedBy: assignedBy, assignedAt: now)
        try await outbox.append([try event(assigned, caseId: caseId)], on: connection, logger: logger)
        logger.info("agent assigned", metadata: [LogKey.caseId: "\(caseId)", "agent.id": "\(input.agentId)", "agent.previous": "\(current?.agentId ?? "-")"])
    }

    /// The case's current agent, if the applicant entrusted the centre (at most one assignment
    /// has not ended: `agency_assignments_current`).
    func currentAgent(caseId: UUID, on connection: PostgresConnection?) async throws -> CaseStatus.Agent? {
        try await agents(caseId: caseId, currentOnly: true, on: connection).first
    }

    /// The id of the case's current agent, who acts for the applicant (brings supplements,
    /// collects the result).
    ///
    /// - Throws: ``HallError`` `conflict` with `message` (and `words`), naming `field`, when no agent is assigned.
    func requireCurrentAgentId(
        caseId: UUID, field: String, otherwise message: String, words: String? = nil, on connection: PostgresConnection
    ) async throws -> String {
        guard let current = try await currentAgent(caseId: caseId, on: connection) else { throw HallError(.conflict, message, field: field, words: words) }
        return current.agentId
    }

    /// Every agent of the case (or only the current one), oldest first.
    func agents(caseId: UUID, currentOnly: Bool = false, on connection: PostgresConnection?) async throws -> [CaseStatus.Agent] {
        try await select(
            """
            SELECT g.agent_id, s.name, g.entrustment_reference, g.assigned_at, g.ended_at, g.reason
            FROM \(unescaped: schema).agency_assignments g JOIN \(unescaped: schema).staff s ON s.id = g.agent_id
            WHERE g.case_id = \(caseId) AND (NOT \(currentOnly) OR g.ended_at IS NULL) ORDER BY g.id
            """, on: connection
        ).decode((String, String, String, Date, Date?, String?).self).collectAll().map {
            CaseStatus.Agent(agentId: $0.0, name: $0.1, entrustmentReference: $0.2, assignedAt: $0.3, endedAt: $0.4, reason: $0.5)
        }
    }

    /// The clerk hands a whole "one thing, one go" bundle to the applicant (or the agents) in one
    /// call: only when every case of it is ready, all or nothing, each case recorded as issued
    /// (when, by whom, to whom). A repeat after the hand-over changes nothing.
    ///
    /// - Throws: ``HallError`` `not-found` (unknown bundle), `bundle-not-ready` naming every case
    ///   that is not ready, `conflict` naming `collectedBy` when a case has no agent to collect it.
    func handOverBundle(bundleId: String, _ input: HandOver, clerk: Clerk, now: Date = Date()) async throws -> BundleStatus {
        let idNumber = try await client.transaction(logger: logger) { connection in
            let bundle = try await lockBundle(bundleId, on: connection)
            if bundle.1 { return bundle.2 }  // handed over already: the same answer
            guard bundle.0 == "accepted" else {
                throw HallError(
                    .conflict, "bundle \(bundleId) is \(bundle.0): it has nothing to hand over", field: "bundleId",
                    words: "一件事套餐 \(bundleId) 当前为“\(Words.status(bundle.0))”，没有可交付的办理结果")
            }
            let cases = try await connection.select(
                """
                SELECT a.case_id, a.receipt_code, a.status, g.agent_id, a.department_id, a.window_id
                FROM \(unescaped: schema).applications a
                LEFT JOIN \(unescaped: schema).agency_assignments g ON g.case_id = a.case_id AND g.ended_at IS NULL
                WHERE a.bundle_id = \(bundleId) ORDER BY a.bundle_position FOR UPDATE OF a
                """, logger: logger
            ).decode((UUID, String, String, String?, String?, String?).self).collectAll()
            try await requireWindowClerk(clerk, cases: cases.map { ($0.4 ?? "", $0.5) }, on: connection)
            let notReady = cases.filter { $0.2 != "ready" }
            guard notReady.isEmpty else {
                throw HallError(
                    .bundleNotReady,
                    "bundle \(bundleId) is handed out together and not every case is ready: "
                        + notReady.map { "\($0.1) (\($0.2))" }.joined(separator: ", "),
                    field: "bundleId",
                    words: "一件事套餐 \(bundleId) 的办理结果须一并交付，以下办件尚未可领取："
                        + notReady.map { "\($0.1)（\(Words.status($0.2))）" }.joined(separator: "、"))
            }
            try await requireReleasable(cases.map(\.0), on: connection)
            let byAgent = input.collectedBy == .agent
            let without = cases.filter { $0.3 == nil }
            if byAgent && !without.isEmpty {
                throw HallError(
                    .conflict, "no agent is assigned to \(without.map(\.1).joined(separator: ", ")): the applicant collects", field: "collectedBy",
                    words: "办件 \(without.map(\.1).joined(separator: "、")) 未指定代办员，应由申请人本人领取")
            }
            try await connection.run(
                """
                UPDATE \(unescaped: schema).applications a
                SET status = 'issued', handed_over_at = \(now), handed_over_by = \(clerk.staffId), updated_at = now(),
                    collected_by_agent = NULLIF(n.agent, '')
                FROM unnest(\(cases.map(\.0)), \(cases.map { byAgent ? $0.3 ?? "" : "" })) AS n(case_id, agent)
                WHERE a.case_id = n.case_id AND a.bundle_id = \(bundleId) AND a.status = 'ready'
                """, logger: logger)
            try await connection.run(
                """
                UPDATE \(unescaped: schema).bundles SET handed_over_at = \(now), handed_over_by = \(clerk.staffId), updated_at = now()
                WHERE id = \(bundleId)
                """, logger: logger)
            logger.info("bundle handed over", metadata: [LogKey.bundleId: "\(bundleId)", "bundle.size": "\(cases.count)"])
            return bundle.2
        }
        guard let status = try await bundleStatus(bundleId: bundleId, idNumber: idNumber) else {
            throw HallError(.notFound, "no bundle \(bundleId)", field: "bundleId", words: "没有编号为 \(bundleId) 的一件事套餐")
        }
        return status
    }

    /// The case as its applicant sees it, for a receipt code known to exist.
    func requireStatus(receiptCode: String, idNumber: String) async throws -> CaseStatus {
        guard let status = try await caseStatus(receiptCode: receiptCode, idNumber: idNumber) else {
            throw HallError(.notFound, "no application \(receiptCode)", field: "receiptCode", words: "没有受理编号为 \(receiptCode) 的申请")
        }
        return status
    }
}
