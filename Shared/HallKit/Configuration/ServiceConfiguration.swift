import Foundation
import HallContracts
import HallKafka
import Logging

/// Settings every hall service reads from its environment.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `HALL_DATABASE_URL` | `postgres://role:password@host:port/database` of the service's own role | required |
/// | `HALL_DATABASE_OWNER_URL` | the schema owner's role, used only at start-up to migrate and to grant the service's role what it may do (a service with append-only tables, the seal, needs it) | none: the service's role owns and migrates its schema |
/// | `HALL_APPEND_ONLY_CHECK` | `off`: start even though the service's role may change or delete rows of its append-only tables (a development or test database run as a superuser) | on |
/// | `HALL_DATABASE_SCHEMA` | schema the service owns | the service name |
/// | `HALL_DATABASE_POOL_SIZE` | connections in the pool | 20 |
/// | `HALL_DATABASE_IDLE_TIMEOUT` | how long a pooled connection stays open unused (an idle connection costs CPU) | 10s |
/// | `HALL_KAFKA_BROKERS` | comma-separated `host:port` list | required |
/// | `HALL_KAFKA_PARTITIONS` | partitions of the topics the service creates | 6 |
/// | `HALL_KAFKA_NAMESPACE` | prefix of every topic and consumer group (`<ns>.hall.intake.events`), to run several halls or test runs on one cluster | none |
/// | `HALL_KAFKA_SESSION_TIMEOUT` | consumer group session timeout | 6s |
/// | `HALL_KAFKA_MAX_POLL_INTERVAL` | consumer max poll interval | 60s |
/// | `HALL_KAFKA_TOPIC_CHECK_INTERVAL` | how often the service looks for its topics on the broker and recreates missing ones | 10s |
/// | `HALL_HTTP_HOST` / `HALL_HTTP_PORT` | where the HTTP API listens | 127.0.0.1 / the service's port |
/// | `HALL_HTTP_IDLE_TIMEOUT` | an HTTP connection idle (or with its request unfinished) this long is closed | 30s |
/// | `HALL_PUBLIC_LOOKUPS_PER_MINUTE` | public look-ups (a case, bundle or complaint by its code) per client address per minute, then 429 with `Retry-After` | 60 |
/// | `HALL_JWT_ISSUER` | the identity provider's issuer URL (`iss`); its keys are found through `<issuer>/.well-known/openid-configuration` | required, unless development tokens |
/// | `HALL_JWT_JWKS_URL` | the provider's key set, instead of discovery | none |
/// | `HALL_JWT_AUDIENCE` | the audience a token must name (`aud`) | `servicehall-<service>` |
/// | `HALL_JWT_MAX_LIFETIME` / `HALL_JWT_CLOCK_SKEW` | longest token lifetime (`exp` − `iat`) / how far ahead a token's `iat` may be | 12h / 60s |
/// | `HALL_JWT_DEVELOPMENT_HS256` | `on`: accept HS256 tokens signed with `HALL_JWT_SECRET` (≥ 32 characters) instead of the provider's; a development hall only | off |
/// | `HALL_SIGNING_KEY` | the service's Ed25519 private key (32 bytes, standard base64): it signs every record the service sends | required |
/// | `HALL_PRODUCER_KEYS` | the five services' public keys, `intake=<key>,coordinator=<key>,seal=<key>,complaints=<key>,appraisal=<key>`: a record on a service's topic is believed only when it verifies with that service's key; while a service changes its key, list the new one first and the old one after a space | required |
/// | `HALL_LOG_LEVEL` | trace, debug, info, notice, warning, error, critical | info |
/// | `HALL_LOG_FORMAT` | `text` (key=value) or `json` (one object per line) | text |
/// | `HALL_OUTBOX_BATCH_SIZE` | rows the relay publishes per transaction | 2000 |
/// | `HALL_OUTBOX_POLL_INTERVAL` | relay's wait before polling again after a pass that published | 20ms |
/// | `HALL_OUTBOX_IDLE_POLL_INTERVAL` | relay's longest wait after an empty pass (a commit that appended wakes it at once) | 1s |
/// | `HALL_OUTBOX_RETENTION` | how long outbox rows are kept after they were appended (and at least until published) | 7d |
/// | `HALL_INBOX_RETENTION` | how long processed event ids are kept (≥ outbox retention) | 30d |
/// | `HALL_CONSUMER_MAX_ATTEMPTS` | handler attempts before an event goes to the dead-letter topic | 3 |
/// | `HALL_CONSUMER_BATCH_SIZE` | records polled and applied at once | 500 |
/// | `HALL_CONSUMER_LANE_RECORDS` | records a polled batch needs for each parallel transaction (lane): fewer than twice this many are applied in one | 100 |
/// | `HALL_STARTUP_TIMEOUT` | how long to wait for the database and broker at start-up | 15s |
public struct ServiceConfiguration: Sendable {
    public var serviceName: String
    public var database: DatabaseConfiguration
    /// The schema owner's connection (`HALL_DATABASE_OWNER_URL`), for migrations and grants only.
    public var databaseOwner: DatabaseConfiguration?
    /// Whether start-up refuses a role that may change or delete rows of an append-only table.
    public var appendOnlyCheck: Bool
    public var kafkaBrokers: [String]
    public var kafkaPartitions: Int
    /// Prefix of every topic and consumer group, or nil.
    public var kafkaNamespace: String?
    public var kafkaSessionTimeout: Duration
    /// Longest time the broker holds a consumer's fetch when there is nothing to read
    /// (`HALL_KAFKA_FETCH_WAIT_MAX`): each idle consumer asks this often.
    public var kafkaFetchWaitMax: Duration
    public var kafkaMaxPollInterval: Duration
    /// How often the topics are looked for on the broker (``TopicKeeper``).
    public var kafkaTopicCheckInterval: Duration
    public var httpHost: String
    public var httpPort: Int
    /// How long an HTTP connection may stay idle (or sit unfinished) before it is closed.
    public var httpIdleTimeout: Duration
    /// Public look-ups (a case by its code, …) per client address per minute, then 429.
    public var publicLookupsPerMinute: Int
    /// How access tokens are verified: the identity provider's keys, or a development secret.
    public var tokens: TokenVerification
    /// Signs every record the service sends (`HALL_SIGNING_KEY`).
    public var signer: RecordSigner
    /// The services' public keys (`HALL_PRODUCER_KEYS`): what records of the services' topics are checked against.
    public var producerTrust: ProducerTrust
    /// A directory where every JSON answer is appended (`HALL_RECORD_RESPONSES`; test runs only,
    /// for the contract check of the answers against the OpenAPI document).
    public var recordResponses: String?
    public var logLevel: Logger.Level
    public var outbox: OutboxRelayConfiguration
    public var inboxRetention: Duration
    public var consumerMaxAttempts: Int
    public var consumerBatchSize: Int
    /// Records a polled batch needs for each of its parallel transactions (`HALL_CONSUMER_LANE_RECORDS`).
    public var consumerLaneRecords: Int
    public var startupTimeout: Duration

