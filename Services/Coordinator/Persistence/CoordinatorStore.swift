import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// An event to append once the command's checks pass, in the command's transaction.
struct PendingEvent: Sendable {
    var payload: any EventPayload
    var topic: Topic
    var key: String
    var caseId: String?
    /// The event this one follows from, when it is not the one the consumer is applying (batches).
    var cause: EventEnvelope?

    init(_ payload: any EventPayload, topic: Topic = .coordinatorEvents, caseId: String) {
        self.payload = payload
        self.topic = topic
        self.key = caseId
        self.caseId = caseId
    }

    init(_ payload: any EventPayload, key: String) {
        self.payload = payload
        self.topic = .coordinatorEvents
        self.key = key
        self.caseId = nil
    }
}

/// The coordinator schema: directory projections, cases, tasks, the due-date ledger, decisions and
/// durable timers. Every change and its events commit in one transaction (outbox); events from
/// other services are applied through the inbox on the consumer's connection.
struct CoordinatorStore: Sendable {
    let client: PostgresClient
    let schema: String
    let outbox: Outbox
    let clock: CaseClock
    let logger: Logger
    /// The service's clock (tests move it).
    let now: @Sendable () -> Date

    init(client: PostgresClient, schema: String, clock: CaseClock, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.schema = schema
        self.outbox = Outbox(schema: schema)
        self.clock = clock
        self.logger = logger
        self.now = now
    }

    // MARK: Transactions with events

    /// Runs `body` in a transaction and appends the events it produced, with `correlation` as
    /// correlation id (HTTP: the request id).
    func command<Result: Sendable>(
        correlation: String? = nil, _ body: @Sendable (PostgresConnection, inout [PendingEvent]) async throws -> Result
    ) async throws -> Result {
        try await client.transaction(logger: logger) { connection in
            var events: [PendingEvent] = []
            let result = try await body(connection, &events)
            try await outbox.append(
                try events.map { pending in
                    OutgoingEvent(
                        topic: pending.topic, key: pending.key,
                        envelope: try EventEnvelope(
                            payload: pending.payload, producer: ServiceName.coordinator.rawValue, caseId: pending.caseId, correlationId: correlation.flatMap(UUID.init(uuidString:))))
                }, on: connection, logger: logger)
            return result
        }
    }

    /// Appends `events` as follow-ups of the event a consumer is applying (or of the event each one
    /// names as its cause, in a batch), in one outbox statement.
    func emit(_ events: [PendingEvent], context: HandlerContext) async throws {
        guard !events.isEmpty else { return }
        let outgoing = try events.map { pending in
            try (pending.cause.map(context.applying) ?? context).followUp(pending.payload, to: pending.topic, caseId: pending.caseId, key: pending.key)
        }
        try await context.outbox.append(outgoing, on: context.connection, logger: context.logger)
    }

    // MARK: Directory projections

    /// Applies a directory event to the shared projection (``DirectoryProjection``); an older
    /// `occurredAt` than the stored one changes nothing.
    func apply(_ department: DepartmentChanged, occurredAt: Date, on connection: PostgresConnection) async throws {
        try await DirectoryProjection.apply(department, occurredAt: occurredAt, on: connection, schema: schema, logger: logger)
    }

    /// Applies a directory event to the shared projection (``DirectoryProjection``).
    func apply(_ window: WindowChanged, occurredAt: Date, on connection: PostgresConnection) async throws {
        try await DirectoryProjection.apply(window, occurredAt: occurredAt, on: connection, schema: schema, logger: logger)
    }

    /// Applies a directory event to the shared projection (``DirectoryProjection``).
    func apply(_ staff: StaffChanged, occurredAt: Date, on connection: PostgresConnection) async throws {
        try await DirectoryProjection.apply(staff, occurredAt: occurredAt, on: connection, schema: schema, logger: logger)
    }

