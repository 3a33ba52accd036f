import Foundation
import HallContracts
import Logging
import PostgresNIO

/// The hall's directory — departments, windows and staff — as a service learns it from intake's
/// `intake.directory.*` events: tables in the service's own schema, their migration, the
/// handlers that keep them, and look-ups.
///
/// A service adds it with one line in its definition and one in its consumer:
///
/// ```swift
/// migrations: ComplaintsMigrations.all + DirectoryProjection.migrations,
/// …
/// DirectoryProjection.register(on: &router)   // the consumer reads hall.intake.events
/// ```
///
/// Events are applied through the inbox (a redelivery changes nothing), and an event older than
/// the row it would change (`occurredAt`) changes nothing, so out-of-order delivery of one entity's
/// events keeps the later state.
public enum DirectoryProjection {
    /// The projection's migrations, in order: `departments`, `windows` and `staff` in the
    /// service's schema (tables a service kept as its own copy before are brought to the same
    /// columns, their rows kept), then the departments' heads and document codes.
    public static let migrations = [migration, heads]

    static let migration = Migration(
        component: "directory", version: 1, name: "directory projection (departments, windows, staff)",
        statements: [
            """
            CREATE TABLE IF NOT EXISTS departments (
                department_id text PRIMARY KEY,
                name text NOT NULL,
                active boolean NOT NULL,
                centre boolean NOT NULL DEFAULT false,
                chief_staff_id text,
                substitute_staff_id text,
                substitute_notice text,
                substitute_from date,
                substitute_to date,
                occurred_at timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS windows (
                window_id text PRIMARY KEY,
                name text NOT NULL,
                kind text NOT NULL,
                department_ids text[] NOT NULL,
                active boolean NOT NULL,
                occurred_at timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS staff (
                staff_id text PRIMARY KEY,
                name text NOT NULL,
                department_id text NOT NULL,
                window_id text,
                qualified boolean NOT NULL,
                active boolean NOT NULL,
                occurred_at timestamptz NOT NULL
            )
            """,
            "ALTER TABLE departments ADD COLUMN IF NOT EXISTS centre boolean NOT NULL DEFAULT false",
            "ALTER TABLE departments ALTER COLUMN substitute_from TYPE date USING NULLIF(substitute_from::text, '')::date",
            "ALTER TABLE departments ALTER COLUMN substitute_to TYPE date USING NULLIF(substitute_to::text, '')::date",
            "ALTER TABLE windows ADD COLUMN IF NOT EXISTS name text NOT NULL DEFAULT ''",
            "ALTER TABLE staff ADD COLUMN IF NOT EXISTS name text NOT NULL DEFAULT ''",
            "ALTER TABLE staff ADD COLUMN IF NOT EXISTS qualified boolean NOT NULL DEFAULT false",
        ])

    /// Each department's head (主管领导, Art 22), who approves extensions, and its document code.
    static let heads = Migration(
        component: "directory", version: 2, name: "department heads and document codes",
        statements: [
            "ALTER TABLE departments ADD COLUMN IF NOT EXISTS head_id text",
            "ALTER TABLE departments ADD COLUMN IF NOT EXISTS document_code text",
        ])

    /// Adds the handlers of the three directory events to a consumer's router.
    public static func register(on router: inout EventRouter) {
        router.on(DepartmentChanged.self) { event, envelope, context in
            try await apply(event, occurredAt: envelope.occurredAt, on: context.connection, schema: context.outbox.schema, logger: context.logger)
        }
        router.on(WindowChanged.self) { event, envelope, context in
            try await apply(event, occurredAt: envelope.occurredAt, on: context.connection, schema: context.outbox.schema, logger: context.logger)
        }
        router.on(StaffChanged.self) { event, envelope, context in
            try await apply(event, occurredAt: envelope.occurredAt, on: context.connection, schema: context.outbox.schema, logger: context.logger)
        }
    }

