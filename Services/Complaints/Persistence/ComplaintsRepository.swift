import Foundation
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// What the complaints service reads and writes, behind one protocol: the routes use it, the
/// service runs ``PostgresComplaintsRepository``, route tests run ``MemoryComplaintsRepository``.
protocol ComplaintsRepository: Sendable {
    /// The active windows and departments one may complain about.
    func targets() async throws -> ComplaintTargets
    /// Files a complaint about an active window, department or staff member of the directory.
    func file(_ filing: ComplaintFiling, channel: ComplaintChannel, recordedBy: String?, at: Date) async throws -> FiledComplaint
    /// The complainant's view, by tracking code; nil when no complaint has it.
    func track(code: String) async throws -> ComplaintTracking?
    /// A queue's complaints, newest first, without the complainants' identity; none about `reader`.
    func queue(_ queue: ComplaintQueue, reader: String) async throws -> [ComplaintSummary]
    /// One complaint of `queue` in full, the complainant's identity included (the read is recorded).
    func record(_ id: UUID, queue: ComplaintQueue, reader: String, at: Date) async throws -> ComplaintRecord
    /// Takes a step on a complaint of `queue`; each step is kept with who took it and when.
    func take(_ step: ComplaintStep, on id: UUID, queue: ComplaintQueue, actor: String, at: Date) async throws -> ComplaintRecord
    /// Who read which complainant's identity and when, newest first (of one complaint, or all).
    func identityReads(complaintId: UUID?) async throws -> [IdentityRead]
}

/// One read of a complainant's name and contact.
struct IdentityRead: Codable, Sendable, Equatable {
    var complaintId: UUID
    var readerId: String
    var readAt: Date
}

/// The receipt-code rule both repositories share.
enum ReceiptCheck {
    static func unknown(_ receiptCode: String) -> HallError {
        HallError.invalid(
            "receiptCode",
            "no application with this receipt code is known to the hall (it is on the acceptance, refusal or correction notice; leave it out if there is none)")
    }
}

/// The windows and departments one may complain about.
struct ComplaintTargets: Codable, Sendable, Equatable {
    var windows: [DirectoryWindow]
    var departments: [DirectoryDepartment]
}

/// What filing answers: the tracking code is the complainant's only key to the complaint.
struct FiledComplaint: Codable, Sendable, Equatable {
    var complaintId: UUID
    var trackingCode: String
    var queue: ComplaintQueue
    var status: ComplaintStatus
    var filedAt: Date
}

/// The complainant's view (no identity, no internal findings text).
struct ComplaintTracking: Codable, Sendable, Equatable {
    var trackingCode: String
    var category: ComplaintCategory
    var targetKind: ComplaintTargetKind
    var targetName: String
    var status: ComplaintStatus
    var filedAt: Date
    var notAcceptedReason: String?
    var finding: ComplaintFinding?
    var reply: String?
    var updatedAt: Date
}

/// A line of a handler's queue.
struct ComplaintSummary: Codable, Sendable, Equatable {
    var complaintId: UUID
    var category: ComplaintCategory
    var channel: ComplaintChannel
    var targetKind: ComplaintTargetKind
    var targetId: String
    var targetName: String
    var status: ComplaintStatus
    var anonymous: Bool
    var filedAt: Date
}

/// A complaint in full, for the handlers of its queue.
struct ComplaintRecord: Codable, Sendable, Equatable {
    struct Complainant: Codable, Sendable, Equatable {
        var name: String
        var contact: String
    }
    struct Step: Codable, Sendable, Equatable {
        var step: String
        var statusAfter: ComplaintStatus
        var actorId: String
        var detail: String?
        var at: Date
    }
    var summary: ComplaintSummary
    var trackingCode: String
    var recordedBy: String?
    var receiptCode: String?
    /// The case the receipt code belongs to (an application refused or awaiting correction has none).
    var caseId: String?
    var content: String
    var complainant: Complainant?
    var notAcceptedReason: String?
    var finding: ComplaintFinding?
    var findings: String?
    var reply: String?
    var steps: [Step]
}

