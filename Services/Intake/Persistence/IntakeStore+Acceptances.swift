import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// An application whose materials are complete, waiting to be accepted (see ``IntakeStore/acceptBatch(_:)``).
struct PendingAcceptance: Sendable {
    var submission: ApplicationSubmission
    var clerk: Clerk
    /// The item version in force (the case is handled under it).
    var item: ItemVersion
    /// Tolerated-gap materials promised for later, with their deadlines.
    var promised: [PromisedMaterial]
    /// The acceptance time.
    var now: Date
}

extension IntakeStore {
    /// Accepts a group of complete applications that arrived together (group commit), each with
    /// exactly the answer it would get alone.
    ///
    /// 1. One statement returns, for every distinct clerk and key, the first answer stored under
    ///    it, or else draws a notice number from the year's sequence (a repeat burns no number);
    ///    the numbers drawn are given out in the batch's order.
    /// 2. One statement stores every new acceptance: the applications, promised materials,
    ///    acceptance notices and all their outbox rows (accepted event and seal request, in the
    ///    batch's order). One statement is one transaction: all of it or nothing.
    ///
    /// The same key twice in the batch is written once; the repeat gets the first one's answer.
    /// If the batch statement fails (a constraint, a concurrent repeat of a key in another batch),
    /// each acceptance is stored alone with the number it drew, so one failure fails only its own
    /// application; a repeat that lost the race answers with the stored winner. If step 1 fails,
    /// each application goes the way it would alone.
    ///
    /// - Returns: one answer per job, in order.
    func acceptBatch(_ jobs: [PendingAcceptance]) async -> [Result<ApplicationResponse, any Error>] {
        var results = [Result<ApplicationResponse, any Error>?](repeating: nil, count: jobs.count)
        var firstOfKey: [String: Int] = [:]
        var distinct: [Int] = []
        var repeats: [(index: Int, first: Int)] = []
        for (index, job) in jobs.enumerated() {
            let key = job.clerk.staffId + "\u{0}" + job.submission.idempotencyKey
            if let first = firstOfKey[key] {
                repeats.append((index, first))
            } else {
                firstOfKey[key] = index
                distinct.append(index)
            }
        }

        var fresh: [PreparedAcceptance] = []
        do {
            let drawn = try await storedResponsesOrNoticeNumbers(distinct.map { jobs[$0] })
            for (position, index) in distinct.enumerated() {
                switch drawn[position] {
                case .stored(let response): results[index] = .success(response)
                case .number(let number): fresh.append(try prepareAcceptance(jobs[index], number: number, index: index))
                }
            }
        } catch {
            logger.warning("acceptance batch: drawing notice numbers failed, accepting one by one", metadata: ["error": "\(String(reflecting: error))"])
            fresh = []
            for index in distinct where results[index] == nil {
                results[index] = await catching { try await self.acceptAlone(jobs[index]) }
            }
        }

        if !fresh.isEmpty {
            do {
                _ = try await client.run(try acceptanceBatchInsert(fresh), logger: logger).decode(Int.self).collectAll()
                for acceptance in fresh { results[acceptance.index] = .success(acceptance.response) }
            } catch {
                if fresh.count > 1 {
                    logger.info("acceptance batch not stored, storing each alone", metadata: ["error": "\(String(reflecting: error))", "batch.size": "\(fresh.count)"])
                }
                for acceptance in fresh {
                    results[acceptance.index] = await catching { try await self.storeAlone(acceptance) }
                }
            }
        }

        for (index, first) in repeats {
            if case .success(let response)? = results[first] {
                results[index] = .success(response)
            } else {
                results[index] = await catching { try await self.acceptAlone(jobs[index]) }
            }
        }
        let answered = results.compactMap { $0 }
        guard answered.count == jobs.count else {
            return jobs.map { _ in .failure(HallError(.internalError, "an acceptance of the group was not answered", words: "同批受理中有一件申请未得到处理结果")) }
        }
        return answered
    }

    /// An acceptance with its number, answer, notice and events, ready to be stored.
    struct PreparedAcceptance: Sendable {
        var index: Int
        var job: PendingAcceptance
        var response: ApplicationResponse
        var notice: Notice
        var events: [OutgoingEvent]
    }

    private func prepareAcceptance(_ job: PendingAcceptance, number: Int, index: Int) throws -> PreparedAcceptance {
        var response = ApplicationResponse(
            caseId: UUID.random(), receiptCode: Self.newReceiptCode(), outcome: .refused, itemCode: job.submission.itemCode, itemVersion: job.item.version)
        accept(&response, item: job.item, promised: job.promised, now: job.now, number: number)
        let accepted = try acceptedEventFor(
            response, item: job.item, channel: job.submission.channel, greenChannel: job.submission.greenChannelApproval?.approval(now: job.now),
            applicantKind: job.submission.applicant.kind, applicantName: job.submission.applicant.name,
            applicantIdNumber: job.submission.applicant.idNumber, materials: job.submission.materials, bundle: nil, clerk: job.clerk)
        let notice = Notice.acceptance(response, item: job.item, applicantName: job.submission.applicant.name)
        let events = [accepted] + (try sealRequest(for: notice, caseId: response.caseId, clerk: job.clerk))
        return PreparedAcceptance(index: index, job: job, response: response, notice: notice, events: events)
    }

