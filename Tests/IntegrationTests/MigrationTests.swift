import HallKit
import HallLocalStack
import PostgresNIO
import Testing

@Suite("Schema migrations", .enabled(if: stackAvailable))
struct MigrationTests {
    let migrations = PlatformMigrations.all + [
        Migration(component: "svc", version: 1, name: "things", statements: ["CREATE TABLE things (id int PRIMARY KEY)"]),
        Migration(component: "svc", version: 2, name: "more", statements: ["ALTER TABLE things ADD COLUMN name text"]),
    ]

    @Test("a second run applies nothing")
    func secondRunIsNoop() async throws {
        try await ScratchDatabase.with(migrate: false) { database in
            let first = try await Migrator.migrate(migrations, schema: database.schema, client: database.client, logger: LocalStack.logger())
            let second = try await Migrator.migrate(migrations, schema: database.schema, client: database.client, logger: LocalStack.logger())
            #expect(first.count == migrations.count)
            #expect(second.isEmpty)
        }
    }

    @Test("two instances migrating at once apply each migration exactly once")
    func concurrent() async throws {
        try await ScratchDatabase.with(migrate: false) { database in
            async let a = Migrator.migrate(migrations, schema: database.schema, client: database.client, logger: LocalStack.logger())
            async let b = Migrator.migrate(migrations, schema: database.schema, client: database.client, logger: LocalStack.logger())
            let (first, second) = try await (a, b)
            #expect(first.count + second.count == migrations.count)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).schema_migrations") == migrations.count)
        }
    }

    @Test("an applied migration that was edited stops the start-up, naming it")
    func editedMigration() async throws {
        try await ScratchDatabase.with(migrate: false) { database in
            try await Migrator.migrate(migrations, schema: database.schema, client: database.client, logger: LocalStack.logger())
            var edited = migrations
            edited[edited.count - 1].statements = ["ALTER TABLE things ADD COLUMN label text"]
            await #expect {
                try await Migrator.migrate(edited, schema: database.schema, client: database.client, logger: LocalStack.logger())
            } throws: { error in
                (error as? HallError)?.message.contains("svc #2 'more' was changed") == true
            }
        }
    }

    @Test("a failing migration leaves nothing half-applied")
    func failingMigration() async throws {
        try await ScratchDatabase.with(migrate: false) { database in
            let broken = migrations + [
                Migration(component: "svc", version: 3, name: "broken", statements: ["CREATE TABLE ok_table (id int)", "CREATE TABLE nope ("]),
            ]
            await #expect(throws: HallError.self) {
                try await Migrator.migrate(broken, schema: database.schema, client: database.client, logger: LocalStack.logger())
            }
            let tables = try await database.count("SELECT count(*)::bigint FROM pg_tables WHERE schemaname = '\(database.schema)'")
            #expect(tables == 0)
        }
    }
}
