import Foundation

// The coordinator's answer to a refused department command, on `hall.coordinator.events`.
// Keys, dates and instants: see CoordinatorValues.swift.

/// `coordinator.command.rejected` v1: the coordinator refused a department's command (HTTP or
/// Kafka), with a stable reason code. Nothing was changed. `causationId` = the command's envelope id
/// (for Kafka commands).
public struct CommandRejected: EventPayload, Hashable {
    public static let eventType = "coordinator.command.rejected"
    public static let eventVersion = 1

    /// The command's envelope id (Kafka) or request id (HTTP).
    public var commandId: String
    /// The command's type, e.g. `department.task.opinion-submitted` or `http:POST /v1/tasks/{taskId}/opinion`.
    public var commandType: String
    /// The department named on the command.
    public var departmentId: String
    public var taskId: String?
    public var reason: CommandRejection
    public var detail: String
    public var rejectedAt: Date

    public init(
        commandId: String, commandType: String, departmentId: String, taskId: String?, reason: CommandRejection, detail: String, rejectedAt: Date
    ) {
        self.commandId = commandId
        self.commandType = commandType
        self.departmentId = departmentId
        self.taskId = taskId
        self.reason = reason
        self.detail = detail
        self.rejectedAt = rejectedAt
    }

    enum CodingKeys: String, CodingKey { case commandId, commandType, departmentId, taskId, reason, detail, rejectedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        commandId = try c.decodeNonEmptyString(forKey: .commandId)
        commandType = try c.decodeNonEmptyString(forKey: .commandType)
        departmentId = try c.decodeNonEmptyString(forKey: .departmentId)
        taskId = try c.decodeNonEmptyStringIfPresent(forKey: .taskId)
        reason = try c.decode(CommandRejection.self, forKey: .reason)
        detail = try c.decodeNonEmptyString(forKey: .detail)
        rejectedAt = try c.decode(Date.self, forKey: .rejectedAt)
    }
}
