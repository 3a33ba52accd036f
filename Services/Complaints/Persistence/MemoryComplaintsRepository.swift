import Foundation
import HallContracts
import HallKit

/// ``ComplaintsRepository`` in memory, for route tests: the same rules (``ComplaintFiling/validate()``,
/// ``ComplaintStep/next(from:)``, ``ComplaintAccess``) over a directory given up front.
actor MemoryComplaintsRepository: ComplaintsRepository {
    private let stored: ComplaintTargets
    /// Active staff: id → name.
    private let staff: [String: String]
    private var records: [UUID: (record: ComplaintRecord, queue: ComplaintQueue, targetStaffId: String?)] = [:]
    /// Receipt codes intake answered: code → case id (none for a refusal or a correction notice).
    private let cases: [String: String?]
    /// Reads of complainants' identity, in order.
    private(set) var reads: [IdentityRead] = []
    /// The events the service would have published, in order.
    private(set) var events: [OutgoingEvent] = []

    init(stored: ComplaintTargets = ComplaintTargets(windows: [], departments: []), staff: [String: String] = [:], cases: [String: String?] = [:]) {
        self.stored = stored
        self.staff = staff
        self.cases = cases
    }

    func targets() async throws -> ComplaintTargets { stored }

    private func resolve(_ kind: ComplaintTargetKind, _ id: String) throws -> ResolvedTarget {
        let name: String? =
            switch kind {
            case .window: stored.windows.first { $0.windowId == id }?.name
            case .department: stored.departments.first { $0.departmentId == id }?.name
            case .staff: staff[id]
            }
        guard let name else { throw HallError.invalid("targetId", "no active \(kind.rawValue) '\(id)' in the hall's directory (GET /v1/targets lists them)") }
        return ResolvedTarget(name: name, staffId: kind == .staff ? id : nil)
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
            targetName: target.name, status: .filed, anonymous: anonymous, filedAt: at)
        let record = ComplaintRecord(
            summary: summary, trackingCode: filed.trackingCode, recordedBy: recordedBy, receiptCode: filing.receiptCode, caseId: caseId, content: filing.content,
            complainant: anonymous ? nil : .init(name: filing.complainantName ?? "", contact: filing.complainantContact ?? ""),
            steps: [.init(step: "file", statusAfter: .filed, actorId: recordedBy ?? (anonymous ? "anonymous" : "complainant"), detail: channel.rawValue, at: at)])
        records[filed.complaintId] = (record, filed.queue, target.staffId)
        events.append(try ComplaintEvents.filed(filed, filing, channel: channel))
        return filed
    }

    func track(code: String) async throws -> ComplaintTracking? {
        guard let record = records.values.first(where: { $0.record.trackingCode == code })?.record else { return nil }
        return ComplaintTracking(
            trackingCode: code, category: record.summary.category, targetKind: record.summary.targetKind, targetName: record.summary.targetName,
            status: record.summary.status, filedAt: record.summary.filedAt, notAcceptedReason: record.notAcceptedReason, finding: record.finding,
            reply: record.reply, updatedAt: record.steps.last?.at ?? record.summary.filedAt)
    }

    func queue(_ queue: ComplaintQueue, reader: String) async throws -> [ComplaintSummary] {
        records.values.filter { $0.queue == queue && $0.targetStaffId != reader }.map(\.record.summary).sorted { $0.filedAt > $1.filedAt }
    }

    func record(_ id: UUID, queue: ComplaintQueue, reader: String, at: Date) async throws -> ComplaintRecord {
        guard let entry = records[id] else { throw HallError(.notFound, "no complaint \(id)", field: "complaintId") }
        try ComplaintAccess.checkReader(reader, targetStaffId: entry.targetStaffId, complaintQueue: entry.queue, asked: queue)
        if entry.record.complainant != nil { reads.append(IdentityRead(complaintId: id, readerId: reader, readAt: at)) }
        return entry.record
    }

    func take(_ step: ComplaintStep, on id: UUID, queue: ComplaintQueue, actor: String, at: Date) async throws -> ComplaintRecord {
        guard var entry = records[id] else { throw HallError(.notFound, "no complaint \(id)", field: "complaintId") }
        try ComplaintAccess.checkReader(actor, targetStaffId: entry.targetStaffId, complaintQueue: entry.queue, asked: queue)
        let next = try step.next(from: entry.record.summary.status)
        events.append(try ComplaintEvents.progressed(step, to: next, of: entry.record.summary, actor: actor, at: at))
        entry.record = entry.record.taking(step, to: next, actor: actor, at: at)
        records[id] = entry
        if entry.record.complainant != nil { reads.append(IdentityRead(complaintId: id, readerId: actor, readAt: at)) }
        return entry.record
    }

    func identityReads(complaintId: UUID?) async throws -> [IdentityRead] {
        reads.filter { complaintId == nil || $0.complaintId == complaintId }.reversed()
    }
}
