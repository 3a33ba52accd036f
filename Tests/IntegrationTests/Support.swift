import Foundation
import HallKafka
import HallKit
import HallLocalStack
import PostgresNIO
import Hummingbird
import Testing

/// The integration tests run only against the local stack (`deploy/hall test` sets it up).
let stackAvailable = LocalStack.isAvailable

/// Waits until `condition` holds, checking every `interval`; fails the test after `timeout`.
func eventually(
    _ what: String, timeout: Duration = .seconds(60), interval: Duration = .milliseconds(200),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        if ContinuousClock.now >= deadline {
            Issue.record("timed out after \(timeout) waiting for: \(what)")
            throw TimedOut(what: what)
        }
        try await Task.sleep(for: interval)
    }
}

struct TimedOut: Error { var what: String }

extension ScratchDatabase {
    /// Runs a single-value count query.
    func count(_ sql: String) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: LocalStack.logger())
        return Int(try await rows.decode(Int64.self).collectAll().first ?? 0)
    }

    /// Outbox rows not yet published (after their bucket's cursor).
    func pendingOutbox() async throws -> Int {
        try await count("SELECT count(*)::bigint FROM \(schema).outbox_pending")
    }

    /// Rows in `effects`.
    func effectCount() async throws -> Int {
        try await count("SELECT count(*)::bigint FROM \(schema).effects")
    }
}

/// A `hallworker` process (relay or consumer) that the test can kill for real.
final class Worker: @unchecked Sendable {
    // @unchecked Sendable: used from one test task at a time.
    let process: Process
    let output: URL

    static var binary: String {
        ProcessInfo.processInfo.environment["HALL_WORKER_BIN"] ?? ServiceProcess.executable("hallworker").path
    }

    /// Starts `hallworker ARGS` and waits until it says it is running.
    init(_ arguments: [String], environment: [String: String] = [:]) async throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        output = FileManager.default.temporaryDirectory.appendingPathComponent("hallworker-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try await eventually("hallworker \(arguments.first ?? "") to start", timeout: .seconds(20), interval: .milliseconds(50)) {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            return text.contains("ready") || !process.isRunning
        }
    }

    /// SIGKILL: no shutdown, no offset commit, no transaction commit.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM and wait (graceful shutdown).
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Waits for the process to end by itself; returns the signal that ended it, if any.
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32? {
        try await eventually("hallworker to exit", timeout: timeout) { !process.isRunning }
        return process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil
    }

    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

/// Runs an inbox consumer in this process until the returned task is cancelled.
func startConsumer(
    database: ScratchDatabase, kafka: LocalKafka, topic: String, group: String, name: String = "in-process",
    producer: KafkaProducer, handler: (any EventHandler)? = nil, configure: (inout InboxConsumerConfiguration) -> Void = { _ in }
) -> Task<Void, any Error> {
    var configuration = InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: group, topics: [topic]))
    configure(&configuration)
    let consumer = InboxConsumer(
        configuration: configuration, client: database.client, schema: database.schema, serviceName: "test",
        handler: handler ?? Effects.handler(schema: database.schema, appliedBy: name), deadLetters: producer, logger: LocalStack.logger())
    return Task { try await consumer.run() }
}

/// Runs an outbox relay in this process until the returned task is cancelled.
func startRelay(database: ScratchDatabase, producer: KafkaProducer, configuration: OutboxRelayConfiguration = .init()) -> Task<Void, any Error> {
    let relay = OutboxRelay(
        client: database.client, schema: database.schema, producer: producer, configuration: configuration, logger: LocalStack.logger())
    return Task { try await relay.run() }
}

