import Foundation
import HallContracts
import HallKafka
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle

/// A consumer a service runs: its group, the topics it reads and the handler that applies them.
public struct ConsumerDefinition: Sendable {
    /// Consumer group id (instances of the service share the partitions).
    public var groupId: String
    /// Topics to read.
    public var topics: [Topic]
    /// Applies the events.
    public var handler: any EventHandler
    /// How polled batches are split into parallel transactions (default: by case).
    public var laning: ConsumerLaning?

    /// Creates a definition.
    public init(groupId: String, topics: [Topic], handler: any EventHandler, laning: ConsumerLaning? = nil) {
        self.groupId = groupId
        self.topics = topics
        self.handler = handler
        self.laning = laning
    }
}

/// What the shared runtime hands a service to build its routes and consumers.
public struct ServiceRuntime: Sendable {
    /// The service's configuration.
    public let configuration: ServiceConfiguration
    /// The database pool.
    public let client: PostgresClient
    /// The service's producer (outbox relay and dead letters).
    public let producer: KafkaProducer
    /// The service's outbox.
    public let outbox: Outbox
    /// Verifies bearer tokens.
    public let authority: TokenAuthority
    /// The service's logger.
    public let logger: Logger
    /// Opens when start-up (migrations, topics) has finished; background work waits for it.
    public let gate: StartupGate
}

/// Describes one hall service: its name, schema migrations, topics, consumers and HTTP routes.
public struct HallServiceDefinition: Sendable {
    /// The service.
    public var name: ServiceName
    /// HTTP port when `HALL_HTTP_PORT` is not set.
    public var defaultPort: Int
    /// The service's own migrations (the platform's outbox and inbox come first).
    public var migrations: [Migration]
    /// Consumers to run.
    public var consumers: @Sendable (ServiceRuntime) -> [ConsumerDefinition]
    /// Adds the service's routes (health and metrics are added for it).
    public var routes: @Sendable (Router<HallRequestContext>, ServiceRuntime) -> Void
    /// The service's own background work (timers, start-up jobs); each should wait for `runtime.gate`.
    public var services: @Sendable (ServiceRuntime) -> [any Service]
    /// The service's OpenAPI document (``OpenAPIResource/load(_:file:)``), served at `GET /openapi.yaml`.
    public var openAPI: String?
    /// Path prefixes of the public look-ups (`GET`), limited per client address.
    public var publicLookups: [String]
    /// Tables of the service's schema whose rows are records for good: the service's role may read
    /// and add rows, never change or delete them. The schema owner (`HALL_DATABASE_OWNER_URL`)
    /// grants accordingly at start-up, and a service whose role could still change them does not start.
    public var appendOnlyTables: [String]

    /// Creates a definition.
    public init(
        name: ServiceName, defaultPort: Int, migrations: [Migration] = [],
        consumers: @escaping @Sendable (ServiceRuntime) -> [ConsumerDefinition] = { _ in [] },
        routes: @escaping @Sendable (Router<HallRequestContext>, ServiceRuntime) -> Void = { _, _ in },
        services: @escaping @Sendable (ServiceRuntime) -> [any Service] = { _ in [] },
        openAPI: String? = nil, publicLookups: [String] = [], appendOnlyTables: [String] = []
    ) {
        self.publicLookups = publicLookups
        self.appendOnlyTables = appendOnlyTables
        self.name = name
        self.defaultPort = defaultPort
        self.migrations = migrations
        self.consumers = consumers
        self.routes = routes
        self.services = services
        self.openAPI = openAPI
    }
}

/// Boots a hall service: checks the Kafka library, reads the configuration, connects, migrates,
/// creates topics, then runs the relay, consumers and HTTP server until SIGTERM/SIGINT.
public enum HallServiceMain {
    /// Reads the service's own settings and runs it: `make` builds the definition from them, and
    /// a ``ConfigurationError`` it throws stops the service with one line naming the key, like the
    /// shared keys' errors.
    public static func run(_ name: ServiceName, _ make: @Sendable () throws -> HallServiceDefinition) async -> Never {
        let definition: HallServiceDefinition
        do {
            definition = try make()
        } catch {
            FileHandle.standardError.write(Data("\(name.rawValue): \(startupMessage(for: error))\n".utf8))
            exit(1)
        }
        await run(definition)
    }

