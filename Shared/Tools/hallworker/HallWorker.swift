import ArgumentParser
import Foundation
import HallContracts
import HallKafka
import HallKit
import HallTestSupport
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
        let logger = TestEnvironment.logger("hallworker")
        let url = try requireValue(TestEnvironment.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL")
        let database = try DatabaseConfiguration(url: url, key: "HALL_ADMIN_DATABASE_URL", schema: schema, poolSize: 5)
        let client = PostgresClient(configuration: database.clientConfiguration(), backgroundLogger: logger)
        let kafka = try TestKafka.stack()
        let producer = try kafka.producer()
        let work: any Service
        switch role {
        case .relay:
            let faults = crashAfterDelivery ? OutboxRelayFaults { _ in kill(getpid(), SIGKILL) } : nil
            work = OutboxRelay(client: client, schema: schema, producer: producer, logger: logger, faults: faults)
        case .consume:
            let topic = try requireValue(topic, "--topic")
            let group = try requireValue(group, "--group")
            let faults = crashAfterCommit ? InboxConsumerFaults { _ in kill(getpid(), SIGKILL) } : nil
            work = InboxConsumer(
                configuration: InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: group, topics: [topic])),
                client: client, schema: schema, serviceName: "worker", handler: Effects.handler(schema: schema, appliedBy: name),
                deadLetters: producer, logger: logger, faults: faults)
        }
        let group = ServiceGroup(
            configuration: .init(services: [client, producer, work], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        FileHandle.standardOutput.write(Data("ready\n".utf8))
        try await group.run()
    }
}
