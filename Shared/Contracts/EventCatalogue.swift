/// What the contracts say about one event type at one version.
public struct EventDescriptor: Hashable, Sendable {
    /// The envelope `type`, e.g. `platform.outbox.republished`.
    public let type: String
    /// The envelope `version` (schema version of `data`), ≥ 1.
    public let version: Int
    /// The topics the event may appear on. Domain events have exactly one (their producer's
    /// events topic); platform events may appear on every service's events topic.
    public let topics: [Topic]
    /// One-sentence meaning of the event, for docs and the AsyncAPI document.
    public let summary: String

    /// The JSON Schema of `data`, a file name in `Shared/Contracts/schemas/`: `<type>.v<version>.schema.json`.
    public var schemaFile: String { "\(type).v\(version).schema.json" }

    /// The golden fixture of a full envelope, a file name in `Tests/ContractsTests/Fixtures/`: `<type>.v<version>.json`.
    public var fixtureFile: String { "\(type).v\(version).json" }

    /// Creates a descriptor. Add new ones to ``EventCatalogue/all`` only.
    public init(type: String, version: Int, topics: [Topic], summary: String) {
        self.type = type
        self.version = version
        self.topics = topics
        self.summary = summary
    }

    /// The descriptor of a payload type, for building catalogue entries next to the payload.
    public init<P: EventPayload>(_ payload: P.Type, topics: [Topic], summary: String) {
        self.init(type: P.eventType, version: P.eventVersion, topics: topics, summary: summary)
    }
}

