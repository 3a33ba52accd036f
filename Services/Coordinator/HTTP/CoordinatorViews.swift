import Foundation
import HallContracts

// The coordinator's answers, as its OpenAPI document describes them.

/// A task as departments see it.
struct TaskView: Codable, Sendable {
    var taskId: String
    var caseId: String
    var receiptCode: String
    var itemCode: String
    var itemName: String
    var departmentId: String
    var role: String
    var state: String
    var round: Int
    var subDeadline: String
    var caseDueDate: String
    var caseState: String
    var clockSuspended: Bool
    var applicantName: String
    var materials: [ApplicationAccepted.PresentedMaterialRef]
    var claimedBy: String?
    var opinion: String?
    var reasons: [String]
    var supplements: [SupplementItem]
    var officerId: String?
    var countersignedBy: String?
    var countersignCapacity: String?
    /// A green-channel case (Art 40): listed before other tasks.
    var priority: Bool
    /// The conclusions the joint reviews (会审) recorded for this department, oldest first.
    var reviewConclusions: [ReviewConclusion]? = nil
}

/// A joint review's conclusion for one department, as recorded on its task.
struct ReviewConclusion: Codable, Sendable, Equatable {
    var reviewId: String
    /// `approve`, `deny` or `needs-supplement`.
    var position: String
    var note: String
    /// The minutes' summary.
    var summary: String
    var recordedAt: String
}

/// One entry of a case's due-date ledger.
struct LedgerEntryView: Codable, Sendable {
    var sequence: Int
    var change: String
    var category: String?
    var dueDateBefore: String?
    var dueDateAfter: String
    var workingDays: Int
    var reason: String
    var reference: String?
    var approvedBy: String?
    var departmentId: String?
    var actorId: String
    var changedAt: Date
}

/// A case with everything the departments and the centre need to follow it.
struct CaseView: Codable, Sendable {
    var caseId: String
    var receiptCode: String
    var noticeNumber: String
    var itemCode: String
    var itemName: String
    var kind: String
    var leadDepartmentId: String
    var departments: [String]
    var state: String
    var acceptedAt: Date
    var initialDueDate: String
    var dueDate: String
    var dueDateProvisional: Bool
    var clockSuspended: Bool
    var suspensionCategory: String?
    var awaitingSupplement: Bool
    var suspendedWorkingDays: Int
    var extensionWorkingDays: Int
    var outcome: String?
    var decidedAt: Date?
    var completedAt: Date?
    var onTime: Bool?
    var bundleId: String?
    var tasks: [TaskView]
    var ledger: [LedgerEntryView]
    var decisions: [DecisionView]
    var reviews: [ReviewView]
    var alerts: [AlertView]

    struct DecisionView: Codable, Sendable {
        var departmentId: String
        var documentKind: String
        /// The decision number (文号); absent for decisions made before numbers were given.
        var decisionNumber: String?
        var documentHash: String
        var documentText: String
        var requestedBy: String
        var windowId: String
        var imprintId: String?
        var sealedAt: Date?
        var sealRefusal: String?
    }

    struct ReviewView: Codable, Sendable {
        var reviewId: String
        /// The centre's staff member who convened it.
        var convenedBy: String
        /// The lead department's chief representative (or the substitute in office) who assisted (Art 28(5)).
        var assistedBy: String?
        var meetingAt: Date
        var place: String
        var departmentIds: [String]
        var centreAttends: Bool
        var positions: [ReviewMinuted.Position]?
        var summary: String?
    }
}

/// A warning or escalation that fired.
struct AlertView: Codable, Sendable {
    var caseId: String
    var subject: String
    var kind: String
    var departmentId: String
    var escalatedTo: String?
    var dueDate: String
    var scheduledFor: Date
    var firedAt: Date
}

/// A refused command.
struct RejectionView: Codable, Sendable {
    var commandId: String
    var commandType: String
    var departmentId: String
    var taskId: String?
    var caseId: String?
    var reason: String
    var detail: String
    var rejectedAt: Date
}

/// What the applicant sees: status, due date and why it moved — no staff names.
struct PublicCaseView: Codable, Sendable {
    var receiptCode: String
    var itemName: String
    var status: String
    var dueDate: String
    var dueDateProvisional: Bool
    var clockSuspended: Bool
    var awaitingSupplement: Bool
    var supplements: [SupplementItem]
    var outcome: String?
    var completedAt: Date?
    var onTime: Bool?
    var departments: [DepartmentStatus]
    var dueDateHistory: [Change]
    var bundleId: String?

    struct DepartmentStatus: Codable, Sendable {
        var departmentId: String
        var status: String
    }

    struct Change: Codable, Sendable {
        var change: String
        var dueDateBefore: String?
        var dueDateAfter: String
        var workingDays: Int
        var reason: String
        var category: String?
        var changedAt: Date
    }
}

/// One status for a "one thing, one go" bundle, one per case and department.
struct PublicBundleView: Codable, Sendable {
    var bundleId: String
    var status: String
    var size: Int
    var completedAt: Date?
    var cases: [PublicCaseView]
}
