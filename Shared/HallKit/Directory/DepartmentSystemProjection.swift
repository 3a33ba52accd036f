import Foundation
import HallContracts
import Logging
import PostgresNIO

/// The department systems registered with the centre, as a service learns them from intake's
/// `intake.directory.department-system-changed` events: who may sign commands for which department,
/// with which key. The coordinator checks every department command against it.
///
/// ```swift
/// migrations: CoordinatorMigrations.all + [DepartmentSystemProjection.migration],
/// …
/// DepartmentSystemProjection.register(on: &router)   // the consumer reads hall.intake.events
/// ```
public enum DepartmentSystemProjection {
    /// Creates `department_systems` in the service's schema.
    public static let migration = Migration(
        component: "department-systems", version: 1, name: "department systems and their keys",
        statements: [
            """
            CREATE TABLE IF NOT EXISTS department_systems (
                system_id text PRIMARY KEY,
                department_id text NOT NULL,
                name text NOT NULL,
                public_key text NOT NULL,
                active boolean NOT NULL,
                occurred_at timestamptz NOT NULL
            )
            """
        ])

    /// Adds the handler of `intake.directory.department-system-changed` to a consumer's router.
    public static func register(on router: inout EventRouter) {
        router.on(DepartmentSystemChanged.self) { event, envelope, context in
            try await context.connection.run(
                """
                INSERT INTO \(unescaped: context.outbox.schema).department_systems AS s
                    (system_id, department_id, name, public_key, active, occurred_at)
                VALUES (\(event.systemId), \(event.departmentId), \(event.name), \(event.publicKey), \(event.active), \(envelope.occurredAt))
                ON CONFLICT (system_id) DO UPDATE SET
                    department_id = EXCLUDED.department_id, name = EXCLUDED.name, public_key = EXCLUDED.public_key,
                    active = EXCLUDED.active, occurred_at = EXCLUDED.occurred_at
                WHERE s.occurred_at <= EXCLUDED.occurred_at
                """, logger: context.logger)
        }
    }

    /// Why the signed `record` may not act for `departmentId`, or nil when it may: it must be
    /// signed, by an active system registered for that department, with a signature that verifies
    /// with the system's registered key.
    public static func distrust(
        _ record: SignedRecord?, actingFor departmentId: String, on connection: PostgresConnection, schema: String, logger: Logger
    ) async throws -> String? {
        guard let record else {
            return "the command is not signed (\(RecordSignatureHeader.signer), \(RecordSignatureHeader.signature)) by a department system registered with the centre"
        }
        let row = try await connection.select(
            "SELECT department_id, public_key, active FROM \(unescaped: schema).department_systems WHERE system_id = \(record.signer)",
            logger: logger
        ).decode((String, String, Bool).self).collectAll().first
        guard let (department, publicKey, active) = row, active else {
            return "the signer is not an active department system registered with the centre"
        }
        guard department == departmentId else {
            return "the signer is a system of another department than \(departmentId)"
        }
        guard record.verifies(publicKey: publicKey) else {
            return "the signature does not verify with the signer's registered key"
        }
        return nil
    }
}