    /// Upserts a department; an older `occurredAt` than the stored one changes nothing.
    public static func apply(
        _ event: DepartmentChanged, occurredAt: Date, on connection: PostgresConnection, schema: String, logger: Logger
    ) async throws {
        let substitute = event.substitute
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).departments AS d
                (department_id, name, active, centre, chief_staff_id, substitute_staff_id, substitute_notice, substitute_from, substitute_to,
                 head_id, document_code, occurred_at)
            VALUES (\(event.departmentId), \(event.name), \(event.active), \(event.centre), \(event.chiefRepresentative?.staffId),
                    \(substitute?.staffId), \(substitute?.noticeReference), \(substitute?.from)::date, \(substitute?.to)::date,
                    \(event.head?.personId), \(event.documentCode), \(occurredAt))
            ON CONFLICT (department_id) DO UPDATE SET
                name = EXCLUDED.name, active = EXCLUDED.active, centre = EXCLUDED.centre, chief_staff_id = EXCLUDED.chief_staff_id,
                substitute_staff_id = EXCLUDED.substitute_staff_id, substitute_notice = EXCLUDED.substitute_notice,
                substitute_from = EXCLUDED.substitute_from, substitute_to = EXCLUDED.substitute_to, head_id = EXCLUDED.head_id,
                document_code = EXCLUDED.document_code, occurred_at = EXCLUDED.occurred_at
            WHERE d.occurred_at <= EXCLUDED.occurred_at
            """, logger: logger)
    }

    /// Upserts a window; an older `occurredAt` than the stored one changes nothing.
    public static func apply(
        _ event: WindowChanged, occurredAt: Date, on connection: PostgresConnection, schema: String, logger: Logger
    ) async throws {
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).windows AS w (window_id, name, kind, department_ids, active, occurred_at)
            VALUES (\(event.windowId), \(event.name), \(event.kind.rawValue), \(event.departmentIds), \(event.active), \(occurredAt))
            ON CONFLICT (window_id) DO UPDATE SET
                name = EXCLUDED.name, kind = EXCLUDED.kind, department_ids = EXCLUDED.department_ids, active = EXCLUDED.active,
                occurred_at = EXCLUDED.occurred_at
            WHERE w.occurred_at <= EXCLUDED.occurred_at
            """, logger: logger)
    }

    /// Upserts a staff member; an older `occurredAt` than the stored one changes nothing.
    public static func apply(
        _ event: StaffChanged, occurredAt: Date, on connection: PostgresConnection, schema: String, logger: Logger
    ) async throws {
        try await connection.run(
            """
            INSERT INTO \(unescaped: schema).staff AS s (staff_id, name, department_id, window_id, qualified, active, occurred_at)
            VALUES (\(event.staffId), \(event.name), \(event.departmentId), \(event.windowId), \(event.qualified), \(event.active), \(occurredAt))
            ON CONFLICT (staff_id) DO UPDATE SET
                name = EXCLUDED.name, department_id = EXCLUDED.department_id, window_id = EXCLUDED.window_id,
                qualified = EXCLUDED.qualified, active = EXCLUDED.active, occurred_at = EXCLUDED.occurred_at
            WHERE s.occurred_at <= EXCLUDED.occurred_at
            """, logger: logger)
    }

    /// The active windows with the departments each serves, ordered by id.
    public static func activeWindows(client: PostgresClient, schema: String, logger: Logger) async throws -> [DirectoryWindow] {
        let rows = try await client.run(
            """
            SELECT window_id, name, kind, department_ids FROM \(unescaped: schema).windows WHERE active ORDER BY window_id
            """, logger: logger)
        var windows: [DirectoryWindow] = []
        for try await (id, name, kind, departments) in rows.decode((String, String, String, [String]).self) {
            windows.append(DirectoryWindow(windowId: id, name: name, kind: kind, departmentIds: departments))
        }
        return windows
    }

    /// The active departments (the hall centre included), ordered by id.
    public static func activeDepartments(client: PostgresClient, schema: String, logger: Logger) async throws -> [DirectoryDepartment] {
        let rows = try await client.run(
            "SELECT department_id, name, centre FROM \(unescaped: schema).departments WHERE active ORDER BY department_id", logger: logger)
        var departments: [DirectoryDepartment] = []
        for try await (id, name, centre) in rows.decode((String, String, Bool).self) {
            departments.append(DirectoryDepartment(departmentId: id, name: name, centre: centre))
        }
        return departments
    }

    /// Whether `departmentId` is an active department: what a token's `department` claim is checked against.
    public static func isActiveDepartment(_ departmentId: String, client: PostgresClient, schema: String, logger: Logger) async throws -> Bool {
        try await !client.run(
            "SELECT 1 FROM \(unescaped: schema).departments WHERE department_id = \(departmentId) AND active", logger: logger
        ).decode(Int.self).collectAll().isEmpty
    }
}

/// A window as the directory projection knows it.
public struct DirectoryWindow: Codable, Sendable, Hashable {
    /// The window's id.
    public var windowId: String
    /// Its name, as posted at the window.
    public var name: String
    /// `comprehensive`, `department` or `discipline`.
    public var kind: String
    /// The departments whose items it handles.
    public var departmentIds: [String]

    /// Creates a window.
    public init(windowId: String, name: String, kind: String, departmentIds: [String]) {
        self.windowId = windowId
        self.name = name
        self.kind = kind
        self.departmentIds = departmentIds
    }
}

/// A department as the directory projection knows it.
public struct DirectoryDepartment: Codable, Sendable, Hashable {
    /// The department's id.
    public var departmentId: String
    /// Its name.
    public var name: String
    /// Whether it is the hall centre.
    public var centre: Bool

    /// Creates a department.
    public init(departmentId: String, name: String, centre: Bool) {
        self.departmentId = departmentId
        self.name = name
        self.centre = centre
    }
}
