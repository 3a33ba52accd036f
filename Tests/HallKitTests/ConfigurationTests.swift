import HallContracts
import HallKit
import Testing

@Suite("Service configuration from the environment")
struct ConfigurationTests {
    static let signers = ["intake", "coordinator", "seal", "complaints", "appraisal"].map { RecordSigner(identity: $0, key: .init()) }
    let valid = [
        "HALL_DATABASE_URL": "postgres://intake:secret@127.0.0.1:5433/hall",
        "HALL_KAFKA_BROKERS": "127.0.0.1:9092",
        "HALL_JWT_ISSUER": "https://id.hall.example/realms/hall",
        "HALL_SIGNING_KEY": Self.signers[0].privateKeyText,
        "HALL_PRODUCER_KEYS": ProducerTrust.text(of: Self.signers),
    ]

    func configuration(_ changes: [String: String?]) throws -> ServiceConfiguration {
        var values = valid
        for (key, value) in changes { values[key] = value }
        return try ServiceConfiguration(serviceName: "intake", defaultPort: 8081, environment: EnvironmentReader(values))
    }

    func error(_ changes: [String: String?]) -> ConfigurationError? {
        do {
            _ = try configuration(changes)
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            return nil
        }
    }

    @Test("a complete environment gives the documented defaults")
    func defaults() throws {
        let configuration = try configuration([:])
        #expect(configuration.database.host == "127.0.0.1")
        #expect(configuration.database.port == 5433)
        #expect(configuration.database.username == "intake")
        #expect(configuration.database.schema == "intake")
        #expect(configuration.httpPort == 8081)
        #expect(configuration.kafkaPartitions == 6)
        #expect(configuration.outbox.retention == .seconds(7 * 86_400))
        #expect(configuration.consumerMaxAttempts == 3)
        #expect(configuration.database.idleTimeout == .seconds(10))
        #expect(configuration.database.clientConfiguration().options.connectionIdleTimeout == .seconds(10))
    }

    @Test("the pool's idle timeout is a setting; a value without a unit names the key")
    func idleTimeout() throws {
        #expect(try configuration(["HALL_DATABASE_IDLE_TIMEOUT": "30s"]).database.clientConfiguration().options.connectionIdleTimeout == .seconds(30))
        #expect(error(["HALL_DATABASE_IDLE_TIMEOUT": "30"])?.key == "HALL_DATABASE_IDLE_TIMEOUT")
    }

    @Test("statements are prepared unless the operator turns it off (a pooler in transaction mode); another value names the key")
    func preparedStatements() throws {
        #expect(try configuration([:]).database.preparedStatements == true)
        #expect(try configuration(["HALL_DATABASE_PREPARED_STATEMENTS": "off"]).database.preparedStatements == false)
        #expect(error(["HALL_DATABASE_PREPARED_STATEMENTS": "sometimes"])?.key == "HALL_DATABASE_PREPARED_STATEMENTS")
    }

    @Test("each missing required key is named in the error", arguments: ["HALL_DATABASE_URL", "HALL_KAFKA_BROKERS", "HALL_JWT_ISSUER"])
    func missing(key: String) {
        let error = error([key: String?.none])
        #expect(error?.key == key)
        #expect(error?.description.contains("is not set") == true)
    }

    @Test("malformed values name the key and the rule")
    func malformed() {
        #expect(error(["HALL_DATABASE_URL": "mysql://x@y/z"])?.key == "HALL_DATABASE_URL")
        #expect(error(["HALL_DATABASE_URL": "postgres://intake@127.0.0.1:5432"])?.problem.contains("database") == true)
        #expect(error(["HALL_KAFKA_BROKERS": "localhost"])?.key == "HALL_KAFKA_BROKERS")
        #expect(error(["HALL_KAFKA_BROKERS": "a:1,b:99999"])?.key == "HALL_KAFKA_BROKERS")
        #expect(error(["HALL_JWT_ISSUER": nil, "HALL_JWT_DEVELOPMENT_HS256": "on", "HALL_JWT_SECRET": "short"])?.problem.contains("32") == true)
        #expect(error(["HALL_JWT_ISSUER": "id.hall.example"])?.key == "HALL_JWT_ISSUER")
        #expect(error(["HALL_HTTP_PORT": "eighty"])?.problem.contains("integer") == true)
        #expect(error(["HALL_OUTBOX_RETENTION": "7 days"])?.key == "HALL_OUTBOX_RETENTION")
        #expect(error(["HALL_LOG_LEVEL": "loud"])?.key == "HALL_LOG_LEVEL")
        #expect(error(["HALL_DATABASE_SCHEMA": "Intake; DROP"])?.key == "HALL_DATABASE_SCHEMA")
        #expect(error(["HALL_INBOX_RETENTION": "1d"])?.key == "HALL_INBOX_RETENTION")
    }