/// A target as the directory knows it.
struct ResolvedTarget: Sendable {
    var name: String
    var staffId: String?
}

extension ComplaintRecord {
    /// The record after `step` (already checked to lead to `status`): what it records, the new
    /// status and the step in the log.
    func taking(_ step: ComplaintStep, to status: ComplaintStatus, actor: String, at: Date) -> ComplaintRecord {
        var record = self
        switch step {
        case .notAccept(let reason): record.notAcceptedReason = reason
        case .conclude(let finding, let findings): (record.finding, record.findings) = (finding, findings)
        case .reply(let text): record.reply = text
        case .accept, .close: break
        }
        record.summary.status = status
        record.steps.append(.init(step: step.name, statusAfter: status, actorId: actor, detail: ComplaintAccess.detail(step), at: at))
        return record
    }
}

/// The rules both repositories share: a staff member never reads a complaint about themself, and a
/// handler works only their own queue.
enum ComplaintAccess {
    static func checkReader(_ reader: String, targetStaffId: String?, complaintQueue: ComplaintQueue, asked: ComplaintQueue) throws {
        guard complaintQueue == asked else {
            throw HallError(.forbidden, "the complaint is in the \(complaintQueue.rawValue) queue; only its handlers (role \(complaintQueue.role.rawValue)) act on it")
        }
        if let targetStaffId, targetStaffId == reader {
            throw HallError(.forbidden, "the complaint is about you: it is handled by someone else")
        }
    }

    /// What a step records in the step log.
    static func detail(_ step: ComplaintStep) -> String? {
        switch step {
        case .accept, .close: nil
        case .notAccept(let reason): reason
        case .conclude(let finding, let findings): "\(finding.rawValue): \(findings)"
        case .reply(let text): text
        }
    }
}

/// ``ComplaintsRepository`` on the service's schema.
struct PostgresComplaintsRepository: ComplaintsRepository {
    let client: PostgresClient
    let schema: String
    let logger: Logger

    func targets() async throws -> ComplaintTargets {
        ComplaintTargets(
            windows: try await DirectoryProjection.activeWindows(client: client, schema: schema, logger: logger),
            departments: try await DirectoryProjection.activeDepartments(client: client, schema: schema, logger: logger))
    }

    private func resolve(_ kind: ComplaintTargetKind, _ id: String) async throws -> ResolvedTarget {
        let query: PostgresQuery
        switch kind {
        case .window: query = "SELECT name, NULL::text FROM \(unescaped: schema).windows WHERE window_id = \(id) AND active"
        case .department: query = "SELECT name, NULL::text FROM \(unescaped: schema).departments WHERE department_id = \(id) AND active"
        case .staff: query = "SELECT name, staff_id FROM \(unescaped: schema).staff WHERE staff_id = \(id) AND active"
        }
        let rows = try await client.run(query, logger: logger).decode((String, String?).self)
        for try await (name, staff) in rows { return ResolvedTarget(name: name, staffId: staff) }
        throw HallError.invalid("targetId", "no active \(kind.rawValue) '\(id)' in the hall's directory (GET /v1/targets lists them)")
    }

