import Foundation

// Events of a case on `hall.coordinator.events`: decided, supplement requested, completed, priority changed.
// Keys, dates and instants: see CoordinatorValues.swift.

/// A department's reason, as printed on a decision.
public struct DepartmentReason: Codable, Sendable, Hashable {
    public var departmentId: String
    public var reason: String
    public init(departmentId: String, reason: String) {
        self.departmentId = departmentId
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey { case departmentId, reason }

    /// Decodes and checks the value; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        reason = try c.decodeNonEmptyString(forKey: .reason)
    }
}

/// `coordinator.case.decided` v1: every department's countersigned opinion is in; the case is approved
/// (each department its own approval decision) or denied (one denial decision of the lead listing every
/// reason). The decision documents go to the seal service; the case completes when they are sealed.
public struct CaseDecided: EventPayload, Hashable {
    public static let eventType = "coordinator.case.decided"
    public static let eventVersion = 1

    public var receiptCode: String
    /// `approved` or `denied`.
    public var outcome: CaseOutcome
    /// Every department's reason for a denial (empty when approved).
    public var reasons: [DepartmentReason]
    /// The documents sent to be sealed.
    public var documents: [Document]
    public var decidedAt: Date
    /// The due date at the time of the decision (hall date).
    public var dueDate: HallDate

    /// A decision document sent to the seal service.
    public struct Document: Codable, Sendable, Hashable {
        public var departmentId: String
        public var documentKind: SealDocumentKind
        /// SHA-256 of the document text, 64 lower-case hexadecimal digits.
        public var documentHash: String
        /// Who applies the seal (the department's chief representative or substitute who countersigned).
        public var requestedBy: String
        public var windowId: String
        /// The decision number (文号), `<code>〔<year>〕<n>号`: the department's document code and a
        /// number never given twice within its year. Absent in events written before numbers were given.
        public var decisionNumber: String?
        public init(
            departmentId: String, documentKind: SealDocumentKind, documentHash: String, requestedBy: String, windowId: String, decisionNumber: String? = nil
        ) {
            self.departmentId = departmentId
            self.documentKind = documentKind
            self.documentHash = documentHash
            self.requestedBy = requestedBy
            self.windowId = windowId
            self.decisionNumber = decisionNumber
        }

        enum CodingKeys: String, CodingKey { case departmentId, documentKind, documentHash, requestedBy, windowId, decisionNumber }

        /// Decodes and checks the value; throws `DecodingError` naming the offending member.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
            documentKind = try c.decode(SealDocumentKind.self, forKey: .documentKind)
            documentHash = try c.decodeString(forKey: .documentHash, expected: "64 lower-case hexadecimal digits", SealHex.isDigest)
            requestedBy = try c.decodeNonEmptyString(forKey: .requestedBy)
            windowId = try c.decodeNonEmptyString(forKey: .windowId)
            decisionNumber = try c.decodeNonEmptyStringIfPresent(forKey: .decisionNumber)
        }
    }

    public init(receiptCode: String, outcome: CaseOutcome, reasons: [DepartmentReason], documents: [Document], decidedAt: Date, dueDate: HallDate) {
        self.receiptCode = receiptCode
        self.outcome = outcome
        self.reasons = reasons
        self.documents = documents
        self.decidedAt = decidedAt
        self.dueDate = dueDate
    }

    enum CodingKeys: String, CodingKey { case receiptCode, outcome, reasons, documents, decidedAt, dueDate }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        outcome = try c.decode(CaseOutcome.self, forKey: .outcome)
        reasons = try c.decode([DepartmentReason].self, forKey: .reasons)
        documents = try c.decode([Document].self, forKey: .documents)
        decidedAt = try c.decode(Date.self, forKey: .decidedAt)
        dueDate = try c.decode(HallDate.self, forKey: .dueDate)
        guard !documents.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .documents, in: c, debugDescription: "must not be empty") }
    }
}

