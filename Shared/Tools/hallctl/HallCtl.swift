import ArgumentParser
import Foundation
import HallContracts
import HallKafka
import HallKit
import Logging
import PostgresNIO

/// Operator commands for a hall installation.
@main
struct HallCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hallctl",
        abstract: "Operator commands for ServiceHall.",
        subcommands: [Token.self, Republish.self, Librdkafka.self])
}

/// Mints an access token for local use and tests.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint an access token with the local identity provider's key (HALL_JWT_ISSUER, HALL_JWT_ISSUER_KEY), or HALL_JWT_SECRET for a development hall.")

    @Option(help: "Staff or system id (the token's subject).")
    var subject: String

    @Option(name: .customLong("role"), help: "A role: \(Role.allCases.map(\.rawValue).joined(separator: ", ")). Repeatable.")
    var roles: [String]

    @Option(help: "Department the holder acts for.")
    var department: String?

    @Option(help: "Hall window the holder works at.")
    var window: String?

    @Option(help: "Lifetime, e.g. 30m, 8h, 7d.")
    var ttl: String = "8h"

    func run() async throws {
        let environment = EnvironmentReader()
        let roles = try self.roles.map { text -> Role in
            guard let role = Role(rawValue: text) else {
                throw ValidationError("--role \(text) is not one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return role
        }
        guard let duration = EnvironmentReader.parseDuration(ttl) else {
            throw ValidationError("--ttl must look like 30m, 8h or 7d")
        }
        let claims = HallClaims(
            subject: subject, roles: roles, department: department, window: window, ttl: TimeInterval(duration.components.seconds))
        if let issuer = environment.raw("HALL_JWT_ISSUER"), let keyFile = environment.raw("HALL_JWT_ISSUER_KEY") {
            let key = try String(contentsOfFile: keyFile, encoding: .ascii)
            print(try await TokenIssuer(issuer: issuer, base64PrivateKey: key).issue(claims))
        } else {
            let secret = try environment.require("HALL_JWT_SECRET", hint: "or HALL_JWT_ISSUER and HALL_JWT_ISSUER_KEY (source .hall/env)")
            print(try await TokenAuthority(secret: secret).issue(claims))
        }
    }
}

/// Queues a time range of a service's outbox to be published again (after a broker lost data).
struct Republish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish again every outbox event a service created in [from, to). Consumers drop repeats.")

    @Option(help: "The service whose outbox to republish: \(ServiceName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var service: String

    @Option(help: "Start of the range, RFC 3339 (e.g. 2026-11-28T00:00:00Z).")
    var from: String

    @Option(help: "End of the range (exclusive), RFC 3339. Default: now.")
    var to: String?

    @Option(help: "Database URL of the service (default: HALL_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Schema of the service's outbox (default: HALL_DATABASE_SCHEMA, else the service's name).")
    var schema: String?

    @Option(help: "Who asks, recorded in the audit event (default: $USER).")
    var requestedBy: String?

    func run() async throws {
        guard let name = ServiceName(rawValue: service) else {
            throw ValidationError("--service must be one of \(ServiceName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let fromDate = RFC3339Timestamp.date(from: from) else { throw ValidationError("--from is not an RFC 3339 time") }
        let toDate = try to.map { text -> Date in
            guard let date = RFC3339Timestamp.date(from: text) else { throw ValidationError("--to is not an RFC 3339 time") }
            return date
        } ?? Date()
        let environment = EnvironmentReader()
        let url = try databaseURL ?? environment.require("HALL_DATABASE_URL")
        let schemaName = schema ?? environment.string("HALL_DATABASE_SCHEMA", default: name.rawValue)
        guard DatabaseConfiguration.isValidIdentifier(schemaName) else { throw ValidationError("--schema must be a lowercase SQL identifier") }
        let database = try DatabaseConfiguration(url: url, key: "--database-url", schema: schemaName, poolSize: 2)
        var logger = Logger(label: "hallctl")
        logger.logLevel = .warning
        let client = PostgresClient(configuration: database.clientConfiguration(), backgroundLogger: logger)
        let requester = requestedBy ?? ProcessInfo.processInfo.environment["USER"] ?? "operator"
        let rows = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await Outbox(schema: schemaName).republish(
                from: fromDate, to: toDate, requestedBy: requester, producer: name.rawValue, auditTopic: name.eventsTopic,
                client: client, logger: logger)
        }
        print("queued \(rows) event(s) of \(name.rawValue) created in [\(from), \(to ?? "now")) for publishing again")
    }
}

/// Prints the librdkafka version loaded at run time and whether it is supported.
struct Librdkafka: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the librdkafka loaded at run time.")

    func run() throws {
        print("librdkafka \(LibRdKafka.versionString)")
        try LibRdKafka.requireSupportedVersion()
    }
}
