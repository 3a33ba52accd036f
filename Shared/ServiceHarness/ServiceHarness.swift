import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import Testing

/// Runs one hall service in process on the test stack, as `HallServiceMain` runs it in
/// production: its own schema and topic namespace, its relay, consumers and HTTP server; then
/// drops the schema.
public enum ServiceHarness {
    /// What a test gets: a client of the service's HTTP API, and a way to publish events to the
    /// service's namespace as their producers would (each with its Kafka key).
    public struct Context: Sendable {
        /// The service's HTTP API.
        public let client: any TestClientProtocol
        /// The schema the service owns in this run.
        public let schema: String
        /// The run's database, scoped to the service's schema (read it as the admin).
        public let database: ScratchDatabase
        /// The Kafka namespace of the run (the schema, unless services share one).
        public let namespace: String
        /// Sends `events` to `topic` (inside the run's namespace), each with its key, and waits
        /// for the broker to store them.
        public let publish: @Sendable (_ topic: Topic, _ events: [(key: String, event: EventEnvelope)]) async throws -> Void
    }

    /// Runs the service that `definition` builds from the run's environment, and `body` once it is ready.
    ///
    /// - Parameters:
    ///   - name: the service (its default schema, port and producer name).
    ///   - extra: further environment keys (the service's own settings).
    ///   - namespace: the Kafka namespace, for services of one test that talk to each other
    ///     (default: the service's own schema, so that the run sees no other test's events).
    public static func run(
        _ name: ServiceName, extra: [String: String] = [:], namespace: String? = nil,
        definition: @Sendable (EnvironmentReader) throws -> HallServiceDefinition,
        _ body: @escaping @Sendable (Context) async throws -> Void
    ) async throws {
        HallMetrics.bootstrap()
        try await ScratchDatabase.with(migrate: false) { database in
            let schema = LocalStack.uniqueName(name.rawValue)
            let namespace = namespace ?? schema
            let environment = EnvironmentReader([
                "HALL_DATABASE_URL": try requireValue(LocalStack.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL"),
                "HALL_DATABASE_SCHEMA": schema,
                "HALL_KAFKA_BROKERS": try requireValue(LocalStack.kafkaBrokers, "HALL_KAFKA_BROKERS").joined(separator: ","),
                // Tokens are verified against the local identity provider; the secret only derives the applicant check's key.
                "HALL_JWT_ISSUER": try requireValue(LocalStack.issuerURL, "HALL_JWT_ISSUER"),
                "HALL_JWT_SECRET": String(repeating: "s", count: 32),
                "HALL_HTTP_PORT": "0",
                "HALL_KAFKA_PARTITIONS": "1",
                "HALL_KAFKA_NAMESPACE": namespace,
                // Tests poll the public views from one address; the limit has its own test.
                "HALL_PUBLIC_LOOKUPS_PER_MINUTE": "100000",
                // As the superuser, which may do anything; the guard of append-only tables is tested with real roles.
                "HALL_APPEND_ONLY_CHECK": "off",
            ].merging(HallSigners.environment(for: name.rawValue)) { $1 }.merging(LocalStack.recordResponses.map { ["HALL_RECORD_RESPONSES": $0] } ?? [:]) { $1 }.merging(extra) { $1 })
            let configuration = try ServiceConfiguration(serviceName: name.rawValue, defaultPort: 0, environment: environment)
            let app = try await HallServiceMain.makeApplication(
                try definition(environment), configuration: configuration, logger: LocalStack.logger())
            let producer = try LocalKafka.stack().producer()
            do {
                try await app.test(.live) { client in
                    try await eventually("\(name.rawValue) ready") {
                        try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok }
                    }
                    let scoped = ScratchDatabase(client: database.client, schema: schema, configuration: database.configuration)
                    try await body(Context(client: client, schema: schema, database: scoped, namespace: namespace) { topic, events in
                        let messages = try events.map {
                            KafkaProducerMessage(topic: "\(namespace).\(topic.rawValue)", key: Array($0.key.utf8), value: try $0.event.encoded())
                        }
                        for result in await producer.sendSigned(messages) { _ = try result.get() }
                    })
                }
            } catch {
                await producer.close()
                throw error
            }
            await producer.close()
            try await database.client.run("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: LocalStack.logger())
        }
    }

    /// Retries `condition` every 200 ms until it holds; records an issue after `timeout`.
    public static func eventually(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(try await condition()) {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for: \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// An intake event with `payload`, as intake publishes it.
public func intakeEvent<P: EventPayload>(_ payload: P, at occurredAt: Date = Date()) throws -> EventEnvelope {
    try EventEnvelope(payload: payload, occurredAt: occurredAt, producer: ServiceName.intake.rawValue, caseId: nil)
}
