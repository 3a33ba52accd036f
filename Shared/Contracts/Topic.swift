/// A Kafka topic name. All of ServiceHall's topic names are the static members here.
///
/// Each service owns its topics and is the only one that writes to them (``ServiceName/ownedTopics``);
/// a request to another service ("seal this document") goes to a topic the receiving service owns.
///
/// **Key rule.** The Kafka record key is the envelope's `caseId` when the event is about a case,
/// and otherwise the id of the entity the event is about (department, window, staff member, seal,
/// complaint…, for directory and registry events). So everything about one case, or one entity, lands on one
/// partition and is read in the order it was written. Never key by event id or leave the key empty.
public struct Topic: Hashable, Sendable, RawRepresentable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The topic name as Kafka knows it.
    public let rawValue: String

    /// Wraps a topic name. Prefer the static members; this is for test topics and dead-letter topics.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a topic name literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The topic name.
    public var description: String { rawValue }

    /// Events of the front desk: item catalogue, directory (departments, windows, staff, chief
    /// representatives), applications accepted / refused / correction notices, immediate decisions, issuance.
    public static let intakeEvents: Topic = "hall.intake.events"
    /// Events of back-office routing and parallel approval: tasks, countersignatures, clock
    /// suspensions and extensions, warnings, decisions.
    public static let coordinatorEvents: Topic = "hall.coordinator.events"
    /// Commands from department back offices and department systems to the coordinator: opinions,
    /// decisions, requests for clock suspension or extension. Written by systems outside the hall's services.
    public static let coordinatorDepartmentCommands: Topic = "hall.coordinator.department-commands"
    /// Requests to the seal service to seal a document (decision, acceptance or refusal notice).
    public static let sealRequests: Topic = "hall.seal.requests"
    /// Events of the seal service: registry changes, imprints (documents sealed), refusals.
    public static let sealEvents: Topic = "hall.seal.events"
    /// Events of the complaints service: complaints filed, handled, sanctions.
    public static let complaintsEvents: Topic = "hall.complaints.events"
    /// Events of the appraisal service: ratings, rectifications, appraisal results.
    public static let appraisalEvents: Topic = "hall.appraisal.events"

    /// Every fixed topic above, in declaration order (dead-letter topics are per consumer group and not listed).
    public static let all: [Topic] = [
        .intakeEvents, .coordinatorEvents, .coordinatorDepartmentCommands, .sealRequests, .sealEvents,
        .complaintsEvents, .appraisalEvents,
    ]

    /// The dead-letter topic of a consumer group: `"<group>.dlq"`, e.g. `hall.coordinator.dlq`.
    ///
    /// A record the group cannot apply is copied there with its original key, value and headers
    /// plus the ``DeadLetterHeader`` headers, and the group moves on. The group owns its DLQ.
    public static func deadLetter(forConsumerGroup group: String) -> Topic {
        Topic(rawValue: "\(group).dlq")
    }
}

/// The five ServiceHall services; the raw value is the `producer` they write in envelopes.
public enum ServiceName: String, CaseIterable, Sendable, Hashable {
    /// The front desk.
    case intake
    /// Back-office routing and parallel approval.
    case coordinator
    /// The approval-specific seal.
    case seal
    /// Complaints about windows and staff.
    case complaints
    /// Ratings and appraisal.
    case appraisal

    /// The topic where this service publishes its events (and audit records such as
    /// `platform.outbox.republished`).
    public var eventsTopic: Topic {
        switch self {
        case .intake: .intakeEvents
        case .coordinator: .coordinatorEvents
        case .seal: .sealEvents
        case .complaints: .complaintsEvents
        case .appraisal: .appraisalEvents
        }
    }

    /// Every topic this service owns: its events topic plus the inbound request/command topics it serves.
    /// Only the owner creates and configures these topics.
    public var ownedTopics: [Topic] {
        switch self {
        case .intake: [.intakeEvents]
        case .coordinator: [.coordinatorEvents, .coordinatorDepartmentCommands]
        case .seal: [.sealRequests, .sealEvents]
        case .complaints: [.complaintsEvents]
        case .appraisal: [.appraisalEvents]
        }
    }

    /// Topics owned by other services that this service writes requests to (its outbox holds
    /// them, so after a broker lost one it is this service that sends them again).
    public var requestTopics: [Topic] {
        switch self {
        case .intake, .coordinator: [.sealRequests]
        case .seal, .complaints, .appraisal: []
        }
    }

    /// The services whose signature a record on `topic` must carry (``RecordSignatureHeader``):
    /// a service's events topic only its own; seal requests those that ask for seals. Empty for
    /// the department commands topic (department systems sign those; the coordinator checks them
    /// against the directory) and for topics the hall does not know.
    public static func signers(of topic: Topic) -> Set<ServiceName> {
        if topic == .coordinatorDepartmentCommands { return [] }
        var signers = Set(allCases.filter { $0.eventsTopic == topic })
        signers.formUnion(allCases.filter { $0.requestTopics.contains(topic) })
        return signers
    }

    /// The conventional consumer group of this service: `hall.<service>`, whose DLQ is
    /// `hall.<service>.dlq` (``Topic/deadLetter(forConsumerGroup:)``).
    public var defaultConsumerGroup: String { "hall.\(rawValue)" }
}
