import Foundation
import HallContracts
import HallKit

/// ``ComplaintsRepository`` in memory, for route tests: the same rules (``ComplaintFiling/validate()``,
/// ``ComplaintStep/next(from:finding:reviewed:)``, ``ComplaintRecord/taking(_:to:actor:at:deadlines:subjectDepartments:)``,
/// ``ComplaintAccess``, ``SanctionRules``, ``RemovalRule``) over a directory given up front.
actor MemoryComplaintsRepository: ComplaintsRepository {
    /// An active staff member of the directory.
    struct StaffMember: Sendable {
        var name: String
        var departmentId: String
        var windowId: String?
    }

    private struct Entry {
        var record: ComplaintRecord
        var queue: ComplaintQueue
        var targetStaffId: String?
        var target: ComplaintTargetContext
        var concludedAt: Date?
        var updatedAt: Date
    }

    private let stored: ComplaintTargets
    private let staff: [String: StaffMember]
    private let deadlines: ComplaintDeadlines
    private var records: [UUID: Entry] = [:]
    /// Receipt codes intake answered: code → case id (none for a refusal or a correction notice).
    private let cases: [String: String?]
    private var proposals: [UUID: RemovalProposal] = [:]
    private var extraSanctions: [Sanction] = []
    /// Flags raised: complaint, deadline and flag, once each.
    private var raised: Set<String> = []
    /// Reads of complainants' identity, in order.
    private(set) var reads: [IdentityRead] = []
    /// The events the service would have published, in order.
    private(set) var events: [OutgoingEvent] = []

    init(
        stored: ComplaintTargets = ComplaintTargets(windows: [], departments: []), staff: [String: StaffMember] = [:], cases: [String: String?] = [:],
        deadlines: ComplaintDeadlines? = nil
    ) throws {
        self.stored = stored
        self.staff = staff
        self.cases = cases
        self.deadlines = try deadlines ?? ComplaintDeadlines.standard()
    }

    func targets() async throws -> ComplaintTargets { stored }

    func isActiveDepartment(_ departmentId: String) async throws -> Bool { stored.departments.contains { $0.departmentId == departmentId } }

    private func resolve(_ kind: ComplaintTargetKind, _ id: String) throws -> ResolvedTarget {
        var resolved: ResolvedTarget?
        switch kind {
        case .window:
            resolved = stored.windows.first { $0.windowId == id }.map {
                ResolvedTarget(name: $0.name, context: .init(kind: kind, id: id, departmentIds: $0.departmentIds, windowId: id))
            }
        case .department:
            resolved = stored.departments.first { $0.departmentId == id }.map {
                ResolvedTarget(name: $0.name, context: .init(kind: kind, id: id, departmentIds: [id]))
            }
        case .staff:
            resolved = staff[id].map {
                ResolvedTarget(name: $0.name, staffId: id, context: .init(kind: kind, id: id, departmentIds: [$0.departmentId], windowId: $0.windowId))
            }
        }
        guard let resolved else { throw UnknownTarget.error(kind, id) }
        return resolved
    }

    func file(_ filing: ComplaintFiling, channel: ComplaintChannel, recordedBy: String?, at: Date) async throws -> FiledComplaint {
        try filing.validate()
        let target = try resolve(filing.targetKind, filing.targetId)
        var caseId: String?
        if let receiptCode = filing.receiptCode {
            guard let found = cases[receiptCode] else { throw ReceiptCheck.unknown(receiptCode) }
            caseId = found
        }
        let anonymous = filing.anonymous == true
        let filed = FiledComplaint(
            complaintId: UUID(), trackingCode: TrackingCode.make(), queue: ComplaintQueue(for: filing.category), status: .filed, filedAt: at)
        let summary = ComplaintSummary(
            complaintId: filed.complaintId, category: filing.category, channel: channel, targetKind: filing.targetKind, targetId: filing.targetId,
            targetName: target.name, status: .filed, anonymous: anonymous, filedAt: at,
            deadline: deadlines.deadline(for: .filed, finding: nil, at: at, conclusionDue: nil), overdue: false)
        let record = ComplaintRecord(
            summary: summary, trackingCode: filed.trackingCode, recordedBy: recordedBy, receiptCode: filing.receiptCode, caseId: caseId, content: filing.content,
            complainant: anonymous ? nil : .init(name: filing.complainantName ?? "", contact: filing.complainantContact ?? ""), sanctions: [], flags: [],
            steps: [.init(step: "file", statusAfter: .filed, actorId: recordedBy ?? (anonymous ? "anonymous" : "complainant"), detail: channel.rawValue, at: at)])
        records[filed.complaintId] = Entry(record: record, queue: filed.queue, targetStaffId: target.staffId, target: target.context, updatedAt: at)
        events.append(try ComplaintEvents.filed(filed, filing, channel: channel))
        return filed
    }

    private func entry(_ id: UUID) throws -> Entry {
        guard let entry = records[id] else { throw HallError(.notFound, "no complaint \(id)", field: "complaintId", words: "没有编号为 \(id) 的投诉") }
        return entry
    }

    private func entry(code: String) -> Entry? { records.values.first { $0.record.trackingCode == code } }

    func track(code: String) async throws -> ComplaintTracking? {
        entry(code: code).map { $0.record.tracking(deadlines: deadlines, updatedAt: $0.updatedAt) }
    }

    func queue(_ queue: ComplaintQueue, reader: String) async throws -> [ComplaintSummary] {
        records.values.filter { $0.queue == queue && $0.targetStaffId != reader }.map(\.record.summary).sorted { $0.filedAt > $1.filedAt }
    }

    func record(_ id: UUID, queue: ComplaintQueue, reader: String, at: Date) async throws -> ComplaintRecord {
        let entry = try entry(id)
        try ComplaintAccess.checkReader(reader, targetStaffId: entry.targetStaffId, complaintQueue: entry.queue, asked: queue)
        let view = ComplaintAccess.view(entry.record, reader: reader)
        if view.complainant != nil { reads.append(IdentityRead(complaintId: id, readerId: reader, readAt: at)) }
        return view
    }

    func addHandler(_ handler: String, on id: UUID, queue: ComplaintQueue, actor: String, at: Date) async throws -> ComplaintRecord {
        var entry = try entry(id)
        try ComplaintAccess.checkReader(actor, targetStaffId: entry.targetStaffId, complaintQueue: entry.queue, asked: queue)
        entry.record = try ComplaintAccess.adding(handler, to: entry.record, targetStaffId: entry.targetStaffId, by: actor, at: at)
        records[id] = entry
        return ComplaintAccess.view(entry.record, reader: actor)
    }

    /// Applies a checked step to an entry: the record, its events, the removal rule.
    private func apply(_ step: ComplaintStep, to entry: Entry, actor: String, at: Date, subjectDepartments: [String] = []) throws -> Entry {
        var entry = entry
        let current = entry.record
        let next = try step.next(from: current.summary.status, finding: current.finding, reviewed: current.reviewReason != nil)
        if case .requestReview = step, let repliedAt = current.repliedAt, !deadlines.reviewOpen(repliedAt: repliedAt, at: at) {
            throw HallError(
                .conflict, "a review is asked for within \(deadlines.reviewDays) working days of the reply", field: "reason",
                words: "复查须在答复后 \(deadlines.reviewDays) 个工作日内申请")
        }
        entry.record = current.taking(step, to: next, actor: actor, at: at, deadlines: deadlines, subjectDepartments: subjectDepartments)
        events += try entry.record.events(of: step, before: current, actor: actor, at: at)
        if step.finding != nil { entry.concludedAt = at }
        entry.updatedAt = at
        records[current.summary.complaintId] = entry
        if let finding = step.finding, finding != .unsubstantiated, let staffId = entry.targetStaffId {
            try proposeRemoval(staffId, complaint: current.summary.complaintId, at: at)
        }
        return entry
    }

    private func proposeRemoval(_ staffId: String, complaint: UUID, at: Date) throws {
        if proposals.values.contains(where: { $0.complaintIds.contains(complaint) }) { return }
        if let pending = proposals.values.first(where: { $0.staffId == staffId && $0.status == .pending }) {
            proposals[pending.proposalId]?.complaintIds.append(complaint)
            return
        }
        let since = RemovalRule.windowStart(before: at)
        let substantiated = records.values.filter {
            $0.targetStaffId == staffId && ($0.record.finding == .substantiated || $0.record.finding == .partlySubstantiated) && ($0.concludedAt ?? .distantPast) >= since
        }.sorted { ($0.concludedAt ?? .distantPast) < ($1.concludedAt ?? .distantPast) }.map(\.record.summary.complaintId)
        guard substantiated.count >= RemovalRule.complaints, let member = staff[staffId] else { return }
        let proposal = RemovalProposal(
            proposalId: UUID(), staffId: staffId, staffName: member.name, departmentId: member.departmentId, complaintIds: substantiated, proposedAt: at,
            status: .pending)
        proposals[proposal.proposalId] = proposal
        events.append(try ComplaintEvents.removalProposed(proposal))
    }

    func take(_ step: ComplaintStep, on id: UUID, queue: ComplaintQueue, actor: String, at: Date) async throws -> ComplaintRecord {
        let entry = try entry(id)
        try ComplaintAccess.checkReader(actor, targetStaffId: entry.targetStaffId, complaintQueue: entry.queue, asked: queue)
        let handlers = try ComplaintAccess.acting(entry.record, actor: actor)
        _ = try step.next(from: entry.record.summary.status, finding: entry.record.finding, reviewed: entry.record.reviewReason != nil)
        var subjectDepartments: [String] = []
        switch step {
        case .refer(let department, _, _):
            guard stored.departments.contains(where: { $0.departmentId == department }) else {
                throw HallError.invalid("departmentId", "no active department '\(department)' in the hall's directory", words: "大厅名录中没有在册的部门“\(department)”")
            }
        case .decideSanctions(let orders, _):
            for (index, order) in orders.enumerated() {
                let facts: SanctionSubjectFacts? =
                    switch order.subjectKind {
                    case .staff: staff[order.subjectId].map { SanctionSubjectFacts(departmentId: $0.departmentId, windowId: $0.windowId) }
                    case .department:
                        stored.departments.contains { $0.departmentId == order.subjectId } ? SanctionSubjectFacts(departmentId: order.subjectId) : nil
                    }
                try SanctionRules.check(order, index: index, subject: facts, target: entry.target)
                subjectDepartments.append(facts?.departmentId ?? "")
            }
        default: break
        }
        var assigned = entry
        assigned.record.handlers = handlers
        let updated = try apply(step, to: assigned, actor: actor, at: at, subjectDepartments: subjectDepartments)
        if updated.record.complainant != nil { reads.append(IdentityRead(complaintId: id, readerId: actor, readAt: at)) }
        return updated.record
    }

    func complainantStep(_ step: ComplaintStep, code: String, at: Date) async throws -> ComplaintTracking? {
        guard let entry = entry(code: code) else { return nil }
        return try apply(step, to: entry, actor: "complainant", at: at).record.tracking(deadlines: deadlines, updatedAt: at)
    }

    func rate(code: String, rating: ComplaintRating, comment: String?, at: Date) async throws -> ComplaintTracking? {
        guard var entry = entry(code: code) else { return nil }
        entry.record = try entry.record.rated(rating, comment: comment, at: at)
        if let event = try ComplaintEvents.rated(entry.record, queue: entry.queue, at: at) { events.append(event) }
        records[entry.record.summary.complaintId] = entry
        return entry.record.tracking(deadlines: deadlines, updatedAt: at)
    }

    func referrals(department: String, reader: String) async throws -> [Referral] {
        records.values.filter { $0.record.referral?.departmentId == department && $0.targetStaffId != reader }
            .compactMap { $0.record.referralView.map { view in var view = view; view.complainant = nil; return view } }
            .sorted { $0.referredAt > $1.referredAt }
    }

    func referral(_ id: UUID, department: String, reader: String, at: Date) async throws -> Referral {
        let entry = try entry(id)
        let view = try ComplaintAccess.departmentView(entry.record, targetStaffId: entry.targetStaffId, department: department, reader: reader)
        if view.complainant != nil { reads.append(IdentityRead(complaintId: id, readerId: reader, readAt: at)) }
        return view
    }

    func departmentStep(_ step: ComplaintStep, on id: UUID, department: String, actor: String, at: Date) async throws -> Referral {
        let entry = try entry(id)
        _ = try ComplaintAccess.departmentView(entry.record, targetStaffId: entry.targetStaffId, department: department, reader: actor)
        let updated = try apply(step, to: entry, actor: actor, at: at)
        let view = try ComplaintAccess.departmentView(updated.record, targetStaffId: entry.targetStaffId, department: department, reader: actor)
        if view.complainant != nil { reads.append(IdentityRead(complaintId: id, readerId: actor, readAt: at)) }
        return view
    }

    func sanctions(subjectId: String?) async throws -> [Sanction] {
        (records.values.flatMap(\.record.sanctions) + extraSanctions).filter { subjectId == nil || $0.subjectId == subjectId }
            .sorted { $0.decidedAt > $1.decidedAt }
    }

    func removalProposals(pendingOnly: Bool) async throws -> [RemovalProposal] {
        proposals.values.filter { !pendingOnly || $0.status == .pending }.sorted { $0.proposedAt > $1.proposedAt }
    }

    func decideRemoval(_ id: UUID, remove: Bool, reason: String, by actor: String, at: Date) async throws -> RemovalProposal {
        guard let proposal = proposals[id] else { throw HallError(.notFound, "no removal proposal \(id)", field: "proposalId", words: "没有编号为 \(id) 的调离建议") }
        let (decided, sanction) = try RemovalRule.decide(proposal, remove: remove, reason: reason, by: actor, at: at)
        proposals[id] = decided
        if let sanction {
            extraSanctions.append(sanction)
            events.append(try ComplaintEvents.sanctioned(sanction))
        }
        return decided
    }

    func fireDueTimers(now: Date, limit: Int) async throws -> Int {
        var count = 0
        for (id, entry) in records {
            guard let deadline = entry.record.summary.deadline else { continue }
            for (flag, fireAt) in deadline.firesAt where fireAt <= now && count < limit {
                let key = "\(id) \(deadline.step.rawValue) \(deadline.dueDate) \(flag.rawValue)"
                guard raised.insert(key).inserted else { continue }
                count += 1
                records[id]?.record.flags.append(.init(step: deadline.step, flag: flag, dueDate: deadline.dueDate, at: now))
                if flag == .overdue { records[id]?.record.summary.overdue = true }
                events.append(
                    try ComplaintEvents.flagged(id, deadline, flag, queue: entry.queue, departmentId: entry.record.referral?.departmentId, at: now))
            }
        }
        return count
    }

    func identityReads(complaintId: UUID?) async throws -> [IdentityRead] {
        reads.filter { complaintId == nil || $0.complaintId == complaintId }.reversed()
    }
}
