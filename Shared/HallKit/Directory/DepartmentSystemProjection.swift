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
        guard let record else { return verdict(nil, actingFor: departmentId, system: nil) }
        let row = try await connection.select(
            "SELECT department_id, public_key, active FROM \(unescaped: schema).department_systems WHERE system_id = \(record.signer)",
            logger: logger
        ).decode((String, String, Bool).self).collectAll().first
        return verdict(record, actingFor: departmentId, system: row.map { System(departmentId: $0.0, publicKey: $0.1, active: $0.2) })
    }

    /// ``distrust(_:actingFor:on:schema:logger:)`` for each of a batch's commands, their signers
    /// looked up together.
    public static func distrust(
        _ commands: [(record: SignedRecord?, departmentId: String)], on connection: PostgresConnection, schema: String, logger: Logger
    ) async throws -> [String?] {
        let signers = Array(Set(commands.compactMap { $0.record?.signer }))
        var systems: [String: System] = [:]
        if !signers.isEmpty {
            for try await (id, department, key, active) in try await connection.select(
                "SELECT system_id, department_id, public_key, active FROM \(unescaped: schema).department_systems WHERE system_id = ANY(\(signers)::text[])",
                logger: logger
            ).decode((String, String, String, Bool).self) {
                systems[id] = System(departmentId: department, publicKey: key, active: active)
            }
        }
        return commands.map { verdict($0.record, actingFor: $0.departmentId, system: $0.record.flatMap { systems[$0.signer] }) }
    }

    /// A registered system as the checks read it.
    private struct System {
        var departmentId: String
        var publicKey: String
        var active: Bool
    }

    private static func verdict(_ record: SignedRecord?, actingFor departmentId: String, system: System?) -> String? {
        guard let record else {
            return "the command is not signed (\(RecordSignatureHeader.signer), \(RecordSignatureHeader.signature)) by a department system registered with the centre"
        }
        guard let system, system.active else {
            return "the signer is not an active department system registered with the centre"
        }
        guard system.departmentId == departmentId else {
            return "the signer is a system of another department than \(departmentId)"
        }
        guard record.verifies(publicKey: system.publicKey) else {
            return "the signature does not verify with the signer's registered key"
        }
        return nil
    }
}
