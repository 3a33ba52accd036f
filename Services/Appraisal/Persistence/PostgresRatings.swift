import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// Ratings, appeals, strikes and rectifications on the service's schema.
extension PostgresAppraisalRepository {
    func isActiveDepartment(_ departmentId: String) async throws -> Bool {
        try await DirectoryProjection.isActiveDepartment(departmentId, client: client, schema: schema, logger: logger)
    }

    /// Checks the rater against the case (in the case's row lock, so two ratings of one case never
    /// both pass), stores the rating, holds a burst for the centre, opens a bad rating's
    /// rectification, and appends the events: one transaction.
    func rate(_ submission: RatingSubmission, client address: String, at: Date) async throws -> RatingAnswer {
        try submission.validate()
        return try await client.transaction(logger: logger) { connection in
            let rows = try await ratedCases(
                connection.select(
                    """
                    SELECT \(unescaped: ratedColumns) FROM \(unescaped: schema).case_facts c WHERE c.receipt_code = \(submission.receiptCode)
                    ORDER BY c.accepted_at DESC LIMIT 1 FOR UPDATE
                    """, logger: logger))
            if let refusal = ratings.refusal(submission, rated: rows.first?.rated, alreadyRated: rows.first?.alreadyRated ?? false, at: at) { throw refusal }
            guard let rated = rows.first?.rated else { throw HallError(.internalError, "a rated case vanished", words: "被评价的办件记录已不存在") }
            let (answers, _) = try await record(
                [rated], level: submission.level, comment: submission.comment, channel: submission.channel, client: address, at: at, on: connection)
            guard let answer = answers.first else { throw HallError(.internalError, "a rating was not recorded", words: "评价未能记录") }
            return answer
        }
    }

    /// Rates a bundle (一件事) as a whole: the same checks on every case of it, in their row locks;
    /// the rating is recorded for each case, each counted for its own department, window and clerk.
    func rateBundle(_ submission: BundleRatingSubmission, client address: String, at: Date) async throws -> BundleRatingAnswer {
        try submission.validate()
        return try await client.transaction(logger: logger) { connection in
            let rows = try await ratedCases(
                connection.select(
                    """
                    SELECT \(unescaped: ratedColumns) FROM \(unescaped: schema).case_facts c WHERE c.bundle_id = \(submission.bundleId)
                    ORDER BY c.receipt_code FOR UPDATE
                    """, logger: logger))
            let bundle = RatedBundle(bundleId: submission.bundleId, size: rows.compactMap(\.bundleSize).max(), cases: rows.map(\.rated))
            if let refusal = ratings.refusal(submission, bundle: bundle, alreadyRated: rows.contains(where: \.alreadyRated), at: at) { throw refusal }
            let (answers, suspect) = try await record(
                bundle.cases, level: submission.level, comment: submission.comment, channel: submission.channel, client: address, at: at,
                bundleId: submission.bundleId, on: connection)
            return BundleRatingAnswer(bundleId: submission.bundleId, level: submission.level, heldForReview: suspect, ratings: answers)
        }
    }

    private var ratedColumns: String {
        """
        c.case_id, c.receipt_code, c.item_code, c.department_id, c.window_id, c.staff_id, c.applicant_check, c.completed_at, c.bundle_id, c.bundle_size,
        EXISTS (SELECT 1 FROM \(schema).ratings r WHERE r.case_id = c.case_id)
        """
    }

    private func ratedCases(_ rows: HallRows) async throws -> [(rated: RatedCase, bundleSize: Int?, alreadyRated: Bool)] {
        try await rows.decode((String, String, String, String, String?, String?, String?, Date?, String?, Int?, Bool).self).collectAll().map {
            (
                RatedCase(
                    caseId: $0.0, receiptCode: $0.1, itemCode: $0.2, departmentId: $0.3, windowId: $0.4, staffId: $0.5, applicantCheck: $0.6,
                    completedAt: $0.7, bundleId: $0.8), $0.9, $0.10
            )
        }
    }