    func file(_ filing: ComplaintFiling, channel: ComplaintChannel, recordedBy: String?, at: Date) async throws -> FiledComplaint {
        try filing.validate()
        let target = try await resolve(filing.targetKind, filing.targetId)
        var caseId: String?
        if let receiptCode = filing.receiptCode {
            let known = try await client.run(
                "SELECT case_id FROM \(unescaped: schema).cases WHERE receipt_code = \(receiptCode)", logger: logger
            ).decode(String?.self).collectAll()
            guard let found = known.first else { throw ReceiptCheck.unknown(receiptCode) }
            caseId = found
        }
        let anonymous = filing.anonymous == true
        let filed = FiledComplaint(
            complaintId: UUID(), trackingCode: TrackingCode.make(), queue: ComplaintQueue(for: filing.category), status: .filed, filedAt: at)
        try await client.transaction(logger: logger) { connection in
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).complaints
                    (complaint_id, tracking_code, channel, recorded_by, category, queue, target_kind, target_id, target_name, target_staff_id,
                     receipt_code, case_id, anonymous, complainant_name, complainant_contact, content, status, filed_at, updated_at)
                VALUES (\(filed.complaintId), \(filed.trackingCode), \(channel.rawValue), \(recordedBy), \(filing.category.rawValue),
                        \(filed.queue.rawValue), \(filing.targetKind.rawValue), \(filing.targetId), \(target.name), \(target.staffId),
                        \(filing.receiptCode), \(caseId), \(anonymous), \(anonymous ? nil : filing.complainantName), \(anonymous ? nil : filing.complainantContact),
                        \(filing.content), 'filed', \(at), \(at))
                """, logger: logger)
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).complaint_steps (complaint_id, step, status_after, actor_id, detail, at)
                VALUES (\(filed.complaintId), 'file', 'filed', \(recordedBy ?? (anonymous ? "anonymous" : "complainant")), \(channel.rawValue), \(at))
                """, logger: logger)
            try await Outbox(schema: schema).append([try ComplaintEvents.filed(filed, filing, channel: channel)], on: connection, logger: logger)
        }
        return filed
    }

    func track(code: String) async throws -> ComplaintTracking? {
        guard TrackingCode.isWellFormed(code) else { return nil }
        let rows = try await client.run(
            """
            SELECT tracking_code, category, target_kind, target_name, status, filed_at, not_accepted_reason, finding, reply, updated_at
            FROM \(unescaped: schema).complaints WHERE tracking_code = \(code)
            """, logger: logger
        ).decode((String, String, String, String, String, Date, String?, String?, String?, Date).self)
        for try await row in rows {
            return ComplaintTracking(
                trackingCode: row.0, category: try .init(stored: row.1), targetKind: try .init(stored: row.2), targetName: row.3,
                status: try .init(stored: row.4), filedAt: row.5, notAcceptedReason: row.6, finding: try row.7.map(ComplaintFinding.init(stored:)),
                reply: row.8, updatedAt: row.9)
        }
        return nil
    }

    private static let summaryColumns = "complaint_id, category, channel, target_kind, target_id, target_name, status, anonymous, filed_at"
    private typealias SummaryRow = (UUID, String, String, String, String, String, String, Bool, Date)

    private static func summary(_ row: SummaryRow) throws -> ComplaintSummary {
        ComplaintSummary(
            complaintId: row.0, category: try .init(stored: row.1), channel: try .init(stored: row.2), targetKind: try .init(stored: row.3),
            targetId: row.4, targetName: row.5, status: try .init(stored: row.6), anonymous: row.7, filedAt: row.8)
    }

    func queue(_ queue: ComplaintQueue, reader: String) async throws -> [ComplaintSummary] {
        let rows = try await client.run(
            """
            SELECT \(unescaped: Self.summaryColumns) FROM \(unescaped: schema).complaints
            WHERE queue = \(queue.rawValue) AND target_staff_id IS DISTINCT FROM \(reader)
            ORDER BY filed_at DESC LIMIT 500
            """, logger: logger
        ).decode(SummaryRow.self)
        var summaries: [ComplaintSummary] = []
        for try await row in rows { summaries.append(try Self.summary(row)) }
        return summaries
    }

    func record(_ id: UUID, queue: ComplaintQueue, reader: String, at: Date) async throws -> ComplaintRecord {
        try await client.transaction(logger: logger) { connection in
            try await self.record(id, queue: queue, reader: reader, at: at, lock: false, logRead: true, on: connection)
        }
    }

    private func record(
        _ id: UUID, queue: ComplaintQueue, reader: String, at: Date, lock: Bool, logRead: Bool, on connection: PostgresConnection
    ) async throws
        -> ComplaintRecord
    {
        let rows = try await connection.select(
            """
            SELECT \(unescaped: Self.summaryColumns), queue, target_staff_id, tracking_code, recorded_by, receipt_code, case_id, content,
                   complainant_name, complainant_contact, not_accepted_reason, finding, findings, reply
            FROM \(unescaped: schema).complaints WHERE complaint_id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger
        ).collectAll()
        guard let row = rows.first?.makeRandomAccess() else { throw HallError(.notFound, "no complaint \(id)", field: "complaintId") }
        let summary = try Self.summary(
            (try row.value("complaint_id"), try row.value("category"), try row.value("channel"), try row.value("target_kind"),
             try row.value("target_id"), try row.value("target_name"), try row.value("status"), try row.value("anonymous"), try row.value("filed_at")))
        try ComplaintAccess.checkReader(
            reader, targetStaffId: try row.value("target_staff_id", as: String?.self), complaintQueue: try .init(stored: try row.value("queue", as: String.self)),
            asked: queue)
        var complainant: ComplaintRecord.Complainant?
        if let name = try row.value("complainant_name", as: String?.self), let contact = try row.value("complainant_contact", as: String?.self) {
            complainant = .init(name: name, contact: contact)
            if logRead { try await recordRead(id, reader: reader, at: at, on: connection) }
        }
        let steps = try await connection.select(
            "SELECT step, status_after, actor_id, detail, at FROM \(unescaped: schema).complaint_steps WHERE complaint_id = \(id) ORDER BY at, step",
            logger: logger
        ).decode((String, String, String, String?, Date).self).collectAll()
        return ComplaintRecord(
            summary: summary, trackingCode: try row.value("tracking_code"), recordedBy: try row.value("recorded_by"),
            receiptCode: try row.value("receipt_code"), caseId: try row.value("case_id"), content: try row.value("content"), complainant: complainant,
            notAcceptedReason: try row.value("not_accepted_reason"), finding: try (row.value("finding", as: String?.self)).map(ComplaintFinding.init(stored:)),
            findings: try row.value("findings"), reply: try row.value("reply"),
            steps: try steps.map { .init(step: $0.0, statusAfter: try .init(stored: $0.1), actorId: $0.2, detail: $0.3, at: $0.4) })
    }

    private func recordRead(_ id: UUID, reader: String, at: Date, on connection: PostgresConnection) async throws {
        try await connection.run(
            "INSERT INTO \(unescaped: schema).identity_reads (complaint_id, reader_id, read_at) VALUES (\(id), \(reader), \(at))", logger: logger)
    }

    func take(_ step: ComplaintStep, on id: UUID, queue: ComplaintQueue, actor: String, at: Date) async throws -> ComplaintRecord {
        try await client.transaction(logger: logger) { connection in
            let current = try await record(id, queue: queue, reader: actor, at: at, lock: true, logRead: false, on: connection)
            let next = try step.next(from: current.summary.status)
            let updated = current.taking(step, to: next, actor: actor, at: at)
            try await connection.run(
                """
                UPDATE \(unescaped: schema).complaints SET status = \(next.rawValue), updated_at = \(at),
                    not_accepted_reason = \(updated.notAcceptedReason), finding = \(updated.finding?.rawValue),
                    findings = \(updated.findings), reply = \(updated.reply)
                WHERE complaint_id = \(id)
                """, logger: logger)
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).complaint_steps (complaint_id, step, status_after, actor_id, detail, at)
                VALUES (\(id), \(step.name), \(next.rawValue), \(actor), \(ComplaintAccess.detail(step)), \(at))
                """, logger: logger)
            try await Outbox(schema: schema).append(
                [try ComplaintEvents.progressed(step, to: next, of: current.summary, actor: actor, at: at)], on: connection, logger: logger)
            // The answer shows the complainant to the handler: a read like any other.
            if updated.complainant != nil { try await recordRead(id, reader: actor, at: at, on: connection) }
            return updated
        }
    }

    func identityReads(complaintId: UUID?) async throws -> [IdentityRead] {
        let rows = try await client.run(
            """
            SELECT complaint_id, reader_id, read_at FROM \(unescaped: schema).identity_reads
            WHERE \(complaintId)::uuid IS NULL OR complaint_id = \(complaintId) ORDER BY read_at DESC LIMIT 1000
            """, logger: logger
        ).decode((UUID, String, Date).self).collectAll()
        return rows.map { IdentityRead(complaintId: $0.0, readerId: $0.1, readAt: $0.2) }
    }
}