    /// Reads the settings, throwing a ``ConfigurationError`` that names the first bad key.
    public init(serviceName: String, defaultPort: Int, environment env: EnvironmentReader = EnvironmentReader()) throws {
        self.serviceName = serviceName
        self.database = try DatabaseConfiguration(
            url: try env.require("HALL_DATABASE_URL", hint: "postgres://role:password@host:port/database"),
            key: "HALL_DATABASE_URL",
            schema: env.string("HALL_DATABASE_SCHEMA", default: serviceName),
            poolSize: try env.int("HALL_DATABASE_POOL_SIZE", default: 20, in: 1...500))
        database.idleTimeout = try env.duration("HALL_DATABASE_IDLE_TIMEOUT", default: database.idleTimeout)
        let prepared = env.string("HALL_DATABASE_PREPARED_STATEMENTS", default: "on").lowercased()
        guard ["on", "off"].contains(prepared) else {
            throw ConfigurationError(key: "HALL_DATABASE_PREPARED_STATEMENTS", problem: "must be on or off, got '\(prepared)'")
        }
        database.preparedStatements = prepared == "on"
        guard DatabaseConfiguration.isValidIdentifier(database.schema) else {
            throw ConfigurationError(key: "HALL_DATABASE_SCHEMA", problem: "must be a lowercase SQL identifier, got '\(database.schema)'")
        }
        let schema = database.schema
        let owner = try env.raw("HALL_DATABASE_OWNER_URL").map {
            try DatabaseConfiguration(url: $0, key: "HALL_DATABASE_OWNER_URL", schema: schema, poolSize: 1)
        }
        self.databaseOwner = owner
        if let owner {
            guard owner.username != database.username else {
                throw ConfigurationError(key: "HALL_DATABASE_OWNER_URL", problem: "must be another role than HALL_DATABASE_URL's (\(database.username))")
            }
            guard owner.host == database.host, owner.port == database.port, owner.database == database.database else {
                throw ConfigurationError(key: "HALL_DATABASE_OWNER_URL", problem: "must name the same server and database as HALL_DATABASE_URL")
            }
        }
        let check = env.string("HALL_APPEND_ONLY_CHECK", default: "on").lowercased()
        guard ["on", "off"].contains(check) else {
            throw ConfigurationError(key: "HALL_APPEND_ONLY_CHECK", problem: "must be on or off, got '\(check)'")
        }
        self.appendOnlyCheck = check == "on"
        let brokers = try env.require("HALL_KAFKA_BROKERS", hint: "host:port[,host:port]")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for broker in brokers {
            let parts = broker.split(separator: ":")
            guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65535).contains(port) else {
                throw ConfigurationError(key: "HALL_KAFKA_BROKERS", problem: "must be host:port entries separated by commas, got '\(broker)'")
            }
        }
        self.kafkaBrokers = brokers
        self.kafkaPartitions = try env.int("HALL_KAFKA_PARTITIONS", default: 6, in: 1...1000)
        self.kafkaNamespace = env.raw("HALL_KAFKA_NAMESPACE")
        if let namespace = kafkaNamespace, namespace.range(of: #"^[a-z0-9][a-z0-9._-]{0,62}$"#, options: .regularExpression) == nil {
            throw ConfigurationError(key: "HALL_KAFKA_NAMESPACE", problem: "must be lower-case letters, digits, '.', '_' or '-', got '\(namespace)'")
        }
        self.kafkaSessionTimeout = try env.duration("HALL_KAFKA_SESSION_TIMEOUT", default: .seconds(6))
        self.kafkaMaxPollInterval = try env.duration("HALL_KAFKA_MAX_POLL_INTERVAL", default: .seconds(60))
        self.kafkaFetchWaitMax = try env.duration("HALL_KAFKA_FETCH_WAIT_MAX", default: .milliseconds(100))
        self.kafkaTopicCheckInterval = try env.duration("HALL_KAFKA_TOPIC_CHECK_INTERVAL", default: .seconds(10))
        self.httpHost = env.string("HALL_HTTP_HOST", default: "127.0.0.1")
        self.httpPort = try env.int("HALL_HTTP_PORT", default: defaultPort, in: 0...65535)
        self.httpIdleTimeout = try env.duration("HALL_HTTP_IDLE_TIMEOUT", default: .seconds(30))
        self.publicLookupsPerMinute = try env.int("HALL_PUBLIC_LOOKUPS_PER_MINUTE", default: 60, in: 1...100_000_000)
        self.tokens = try TokenVerification(serviceName: serviceName, environment: env)
        self.signer = try RecordSigner(
            identity: serviceName, base64PrivateKey: try env.require("HALL_SIGNING_KEY", hint: "an Ed25519 private key, 32 bytes in standard base64"))
        self.producerTrust = try ProducerTrust(
            text: try env.require("HALL_PRODUCER_KEYS", hint: "intake=<key>,coordinator=<key>,seal=<key>,complaints=<key>,appraisal=<key>"),
            topicNamespace: env.raw("HALL_KAFKA_NAMESPACE"))
        if let service = ServiceName(rawValue: serviceName),
            producerTrust.keys(of: service).first?.rawRepresentation.base64EncodedString() != signer.publicKey
        {
            throw ConfigurationError(key: "HALL_PRODUCER_KEYS", problem: "the (first) key given for \(serviceName) is not the public key of HALL_SIGNING_KEY")
        }
        self.recordResponses = env.raw("HALL_RECORD_RESPONSES")
        let level = env.string("HALL_LOG_LEVEL", default: "info")
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ConfigurationError(key: "HALL_LOG_LEVEL", problem: "must be one of trace, debug, info, notice, warning, error, critical; got '\(level)'")
        }
        self.logLevel = logLevel
        var outbox = OutboxRelayConfiguration()
        outbox.batchSize = try env.int("HALL_OUTBOX_BATCH_SIZE", default: outbox.batchSize, in: 1...50_000)
        outbox.pollInterval = try env.duration("HALL_OUTBOX_POLL_INTERVAL", default: outbox.pollInterval)
        outbox.idlePollInterval = try env.duration("HALL_OUTBOX_IDLE_POLL_INTERVAL", default: outbox.idlePollInterval)
        outbox.idlePollMax = try env.duration("HALL_OUTBOX_IDLE_POLL_MAX", default: outbox.idlePollMax)
        outbox.retention = try env.duration("HALL_OUTBOX_RETENTION", default: outbox.retention)
        self.outbox = outbox
        self.inboxRetention = try env.duration("HALL_INBOX_RETENTION", default: .seconds(30 * 86_400))
        guard inboxRetention >= outbox.retention else {
            throw ConfigurationError(key: "HALL_INBOX_RETENTION", problem: "must be at least HALL_OUTBOX_RETENTION, or a republish could apply an event twice")
        }
        self.consumerMaxAttempts = try env.int("HALL_CONSUMER_MAX_ATTEMPTS", default: 3, in: 1...100)
        self.consumerBatchSize = try env.int("HALL_CONSUMER_BATCH_SIZE", default: 500, in: 1...10_000)
        self.consumerLaneRecords = try env.int("HALL_CONSUMER_LANE_RECORDS", default: 100, in: 1...10_000)
        self.startupTimeout = try env.duration("HALL_STARTUP_TIMEOUT", default: .seconds(15))
    }

    /// A topic or group name inside this service's namespace.
    public func namespaced(_ name: String) -> String {
        kafkaNamespace.map { "\($0).\(name)" } ?? name
    }

    /// Kafka client options for this service.
    public func kafkaClient(suffix: String = "") -> KafkaClientConfiguration {
        KafkaClientConfiguration(bootstrapServers: kafkaBrokers, clientId: "hall-\(serviceName)\(suffix)")
    }
}

