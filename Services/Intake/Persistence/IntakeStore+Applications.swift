import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

extension IntakeStore {
    /// Decides a submission: refused, one-time correction notice, or accepted; stores it and its
    /// events in one statement (one transaction). A repeat with the same idempotency key returns the
    /// first answer, also when the repeats run at the same time.
    ///
    /// Two round trips to the database: the first answer to the key (and, for an acceptance, the
    /// notice number), then one `INSERT … WITH` statement writing the application, its corrections
    /// or promised materials, its notice and all its outbox rows. Acceptances arriving together
    /// share both round trips (``acceptBatch(_:)``). The item and the window come from the store's
    /// caches (at most 2 s stale), as they did inside the former transaction.
    func submit(_ submission: ApplicationSubmission, clerk: Clerk, now: Date = Date()) async throws -> ApplicationResponse {
        var submission = try submission.validated()
        try await requirePosted(clerk, on: nil)
        submission.greenChannelApproval = try await checkedGreenChannel(submission.greenChannelApproval, now: now)
        do {
            return try await submitOnce(submission, clerk: clerk, now: now)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            // A concurrent submission with the same key won the race (the unique constraint on
            // clerk and key aborted this one's statement, so nothing of it is stored): answer with its result.
            if let stored = try await storedResponse(clerk: clerk.staffId, key: submission.idempotencyKey) { return stored }
            throw error
        }
    }

    func storedResponse(clerk: String, key: String, on connection: PostgresConnection? = nil) async throws -> ApplicationResponse? {
        let query: PostgresQuery =
            "SELECT response::text FROM \(unescaped: schema).applications WHERE clerk_id = \(clerk) AND idempotency_key = \(key)"
        let rows: [String]
        if let connection {
            rows = try await connection.select(query, logger: logger).decode(String.self).collectAll()
        } else {
            rows = try await client.run(query, logger: logger).decode(String.self).collectAll()
        }
        return try rows.first.map { try JSONDecoder.intake.decode(ApplicationResponse.self, from: Data($0.utf8)) }
    }

    private func submitOnce(_ submission: ApplicationSubmission, clerk: Clerk, now: Date) async throws -> ApplicationResponse {
        let assessment: Assessment
        do {
            assessment = try await assess(submission, clerk: clerk, today: LocalDate.inHall(now), on: nil)
        } catch {
            // A repeat gets the first answer even when the catalogue or the window changed since.
            if let stored = try await storedResponse(clerk: clerk.staffId, key: submission.idempotencyKey) { return stored }
            throw error
        }
        if case .complete(let promises) = assessment.verdict, let item = assessment.item {
            // Acceptances are written in groups: one round trip for the stored answers and notice
            // numbers of every acceptance waiting, one statement storing all of them.
            let pending = PendingAcceptance(submission: submission, clerk: clerk, item: item, promised: promises, now: now)
            guard let acceptances else { return try await acceptBatch([pending])[0].get() }
            return try await acceptances.submit(pending) { batch in await self.acceptBatch(batch) }
        }
        if let stored = try await storedResponse(clerk: clerk.staffId, key: submission.idempotencyKey) {
            return stored
        }

        var response = ApplicationResponse(
            caseId: UUID.random(), receiptCode: Self.newReceiptCode(), outcome: .refused, itemCode: submission.itemCode,
            itemVersion: assessment.item?.version)
        var outgoing: [OutgoingEvent] = []
        switch assessment.verdict {
        case .refused(let refusal):
            response.refusal = refusal
            outgoing.append(try refusedEventFor(response, refusal: refusal, now: now, clerk: clerk))
        case .corrections(let list):
            response.outcome = .correctionRequired
            response.corrections = list
            response.correctionNoticeNumber = try await nextCorrectionNoticeNumber(now: now, on: nil)
            outgoing.append(
                try correctionEventFor(
                    receiptCode: response.receiptCode, item: try assessment.requireItem(), corrections: list, now: now, clerk: clerk, caseId: response.caseId))
        case .complete:
            throw HallError(.internalError, "a complete application is accepted through acceptBatch", words: "材料齐全的申请应通过批量受理（acceptBatch）办理")
        }
        // One statement is one transaction: the application and everything it owns are stored
        // with their events, or (bad input caught by a constraint, a concurrent repeat) none of it.
        let statement = try applicationInsert(
            submission, assessment: assessment, response: response, bundle: nil, clerk: clerk, events: outgoing, now: now)
        _ = try await client.run(statement, logger: logger).decode(UUID.self).collectAll()
        return response
    }