    /// Runs the service; on a start-up failure prints one line naming the problem and exits 1.
    public static func run(_ definition: HallServiceDefinition) async -> Never {
        let name = definition.name.rawValue
        do {
            try LibRdKafka.requireSupportedVersion()
            let configuration = try ServiceConfiguration(serviceName: name, defaultPort: definition.defaultPort)
            let level = configuration.logLevel
            let json = ProcessInfo.processInfo.environment["HALL_LOG_FORMAT"] == "json"
            LoggingSystem.bootstrap { label in
                if json { return JSONLogHandler(label: label, level: level) }
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            HallMetrics.bootstrap()
            var logger = Logger(label: "hall.\(name)")
            logger[metadataKey: LogKey.serviceName] = "\(name)"
            logger.info("starting", metadata: ["librdkafka": "\(LibRdKafka.versionString)", "http.port": "\(configuration.httpPort)"])
            let app = try await makeApplication(definition, configuration: configuration, logger: logger)
            try await app.runService()
            logger.info("stopped")
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("\(name): \(startupMessage(for: error))\n".utf8))
            exit(1)
        }
    }

    /// Builds the application (all of the service's parts) without running it. Tests use it to run
    /// a service in process.
    public static func makeApplication(
        _ definition: HallServiceDefinition, configuration: ServiceConfiguration, logger: Logger
    ) async throws -> some ApplicationProtocol {
        PreparedStatements.shared.isEnabled = configuration.database.preparedStatements
        let client = PostgresClient(configuration: configuration.database.clientConfiguration(), backgroundLogger: logger)
        var producerConfiguration = KafkaProducerConfiguration(client: configuration.kafkaClient())
        producerConfiguration.messageTimeout = .seconds(15)
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        let gate = StartupGate()
        let authority: TokenAuthority
        switch configuration.tokens {
        case .issuer(let issuer, let jwksURL, let rules):
            authority = TokenAuthority(published: JWKSKeys(issuer: issuer, jwksURL: jwksURL, logger: logger), rules: rules)
        case .developmentSecret(let secret, let rules):
            logger.warning("access tokens are verified with the development secret (HALL_JWT_DEVELOPMENT_HS256): never in a real hall")
            authority = await TokenAuthority(secret: secret, rules: rules)
        }
        let schema = configuration.database.schema
        let runtime = ServiceRuntime(
            configuration: configuration, client: client, producer: producer, outbox: Outbox(schema: schema),
            authority: authority, logger: logger, gate: gate)

        let consumerDefinitions = definition.consumers(runtime)
        // Topics read from other services are kept too (an existing topic is left alone), so a
        // consumer never waits for its producer's first start to see its topic.
        let topicKeeper = TopicKeeper(
            producer: producer, admin: KafkaAdminClient(configuration: configuration.kafkaClient(suffix: ".admin"), logger: logger),
            partitions: configuration.kafkaPartitions,
            publishedTopics: (definition.name.ownedTopics + definition.name.requestTopics).map {
                .init(brokerName: configuration.namespaced($0.rawValue), outboxName: $0.rawValue)
            },
            otherTopics: consumerDefinitions.map { Topic.deadLetter(forConsumerGroup: configuration.namespaced($0.groupId)).rawValue }
                + consumerDefinitions.flatMap(\.topics).map { configuration.namespaced($0.rawValue) },
            client: client, schema: schema, serviceName: definition.name.rawValue, retention: configuration.outbox.retention,
            interval: configuration.kafkaTopicCheckInterval, logger: logger, gate: gate)
        let publishing = PublishingHealth(schema: schema)
        var relayConfiguration = configuration.outbox
        relayConfiguration.topicNamespace = configuration.kafkaNamespace
        relayConfiguration.signer = configuration.signer
        let relay = OutboxRelay(
            client: client, schema: schema, producer: producer, configuration: relayConfiguration, logger: logger, gate: gate,
            health: publishing, topicKeeper: topicKeeper)
        let consumers = consumerDefinitions.map { consumer in
            var kafka = KafkaConsumerConfiguration(
                client: configuration.kafkaClient(suffix: ".\(consumer.groupId)"), groupId: configuration.namespaced(consumer.groupId),
                topics: consumer.topics.map { configuration.namespaced($0.rawValue) })
            kafka.sessionTimeout = configuration.kafkaSessionTimeout
            kafka.heartbeatInterval = configuration.kafkaSessionTimeout / 3
            kafka.maxPollInterval = configuration.kafkaMaxPollInterval
            kafka.fetchWaitMax = configuration.kafkaFetchWaitMax
            var inbox = InboxConsumerConfiguration(kafka: kafka)
            inbox.batchSize = configuration.consumerBatchSize
            inbox.maxAttempts = configuration.consumerMaxAttempts
            inbox.laning = consumer.laning
            inbox.recordsPerLane = configuration.consumerLaneRecords
            inbox.producerTrust = configuration.producerTrust
            return InboxConsumer(
                configuration: inbox, client: client, schema: schema, serviceName: configuration.serviceName,
                handler: consumer.handler, deadLetters: producer, logger: logger, gate: gate)
        }
        let housekeeping = InboxHousekeeping(client: client, schema: schema, retention: configuration.inboxRetention, logger: logger, gate: gate)

        let router = Router(context: HallRequestContext.self)
        if let directory = configuration.recordResponses {
            router.middlewares.add(ResponseRecorder<HallRequestContext>(service: configuration.serviceName, directory: directory))
        }
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(MethodNotAllowedMiddleware<HallRequestContext>())
        router.middlewares.add(NulCharacterMiddleware<HallRequestContext>())
        router.middlewares.add(RequestMetricsMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: authority))
        if !definition.publicLookups.isEmpty {
            router.middlewares.add(
                LookupRateLimitMiddleware(prefixes: definition.publicLookups, perMinute: configuration.publicLookupsPerMinute))
        }
        HealthRoutes(client: client, producer: producer, gate: gate, publishing: publishing).add(to: router)
        if let document = definition.openAPI { OpenAPIResource.add(document, to: router) }
        definition.routes(router, runtime)

