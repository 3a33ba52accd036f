import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import PostgresNIO
import Synchronization
import Testing

/// A database connection that closes under a service (PostgreSQL restarted, the backend
/// terminated): the next query fails instead of waiting forever, and a consumer caught between two
/// queries of a batch applies the batch again. Before, a PostgreSQL restart left consumers waiting
/// inside a batch for good (postgres-nio never answers a query written to a torn-down connection).
@Suite("Database connection lost", .enabled(if: stackAvailable))
struct ConnectionLossTests {
    @Test("a query on a connection the server closed fails with the reason at once, a transaction on the pool carries on")
    func queryOnClosedConnection() async throws {
        try await ScratchDatabase.with(migrate: false) { database in
            let logger = LocalStack.logger()
            let outcome = try await within(.seconds(30)) {
                try await database.client.withConnection { connection -> String in
                    try await Self.terminate(connection, from: database)
                    do {
                        try await connection.run("SELECT 1", logger: logger)
                        return "answered"
                    } catch let error as DatabaseConnectionLost {
                        return "\(error)"
                    }
                }
            }
            #expect(outcome?.hasPrefix("the database connection closed") == true, "got \(outcome ?? "no answer within 30 s")")
            let one = try await database.client.transaction(logger: logger) { connection in
                try await connection.run("SELECT 1", logger: logger).decode(Int.self).collectAll()
            }
            #expect(one == [1])
        }
    }

    @Test("a consumer whose connection closes between two queries of a handler applies the batch again, once")
    func consumerCaughtBetweenQueries() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let producer = try kafka.producer()
            let cut = Box(false)
            var router = EventRouter()
            let schema = database.schema
            router.on(CounterStep.self) { step, envelope, context in
                try await context.connection.run(
                    "INSERT INTO \(unescaped: schema).effects (case_id, seq, event_id) VALUES ('c', \(step.seq), \(envelope.id))",
                    logger: context.logger)
                if step.seq == 2, cut.exchange(true) == false {
                    try await Self.terminate(context.connection, from: database)
                }
                try await context.connection.run("SELECT 1", logger: context.logger)
            }
            let inbox = InboxConsumer(
                configuration: InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: "loss", topics: ["t"])),
                client: database.client, schema: database.schema, serviceName: "test", handler: router, deadLetters: producer,
                logger: LocalStack.logger())
            let batch = try (0..<5).map { seq in
                KafkaConsumerMessage(
                    topic: "t", partition: 0, offset: Int64(seq), key: Array("c".utf8),
                    value: try EventEnvelope(payload: CounterStep(seq: seq), producer: "test", caseId: "c").encoded(), headers: [])
            }
            // The transaction whose connection closed fails; the consumer applies the batch again
            // event by event (or, had that failed too, polls it again).
            var outcome = try await within(.seconds(10)) { () -> String in
                do {
                    try await inbox.apply(batch)
                    return "applied"
                } catch {
                    return "failed: \(error)"
                }
            }
            #expect(outcome != nil, "the batch whose connection closed finishes (no answer within 10 s means it waits for good)")
            if outcome != "applied" {
                outcome = try await within(.seconds(10)) { () -> String in
                    try await inbox.apply(batch)
                    return "applied"
                }
            }
            #expect(outcome == "applied")
            #expect(try await Effects.rows(database).map(\.seq) == [0, 1, 2, 3, 4], "each event applied once")
            await producer.close()
        }
    }

    /// Terminates the connection's backend from another connection and waits until the client has
    /// seen it close and torn its channel down.
    static func terminate(_ connection: PostgresConnection, from database: ScratchDatabase) async throws {
        let logger = LocalStack.logger()
        let pid = try await connection.run("SELECT pg_backend_pid()", logger: logger).decode(Int32.self).collectAll()[0]
        try await database.client.run("SELECT pg_terminate_backend(\(pid))", logger: logger)
        let deadline = ContinuousClock.now + .seconds(5)
        while !connection.isClosed && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
    }
}

/// The body's result, or nil when it has not finished within `limit` (it is then left running: a
/// body stuck for good must not hang the test run).
func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    let result = Box<Result<T, any Error>?>(nil)
    Task {
        do {
            result.set(.success(try await body()))
        } catch {
            result.set(.failure(error))
        }
    }
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if let finished = result.value { return try finished.get() }
        try await Task.sleep(for: .milliseconds(20))
    }
    return nil
}

/// A value shared between tasks.
final class Box<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    var value: Value { state.withLock { $0 } }
    func set(_ value: Value) { state.withLock { $0 = value } }
    /// Sets the value and returns the one before.
    func exchange(_ value: Value) -> Value { state.withLock { old in defer { old = value }; return old } }
}