/// `coordinator.case.supplement-requested` v1: a department needs the applicant to supplement
/// materials; intake tells the applicant, and the case clock stands still until the supplement arrives
/// (`intake.application.supplemented`).
public struct SupplementRequested: EventPayload, Hashable {
    public static let eventType = "coordinator.case.supplement-requested"
    public static let eventVersion = 1

    public var receiptCode: String
    public var departmentId: String
    public var taskId: String
    public var supplements: [SupplementItem]
    public var requestedAt: Date

    public init(receiptCode: String, departmentId: String, taskId: String, supplements: [SupplementItem], requestedAt: Date) {
        self.receiptCode = receiptCode
        self.departmentId = departmentId
        self.taskId = taskId
        self.supplements = supplements
        self.requestedAt = requestedAt
    }

    enum CodingKeys: String, CodingKey { case receiptCode, departmentId, taskId, supplements, requestedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        taskId = try c.decodeNonEmptyString(forKey: .taskId)
        supplements = try c.decode([SupplementItem].self, forKey: .supplements)
        requestedAt = try c.decode(Date.self, forKey: .requestedAt)
        guard !supplements.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .supplements, in: c, debugDescription: "must not be empty") }
    }
}

/// `coordinator.case.completed` v1: every decision document of the case is sealed; the completion
/// time is the last seal time (Art 31), and on-time means its hall date is not after the due date
/// that the ledger explains (suspensions and extensions included).
public struct CaseCompleted: EventPayload, Hashable {
    public static let eventType = "coordinator.case.completed"
    public static let eventVersion = 1

    public var receiptCode: String
    public var itemCode: String
    public var leadDepartmentId: String
    public var departmentIds: [String]
    /// `approved` or `denied`.
    public var outcome: CaseOutcome
    public var acceptedAt: Date
    /// The seal time of the last decision document.
    public var completedAt: Date
    public var dueDate: HallDate
    public var onTime: Bool
    public var imprintIds: [String]
    /// Working days the clock stood still, and working days added by extension.
    public var suspendedWorkingDays: Int
    public var extensionWorkingDays: Int
    public var bundleId: String?

    public init(
        receiptCode: String, itemCode: String, leadDepartmentId: String, departmentIds: [String], outcome: CaseOutcome, acceptedAt: Date, completedAt: Date,
        dueDate: HallDate, onTime: Bool, imprintIds: [String], suspendedWorkingDays: Int, extensionWorkingDays: Int, bundleId: String?
    ) {
        self.receiptCode = receiptCode
        self.itemCode = itemCode
        self.leadDepartmentId = leadDepartmentId
        self.departmentIds = departmentIds
        self.outcome = outcome
        self.acceptedAt = acceptedAt
        self.completedAt = completedAt
        self.dueDate = dueDate
        self.onTime = onTime
        self.imprintIds = imprintIds
        self.suspendedWorkingDays = suspendedWorkingDays
        self.extensionWorkingDays = extensionWorkingDays
        self.bundleId = bundleId
    }

    enum CodingKeys: String, CodingKey {
        case receiptCode, itemCode, leadDepartmentId, departmentIds, outcome, acceptedAt, completedAt, dueDate, onTime, imprintIds
        case suspendedWorkingDays, extensionWorkingDays, bundleId
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        itemCode = try c.decodeNonEmptyString(forKey: .itemCode)
        leadDepartmentId = try c.decodeNonEmptyString(forKey: .leadDepartmentId)
        departmentIds = try c.decodeDistinctStrings(forKey: .departmentIds, expected: "a department id") { !$0.isEmpty }
        outcome = try c.decode(CaseOutcome.self, forKey: .outcome)
        acceptedAt = try c.decode(Date.self, forKey: .acceptedAt)
        completedAt = try c.decode(Date.self, forKey: .completedAt)
        dueDate = try c.decode(HallDate.self, forKey: .dueDate)
        onTime = try c.decode(Bool.self, forKey: .onTime)
        imprintIds = try c.decode([String].self, forKey: .imprintIds)
        suspendedWorkingDays = try c.decodeInt(atLeast: 0, forKey: .suspendedWorkingDays)
        extensionWorkingDays = try c.decodeInt(atLeast: 0, forKey: .extensionWorkingDays)
        bundleId = try c.decodeNonEmptyStringIfPresent(forKey: .bundleId)
    }
}

