import ArgumentParser
import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import Logging
import PostgresNIO
import ServiceLifecycle

/// A stand-alone relay or consumer over a test schema, run as its own process by the integration
/// tests so that they can kill it for real (SIGKILL), including at the exact moments that matter:
/// after the broker acknowledged a batch but before the bucket cursors move past it, and after the
/// consumer committed its effects but before it stored the offsets.
@main
struct HallWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hallworker", abstract: "Test worker: an outbox relay or an inbox consumer over a test schema (used by IntegrationTests).")

    enum Role: String, ExpressibleByArgument { case relay, consume }

    @Argument(help: "relay or consume")
    var role: Role

    @Option(help: "Schema with the outbox, inbox and effects tables.")
    var schema: String

    @Option(help: "Topic to consume (consume).")
    var topic: String?

    @Option(help: "Consumer group (consume).")
    var group: String?

    @Option(help: "Name recorded with each applied effect.")
    var name = "worker"

    @Flag(help: "SIGKILL this process right after the first delivered batch, before its cursors move past it.")
    var crashAfterDelivery = false

    @Flag(help: "SIGKILL this process right after the first committed batch, before storing its offsets.")
    var crashAfterCommit = false

    func run() async throws {
        let logger = LocalStack.logger("hallworker")
        let url = try requireValue(LocalStack.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL")
        let database = try DatabaseConfiguration(url: url, key: "HALL_ADMIN_DATABASE_URL", schema: schema, poolSize: 5)
        let client = PostgresClient(configuration: database.clientConfiguration(), backgroundLogger: logger)
        let kafka = try LocalKafka.stack()
        let producer = try kafka.producer()
        let work: any Service
        // The crashes happen at the exact moment without any hook in the production code: the
        // worker holds the moment open from outside (a row lock, a commit interval) and watches
        // for it in the database.
        var crash: (any Service)?
        switch role {
        case .relay:
            let gate = StartupGate()
            work = OutboxRelay(client: client, schema: schema, producer: producer, logger: logger, gate: crashAfterDelivery ? gate : nil)
            if crashAfterDelivery { crash = CrashAfterDelivery(client: client, schema: schema, gate: gate, logger: logger) }
        case .consume:
            let topic = try requireValue(topic, "--topic")
            let group = try requireValue(group, "--group")
            var kafkaConfiguration = kafka.consumerConfiguration(group: group, topics: [topic])
            // Stored offsets go to the group only every hour (or on a close, which SIGKILL skips):
            // a worker killed once its first batch committed has committed no offset.
            if crashAfterCommit { kafkaConfiguration.commitInterval = .seconds(3600) }
            work = InboxConsumer(
                configuration: InboxConsumerConfiguration(kafka: kafkaConfiguration),
                client: client, schema: schema, serviceName: "worker", handler: Effects.handler(schema: schema, appliedBy: name),
                deadLetters: producer, logger: logger)
            if crashAfterCommit { crash = CrashAfterCommit(client: client, schema: schema, appliedBy: name, logger: logger) }
        }
        let group = ServiceGroup(
            configuration: .init(services: [client, producer, work] + (crash.map { [$0] } ?? []), gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        FileHandle.standardOutput.write(Data("ready\n".utf8))
        try await group.run()
    }
}

/// Kills the process once the relay has had a batch acknowledged by the broker and waits to move
/// the bucket cursors past it. The worker locks every cursor row before the relay starts (the
/// relay reads cursors without locking them, and moves them with an `UPDATE`), so the relay's
/// `UPDATE` waits on the lock — which it reaches only after every delivery report of the batch.
struct CrashAfterDelivery: Service {
    let client: PostgresClient
    let schema: String
    let gate: StartupGate
    let logger: Logger

    func run() async throws {
        try await client.withConnection { connection in
            try await connection.run("BEGIN", logger: logger)
            try await connection.run("SELECT bucket FROM \(unescaped: schema).outbox_cursor FOR UPDATE", logger: logger)
            gate.open()
            while true {
                // Asked on another connection: within the locking transaction the statistics views
                // keep the snapshot of their first read.
                let waiting = try await client.run(
                    """
                    SELECT count(*)::int FROM pg_stat_activity
                    WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE%outbox_cursor%' AND pid <> pg_backend_pid()
                    """, logger: logger
                ).collect()
                if try waiting.first?.decode(Int.self) ?? 0 > 0 { kill(getpid(), SIGKILL) }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}

/// Kills the process as soon as the consumer's first transaction committed effects (offsets are
/// stored after the commit but, with an hour's commit interval, never reach the group).
struct CrashAfterCommit: Service {
    let client: PostgresClient
    let schema: String
    let appliedBy: String
    let logger: Logger

    func run() async throws {
        while true {
            let applied = try await client.run(
                "SELECT count(*)::int FROM \(unescaped: schema).effects WHERE applied_by = \(appliedBy)", logger: logger
            ).collect()
            if try applied.first?.decode(Int.self) ?? 0 > 0 { kill(getpid(), SIGKILL) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
