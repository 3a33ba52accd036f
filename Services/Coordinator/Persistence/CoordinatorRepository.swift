import Foundation
import HallCalendar
import HallContracts
import HallKit
import PostgresNIO

/// What the coordinator's HTTP API needs of its records: the departments' and the public's views,
/// and department commands. ``CoordinatorStore`` keeps them in PostgreSQL;
/// ``MemoryCoordinatorRepository`` keeps a few in memory for the route tests.
protocol CoordinatorRepository: Sendable {
    /// A department's tasks (every department's for `nil`), green-channel cases first.
    func tasks(departmentId: String?, state: String?) async throws -> [TaskView]
    func task(id: String) async throws -> TaskView?
    /// A case with its tasks, ledger, decisions, reviews and alerts.
    func caseView(id: String) async throws -> CaseView?
    func alerts(departmentId: String?) async throws -> [AlertView]
    func rejections(departmentId: String?) async throws -> [RejectionView]
    /// Every department's open work for the centre (one department's for `departmentId`).
    func overview(departmentId: String?, today: LocalDate) async throws -> CentreOverview
    /// What the applicant sees, found by the receipt code and the acceptance notice's number.
    func publicCase(receiptCode: String, noticeNumber: String) async throws -> PublicCaseView?
    func publicBundle(bundleId: String, receiptCode: String, noticeNumber: String) async throws -> PublicBundleView?
    /// Performs a department's command arriving over HTTP, in one transaction with its events
    /// (correlation id: the request id). A refusal changes nothing; it is recorded under the request
    /// id (`commandType` = `http:<route>`), published as `coordinator.command.rejected`, and thrown.
    func perform(_ command: DepartmentCommand, by actor: DepartmentActor, requestId: String, route: String) async throws -> CommandOutcome
    /// The hall centre convenes a joint review (会审, Art 28(5)); returns its id.
    func conveneReview(caseId: String, _ meeting: ReviewConvening, by centreStaff: String) async throws -> UUID
    /// The centre records the minutes of a joint review, once: each department's conclusion.
    func recordReviewMinutes(reviewId: UUID, positions: [ReviewMinuted.Position], summary: String, by centreStaff: String) async throws
}

extension CoordinatorStore: CoordinatorRepository {
    func tasks(departmentId: String?, state: String?) async throws -> [TaskView] {
        try await tasks(departmentId: departmentId, state: state, limit: 500)
    }

    func conveneReview(caseId: String, _ meeting: ReviewConvening, by centreStaff: String) async throws -> UUID {
        try await command { connection, events in try await convene(caseId: caseId, meeting, convenedBy: centreStaff, on: connection, into: &events) }
    }

    func recordReviewMinutes(reviewId: UUID, positions: [ReviewMinuted.Position], summary: String, by centreStaff: String) async throws {
        try await command { connection, events in
            try await recordMinutes(reviewId: reviewId, positions: positions, summary: summary, recordedBy: centreStaff, on: connection, into: &events)
        }
    }

    func perform(_ command: DepartmentCommand, by actor: DepartmentActor, requestId: String, route: String) async throws -> CommandOutcome {
        do {
            return try await self.command(correlation: requestId) { connection, events in
                try await perform(command, by: actor, on: connection, into: &events)
            }
        } catch let refusal as CommandRefusal {
            await recordHTTPRejection(
                refusal, requestId: requestId, route: route, departmentId: actor.departmentId, taskId: command.taskId, caseId: command.caseId)
            throw refusal
        }
    }

    /// Checks and applies a department's command on `connection`, appending its events; whatever
    /// the channel, the same rules. Throws ``CommandRefusal`` when a rule is broken.
    func perform(
        _ command: DepartmentCommand, by actor: DepartmentActor, on connection: PostgresConnection, into events: inout [PendingEvent]
    ) async throws -> CommandOutcome {
        try command.validate()
        switch command {
        case .claim(let taskId):
            try await claim(taskId: taskId, actor: actor, on: connection)
        case .opinion(let taskId, let input):
            try await giveOpinion(taskId: taskId, input, actor: actor, on: connection, into: &events)
        case .countersign(let taskId, let staffId):
            try await countersign(taskId: taskId, staffId: staffId, actor: actor, on: connection, into: &events)
        case .suspend(let caseId, let category, let reason, let noticeReference):
            try await suspend(
                caseId: caseId, category: category.rawValue, reason: reason, noticeReference: noticeReference, actor: actor, on: connection, into: &events)
        case .resume(let caseId, let reason):
            try await resume(caseId: caseId, reason: reason, actor: actor, on: connection, into: &events)
        case .extend(let caseId, let workingDays, let reason, let approvedBy):
            try await extend(caseId: caseId, workingDays: workingDays, reason: reason, approvedBy: approvedBy, actor: actor, on: connection, into: &events)
        case .reseal(let caseId):
            try await resealDecision(caseId: caseId, actor: actor, on: connection, into: &events)
        }
        return .done
    }
}