/// Every event type and version in ServiceHall, in one list.
///
/// Each entry has a JSON Schema for its `data` and a golden fixture, and appears in
/// `Shared/Contracts/asyncapi.yaml`; `ContractsTests` and `deploy/check-contracts.py` keep them in step.
public enum EventCatalogue {
    /// All descriptors. Platform events first, then each service's events.
    public static let all: [EventDescriptor] = [
        EventDescriptor(
            OutboxRepublished.self,
            topics: ServiceName.allCases.map(\.eventsTopic),
            summary: "An operator re-published a time range of a service's outbox; audit record on that service's events topic."
        ),
        // Directory (intake): the seal service keeps projections of these.
        EventDescriptor(
            DepartmentChanged.self, topics: [.intakeEvents],
            summary: "A department's current directory record: name, whether it is in the hall, its chief representative and temporary substitute."
        ),
        EventDescriptor(
            WindowChanged.self, topics: [.intakeEvents],
            summary: "A hall window's current directory record: kind, departments served, whether it is open."
        ),
        EventDescriptor(
            StaffChanged.self, topics: [.intakeEvents],
            summary: "A staff member's current directory record: department, window, qualification, whether on duty."
        ),
        EventDescriptor(
            DepartmentSystemChanged.self, topics: [.intakeEvents],
            summary: "A department's own system as registered with the centre: its department and the Ed25519 key that verifies the commands it signs; key = the system id."
        ),
        // Catalogue and applications (intake).
        EventDescriptor(
            CatalogueItemPublished.self, topics: [.intakeEvents],
            summary: "A new version of a service item (kind, departments, limits, fee) takes effect on a hall date; key = the item code."
        ),
        EventDescriptor(
            ApplicationAccepted.self, topics: [.intakeEvents],
            summary: "The front desk accepted an application: notice number, item version, departments, due date and promised materials; key = case id."
        ),
        EventDescriptor(
            ApplicationRefused.self, topics: [.intakeEvents],
            summary: "The front desk refused to accept an application, with the reason and the competent authority to go to; key = case id."
        ),
        EventDescriptor(
            ApplicationCorrectionNotified.self, topics: [.intakeEvents],
            summary: "The applicant was told at once every material to bring or correct before acceptance; key = case id."
        ),
        EventDescriptor(
            ApplicationCompleted.self, topics: [.intakeEvents],
            summary: "An immediate item's case is complete: its decision, made at the window, is sealed; key = case id."
        ),
        EventDescriptor(
            ApplicationSupplemented.self, topics: [.intakeEvents],
            summary: "The applicant brought the materials a department asked for; the coordinator resumes the case clock; key = case id."
        ),
        EventDescriptor(
            ApplicationGreenChannelGranted.self, topics: [.intakeEvents],
            summary: "The centre put a case on the green channel after submission (Art 40), with its approval; the coordinator lists its tasks first; key = case id."
        ),
        EventDescriptor(
            ApplicationAgentAssigned.self, topics: [.intakeEvents],
            summary: "The centre assigned (or reassigned) its staff member as the applicant's agent for the whole procedure (Art 40); key = case id."
        ),
        // Coordinator.
        EventDescriptor(
            TaskAssigned.self, topics: [.coordinatorEvents],
            summary: "A department must act on a case: its task, with the case, item, materials summary, due date and the department's sub-deadline; key = case id."
        ),
        EventDescriptor(
            TaskOpinionRecorded.self, topics: [.coordinatorEvents],
            summary: "A department gave its opinion on its task (approve, deny with reasons, needs supplement with the list); key = case id."
        ),
        EventDescriptor(
            TaskCountersigned.self, topics: [.coordinatorEvents],
            summary: "The department's chief representative or filed substitute countersigned its opinion; key = case id."
        ),
        EventDescriptor(
            CaseDecided.self, topics: [.coordinatorEvents],
            summary: "All opinions are in: approved (one decision per department) or denied (every reason); the documents went to be sealed; key = case id."
        ),
        EventDescriptor(
            SupplementRequested.self, topics: [.coordinatorEvents],
            summary: "A department needs the applicant to supplement materials; the case clock stands still until they arrive; key = case id."
        ),
        EventDescriptor(
            ClockChanged.self, topics: [.coordinatorEvents],
            summary: "An entry of the case's due-date ledger: clock suspended, resumed or extended, with the due date before and after; key = case id."
        ),
        EventDescriptor(
            DeadlineWarningRaised.self, topics: [.coordinatorEvents],
            summary: "A task or case has used the configured share of its time; key = case id."
        ),
        EventDescriptor(
            DeadlineEscalated.self, topics: [.coordinatorEvents],
            summary: "A task is past its sub-deadline (escalated to the lead department) or a case past its due date (to the centre); key = case id."
        ),
        EventDescriptor(
            CaseCompleted.self, topics: [.coordinatorEvents],
            summary: "Every decision of the case is sealed: completion time = last seal time, on time or late against the ledger's due date; key = case id."
        ),
        EventDescriptor(
            BundleCompleted.self, topics: [.coordinatorEvents],
            summary: "Every case of a one-thing-one-go bundle is completed; key = bundle id."
        ),
        EventDescriptor(
            CasePriorityChanged.self, topics: [.coordinatorEvents],
            summary: "A routed case went on the green channel (Art 40): its approval and each open task with its department, to be handled first; key = case id."
        ),
        EventDescriptor(
            ReviewConvened.self, topics: [.coordinatorEvents],
            summary: "The lead's chief representative convened a joint review meeting; key = case id."
        ),
        EventDescriptor(
            ReviewMinuted.self, topics: [.coordinatorEvents],
            summary: "The minutes of a joint review meeting with each department's position; key = case id."
        ),
        EventDescriptor(
            CommandRejected.self, topics: [.coordinatorEvents],
            summary: "The coordinator refused a department's command, with a reason code; nothing changed; key = case id (or task id)."
        ),
        // Department commands (written by department systems).
        EventDescriptor(
            OpinionSubmitted.self, topics: [.coordinatorDepartmentCommands],
            summary: "A department system gives its opinion on a task, optionally countersigned at once."
        ),
        EventDescriptor(
            CountersignSubmitted.self, topics: [.coordinatorDepartmentCommands],
            summary: "A department's chief representative or filed substitute countersigns the opinion on a task."
        ),
        EventDescriptor(
            SuspensionRequested.self, topics: [.coordinatorDepartmentCommands],
            summary: "A department stops the case clock for an Art 34 category, on a written notice to the applicant."
        ),
        EventDescriptor(
            ResumeRequested.self, topics: [.coordinatorDepartmentCommands],
            summary: "A department restarts a suspended case clock."
        ),
        EventDescriptor(
            ExtensionRequested.self, topics: [.coordinatorDepartmentCommands],
            summary: "A department extends the case's due date (at most 10 working days, once, approved by the department head)."
        ),
        // Seal.
        EventDescriptor(
            SealDocumentRequested.self, topics: [.sealRequests],
            summary: "Asks the seal service to apply a department's approval seal to a document (notice or decision)."
        ),
        EventDescriptor(
            DocumentSealed.self, topics: [.sealEvents],
            summary: "A document was sealed: its imprint (serial, sealing time = legal completion time, hashes, Ed25519 signature)."
        ),
        EventDescriptor(
            DocumentRefused.self, topics: [.sealEvents],
            summary: "The seal service refused to seal a document, with a reason code."
        ),
        EventDescriptor(
            SealRegistered.self, topics: [.sealEvents],
            summary: "A department's approval seal was registered, with its custodian, authorised staff, validity and public key."
        ),
        EventDescriptor(
            SealRevoked.self, topics: [.sealEvents],
            summary: "A department's approval seal was revoked, with who, why and its successor."
        ),
        EventDescriptor(
            SealRegisterHead.self, topics: [.sealEvents],
            summary: "Where a seal's register ends (serial and imprint hash), signed with the seal's key, on registration, on revocation and every minute."
        ),
        EventDescriptor(
            ComplaintFiled.self, topics: [.complaintsEvents],
            summary: "A complaint about a window, a department or a staff member was filed (no complainant's identity, no text)."
        ),
        EventDescriptor(
            ComplaintProgressed.self, topics: [.complaintsEvents],
            summary: "A step on a complaint: accepted or not, passed to a department and returned, concluded, sanctions decided, replied, closed, review asked."
        ),
        EventDescriptor(
            SanctionDecided.self, topics: [.complaintsEvents],
            summary: "A sanction on a staff member or a department was decided, resting on substantiated complaints; the department concerned acts on it."
        ),
        EventDescriptor(
            RemovalProposed.self, topics: [.complaintsEvents],
            summary: "A staff member has two substantiated complaints within twelve months: removal from the window is proposed to the centre."
        ),
        EventDescriptor(
            ComplaintDeadlineFlagged.self, topics: [.complaintsEvents],
            summary: "A step of a complaint is due today (warning) or past its due date (overdue), in working days."
        ),
        EventDescriptor(
            ComplaintRated.self, topics: [.complaintsEvents],
            summary: "The complainant rated the handling of their complaint (once; no comment text)."
        ),
        EventDescriptor(
            RatingRecorded.self, topics: [.appraisalEvents],
            summary: "The applicant of a completed case rated it (好差评, once); no comment, no identity."
        ),
        EventDescriptor(
            RectificationProgressed.self, topics: [.appraisalEvents],
            summary: "A bad rating's rectification was opened or took a step (called back, verified, fixed or explained, replied), with its next due date."
        ),
        EventDescriptor(
            AppraisalResultPublished.self, topics: [.appraisalEvents],
            summary: "The centre finalised a window staff member's monthly or annual appraisal on Art 24's five dimensions, for their department (Art 23); unfit recommends replacement (Art 25)."
        ),
        EventDescriptor(
            SealAuthorisationsChanged.self, topics: [.sealEvents],
            summary: "A centre administrator replaced the staff allowed to apply a seal besides its custodian, per document kind."
        ),
    ]

    /// The descriptor for `type` at `version`, or `nil` if the catalogue has none.
    public static func descriptor(type: String, version: Int) -> EventDescriptor? {
        all.first { $0.type == type && $0.version == version }
    }

    /// Checks that the envelope's type and version are in the catalogue.
    ///
    /// - Throws: ``ContractError`` with ``ContractError/Code/unknownEventType`` if no version of
    ///   the type is known, ``ContractError/Code/unsupportedVersion`` if the type is known at other versions only.
    public static func check(_ envelope: EventEnvelope) throws {
        if descriptor(type: envelope.type, version: envelope.version) != nil { return }
        if all.contains(where: { $0.type == envelope.type }) {
            throw ContractError(
                .unsupportedVersion, "version \(envelope.version) of '\(envelope.type)' is not in the catalogue",
                fieldPath: "version"
            )
        }
        throw ContractError(.unknownEventType, "event type '\(envelope.type)' is not in the catalogue", fieldPath: "type")
    }
}