/// How a service verifies access tokens.
public enum TokenVerification: Sendable {
    /// Against the identity provider's published keys (production).
    case issuer(issuer: String, jwksURL: String?, rules: TokenRules)
    /// With a shared HS256 secret (`HALL_JWT_DEVELOPMENT_HS256=on`; a development hall only).
    case developmentSecret(String, rules: TokenRules)

    /// Reads `HALL_JWT_*`, naming the first bad key.
    init(serviceName: String, environment env: EnvironmentReader) throws {
        let maxLifetime = try env.duration("HALL_JWT_MAX_LIFETIME", default: .seconds(12 * 3600))
        let skew = try env.duration("HALL_JWT_CLOCK_SKEW", default: .seconds(60))
        guard maxLifetime > .zero, skew >= .zero, skew <= .seconds(600) else {
            throw ConfigurationError(key: "HALL_JWT_CLOCK_SKEW", problem: "must be between 0s and 10m, with a positive HALL_JWT_MAX_LIFETIME")
        }
        let seconds = { (duration: Duration) in Double(duration.components.seconds) }
        let development = env.raw("HALL_JWT_DEVELOPMENT_HS256").map { ["on", "true", "1", "yes"].contains($0.lowercased()) } ?? false
        if let issuer = env.raw("HALL_JWT_ISSUER"), !issuer.isEmpty {
            guard let url = URL(string: issuer), ["https", "http"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError(key: "HALL_JWT_ISSUER", problem: "must be the identity provider's http(s) issuer URL, got '\(issuer)'")
            }
            let jwksURL = env.raw("HALL_JWT_JWKS_URL").flatMap { $0.isEmpty ? nil : $0 }
            if let jwksURL, URL(string: jwksURL)?.host == nil {
                throw ConfigurationError(key: "HALL_JWT_JWKS_URL", problem: "must be an http(s) URL, got '\(jwksURL)'")
            }
            let audience = env.string("HALL_JWT_AUDIENCE", default: "servicehall-\(serviceName)")
            self = .issuer(
                issuer: issuer, jwksURL: jwksURL,
                rules: TokenRules(issuer: issuer, audience: audience, maxLifetime: seconds(maxLifetime), clockSkew: seconds(skew)))
        } else if development {
            let secret = try env.require("HALL_JWT_SECRET", hint: "a random secret of at least 32 characters")
            guard secret.utf8.count >= 32 else {
                throw ConfigurationError(key: "HALL_JWT_SECRET", problem: "must be at least 32 characters long")
            }
            self = .developmentSecret(secret, rules: TokenRules(maxLifetime: seconds(maxLifetime), clockSkew: seconds(skew)))
        } else {
            throw ConfigurationError(
                key: "HALL_JWT_ISSUER",
                problem: "is not set (the identity provider's issuer URL; a development hall may set HALL_JWT_DEVELOPMENT_HS256=on with HALL_JWT_SECRET instead)")
        }
    }
}