    /// In what capacity `staffId` may countersign for `departmentId` today: the chief
    /// representative, or the substitute on a filed notice whose days include today (Art 27).
    func countersignCapacity(
        staffId: String, departmentId: String, on connection: PostgresConnection
    ) async throws -> (capacity: CountersignCapacity, notice: String?)? {
        let today = LocalDate.inHall(now()).description
        let rows = try await connection.select(
            """
            SELECT chief_staff_id, substitute_staff_id, substitute_notice,
                   (substitute_from <= \(today)::date AND substitute_to >= \(today)::date) AS substitute_in_force
            FROM \(unescaped: schema).departments WHERE department_id = \(departmentId) AND active
            """, logger: logger
        ).decode((String?, String?, String?, Bool?).self).collectAll()
        guard let row = rows.first else { return nil }
        return Self.capacity(of: staffId, chief: row.0, substitute: row.1, notice: row.2, inForce: row.3)
    }

    /// In which capacity `staffId` countersigns for a department with this chief representative and
    /// filed substitute (in force today or not); nil when they may not.
    static func capacity(
        of staffId: String, chief: String?, substitute: String?, notice: String?, inForce: Bool?
    ) -> (capacity: CountersignCapacity, notice: String?)? {
        if chief == staffId { return (.chiefRepresentative, nil) }
        if substitute == staffId, inForce == true { return (.substitute, notice) }
        return nil
    }

    /// The hall window where `staffId` applies the department's seal: their own window when it is an
    /// open hall window serving the department, else the first such window (the seal service checks it again).
    func sealWindow(staffId: String, departmentId: String, on connection: PostgresConnection) async throws -> String {
        let rows = try await connection.select(
            """
            SELECT w.window_id FROM \(unescaped: schema).windows w
            LEFT JOIN \(unescaped: schema).staff s ON s.staff_id = \(staffId) AND s.window_id = w.window_id
            WHERE w.active AND w.kind <> 'discipline' AND \(departmentId) = ANY (w.department_ids)
            ORDER BY (s.staff_id IS NULL), w.window_id LIMIT 1
            """, logger: logger
        ).decode(String.self).collectAll()
        return rows.first ?? "none"
    }

    // MARK: Rejections

    /// Records a refused command (its own transaction for HTTP; the inbox's for Kafka).
    func recordRejection(
        _ refusal: CommandRefusal, commandId: String, commandType: String, departmentId: String, taskId: String?, caseId: String?,
        on connection: PostgresConnection
    ) async throws -> CommandRejected {
        let rejected = CommandRejected(
            commandId: commandId, commandType: commandType, departmentId: departmentId, taskId: taskId, reason: refusal.reason,
            detail: refusal.detail, rejectedAt: now())
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).rejections (command_id, command_type, department_id, task_id, case_id, reason, detail, rejected_at)
            VALUES (\(commandId), \(commandType), \(departmentId), \(taskId), \(caseId), \(refusal.reason.rawValue), \(refusal.detail), \(rejected.rejectedAt))
            """, logger: logger)
        return rejected
    }

    /// Records an HTTP refusal and publishes it on the coordinator's events (department systems
    /// following their reply stream see HTTP refusals too).
    func recordHTTPRejection(
        _ refusal: CommandRefusal, requestId: String, route: String, departmentId: String, taskId: String?, caseId: String?
    ) async {
        do {
            try await command(correlation: requestId) { connection, events in
                // A refusal on a task route names the task's case too, as a refusal over Kafka does.
                var caseId = caseId
                if caseId == nil, let taskId {
                    caseId = try await connection.select(
                        "SELECT case_id::text FROM \(unescaped: schema).tasks WHERE task_id::text = \(taskId)", logger: logger
                    ).decode(String.self).collectAll().first
                }
                let rejected = try await recordRejection(
                    refusal, commandId: requestId, commandType: "http:\(route)", departmentId: departmentId, taskId: taskId, caseId: caseId,
                    on: connection)
                events.append(caseId.map { PendingEvent(rejected, caseId: $0) } ?? PendingEvent(rejected, key: taskId ?? departmentId))
            }
        } catch {
            logger.error("recording a refused command failed", metadata: [LogKey.error: "\(error)"])
        }
    }
}