    /// What the front desk finds about one application, before anything is stored: the versions of
    /// its item, the version in force (unless refused) and the verdict.
    struct Assessment: Sendable {
        var versions: [ItemVersion]
        var item: ItemVersion?
        var verdict: MemberAssessment
        /// The department that issues (and seals) the refusal notice when no department of the
        /// item can: the hall centre, for an item unknown to the hall.
        var issuer: String? = nil

        /// The version in force, which every verdict but a refusal has.
        func requireItem() throws -> ItemVersion {
            guard let item else { throw HallError(.internalError, "an application without a refusal has no item version", words: "未作不予受理的申请缺少事项版本") }
            return item
        }
    }

    /// Decides one application: refusal (not a matter of this hall, not in force, or not the
    /// department's competence), else the materials check (every correction at once, or complete).
    ///
    /// - Throws: ``HallError`` for a request the window cannot take (unknown item without a
    ///   competent authority, a window that does not serve the item, a material not of the item).
    /// - Parameter connection: the caller's transaction, or nil to read through the pool.
    func assess(_ submission: ApplicationSubmission, clerk: Clerk, today: LocalDate, on connection: PostgresConnection?) async throws -> Assessment {
        let versions = try await items.versions(of: submission.itemCode) { try await self.versions(of: submission.itemCode, on: connection) }
        // The window matters only once the item is known and in force; an unknown window is then refused.
        var window: (kind: String, departments: [String])?
        if let windowId = clerk.windowId { window = try await self.window(windowId, on: connection) }
        let admission = Admission.decide(
            versions: versions, department: submission.departmentId, today: today,
            windowKind: window.flatMap { WindowKind(rawValue: $0.kind) } ?? .department, windowDepartments: window?.departments ?? [])
        switch admission {
        case .unknownItem:
            guard let authority = submission.competentAuthority, !authority.isEmpty else {
                throw HallError.invalid(
                    "itemCode", "'\(submission.itemCode)' is not in the hall's catalogue; to issue a refusal notice, name the competent authority in competentAuthority",
                    words: "“\(submission.itemCode)”不在本大厅的事项目录中；如需出具不予受理通知书，请填写有权处理的机关（competentAuthority）")
            }
            // The refusal notice must carry a seal (Art 37): the hall centre issues it, as no department can.
            guard let centre = try await centre(on: connection) else {
                throw HallError(
                    .conflict,
                    "item \(submission.itemCode) is not in the hall's catalogue, and the directory has no hall centre to issue the refusal notice under its seal (Art 37): register the centre (POST /v1/departments with \"centre\": true)",
                    field: "itemCode",
                    words: "事项 \(submission.itemCode) 不在本大厅的事项目录中，而目录中没有可加盖印章出具不予受理通知书的政务服务中心（第37条）："
                        + "请先登记政务服务中心（POST /v1/departments，\"centre\": true）")
            }
            return Assessment(
                versions: versions, item: nil,
                verdict: .refused(.init(
                    reasonCode: .unknownItem, reason: "item \(submission.itemCode) is not handled by this service hall", competentAuthority: authority)),
                issuer: centre.id)
        case .notInForce(let first, let withdrawnFrom):
            let lead = try await departmentName(first.leadDepartmentId, on: connection) ?? first.leadDepartmentId
            let reason = withdrawnFrom.map { "item \(first.code) is withdrawn from the catalogue from \($0)" }
                ?? "item \(first.code) is not in force until \(first.effectiveFrom)"
            return Assessment(
                versions: versions, item: nil, verdict: .refused(.init(reasonCode: .notInForce, reason: reason, competentAuthority: lead)))
        case .notCompetent(let current, let department):
            let lead = try await departmentName(current.leadDepartmentId, on: connection) ?? current.leadDepartmentId
            return Assessment(
                versions: versions, item: nil,
                verdict: .refused(.init(
                    reasonCode: .notCompetent,
                    reason: "item \(current.code) \(current.name) is not within the competence of department \(department)",
                    competentAuthority: lead)))
        case .wrongWindow(let current, let participant):
            guard let windowId = clerk.windowId, window != nil else {
                throw HallError(.forbidden, "the clerk's token names no active hall window", field: "window", words: "登录凭证未指明在用的大厅窗口")
            }
            throw HallError(
                .forbidden,
                participant
                    ? "window \(windowId) serves a participant department of joint item \(current.code); it is accepted at the window of its lead department \(current.leadDepartmentId) or at the comprehensive window (Art 30)"
                    : "window \(windowId) does not take applications for item \(current.code)",
                words: participant
                    ? "窗口 \(windowId) 服务的是联办事项 \(current.code) 的配合部门；该事项由牵头部门 \(current.leadDepartmentId) 的窗口或综合窗口受理（第30条）"
                    : "窗口 \(windowId) 不受理事项 \(current.code) 的申请")
        case .admissible(let current):
            guard window != nil else {
                throw HallError(.forbidden, "the clerk's token names no active hall window", field: "window", words: "登录凭证未指明在用的大厅窗口")
            }
            switch try MaterialsCheck.check(submission, against: current, today: today) {
            case .corrections(let list): return Assessment(versions: versions, item: current, verdict: .corrections(list))
            case .complete(let promises): return Assessment(versions: versions, item: current, verdict: .complete(promised: promises))
            }
        }
    }

