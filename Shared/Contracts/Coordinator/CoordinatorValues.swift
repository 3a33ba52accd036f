import Foundation

// Events of the coordinator on `hall.coordinator.events`. Key (and envelope caseId) = the case id,
// except `coordinator.bundle.completed` (key = the bundle id). Department systems read their tasks
// here (`coordinator.task.assigned`, filter on `departmentId`) and the answers to their commands
// (`coordinator.command.rejected`, causationId = the command's envelope id). Dates are hall dates
// (Asia/Shanghai) `YYYY-MM-DD`; instants are RFC 3339 UTC with milliseconds.

/// A department's opinion on its task (会签意见).
public enum TaskOpinion: String, ContractEnum {
    /// The department approves its part.
    case approve
    /// The department denies, with reasons.
    case deny
    /// The applicant must bring or correct materials first; the case clock stops until they arrive.
    case needsSupplement = "needs-supplement"
}

/// A material the applicant must supplement: what and what exactly is needed.
public struct SupplementItem: Codable, Sendable, Hashable {
    /// The material, by catalogue material id or by name, non-empty.
    public var material: String
    /// What is needed, in words for the applicant, non-empty.
    public var needed: String

    public init(material: String, needed: String) {
        self.material = material
        self.needed = needed
    }

    enum CodingKeys: String, CodingKey { case material, needed }

    /// Decodes and checks the value; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        material = try container.decodeNonEmptyString(forKey: .material)
        needed = try container.decodeNonEmptyString(forKey: .needed)
    }
}

/// The allowed values of the coordinator's payloads, as in their JSON Schemas.
public enum CoordinatorValues {
    /// The most working days an extension may add to a case one department handles (ALL Art 42 ¶1,
    /// approved by the head of the body).
    public static let maximumExtensionDays = 10
    /// The most working days an extension may add to a case handled jointly by several departments
    /// (ALL Art 42 ¶2: 45 days, extendable by 15 with the approval of the people's government head).
    public static let maximumJointExtensionDays = 15
}

/// Why the coordinator refused a department's command. Stable codes; new ones may be added.
public enum CommandRejection: String, ContractEnum {
    /// No task (or case) with that id.
    case unknownTask = "unknown-task"
    /// The task's case is decided or completed, or the task is closed.
    case taskClosed = "task-closed"
    /// The department on the command is not the task's (or a case's) department.
    case departmentMismatch = "department-mismatch"
    /// The task already has an opinion (or a countersignature) that stands.
    case duplicateOpinion = "duplicate-opinion"
    /// The person is not the department's chief representative nor the substitute on a filed notice in force today.
    case notCountersigner = "not-countersigner"
    /// The task has no opinion to countersign yet.
    case nothingToCountersign = "nothing-to-countersign"
    /// The case already has a decision.
    case caseDecided = "case-decided"
    /// The command is malformed or breaks a rule of its fields (the detail names the field).
    case invalidCommand = "invalid-command"
    /// A resume was asked for a clock that is not suspended, or a suspension for one that is.
    case clockState = "clock-state"
    /// An extension beyond ALL Art 42: more than 10 working days (15 for a joint case), a second
    /// extension, or one not approved by the head the directory records (the lead department's
    /// head; for a joint case the hall centre's head, the people's government's leader in charge).
    case extensionBeyondLaw = "extension-beyond-law"
    /// The suspension category is not one of the item's not-counted categories.
    case categoryNotAllowed = "category-not-allowed"
    /// The person may not do this (e.g. only the lead's chief representative convenes a joint review).
    case notPermitted = "not-permitted"
    /// A Kafka command not signed by an active department system registered with the centre for
    /// the department it names (``RecordSignatureHeader``).
    case unauthenticated
}