    /// Records one rating of `cases` (one case, or a bundle's): the integrity check once, for the
    /// window of the first; a rating per case, and a bad one's rectification per case; their events.
    private func record(
        _ cases: [RatedCase], level: RatingLevel, comment: String?, channel: RatingChannel, client address: String, at: Date, bundleId: String? = nil,
        on connection: PostgresConnection
    ) async throws -> (answers: [RatingAnswer], suspect: Bool) {
        let earlier = try await connection.select(
            """
            SELECT count(*)::int FROM \(unescaped: schema).ratings r JOIN \(unescaped: schema).case_facts c USING (case_id)
            WHERE r.client = \(address) AND r.level = 'very-satisfied' AND r.rated_at > \(at.addingTimeInterval(-RatingIntegrity.window))
              AND c.window_id IS NOT DISTINCT FROM \(cases.first?.windowId)
            """, logger: logger
        ).decode(Int.self).collectAll().first ?? 0
        let suspect = RatingIntegrity.isSuspect(level, earlierTopRatingsFromClientForWindow: earlier)
        if suspect {
            // The whole burst is held for the centre, the top ratings counted before it was seen included.
            try await connection.run(
                """
                UPDATE \(unescaped: schema).ratings r SET suspect = true FROM \(unescaped: schema).case_facts c
                WHERE c.case_id = r.case_id AND r.client = \(address) AND r.level = 'very-satisfied' AND NOT r.suspect AND r.reviewed_at IS NULL
                  AND r.rated_at > \(at.addingTimeInterval(-RatingIntegrity.window)) AND c.window_id IS NOT DISTINCT FROM \(cases.first?.windowId)
                """, logger: logger)
        }
        var answers: [RatingAnswer] = []
        var events: [OutgoingEvent] = []
        for rated in cases {
            let ratingId = UUID()
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).ratings (rating_id, case_id, receipt_code, level, comment, channel, client, suspect, rated_at, day, bundle_id)
                VALUES (\(ratingId), \(rated.caseId), \(rated.receiptCode), \(level.rawValue), \(comment), \(channel.rawValue), \(address), \(suspect), \(at),
                        \(LocalDate.inHall(at).description)::date, \(bundleId))
                """, logger: logger)
            events.append(
                try AppraisalEvents.rated(
                    RatingRecorded(
                        ratingId: ratingId, receiptCode: rated.receiptCode, level: level, channel: channel, itemCode: rated.itemCode,
                        departmentId: rated.departmentId, windowId: rated.windowId, staffId: rated.staffId, ratedAt: at),
                    caseId: rated.caseId))
            var rectificationId: UUID?
            if level.isBad, let (step, due) = rectification.next(after: .opened, at: at) {
                let id = UUID()
                rectificationId = id
                try await connection.run(
                    """
                    INSERT INTO \(unescaped: schema).rectifications
                        (rectification_id, rating_id, case_id, receipt_code, department_id, step, due_step, due_date, opened_at)
                    VALUES (\(id), \(ratingId), \(rated.caseId), \(rated.receiptCode), \(rated.departmentId), 'opened', \(step.rawValue),
                            \(due.description)::date, \(at))
                    """, logger: logger)
                try await recordStep(id, .opened, actor: "appraisal", note: nil, at: at, due: due, on: connection)
                events.append(
                    try AppraisalEvents.rectified(
                        RectificationProgressed(
                            rectificationId: id, ratingId: ratingId, receiptCode: rated.receiptCode, step: .opened, departmentId: rated.departmentId,
                            dueDate: due, actorId: "appraisal", at: at)))
            }
            answers.append(
                RatingAnswer(ratingId: ratingId, receiptCode: rated.receiptCode, level: level, heldForReview: suspect, rectificationId: rectificationId))
        }
        try await Outbox(schema: schema).append(events, on: connection, logger: logger)
        return (answers, suspect)
    }

    /// The step's log line and the timer of the next deadline (none once done).
    private func recordStep(
        _ id: UUID, _ step: RectificationStep, actor: String, note: String?, at: Date, due: HallDate?, on connection: PostgresConnection
    ) async throws {
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).rectification_steps (rectification_id, step, actor_id, note, at)
            VALUES (\(id), \(step.rawValue), \(actor), \(note), \(at))
            """, logger: logger)
        try await connection.run("DELETE FROM \(unescaped: schema).rectification_timers WHERE rectification_id = \(id)", logger: logger)
        if let due, let day = LocalDate(iso: due.description) {
            try await connection.run(
                "INSERT INTO \(unescaped: schema).rectification_timers (rectification_id, fire_at) VALUES (\(id), \(day.endInstant))", logger: logger)
        }
    }

    private static let ratingColumns = """
        r.rating_id, r.receipt_code, r.level, r.comment, r.channel, r.rated_at, c.item_code, c.department_id, c.window_id, c.staff_id,
        r.suspect, r.struck, r.appeal_reason, r.appealed_by, r.appealed_at, r.reviewed_by, r.reviewed_at, r.review_reason, x.rectification_id, r.bundle_id
        """

    private func ratingRecords(_ rows: HallRows) async throws -> [RatingRecord] {
        var records: [RatingRecord] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            var appeal: RatingRecord.Appeal?
            if let reason = try r.value("appeal_reason", as: String?.self), let by = try r.value("appealed_by", as: String?.self),
                let when = try r.value("appealed_at", as: Date?.self)
            {
                appeal = .init(reason: reason, by: by, at: when)
            }
            var review: RatingRecord.Review?
            if let by = try r.value("reviewed_by", as: String?.self), let when = try r.value("reviewed_at", as: Date?.self),
                let reason = try r.value("review_reason", as: String?.self)
            {
                review = .init(by: by, at: when, reason: reason, struck: try r.value("struck"))
            }
            records.append(
                RatingRecord(
                    ratingId: try r.value("rating_id"), receiptCode: try r.value("receipt_code"), level: try .init(stored: try r.value("level", as: String.self)),
                    comment: try r.value("comment"), channel: try .init(stored: try r.value("channel", as: String.self)), ratedAt: try r.value("rated_at"),
                    itemCode: try r.value("item_code"), departmentId: try r.value("department_id"), windowId: try r.value("window_id"),
                    staffId: try r.value("staff_id"), heldForReview: try r.value("suspect"), struck: try r.value("struck"), appeal: appeal, review: review,
                    rectificationId: try r.value("rectification_id"), bundleId: try r.value("bundle_id")))
        }
        return records
    }

    func ratings(heldOrAppealedOnly: Bool, windowId: String?) async throws -> [RatingRecord] {
        try await client.withConnection { connection in
            try await ratingRecords(
            try await connection.select(
                """
                SELECT \(unescaped: Self.ratingColumns)
                FROM \(unescaped: schema).ratings r JOIN \(unescaped: schema).case_facts c USING (case_id)
                LEFT JOIN \(unescaped: schema).rectifications x ON x.rating_id = r.rating_id
                WHERE (NOT \(heldOrAppealedOnly) OR ((r.suspect OR r.appeal_reason IS NOT NULL) AND r.reviewed_at IS NULL))
                  AND (\(windowId)::text IS NULL OR c.window_id = \(windowId))
                ORDER BY r.rated_at DESC LIMIT 1000
                """, logger: logger))
        }
    }

    private func rating(_ id: UUID, lock: Bool, on connection: PostgresConnection) async throws -> RatingRecord {
        let records = try await ratingRecords(
            try await connection.select(
                """
                SELECT \(unescaped: Self.ratingColumns)
                FROM \(unescaped: schema).ratings r JOIN \(unescaped: schema).case_facts c USING (case_id)
                LEFT JOIN \(unescaped: schema).rectifications x ON x.rating_id = r.rating_id
                WHERE r.rating_id = \(id) \(unescaped: lock ? "FOR UPDATE OF r" : "")
                """, logger: logger))
        guard let record = records.first else { throw HallError(.notFound, "no rating \(id)", field: "ratingId", words: "没有编号为 \(id) 的评价") }
        return record
    }

    func appeal(_ id: UUID, reason: String, by appellant: Appellant, at: Date) async throws -> RatingRecord {
        try await client.transaction(logger: logger) { connection in
            let current = try await rating(id, lock: true, on: connection)
            try RatingReview.checkAppeal(current, reason: reason, by: appellant, at: at, deadlines: rectification)
            try await connection.run(
                """
                UPDATE \(unescaped: schema).ratings SET appeal_reason = \(reason), appealed_by = \(appellant.actorId), appealed_at = \(at)
                WHERE rating_id = \(id)
                """, logger: logger)
            return try await rating(id, lock: false, on: connection)
        }
    }

    func review(_ id: UUID, strike: Bool, reason: String, by actor: String, at: Date) async throws -> RatingRecord {
        try await client.transaction(logger: logger) { connection in
            let current = try await rating(id, lock: true, on: connection)
            try RatingReview.checkReview(current, reason: reason)
            try await connection.run(
                """
                UPDATE \(unescaped: schema).ratings SET reviewed_by = \(actor), reviewed_at = \(at), review_reason = \(reason), struck = \(strike),
                    suspect = false
                WHERE rating_id = \(id)
                """, logger: logger)
            if strike, let rectificationId = current.rectificationId {
                let open = try await connection.select(
                    """
                    UPDATE \(unescaped: schema).rectifications SET step = 'closed-by-strike', due_step = NULL, due_date = NULL, overdue = false,
                        done_at = \(at), done_day = \(LocalDate.inHall(at).description)::date
                    WHERE rectification_id = \(rectificationId) AND done_at IS NULL
                    RETURNING department_id
                    """, logger: logger
                ).decode(String.self).collectAll()
                if let department = open.first {
                    try await recordStep(rectificationId, .closedByStrike, actor: actor, note: reason, at: at, due: nil, on: connection)
                    try await Outbox(schema: schema).append(
                        [try AppraisalEvents.rectified(
                            RectificationProgressed(
                                rectificationId: rectificationId, ratingId: id, receiptCode: current.receiptCode, step: .closedByStrike,
                                departmentId: department, dueDate: nil, actorId: actor, at: at))],
                        on: connection, logger: logger)
                }
            }
            return try await rating(id, lock: false, on: connection)
        }
    }

    private func rectifications(where id: UUID?, department: String?, on connection: PostgresConnection, lock: Bool = false) async throws -> [Rectification] {
        let rows = try await connection.select(
            """
            SELECT rectification_id, rating_id, receipt_code, department_id, step, due_step, due_date::text, overdue, late, opened_at, done_at
            FROM \(unescaped: schema).rectifications
            WHERE (\(id)::uuid IS NULL OR rectification_id = \(id)) AND (\(department)::text IS NULL OR department_id = \(department))
            ORDER BY opened_at DESC LIMIT 1000 \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger
        ).decode((UUID, UUID, String, String, String, String?, String?, Bool, Bool, Date, Date?).self).collectAll()
        var answers: [Rectification] = []
        for row in rows {
            let steps = try await connection.select(
                "SELECT step, actor_id, note, at FROM \(unescaped: schema).rectification_steps WHERE rectification_id = \(row.0) ORDER BY at, step",
                logger: logger
            ).decode((String, String, String?, Date).self).collectAll()
            answers.append(
                Rectification(
                    rectificationId: row.0, ratingId: row.1, receiptCode: row.2, departmentId: row.3, step: try .init(stored: row.4),
                    dueStep: try row.5.map(RectificationStep.init(stored:)), dueDate: try row.6.map(HallDate.init(stored:)), overdue: row.7, late: row.8,
                    openedAt: row.9, doneAt: row.10,
                    steps: try steps.map { Rectification.Step(step: try .init(stored: $0.0), actorId: $0.1, note: $0.2, at: $0.3) }))
        }
        return answers
    }

    func rectifications(department: String?) async throws -> [Rectification] {
        try await client.withConnection { connection in try await rectifications(where: nil, department: department, on: connection) }
    }

    func rectify(_ id: UUID, step: RectificationStep, note: String?, department: String?, actor: String, at: Date) async throws -> Rectification {
        try await client.transaction(logger: logger) { connection in
            guard let current = try await rectifications(where: id, department: nil, on: connection, lock: true).first else {
                throw HallError(.notFound, "no rectification \(id)", field: "rectificationId", words: "没有编号为 \(id) 的整改")
            }
            if let department, department != current.departmentId {
                throw HallError(
                    .forbidden, "the rectification is department \(current.departmentId)'s", field: "rectificationId",
                    words: "这项整改属于部门 \(current.departmentId)")
            }
            try RectificationDeadlines.check(step, after: current.step)
            if step != .calledBack, (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw HallError.invalid(
                    "note", "\(step.rawValue) records what was found, done or told", words: "登记“\(AppraisalWords.step(step))”须写明查明的情况、所做的整改或告知的内容")
            }
            let next = rectification.next(after: step, at: at)
            let late = current.dueDate.map { LocalDate.inHall(at) > LocalDate($0) } ?? false
            try await connection.run(
                """
                UPDATE \(unescaped: schema).rectifications SET step = \(step.rawValue), due_step = \(next?.step.rawValue),
                    due_date = \(next?.due.description)::date, overdue = false, late = late OR \(late),
                    done_at = CASE WHEN \(next == nil) THEN \(at) END, done_day = CASE WHEN \(next == nil) THEN \(LocalDate.inHall(at).description)::date END
                WHERE rectification_id = \(id)
                """, logger: logger)
            try await recordStep(id, step, actor: actor, note: note, at: at, due: next?.due, on: connection)
            try await Outbox(schema: schema).append(
                [try AppraisalEvents.rectified(
                    RectificationProgressed(
                        rectificationId: id, ratingId: current.ratingId, receiptCode: current.receiptCode, step: step, departmentId: current.departmentId,
                        dueDate: next?.due, actorId: actor, at: at))],
                on: connection, logger: logger)
            guard let updated = try await rectifications(where: id, department: nil, on: connection).first else {
                throw HallError(.internalError, "a rectification vanished", words: "整改记录已不存在")
            }
            return updated
        }
    }

    func followUps() async throws -> [FollowUp] {
        let rows = try await client.run(
            """
            SELECT x.receipt_code, x.rating_id, r.level, x.rectification_id, x.step, r.appeal_reason IS NOT NULL,
                   l.complaint_id, l.category, l.status, l.finding
            FROM \(unescaped: schema).rectifications x
            JOIN \(unescaped: schema).ratings r USING (rating_id)
            JOIN \(unescaped: schema).complaint_links l ON l.receipt_code = x.receipt_code
            ORDER BY x.opened_at DESC, l.complaint_id LIMIT 2000
            """, logger: logger
        ).decode((String, UUID, String, UUID, String, Bool, UUID, String, String, String?).self).collectAll()
        var tickets: [FollowUp] = []
        for row in rows {
            let complaint = FollowUp.Complaint(complaintId: row.6, category: row.7, status: row.8, finding: row.9)
            if tickets.last?.rectificationId == row.3 {
                tickets[tickets.count - 1].complaints.append(complaint)
            } else {
                tickets.append(
                    FollowUp(
                        receiptCode: row.0, ratingId: row.1, level: try .init(stored: row.2), rectificationId: row.3, rectificationStep: try .init(stored: row.4),
                        appealed: row.5, complaints: [complaint]))
            }
        }
        return tickets
    }

    /// Flags the rectifications whose step's day has passed, each deadline once.
    func fireDueTimers(now: Date, limit: Int) async throws -> Int {
        try await client.withConnection { connection in
            try await connection.select(
                """
                WITH due AS (
                    DELETE FROM \(unescaped: schema).rectification_timers WHERE rectification_id IN (
                        SELECT rectification_id FROM \(unescaped: schema).rectification_timers WHERE fire_at <= \(now)
                        ORDER BY fire_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                    RETURNING rectification_id),
                flagged AS (
                    UPDATE \(unescaped: schema).rectifications x SET overdue = true FROM due
                    WHERE x.rectification_id = due.rectification_id AND x.done_at IS NULL RETURNING 1)
                SELECT count(*)::int FROM due
                """, logger: logger
            ).decode(Int.self).collectAll().first ?? 0
        }
    }
}

/// The rules of appeals and the centre's review.
enum RatingReview {
    static func checkAppeal(_ rating: RatingRecord, reason: String, by appellant: Appellant, at: Date, deadlines: RectificationDeadlines) throws {
        guard appellant.mayAppeal(windowId: rating.windowId, departmentId: rating.departmentId) else {
            throw HallError(
                .forbidden, "a rating is appealed by a clerk of the rated window or the rated case's department", field: "ratingId",
                words: "评价只能由被评价窗口或办件所属部门的工作人员申诉")
        }
        if rating.appeal != nil { throw HallError(.conflict, "a rating is appealed once", field: "reason", words: "一条评价只能申诉一次") }
        let deadline = deadlines.appealDeadline(ratedAt: rating.ratedAt)
        if LocalDate.inHall(at).description > deadline.description {
            throw HallError(
                .conflict, "the appeal period ended on \(deadline): a rating is appealed within \(deadlines.appealDays) working days of it", field: "ratingId",
                words: "申诉期限已于 \(deadline) 届满：评价须在作出后 \(deadlines.appealDays) 个工作日内申诉")
        }
        if rating.review != nil { throw HallError(.conflict, "the centre has already reviewed this rating", field: "reason", words: "政务服务中心已审核过这条评价") }
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw HallError.invalid("reason", "an appeal says why the rating is mistaken or malicious", words: "申诉须写明评价有误或属恶意评价的理由")
        }
    }

    static func checkReview(_ rating: RatingRecord, reason: String) throws {
        if rating.review != nil { throw HallError(.conflict, "the rating was reviewed already", field: "reason", words: "这条评价已经审核过") }
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw HallError.invalid("reason", "striking a rating, or keeping it, is logged with the reason", words: "保留或撤销评价都须写明理由，理由记入审计")
        }
    }
}

/// The appraisal service's events, on `hall.appraisal.events`.
enum AppraisalEvents {
    static func rated(_ payload: RatingRecorded, caseId: String) throws -> OutgoingEvent {
        OutgoingEvent(
            topic: .appraisalEvents, key: caseId,
            envelope: try EventEnvelope(payload: payload, occurredAt: payload.ratedAt, producer: ServiceName.appraisal.rawValue, caseId: caseId))
    }

    static func rectified(_ payload: RectificationProgressed) throws -> OutgoingEvent {
        OutgoingEvent(
            topic: .appraisalEvents, key: payload.rectificationId.uuidString.lowercased(),
            envelope: try EventEnvelope(payload: payload, occurredAt: payload.at, producer: ServiceName.appraisal.rawValue, caseId: nil))
    }
}