    /// The one statement that stores an application as `response` says: its row, corrections,
    /// promised materials, the acceptance or refusal notice, and in the outbox `events` followed by
    /// the notice's seal request. It returns the case id.
    ///
    /// Run alone it is its own transaction; inside a caller's transaction it joins it.
    func applicationInsert(
        _ submission: ApplicationSubmission, assessment: Assessment, response: ApplicationResponse, bundle: (id: String, position: Int)?,
        clerk: Clerk, events: [OutgoingEvent], now: Date
    ) throws -> PostgresQuery {
        let item = assessment.item
        let refusal = response.refusal
        let responseJSON = String(decoding: try JSONEncoder.intake.encode(response), as: UTF8.self)
        let presentedJSON = String(decoding: try JSONEncoder.intake.encode(submission.materials), as: UTF8.self)
        let status = switch response.outcome {
        case .accepted: "accepted"
        case .refused: "refused"
        case .correctionRequired: "awaiting-correction"
        case .held: "held"
        }
        // A bundle's applications have the bundle's key, not one of their own.
        let key: String? = bundle == nil ? submission.idempotencyKey : nil
        let corrections = response.corrections ?? []
        let promises = response.promisedMaterials ?? []
        var notice: Notice?
        if response.outcome == .accepted, let item {
            notice = .acceptance(response, item: item, applicantName: submission.applicant.name)
        } else if refusal != nil,
            let issuer = assessment.issuer ?? (item ?? assessment.versions.last).map({ submission.departmentId ?? $0.leadDepartmentId })
        {
            notice = .refusal(response, departmentId: issuer, applicantName: submission.applicant.name, refusedAt: now)
        } else if response.outcome == .correctionRequired, let item, let number = response.correctionNoticeNumber {
            notice = .correction(
                response, number: number, item: item, departmentId: submission.departmentId ?? item.leadDepartmentId,
                applicantName: submission.applicant.name, clerk: clerk, issuedAt: now)
        }
        let sealRequests = try notice.map { try sealRequest(for: $0, caseId: response.caseId, clerk: clerk) } ?? []
        let rows = try Outbox.Rows(events + sealRequests)
        return """
            WITH application AS (
                INSERT INTO \(unescaped: schema).applications
                    (case_id, receipt_code, idempotency_key, clerk_id, window_id, item_code, item_version, department_id,
                     applicant_kind, applicant_name, applicant_id_number, applicant_contact, channel, green_channel, status,
                     refusal_reason, competent_authority, notice_number, accepted_at, due_date, due_provisional, response,
                     presented, bundle_id, bundle_position)
                VALUES (\(response.caseId), \(response.receiptCode), \(key), \(clerk.staffId), \(clerk.windowId), \(submission.itemCode),
                        \(item?.version), \(submission.departmentId ?? item?.leadDepartmentId), \(submission.applicant.kind.rawValue),
                        \(submission.applicant.name), \(submission.applicant.idNumber.uppercased()), \(submission.applicant.contact),
                        \(submission.channel.rawValue), \(submission.isGreenChannel), \(status), \(refusal?.reason),
                        \(refusal?.competentAuthority), \(response.noticeNumber), \(response.acceptedAt),
                        \(response.dueDate?.description)::date, \(response.dueDateProvisional), \(responseJSON)::jsonb,
                        \(presentedJSON)::jsonb, \(bundle?.id), \(bundle?.position))
                RETURNING case_id)\(corrections: corrections, schema: schema)\(promises: promises, schema: schema)\(notice: notice, schema: schema)\(greenChannel: submission.greenChannelApproval, recordedBy: clerk.staffId, schema: schema),
            new_events AS (\(insert: rows, into: outbox))
            SELECT case_id FROM application
            """
    }