    /// Accepts one application alone: its stored answer or a notice number, then its own statement.
    private func acceptAlone(_ job: PendingAcceptance) async throws -> ApplicationResponse {
        switch try await storedResponsesOrNoticeNumbers([job])[0] {
        case .stored(let response): return response
        case .number(let number): return try await storeAlone(try prepareAcceptance(job, number: number, index: 0))
        }
    }

    /// Stores one prepared acceptance in its own statement; a concurrent repeat of its key that
    /// won answers instead.
    private func storeAlone(_ acceptance: PreparedAcceptance) async throws -> ApplicationResponse {
        do {
            _ = try await client.run(try acceptanceBatchInsert([acceptance]), logger: logger).decode(Int.self).collectAll()
            return acceptance.response
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            let job = acceptance.job
            if let stored = try await storedResponse(clerk: job.clerk.staffId, key: job.submission.idempotencyKey) { return stored }
            throw error
        }
    }

    enum StoredOrNumber: Sendable {
        case stored(ApplicationResponse)
        case number(Int)
    }

    /// For each job (distinct clerk and key), the first answer stored under its key, or else the
    /// next notice number of its acceptance year; numbers of one year ascend in the jobs' order.
    private func storedResponsesOrNoticeNumbers(_ jobs: [PendingAcceptance]) async throws -> [StoredOrNumber] {
        let years = jobs.map { LocalDate.inHall($0.now).year }
        for year in Set(years) { try await ensureNoticeSequence(year: year) }
        let sequences = years.map(noticeSequenceName)
        let rows = try await client.run(
            """
            SELECT j.ord::bigint, a.response::text,
                   CASE WHEN a.case_id IS NULL THEN nextval(j.sequence::regclass) END
            FROM unnest(\(jobs.map(\.clerk.staffId))::text[], \(jobs.map(\.submission.idempotencyKey))::text[], \(sequences)::text[])
                WITH ORDINALITY AS j(clerk, key, sequence, ord)
            LEFT JOIN \(unescaped: schema).applications a ON a.clerk_id = j.clerk AND a.idempotency_key = j.key
            ORDER BY j.ord
            """, logger: logger
        ).decode((Int, String?, Int?).self).collectAll()
        guard rows.count == jobs.count else {
            throw HallError(
                .internalError, "notice numbers: \(rows.count) rows for \(jobs.count) applications",
                words: "通知书编号：\(jobs.count) 件申请只取得 \(rows.count) 条记录")
        }
        // nextval runs in whatever order the executor reads the rows: give each year's numbers
        // out in ascending order along the batch.
        var numbersByYear: [Int: [Int]] = [:]
        for (row, year) in zip(rows, years) where row.1 == nil {
            guard let number = row.2 else { throw HallError(.internalError, "no notice number was drawn", words: "未能取得通知书编号") }
            numbersByYear[year, default: []].append(number)
        }
        numbersByYear = numbersByYear.mapValues { $0.sorted(by: >) }
        return try zip(rows, years).map { row, year -> StoredOrNumber in
            if let stored = row.1 {
                return .stored(try JSONDecoder.intake.decode(ApplicationResponse.self, from: Data(stored.utf8)))
            }
            guard let number = numbersByYear[year]?.popLast() else {
                throw HallError(.internalError, "no notice number was drawn", words: "未能取得通知书编号")
            }
            return .number(number)
        }
    }