    @Test("tokens: the provider's issuer with this service's audience by default; HS256 only when a development hall asks for it, never by a secret alone")
    func tokenSettings() throws {
        guard case .issuer(let issuer, let jwksURL, let rules) = try configuration([:]).tokens else {
            Issue.record("an issuer gives the provider's keys")
            return
        }
        #expect(issuer == "https://id.hall.example/realms/hall" && jwksURL == nil)
        #expect(rules.issuer == issuer && rules.audience == "servicehall-intake" && rules.maxLifetime == 12 * 3600 && rules.clockSkew == 60)
        // A secret without the development setting is not enough.
        #expect(error(["HALL_JWT_ISSUER": nil, "HALL_JWT_SECRET": String(repeating: "k", count: 40)])?.key == "HALL_JWT_ISSUER")
        let development = try configuration(["HALL_JWT_ISSUER": nil, "HALL_JWT_DEVELOPMENT_HS256": "on", "HALL_JWT_SECRET": String(repeating: "k", count: 40)])
        guard case .developmentSecret = development.tokens else {
            Issue.record("the development setting gives HS256")
            return
        }
    }

    @Test("record keys: the signing key is required and must be an Ed25519 key; every service's public key is listed; the service's own is its signing key's")
    func recordKeys() throws {
        #expect(error(["HALL_SIGNING_KEY": nil])?.key == "HALL_SIGNING_KEY")
        #expect(error(["HALL_SIGNING_KEY": "c2hvcnQ="])?.problem.contains("Ed25519") == true)
        #expect(error(["HALL_PRODUCER_KEYS": nil])?.key == "HALL_PRODUCER_KEYS")
        let withoutSeal = ProducerTrust.text(of: Self.signers.filter { $0.identity != "seal" })
        #expect(error(["HALL_PRODUCER_KEYS": withoutSeal])?.problem == "no key for seal")
        #expect(error(["HALL_PRODUCER_KEYS": withoutSeal + ",seal=AAAA"])?.problem.contains("seal") == true)
        #expect(error(["HALL_SIGNING_KEY": Self.signers[1].privateKeyText])?.problem.contains("not the public key of HALL_SIGNING_KEY") == true)
        // A service changing its key: the new one first, the old one after a space.
        let renewed = RecordSigner(identity: "intake", key: .init())
        let rotating = ProducerTrust.text(of: Self.signers).replacingOccurrences(of: "intake=", with: "intake=\(renewed.publicKey) ")
        let configuration = try configuration(["HALL_SIGNING_KEY": renewed.privateKeyText, "HALL_PRODUCER_KEYS": rotating])
        #expect(configuration.producerTrust.keys(of: .intake).count == 2)
    }

    @Test("the schema owner: another role on the same server and database, used with the service's schema; the append-only check is on unless turned off")
    func schemaOwner() throws {
        #expect(try configuration([:]).databaseOwner == nil)
        #expect(try configuration([:]).appendOnlyCheck)
        let owner = try #require(try configuration(["HALL_DATABASE_OWNER_URL": "postgres://intake_owner:o@127.0.0.1:5433/hall"]).databaseOwner)
        #expect(owner.username == "intake_owner" && owner.schema == "intake")
        #expect(error(["HALL_DATABASE_OWNER_URL": "postgres://intake:o@127.0.0.1:5433/hall"])?.problem.contains("another role") == true)
        #expect(error(["HALL_DATABASE_OWNER_URL": "postgres://intake_owner:o@10.0.0.9:5433/hall"])?.problem.contains("same server") == true)
        #expect(error(["HALL_DATABASE_OWNER_URL": "postgres://intake_owner:o@127.0.0.1:5433/other"])?.key == "HALL_DATABASE_OWNER_URL")
        #expect(try configuration(["HALL_APPEND_ONLY_CHECK": "off"]).appendOnlyCheck == false)
        #expect(error(["HALL_APPEND_ONLY_CHECK": "no"])?.key == "HALL_APPEND_ONLY_CHECK")
    }

    @Test("durations parse with their units")
    func durations() {
        #expect(EnvironmentReader.parseDuration("250ms") == .milliseconds(250))
        #expect(EnvironmentReader.parseDuration("5s") == .seconds(5))
        #expect(EnvironmentReader.parseDuration("10m") == .seconds(600))
        #expect(EnvironmentReader.parseDuration("2h") == .seconds(7200))
        #expect(EnvironmentReader.parseDuration("7d") == .seconds(604_800))
        #expect(EnvironmentReader.parseDuration("-1s") == nil)
        #expect(EnvironmentReader.parseDuration("5") == nil)
    }

    @Test("schema names accept only plain lowercase identifiers")
    func identifiers() {
        #expect(DatabaseConfiguration.isValidIdentifier("intake"))
        #expect(DatabaseConfiguration.isValidIdentifier("t_1a2b"))
        #expect(!DatabaseConfiguration.isValidIdentifier("Intake"))
        #expect(!DatabaseConfiguration.isValidIdentifier("1abc"))
        #expect(!DatabaseConfiguration.isValidIdentifier("a\"b"))
        #expect(!DatabaseConfiguration.isValidIdentifier(""))
    }

    @Test("a changed migration has a different checksum")
    func checksum() {
        let one = Migration(component: "x", version: 1, name: "a", statements: ["CREATE TABLE a (id int)"])
        var two = one
        two.statements = ["CREATE TABLE a (id bigint)"]
        #expect(one.checksum == one.checksum)
        #expect(one.checksum != two.checksum)
    }
}