/// `coordinator.case.priority-changed` v1: a case already routed to the departments went on the
/// green channel (Art 40, granted by the centre after acceptance); its open tasks come first from
/// now on. A department system moves each of its listed tasks up its own queue. Published once per
/// grant, in the same transaction that marks the case; a completed case is never changed.
/// (A case that is on the green channel when it is accepted needs no such event: its
/// `coordinator.task.assigned` events carry `priority` and the approval.)
public struct CasePriorityChanged: EventPayload, Hashable {
    public static let eventType = "coordinator.case.priority-changed"
    public static let eventVersion = 1

    public var receiptCode: String
    public var itemCode: String
    public var leadDepartmentId: String
    /// The case's priority from now on: true on the green channel.
    public var priority: Bool
    /// The centre's green-channel approval (reason, reference, approver); present when `priority` is true.
    public var greenChannelApproval: GreenChannelApproval?
    /// The centre administrator who recorded the grant in intake.
    public var grantedBy: String
    /// The tasks a department still has to act on (no countersigned opinion yet), each with its
    /// department; empty when every department has countersigned.
    public var openTasks: [OpenTask]
    /// When the coordinator applied the change (UTC instant).
    public var changedAt: Date

    /// A task of the case that a department still has to act on.
    public struct OpenTask: Codable, Sendable, Hashable {
        /// The task id, as in `coordinator.task.assigned`.
        public var taskId: String
        public var departmentId: String
        /// `lead` or `participant`.
        public var role: TaskRole

        public init(taskId: String, departmentId: String, role: TaskRole) {
            self.taskId = taskId
            self.departmentId = departmentId
            self.role = role
        }

        enum CodingKeys: String, CodingKey { case taskId, departmentId, role }

        /// Decodes and checks the value; throws `DecodingError` naming the offending member.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            taskId = try c.decodeNonEmptyString(forKey: .taskId)
            departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
            role = try c.decode(TaskRole.self, forKey: .role)
        }
    }

    public init(
        receiptCode: String, itemCode: String, leadDepartmentId: String, priority: Bool, greenChannelApproval: GreenChannelApproval?,
        grantedBy: String, openTasks: [OpenTask], changedAt: Date
    ) {
        self.receiptCode = receiptCode
        self.itemCode = itemCode
        self.leadDepartmentId = leadDepartmentId
        self.priority = priority
        self.greenChannelApproval = greenChannelApproval
        self.grantedBy = grantedBy
        self.openTasks = openTasks
        self.changedAt = changedAt
    }

    enum CodingKeys: String, CodingKey {
        case receiptCode, itemCode, leadDepartmentId, priority, greenChannelApproval, grantedBy, openTasks, changedAt
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try c.decodeNonEmptyString(forKey: .receiptCode)
        itemCode = try c.decodeNonEmptyString(forKey: .itemCode)
        leadDepartmentId = try c.decodeNonEmptyString(forKey: .leadDepartmentId)
        priority = try c.decode(Bool.self, forKey: .priority)
        greenChannelApproval = try c.decodeIfPresent(GreenChannelApproval.self, forKey: .greenChannelApproval)
        grantedBy = try c.decodeNonEmptyString(forKey: .grantedBy)
        openTasks = try c.decode([OpenTask].self, forKey: .openTasks)
        changedAt = try c.decode(Date.self, forKey: .changedAt)
        if priority && greenChannelApproval == nil {
            throw DecodingError.keyNotFound(
                CodingKeys.greenChannelApproval, .init(codingPath: c.codingPath, debugDescription: "required when priority is true (Art 40)"))
        }
    }
}