    /// One statement storing `acceptances`: applications, promised materials, acceptance notices
    /// and every outbox row, each table from `unnest` arrays. It returns the number of applications.
    func acceptanceBatchInsert(_ acceptances: [PreparedAcceptance]) throws -> PostgresQuery {
        var caseIds: [UUID] = [], receipts: [String] = [], keys: [String] = [], clerks: [String] = [], windows: [String] = []
        var itemCodes: [String] = [], versions: [Int] = [], departments: [String] = [], kinds: [String] = [], names: [String] = []
        var idNumbers: [String] = [], contacts: [String] = [], channels: [String] = [], green: [Bool] = [], numbers: [String] = []
        var acceptedAt: [Date] = [], dueDates: [String] = [], provisional: [Bool] = [], responses: [String] = [], presented: [String] = []
        var promiseCases: [UUID] = [], promiseMaterials: [String] = [], promiseDue: [String] = []
        var noticeCases: [UUID] = [], noticeKinds: [String] = [], noticeDepartments: [String] = [], noticeTexts: [String] = [], noticeHashes: [String] = []
        var greenCases: [UUID] = [], greenReasons: [String] = [], greenReferences: [String] = [], greenApprovers: [String] = []
        var greenApprovedAt: [Date] = [], greenRecordedBy: [String] = []
        var events: [OutgoingEvent] = []
        let encoder = JSONEncoder.intake
        for acceptance in acceptances {
            let (submission, response, item) = (acceptance.job.submission, acceptance.response, acceptance.job.item)
            guard let number = response.noticeNumber, let at = response.acceptedAt, let due = response.dueDate else {
                throw HallError(.internalError, "an acceptance without notice number, time or due date", words: "受理记录缺少通知书编号、受理时间或办结期限")
            }
            caseIds.append(response.caseId)
            receipts.append(response.receiptCode)
            keys.append(submission.idempotencyKey)
            clerks.append(acceptance.job.clerk.staffId)
            windows.append(acceptance.job.clerk.windowId ?? "")
            itemCodes.append(submission.itemCode)
            versions.append(item.version)
            departments.append(submission.departmentId ?? item.leadDepartmentId)
            kinds.append(submission.applicant.kind.rawValue)
            names.append(submission.applicant.name)
            idNumbers.append(submission.applicant.idNumber.uppercased())
            contacts.append(submission.applicant.contact)
            channels.append(submission.channel.rawValue)
            green.append(submission.isGreenChannel)
            numbers.append(number)
            acceptedAt.append(at)
            dueDates.append(due.description)
            provisional.append(response.dueDateProvisional ?? false)
            responses.append(String(decoding: try encoder.encode(response), as: UTF8.self))
            presented.append(String(decoding: try encoder.encode(submission.materials), as: UTF8.self))
            for promise in response.promisedMaterials ?? [] {
                promiseCases.append(response.caseId)
                promiseMaterials.append(promise.materialId)
                promiseDue.append(promise.dueBy.description)
            }
            if let approval = submission.greenChannelApproval {
                greenCases.append(response.caseId)
                greenReasons.append(approval.reason.rawValue)
                greenReferences.append(approval.reference)
                greenApprovers.append(approval.approvedBy)
                greenApprovedAt.append(approval.approvedAt ?? acceptance.job.now)
                greenRecordedBy.append(acceptance.job.clerk.staffId)
            }
            noticeCases.append(response.caseId)
            noticeKinds.append(acceptance.notice.kind.rawValue)
            noticeDepartments.append(acceptance.notice.departmentId)
            noticeTexts.append(acceptance.notice.text)
            noticeHashes.append(acceptance.notice.sha256)
            events += acceptance.events
        }
        let rows = try Outbox.Rows(events)
        return """
            WITH application AS (
                INSERT INTO \(unescaped: schema).applications
                    (case_id, receipt_code, idempotency_key, clerk_id, window_id, item_code, item_version, department_id,
                     applicant_kind, applicant_name, applicant_id_number, applicant_contact, channel, green_channel, status,
                     notice_number, accepted_at, due_date, due_provisional, response, presented)
                SELECT a.case_id, a.receipt_code, a.key, a.clerk, NULLIF(a.window_id, ''), a.item_code, a.item_version, a.department_id,
                       a.kind, a.name, a.id_number, a.contact, a.channel, a.green, 'accepted',
                       a.notice_number, a.accepted_at, a.due_date::date, a.provisional, a.response::jsonb, a.presented::jsonb
                FROM unnest(\(caseIds), \(receipts), \(keys), \(clerks), \(windows), \(itemCodes), \(versions), \(departments),
                            \(kinds), \(names), \(idNumbers), \(contacts), \(channels), \(green), \(numbers), \(acceptedAt), \(dueDates),
                            \(provisional), \(responses), \(presented))
                    AS a(case_id, receipt_code, key, clerk, window_id, item_code, item_version, department_id, kind, name, id_number,
                         contact, channel, green, notice_number, accepted_at, due_date, provisional, response, presented)
                RETURNING case_id),
            new_promises AS (
                INSERT INTO \(unescaped: schema).promised_materials (case_id, material_id, due_by)
                SELECT p.case_id, p.material_id, p.due_by::date FROM unnest(\(promiseCases), \(promiseMaterials), \(promiseDue))
                    AS p(case_id, material_id, due_by)),
            new_notices AS (
                INSERT INTO \(unescaped: schema).notices (case_id, kind, department_id, text, sha256)
                SELECT n.case_id, n.kind, n.department_id, n.text, n.sha256
                FROM unnest(\(noticeCases), \(noticeKinds), \(noticeDepartments), \(noticeTexts), \(noticeHashes)) AS n(case_id, kind, department_id, text, sha256)),
            new_green_channel AS (
                INSERT INTO \(unescaped: schema).green_channel_approvals (case_id, reason, reference, approved_by, approved_at, recorded_by)
                SELECT g.case_id, g.reason, g.reference, g.approved_by, g.approved_at, g.recorded_by
                FROM unnest(\(greenCases), \(greenReasons), \(greenReferences), \(greenApprovers), \(greenApprovedAt), \(greenRecordedBy))
                    AS g(case_id, reason, reference, approved_by, approved_at, recorded_by)),
            new_events AS (\(insert: rows, into: outbox))
            SELECT count(*)::bigint FROM application
            """
    }
}

/// The answer of `body` as a `Result`, for collecting one answer per job of a batch.
private func catching<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}