    /// Accepts a stored application whose materials are complete (a resubmission, or a held
    /// application of a bundle whose corrections are all in): notice number, due date, the
    /// accepted event with the presented materials and the bundle, the acceptance notice.
    /// Returns the new answer and the events to append.
    func acceptStored(
        caseId: UUID, bundle: (id: String, size: Int)?, clerk: Clerk, now: Date, on connection: PostgresConnection
    ) async throws -> (ApplicationResponse, [OutgoingEvent]) {
        let row = try await connection.select(
            """
            SELECT item_code, item_version, applicant_kind, applicant_name, channel, green_channel, presented::text, response::text, applicant_id_number
            FROM \(unescaped: schema).applications WHERE case_id = \(caseId) FOR UPDATE
            """, logger: logger
        ).decode((String, Int, String, String, String, Bool, String, String, String).self).collectAll()[0]
        guard let item = try await versions(of: row.0, on: connection).first(where: { $0.version == row.1 }) else {
            throw HallError(.internalError, "the case's item version is missing", words: "办件对应的事项版本缺失")
        }
        let promised = try await connection.select(
            "SELECT material_id, due_by::text FROM \(unescaped: schema).promised_materials WHERE case_id = \(caseId) ORDER BY material_id",
            logger: logger
        ).decode((String, String).self).collectAll().compactMap { row in LocalDate(iso: row.1).map { PromisedMaterial(materialId: row.0, dueBy: $0) } }
        let presented = try JSONDecoder.intake.decode([PresentedMaterial].self, from: Data(row.6.utf8))
        var response = try JSONDecoder.intake.decode(ApplicationResponse.self, from: Data(row.7.utf8))
        try await accept(&response, item: item, promised: promised, now: now, on: connection)
        let json = String(decoding: try JSONEncoder.intake.encode(response), as: UTF8.self)
        try await connection.run(
            """
            UPDATE \(unescaped: schema).applications SET status = 'accepted', notice_number = \(response.noticeNumber),
                accepted_at = \(response.acceptedAt), due_date = \(response.dueDate?.description)::date,
                due_provisional = \(response.dueDateProvisional), response = \(json)::jsonb, updated_at = now()
            WHERE case_id = \(caseId)
            """, logger: logger)
        var approval: GreenChannelApproval?
        if row.5 { approval = try await greenChannelApproval(caseId: caseId, on: connection) }
        var outgoing = [
            try acceptedEventFor(
                response, item: item, channel: try ApplicationChannel(stored: row.4), greenChannel: approval, applicantKind: try ApplicantKind(stored: row.2), applicantName: row.3,
                applicantIdNumber: row.8, materials: presented,
                bundle: bundle, clerk: clerk)
        ]
        outgoing += try await recordNotice(.acceptance(response, item: item, applicantName: row.3), caseId: caseId, clerk: clerk, on: connection)
        return (response, outgoing)
    }

