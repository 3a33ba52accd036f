import Foundation
import HallCalendar
import HallContracts
import HallKit
import PostgresNIO

/// An application made at home (网上申请, Art 39): the applicant fills it in and lists the
/// materials they hold; the guide pre-checks it; it waits in the front desk's queue until a clerk
/// checks the materials and submits it as the case (`channel: online`), with the same three
/// outcomes as at the window.
struct OnlineApplication: Sendable, Equatable {
    var id: UUID
    /// The applicant's number for it, until the receipt code replaces it.
    var reference: String
    var itemCode: String
    var itemVersion: Int
    var applicant: Applicant
    /// The materials the applicant says they hold (catalogue material ids).
    var listed: [String]
    /// The pre-check: the names of the required materials not listed.
    var missing: [String]
    /// `waiting`, `taken` (a clerk is checking it) or `answered`.
    var status: String
    var takenBy: String?
    var receiptCode: String?
    var outcome: String?
    var createdAt: Date
}

extension IntakeStore {
    /// Stores an application made online for the item in force, pre-checked against its guide.
    func applyOnline(itemCode: String, applicant: Applicant, listed: [String], now: Date) async throws -> OnlineApplication {
        guard let item = IntakeStore.inForce(try await recentItemVersions(of: itemCode), on: .inHall(now)) else {
            throw HallError(.notFound, "no item \(itemCode) in force", field: "itemCode", words: "目录中没有现行有效的事项 \(itemCode)")
        }
        // The applicant's fields by the window's rules (a valid identity number, a way to reach them).
        _ = try ApplicationSubmission(
            itemCode: item.code, departmentId: nil, applicant: applicant, materials: [], conditionsMet: nil, promised: nil, channel: .online,
            greenChannel: nil, greenChannelApproval: nil, idempotencyKey: "online", competentAuthority: nil
        ).validated()
        let known = Set(item.materials.map(\.id))
        guard let unknown = listed.first(where: { !known.contains($0) }) else {
            let missing = item.materials.filter { $0.requirement == .required && !listed.contains($0.id) }.map(\.name)
            let application = OnlineApplication(
                id: UUID(), reference: "W" + Self.newReceiptCode().dropFirst(), itemCode: item.code, itemVersion: item.version, applicant: applicant,
                listed: listed, missing: missing, status: "waiting", createdAt: now)
            let applicantJSON = String(decoding: try JSONEncoder.intake.encode(applicant), as: UTF8.self)
            try await client.run(
                """
                INSERT INTO \(unescaped: schema).online_applications
                    (id, reference, item_code, item_version, applicant, applicant_id_number, listed, missing, status, created_at)
                VALUES (\(application.id), \(application.reference), \(item.code), \(item.version), \(applicantJSON)::jsonb,
                        \(applicant.idNumber.uppercased()), \(listed), \(missing), 'waiting', \(now))
                """, logger: logger)
            return application
        }
        throw HallError.invalid("materials", "'\(unknown)' is not a material of item \(item.code)", words: "“\(unknown)”不是事项 \(item.code) 的申请材料")
    }

    /// Online applications not answered yet, oldest first (the front desk's queue).
    func onlineQueue(limit: Int = 200) async throws -> [OnlineApplication] {
        try await onlineApplications("status <> 'answered' ORDER BY created_at LIMIT \(limit)", [])
    }

    /// One online application by its id.
    func onlineApplication(id: UUID) async throws -> OnlineApplication? {
        try await onlineApplications("id = $1", [id]).first
    }

    /// The applicant's view of their online application: the same nothing whether the reference or the number is wrong.
    func onlineStatus(reference: String, idNumber: String) async throws -> OnlineApplication? {
        try await onlineApplications("reference = $1 AND applicant_id_number = $2", [reference, idNumber.uppercased()]).first
    }

    private func onlineApplications(_ condition: String, _ values: [any PostgresDynamicTypeEncodable]) async throws -> [OnlineApplication] {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT id, reference, item_code, item_version, applicant::text, listed, missing, status, taken_by, receipt_code, outcome, created_at
                FROM \(schema).online_applications WHERE \(condition)
                """, binds: bindings)
        let rows = try await client.run(query, logger: logger)
            .decode((UUID, String, String, Int, String, [String], [String], String, String?, String?, String?, Date).self).collectAll()
        return try rows.map { row in
            OnlineApplication(
                id: row.0, reference: row.1, itemCode: row.2, itemVersion: row.3,
                applicant: try JSONDecoder.intake.decode(Applicant.self, from: Data(row.4.utf8)), listed: row.5, missing: row.6, status: row.7,
                takenBy: row.8, receiptCode: row.9, outcome: row.10, createdAt: row.11)
        }
    }

    /// A clerk answers an online application: they take it (no other clerk can then), and submit
    /// what they checked as the case, channel online, once (a repeat gives the same answer).
    func answerOnline(id: UUID, _ submission: ApplicationSubmission, clerk: Clerk, now: Date) async throws -> ApplicationResponse {
        let taken = try await client.run(
            """
            UPDATE \(unescaped: schema).online_applications SET status = CASE WHEN status = 'answered' THEN status ELSE 'taken' END,
                taken_by = COALESCE(taken_by, \(clerk.staffId))
            WHERE id = \(id) AND (taken_by IS NULL OR taken_by = \(clerk.staffId))
            RETURNING item_code, applicant_id_number
            """, logger: logger
        ).decode((String, String).self).collectAll().first
        guard let taken else {
            guard try await onlineApplication(id: id) != nil else {
                throw HallError(.notFound, "no such online application", field: "id", words: "没有这份网上申请")
            }
            throw HallError(.conflict, "another clerk has taken this online application", field: "id", words: "这份网上申请已由其他工作人员受理")
        }
        guard taken.0 == submission.itemCode, taken.1 == submission.applicant.idNumber.uppercased() else {
            throw HallError.invalid(
                "applicant.idNumber", "the online application is for item \(taken.0) by its own applicant: the item and identity number cannot change",
                words: "这份网上申请是申请人本人就事项 \(taken.0) 提出的，事项和身份证件号码不能更改")
        }
        var online = submission
        online.channel = .online
        online.idempotencyKey = "online-\(id.uuidString.lowercased())"
        let answer = try await submit(online, clerk: clerk, now: now)
        try await client.run(
            """
            UPDATE \(unescaped: schema).online_applications SET status = 'answered', receipt_code = \(answer.receiptCode),
                outcome = \(answer.outcome.rawValue), answered_at = COALESCE(answered_at, \(now))
            WHERE id = \(id)
            """, logger: logger)
        return answer
    }
}
