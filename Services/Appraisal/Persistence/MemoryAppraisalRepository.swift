import Foundation
import HallCalendar
import HallContracts
import HallKit

/// ``AppraisalRepository`` in memory, for route tests: figures and completed cases given up front,
/// ratings and rectifications under the same rules (``RatingRules``, ``RatingIntegrity``,
/// ``RatingReview``, ``RectificationDeadlines``).
actor MemoryAppraisalRepository: AppraisalRepository {
    private let stored: RatedWindows
    /// Figures by dimension and period.
    private let rows: [FigureDimension: [FigurePeriod: [FigureRow]]]
    private let departments: Set<String>
    private let cases: [String: RatedCase]
    private let rules: RatingRules?
    /// The staff facts answered, whatever the period.
    private let staffFacts: [StaffFacts]
    private var entries: [String: AppraisalEntry] = [:]
    private var finalised: [String: StaffAppraisal.Finalised] = [:]
    private var disciplineInputs: [String: [DisciplineInput]] = [:]
    /// The statistics answered, whatever the range.
    private let storedStatistics: Statistics?
    private let deadlines: RectificationDeadlines
    nonisolated let formula: AppraisalFormula
    private var records: [UUID: (record: RatingRecord, caseId: String, client: String)] = [:]
    private var rectificationsById: [UUID: Rectification] = [:]
    /// The events the service would have published, in order.
    private(set) var events: [OutgoingEvent] = []

    init(
        stored: RatedWindows = RatedWindows(windows: []), rows: [FigureDimension: [FigurePeriod: [FigureRow]]] = [:], departments: Set<String> = [],
        cases: [RatedCase] = [], rules: RatingRules? = nil, statistics: Statistics? = nil, staffFacts: [StaffFacts] = [],
        formula: AppraisalFormula = AppraisalFormula()
    ) throws {
        self.formula = formula
        self.staffFacts = staffFacts
        self.storedStatistics = statistics
        self.stored = stored
        self.rows = rows
        self.departments = departments
        self.cases = Dictionary(cases.map { ($0.receiptCode, $0) }, uniquingKeysWith: { $1 })
        self.rules = rules
        self.deadlines = RectificationDeadlines(calendar: try WorkingCalendar.bundled())
    }

    func windows() async throws -> RatedWindows { stored }

    func statistics(from: HallDate, to: HallDate, now: Date) async throws -> Statistics {
        guard var answer = storedStatistics else { throw HallError(.internalError, "no statistics given", words: "没有给出统计数据") }
        (answer.from, answer.to) = (from, to)
        return answer
    }

    func isActiveDepartment(_ departmentId: String) async throws -> Bool { departments.contains(departmentId) }

    func figures(_ query: FiguresQuery) async throws -> [FigureRow] {
        (rows[query.dimension]?[query.period] ?? []).filter {
            $0.period.description >= query.from.description && $0.period.description <= query.to.description && (query.key == nil || $0.key == query.key)
        }
    }

    func rate(_ submission: RatingSubmission, client: String, at: Date) async throws -> RatingAnswer {
        try submission.validate()
        guard let rules else { throw HallError(.internalError, "no rating rules", words: "没有设置评价规则") }
        let rated = cases[submission.receiptCode]
        let alreadyRated = records.values.contains { $0.caseId == rated?.caseId }
        if let refusal = rules.refusal(submission, rated: rated, alreadyRated: alreadyRated, at: at) { throw refusal }
        guard let rated else { throw HallError(.internalError, "a rated case vanished", words: "被评价的办件记录已不存在") }
        let (answers, _) = try record([rated], level: submission.level, comment: submission.comment, channel: submission.channel, client: client, at: at)
        guard let answer = answers.first else { throw HallError(.internalError, "a rating was not recorded", words: "评价未能记录") }
        return answer
    }

    /// A bundle is as many cases as were given with its id.
    func rateBundle(_ submission: BundleRatingSubmission, client: String, at: Date) async throws -> BundleRatingAnswer {
        try submission.validate()
        guard let rules else { throw HallError(.internalError, "no rating rules", words: "没有设置评价规则") }
        let members = cases.values.filter { $0.bundleId == submission.bundleId }.sorted { $0.receiptCode < $1.receiptCode }
        let bundle = RatedBundle(bundleId: submission.bundleId, size: members.isEmpty ? nil : members.count, cases: members)
        let alreadyRated = records.values.contains { entry in members.contains { $0.caseId == entry.caseId } }
        if let refusal = rules.refusal(submission, bundle: bundle, alreadyRated: alreadyRated, at: at) { throw refusal }
        let (answers, suspect) = try record(members, level: submission.level, comment: submission.comment, channel: submission.channel, client: client, at: at)
        return BundleRatingAnswer(bundleId: submission.bundleId, level: submission.level, heldForReview: suspect, ratings: answers)
    }

    /// One rating of `members`: the integrity check once, a record, event and bad rating's rectification per case.
    private func record(
        _ members: [RatedCase], level: RatingLevel, comment: String?, channel: RatingChannel, client: String, at: Date
    ) throws -> (answers: [RatingAnswer], suspect: Bool) {
        let earlier = records.filter {
            $0.value.client == client && $0.value.record.level == .verySatisfied && $0.value.record.ratedAt > at.addingTimeInterval(-RatingIntegrity.window)
                && $0.value.record.windowId == members.first?.windowId
        }
        let suspect = RatingIntegrity.isSuspect(level, earlierTopRatingsFromClientForWindow: earlier.count)
        if suspect {
            // The whole burst is held, the top ratings counted before it was seen included.
            for id in earlier.keys where records[id]?.record.review == nil { records[id]?.record.heldForReview = true }
        }
        var answers: [RatingAnswer] = []
        for rated in members {
            var record = RatingRecord(
                ratingId: UUID(), receiptCode: rated.receiptCode, level: level, comment: comment, channel: channel, ratedAt: at, itemCode: rated.itemCode,
                departmentId: rated.departmentId, windowId: rated.windowId, staffId: rated.staffId, heldForReview: suspect, struck: false,
                bundleId: rated.bundleId)
            events.append(
                try AppraisalEvents.rated(
                    RatingRecorded(
                        ratingId: record.ratingId, receiptCode: rated.receiptCode, level: level, channel: channel, itemCode: rated.itemCode,
                        departmentId: rated.departmentId, windowId: rated.windowId, staffId: rated.staffId, ratedAt: at),
                    caseId: rated.caseId))
            if level.isBad, let (step, due) = deadlines.next(after: .opened, at: at) {
                let rectification = Rectification(
                    rectificationId: UUID(), ratingId: record.ratingId, receiptCode: rated.receiptCode, departmentId: rated.departmentId, step: .opened,
                    dueStep: step, dueDate: due, overdue: false, late: false, openedAt: at, steps: [.init(step: .opened, actorId: "appraisal", at: at)])
                rectificationsById[rectification.rectificationId] = rectification
                record.rectificationId = rectification.rectificationId
                events.append(
                    try AppraisalEvents.rectified(
                        RectificationProgressed(
                            rectificationId: rectification.rectificationId, ratingId: record.ratingId, receiptCode: rated.receiptCode, step: .opened,
                            departmentId: rated.departmentId, dueDate: due, actorId: "appraisal", at: at)))
            }
            records[record.ratingId] = (record, rated.caseId, client)
            answers.append(
                RatingAnswer(ratingId: record.ratingId, receiptCode: rated.receiptCode, level: level, heldForReview: suspect, rectificationId: record.rectificationId))
        }
        return (answers, suspect)
    }

    func ratings(heldOrAppealedOnly: Bool, windowId: String?) async throws -> [RatingRecord] {
        records.values.map(\.record).filter {
            (!heldOrAppealedOnly || (($0.heldForReview || $0.appeal != nil) && $0.review == nil)) && (windowId == nil || $0.windowId == windowId)
        }.sorted { $0.ratedAt > $1.ratedAt }
    }

    private func record(_ id: UUID) throws -> RatingRecord {
        guard let entry = records[id] else { throw HallError(.notFound, "no rating \(id)", field: "ratingId", words: "没有编号为 \(id) 的评价") }
        return entry.record
    }

    func appeal(_ id: UUID, reason: String, by appellant: Appellant, at: Date) async throws -> RatingRecord {
        var current = try record(id)
        try RatingReview.checkAppeal(current, reason: reason, by: appellant, at: at, deadlines: deadlines)
        current.appeal = .init(reason: reason, by: appellant.actorId, at: at)
        records[id]?.record = current
        return current
    }

    func review(_ id: UUID, strike: Bool, reason: String, by actor: String, at: Date) async throws -> RatingRecord {
        var current = try record(id)
        try RatingReview.checkReview(current, reason: reason)
        current.review = .init(by: actor, at: at, reason: reason, struck: strike)
        (current.struck, current.heldForReview) = (strike, false)
        records[id]?.record = current
        if strike, let rectificationId = current.rectificationId, var open = rectificationsById[rectificationId], open.doneAt == nil {
            (open.step, open.dueStep, open.dueDate, open.overdue, open.doneAt) = (.closedByStrike, nil, nil, false, at)
            open.steps.append(.init(step: .closedByStrike, actorId: actor, note: reason, at: at))
            rectificationsById[rectificationId] = open
            events.append(
                try AppraisalEvents.rectified(
                    RectificationProgressed(
                        rectificationId: rectificationId, ratingId: id, receiptCode: current.receiptCode, step: .closedByStrike,
                        departmentId: open.departmentId, dueDate: nil, actorId: actor, at: at)))
        }
        return current
    }

    /// Complaints are learnt from the complaints service's events, which a memory repository never sees.
    func followUps() async throws -> [FollowUp] { [] }

    func rectifications(department: String?) async throws -> [Rectification] {
        rectificationsById.values.filter { department == nil || $0.departmentId == department }.sorted { $0.openedAt > $1.openedAt }
    }

    func rectify(_ id: UUID, step: RectificationStep, note: String?, department: String?, actor: String, at: Date) async throws -> Rectification {
        guard var current = rectificationsById[id] else {
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
        let next = deadlines.next(after: step, at: at)
        if let due = current.dueDate, LocalDate.inHall(at) > LocalDate(due) { current.late = true }
        (current.step, current.dueStep, current.dueDate, current.overdue) = (step, next?.step, next?.due, false)
        if next == nil { current.doneAt = at }
        current.steps.append(.init(step: step, actorId: actor, note: note, at: at))
        rectificationsById[id] = current
        events.append(
            try AppraisalEvents.rectified(
                RectificationProgressed(
                    rectificationId: id, ratingId: current.ratingId, receiptCode: current.receiptCode, step: step, departmentId: current.departmentId,
                    dueDate: next?.due, actorId: actor, at: at)))
        return current
    }

    private func key(_ period: AppraisalPeriod, _ staffId: String) -> String { "\(staffId) \(period.period.rawValue) \(period.start)" }

    func staffAppraisals(_ period: AppraisalPeriod, staffId: String?) async throws -> [StaffAppraisal] {
        staffFacts.filter { staffId == nil || $0.staffId == staffId }.map {
            StaffAppraisal(
                facts: $0, period: period.period, start: period.start, entry: entries[key(period, $0.staffId)], finalised: finalised[key(period, $0.staffId)],
                formula: formula, disciplineInputs: disciplineInputs[key(period, $0.staffId)] ?? [])
        }
    }

    private func one(_ period: AppraisalPeriod, _ staffId: String) async throws -> StaffAppraisal {
        guard let appraisal = try await staffAppraisals(period, staffId: staffId).first else {
            throw HallError(
                .notFound, "no active window staff member '\(staffId)' in the hall's directory", field: "staffId",
                words: "大厅名录中没有在岗的窗口工作人员 \(staffId)")
        }
        return appraisal
    }

    func enter(_ entry: AppraisalEntry, period: AppraisalPeriod, staffId: String, by actor: String, at: Date) async throws -> StaffAppraisal {
        try entry.validate()
        if try await one(period, staffId).finalised != nil {
            throw HallError(
                .conflict, "the appraisal is finalised; its entries stay as they were", field: "conduct", words: "考核结果已确定，录入的分数不再更改")
        }
        entries[key(period, staffId)] = entry
        return try await one(period, staffId)
    }

    func addDisciplineInput(_ input: DisciplineInput, period: AppraisalPeriod, staffId: String, by actor: String, at: Date) async throws -> StaffAppraisal {
        try input.validate()
        try StaffAppraisalRules.checkOpenToInput(try await one(period, staffId))
        disciplineInputs[key(period, staffId), default: []].append(DisciplineInput(note: input.note, conduct: input.conduct, by: actor, at: at))
        return try await one(period, staffId)
    }

    func finalise(period: AppraisalPeriod, staffId: String, by actor: String, at: Date) async throws -> StaffAppraisal {
        let current = try await one(period, staffId)
        let (scores, total, grade) = try StaffAppraisalRules.finalisable(current)
        finalised[key(period, staffId)] = .init(by: actor, at: at, replacementRecommended: grade == .unfit)
        let payload = AppraisalResultPublished(
            staffId: staffId, departmentId: current.facts.departmentId, period: period.period.rawValue, periodStart: period.start, scores: scores,
            total: total, grade: grade, replacementRecommended: grade == .unfit, finalisedBy: actor, finalisedAt: at)
        events.append(
            OutgoingEvent(
                topic: .appraisalEvents, key: staffId,
                envelope: try EventEnvelope(payload: payload, occurredAt: at, producer: ServiceName.appraisal.rawValue, caseId: nil)))
        return try await one(period, staffId)
    }

    func departmentAnnual(_ departmentId: String, year: Int) async throws -> DepartmentAnnual {
        let annual = try await staffAppraisals(try AppraisalPeriod(period: "year", start: String(format: "%04d-01-01", year)), staffId: nil)
            .filter { $0.facts.departmentId == departmentId && $0.finalised != nil }
        let totals = annual.compactMap(\.total)
        func count(_ grade: AppraisalGrade) -> Int { annual.filter { $0.grade == grade }.count }
        return DepartmentAnnual(
            departmentId: departmentId, year: year, staff: annual.count,
            meanTotal: totals.isEmpty ? nil : (totals.reduce(0, +) / Double(totals.count) * 10).rounded() / 10, excellent: count(.excellent),
            competent: count(.competent), basicallyCompetent: count(.basicallyCompetent), unfit: count(.unfit))
    }

    func fireDueTimers(now: Date, limit: Int) async throws -> Int {
        var count = 0
        for (id, rectification) in rectificationsById where !rectification.overdue && rectification.doneAt == nil && count < limit {
            guard let due = rectification.dueDate, LocalDate(due).endInstant <= now else { continue }
            rectificationsById[id]?.overdue = true
            count += 1
        }
        return count
    }
}