    /// Stores a notice and asks the department's seal for it (Art 35, 37): the seal service
    /// receives the document's hash on `hall.seal.requests`.
    ///
    /// - Throws: ``HallError`` `forbidden` when the clerk's token names no window (the seal is
    ///   applied at a hall window only, Art 30): the caller's transaction then stores nothing.
    func recordNotice(_ notice: Notice, caseId: UUID, clerk: Clerk, on connection: PostgresConnection) async throws -> [OutgoingEvent] {
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).notices (case_id, kind, department_id, text, sha256, number)
            VALUES (\(caseId), \(notice.kind.rawValue), \(notice.departmentId), \(notice.text), \(notice.sha256), \(notice.number))
            """, logger: logger)
        return try sealRequest(for: notice, caseId: caseId, clerk: clerk)
    }

    /// The request for the department's seal on a notice.
    ///
    /// - Throws: ``HallError`` `forbidden` when the clerk's token names no window: the seal is
    ///   applied at a hall window only (Art 30), and a notice that could never be sealed is not
    ///   issued.
    func sealRequest(for notice: Notice, caseId: UUID, clerk: Clerk) throws -> [OutgoingEvent] {
        guard let kind = notice.kind.sealKind else { return [] }  // the one-time notification carries no seal
        guard let windowId = clerk.windowId else {
            throw HallError(
                .forbidden, "the clerk's token names no hall window: a notice is sealed at a hall window (Art 30)", field: "window",
                words: "登录凭证未指明大厅窗口：通知书须在大厅窗口加盖印章（第30条）")
        }
        let request = SealDocumentRequested(
            documentKind: kind, documentHash: notice.sha256, caseId: caseId.uuidString.lowercased(), departmentId: notice.departmentId,
            requestedBy: clerk.staffId, windowId: windowId)
        return [
            OutgoingEvent(
                topic: .sealRequests, key: caseId.uuidString.lowercased(),
                envelope: try EventEnvelope(payload: request, producer: "intake", caseId: caseId.uuidString.lowercased()))
        ]
    }

    /// Gives an acceptance its notice number (sequential per year, without gaps) and due date.
    func accept(
        _ response: inout ApplicationResponse, item: ItemVersion, promised: [PromisedMaterial], now: Date, on connection: PostgresConnection
    ) async throws {
        let number = try await nextNoticeNumber(year: LocalDate.inHall(now).year, on: connection)
        accept(&response, item: item, promised: promised, now: now, number: number)
    }

    /// Gives an acceptance the notice number `number` of the year of `now` and its due date.
    func accept(_ response: inout ApplicationResponse, item: ItemVersion, promised: [PromisedMaterial], now: Date, number: Int) {
        let year = LocalDate.inHall(now).year
        let due = calendar.dueDate(acceptedAt: now, workingDays: item.promisedLimitDays)
        response.outcome = .accepted
        response.noticeNumber = String(format: "%04d-%06d", year, number)
        response.acceptedAt = now
        response.dueDate = due.date
        response.dueDateProvisional = due.isProvisional
        response.promisedMaterials = promised.isEmpty ? nil : promised
        response.corrections = nil
        response.itemVersion = item.version
    }

    /// `intake.application.accepted` for an accepted case: with the materials presented, the
    /// centre's green-channel approval when there is one and, for a bundle, its id and size.
    func acceptedEventFor(
        _ response: ApplicationResponse, item: ItemVersion, channel: ApplicationChannel, greenChannel: GreenChannelApproval?, applicantKind: ApplicantKind,
        applicantName: String, applicantIdNumber: String,
        materials: [PresentedMaterial], bundle: (id: String, size: Int)?, clerk: Clerk
    ) throws -> OutgoingEvent {
        guard let noticeNumber = response.noticeNumber, let acceptedAt = response.acceptedAt, let dueDate = response.dueDate,
            let provisional = response.dueDateProvisional
        else {
            throw HallError(.internalError, "an accepted application without its notice number, time or due date", words: "已受理的申请缺少通知书编号、受理时间或办结期限")
        }
        return try event(
            ApplicationAccepted(
                receiptCode: response.receiptCode, noticeNumber: noticeNumber, itemCode: item.code, itemVersion: item.version,
                itemName: item.name, kind: item.kind, leadDepartmentId: item.leadDepartmentId,
                participantDepartmentIds: item.participantDepartmentIds, acceptedAt: acceptedAt, dueDate: dueDate.hallDate,
                dueDateProvisional: provisional, promisedLimitDays: item.promisedLimitDays, legalLimitDays: item.legalLimitDays,
                notCounted: item.notCounted, channel: channel, greenChannel: greenChannel != nil,
                applicantKind: applicantKind, applicantName: applicantName,
                promisedMaterials: (response.promisedMaterials ?? []).map { .init(materialId: $0.materialId, dueBy: $0.dueBy.hallDate) },
                clerkId: clerk.staffId, windowId: clerk.windowId, materials: materials.flatMap { $0.references(in: item) },
                bundleId: bundle?.id, bundleSize: bundle?.size, greenChannelApproval: greenChannel,
                applicantCheck: applicantCheck?.digest(idNumber: applicantIdNumber)),
            caseId: response.caseId)
    }

    func refusedEventFor(_ response: ApplicationResponse, refusal: ApplicationResponse.Refusal, now: Date, clerk: Clerk) throws -> OutgoingEvent {
        try event(
            ApplicationRefused(
                receiptCode: response.receiptCode, itemCode: response.itemCode, reasonCode: refusal.reasonCode, reason: refusal.reason,
                competentAuthority: refusal.competentAuthority, refusedAt: now, clerkId: clerk.staffId, windowId: clerk.windowId),
            caseId: response.caseId)
    }

    func correctionEventFor(
        receiptCode: String, item: ItemVersion, corrections: [Correction], now: Date, clerk: Clerk, caseId: UUID
    ) throws -> OutgoingEvent {
        try event(
            ApplicationCorrectionNotified(
                receiptCode: receiptCode, itemCode: item.code, itemVersion: item.version,
                corrections: corrections.map { .init(materialId: $0.materialId, problem: $0.problem, needed: $0.needed) },
                notifiedAt: now, clerkId: clerk.staffId),
            caseId: caseId)
    }

    func event<P: EventPayload>(_ payload: P, caseId: UUID) throws -> OutgoingEvent {
        OutgoingEvent(
            topic: .intakeEvents, key: caseId.uuidString.lowercased(),
            envelope: try EventEnvelope(payload: payload, producer: "intake", caseId: caseId.uuidString.lowercased()))
    }

    /// The next acceptance notice number of `year`: unique and increasing within the year, from a
    /// per-year sequence (no row lock, so acceptances do not queue behind each other; a rolled-back
    /// acceptance leaves an unused number).
    func nextNoticeNumber(year: Int, on connection: PostgresConnection) async throws -> Int {
        try await ensureNoticeSequence(year: year)
        return try await connection.select("SELECT nextval(\(noticeSequenceName(year))::regclass)", logger: logger).decode(Int.self).collectAll()[0]
    }

    /// The notice-number sequence of `year` (schema-qualified).
    func noticeSequenceName(_ year: Int) -> String { "\(schema).notice_seq_\(year)" }

    /// Creates the notice-number sequence of `year` if this process has not made sure of it yet
    /// (outside any caller's transaction, once per process and year).
    func ensureNoticeSequence(year: Int) async throws { try await ensureSequence(noticeSequenceName(year)) }

    /// Creates the sequence `name` (schema-qualified) unless this process knows it exists.
    func ensureSequence(_ name: String) async throws {
        guard !noticeSequences.isKnown(name) else { return }
        do {
            try await client.run("CREATE SEQUENCE IF NOT EXISTS \(unescaped: name) MINVALUE 1 START 1", logger: logger)
        } catch let error as PSQLError where ["23505", "42P07"].contains(error.serverInfo?[.sqlState] ?? "") {
            // Another request or instance created it at the same moment: it exists.
        }
        noticeSequences.remember(name)
    }

    /// The number of a one-time correction notice (《一次性告知通知书》, Art 36) issued at `now`:
    /// `YYYY-G` and six digits, increasing within the year.
    func nextCorrectionNoticeNumber(now: Date, on connection: PostgresConnection?) async throws -> String {
        let year = LocalDate.inHall(now).year
        let name = "\(schema).correction_notice_seq_\(year)"
        try await ensureSequence(name)
        let query: PostgresQuery = "SELECT nextval(\(name)::regclass)"
        let number = if let connection {
            try await connection.select(query, logger: logger).decode(Int.self).collectAll()[0]
        } else {
            try await client.run(query, logger: logger).decode(Int.self).collectAll()[0]
        }
        return String(format: "%04d-G%06d", year, number)
    }

    /// A receipt code: `R` and 10 characters from an alphabet without look-alikes.
    static func newReceiptCode() -> String {
        let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return "R" + String((0..<10).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }
}

extension JSONEncoder {
    /// Dates as RFC 3339 with milliseconds (the contracts' format), keys sorted.
    static var intake: JSONEncoder { EventEnvelope.encoder() }
}

extension JSONDecoder {
    static var intake: JSONDecoder { EventEnvelope.decoder() }
}

/// The optional members of the application statement: each appends `, name AS (INSERT …)` when
/// there is something to insert and nothing otherwise, so an acceptance without corrections or
/// promises is planned without them.
extension PostgresQuery.StringInterpolation {
    fileprivate mutating func appendInterpolation(corrections: [Correction], schema: String) {
        guard !corrections.isEmpty else { return }
        appendLiteral(
            """
            ,
            new_corrections AS (
                INSERT INTO \(schema).corrections (case_id, material_id, problem, needed)
                SELECT a.case_id, c.material_id, c.problem, c.needed
                FROM application a, unnest(
            """)
        appendInterpolation(corrections.map(\.materialId))
        appendLiteral("::text[], ")
        appendInterpolation(corrections.map(\.problem.rawValue))
        appendLiteral("::text[], ")
        appendInterpolation(corrections.map(\.needed))
        appendLiteral("::text[]) AS c(material_id, problem, needed))")
    }

    fileprivate mutating func appendInterpolation(promises: [PromisedMaterial], schema: String) {
        guard !promises.isEmpty else { return }
        appendLiteral(
            """
            ,
            new_promises AS (
                INSERT INTO \(schema).promised_materials (case_id, material_id, due_by)
                SELECT a.case_id, p.material_id, p.due_by::date
                FROM application a, unnest(
            """)
        appendInterpolation(promises.map(\.materialId))
        appendLiteral("::text[], ")
        appendInterpolation(promises.map(\.dueBy.description))
        appendLiteral("::text[]) AS p(material_id, due_by))")
    }

    fileprivate mutating func appendInterpolation(greenChannel approval: GreenChannelInput?, recordedBy: String, schema: String) {
        guard let approval else { return }
        appendLiteral(
            """
            ,
            new_green_channel AS (
                INSERT INTO \(schema).green_channel_approvals (case_id, reason, reference, approved_by, approved_at, recorded_by)
                SELECT a.case_id, 
            """)
        appendInterpolation(approval.reason.rawValue)
        appendLiteral(", ")
        appendInterpolation(approval.reference)
        appendLiteral(", ")
        appendInterpolation(approval.approvedBy)
        appendLiteral(", ")
        appendInterpolation(approval.approvedAt ?? Date())
        appendLiteral(", ")
        appendInterpolation(recordedBy)
        appendLiteral(" FROM application a)")
    }

    fileprivate mutating func appendInterpolation(notice: Notice?, schema: String) {
        guard let notice else { return }
        appendLiteral(
            """
            ,
            new_notice AS (
                INSERT INTO \(schema).notices (case_id, number, kind, department_id, text, sha256)
                SELECT a.case_id, 
            """)
        appendInterpolation(notice.number)
        appendLiteral(", ")
        appendInterpolation(notice.kind.rawValue)
        appendLiteral(", ")
        appendInterpolation(notice.departmentId)
        appendLiteral(", ")
        appendInterpolation(notice.text)
        appendLiteral(", ")
        appendInterpolation(notice.sha256)
        appendLiteral(" FROM application a)")
    }
}