        // A connection idle this long — one that never finishes its headers, too — is closed.
        let idle = TimeAmount.nanoseconds(Int64(configuration.httpIdleTimeout.components.seconds) * 1_000_000_000)
        var app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: idle)),
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "hall-\(configuration.serviceName)"),
            services: [client, producer, relay, topicKeeper, housekeeping] + consumers.map { $0 as any Service } + definition.services(runtime),
            logger: logger)
        app.beforeServerStarts {
            try await startUp(
                configuration: configuration, client: client, producer: producer,
                migrations: PlatformMigrations.all + definition.migrations, appendOnlyTables: definition.appendOnlyTables,
                topics: topicKeeper, logger: logger)
            gate.open()
            logger.info("ready to serve", metadata: ["http": "\(configuration.httpHost):\(configuration.httpPort)"])
        }
        return app
    }

    /// Waits for the database, migrates, waits for a broker and creates the topics.
    static func startUp(
        configuration: ServiceConfiguration, client: PostgresClient, producer: KafkaProducer, migrations: [Migration], appendOnlyTables: [String],
        topics: TopicKeeper, logger: Logger
    ) async throws {
        let database = configuration.database
        var lastError: (any Error)?
        let deadline = ContinuousClock.now + configuration.startupTimeout
        while true {
            do {
                try await database.probe(logger: logger)
                break
            } catch {
                lastError = error
                if ContinuousClock.now >= deadline {
                    throw StartupError(
                        "cannot use the database at \(database.host):\(database.port)/\(database.database) as \(database.username) (HALL_DATABASE_URL): \(errorDescription(lastError!))")
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        if let owner = configuration.databaseOwner {
            try await SchemaOwner.migrate(
                migrations, owner: owner, grantingTo: database.username, appendOnlyTables: appendOnlyTables, logger: logger)
        } else {
            try await Migrator.migrate(migrations, schema: database.schema, client: client, logger: logger)
        }
        if configuration.appendOnlyCheck, !appendOnlyTables.isEmpty {
            if let problem = try await SchemaOwner.appendOnlyProblem(appendOnlyTables, schema: database.schema, client: client, logger: logger) {
                throw StartupError(
                    "role \(database.username) may \(problem.privilege) \(database.schema).\(problem.table), whose rows are records for good: "
                        + "run the service as a role that does not own its schema and give the owner's URL in HALL_DATABASE_OWNER_URL "
                        + "(deploy/sql/bootstrap-roles.sql makes both), or set HALL_APPEND_ONLY_CHECK=off on a development database")
            }
        }
        while !(await producer.isBrokerReachable(timeout: .seconds(2))) {
            if ContinuousClock.now >= deadline {
                throw StartupError("no Kafka broker answers at \(configuration.kafkaBrokers.joined(separator: ",")) (HALL_KAFKA_BROKERS)")
            }
        }
        try await topics.createAll()
    }

    static func startupMessage(for error: any Error) -> String {
        switch error {
        case let error as ConfigurationError: return error.description
        case let error as StartupError: return error.message
        case let error as KafkaError: return "kafka: \(error.message)"
        case let error as HallError: return error.message
        default: return errorDescription(error)
        }
    }

}

/// A start-up failure, printed as the one line the service leaves before exiting.
struct StartupError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Deletes inbox rows older than the inbox retention once an hour.
final class InboxHousekeeping: Service, Sendable {
    let client: PostgresClient
    let schema: String
    let retention: Duration
    let logger: Logger
    let gate: StartupGate

    init(client: PostgresClient, schema: String, retention: Duration, logger: Logger, gate: StartupGate) {
        self.client = client
        self.schema = schema
        self.retention = retention
        self.logger = logger
        self.gate = gate
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { [gate] in await gate.wait() }
        let seconds = Double(retention.components.seconds)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await client.run(
                    "DELETE FROM \(unescaped: schema).inbox WHERE processed_at < now() - make_interval(secs => \(seconds))", logger: logger)
            } catch {
                logger.warning("inbox housekeeping failed", metadata: [LogKey.error: "\(error)"])
            }
            try? await sleepUnlessShuttingDown(.seconds(3600))
        }
    }
}
