import ArgumentParser
import Foundation
import HallContracts
import HallKafka
import HallKit
import HallTestSupport
import Logging
import PostgresNIO

/// Measures the runtime against the machine's own ceilings, on the local stack, and prints figures.
@main
struct HallBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hallbench",
        abstract: "Benchmark the Kafka client, the outbox relay and the inbox consumer beside pgbench and raw librdkafka.")

    @Option(help: "Records for the produce and consume runs.")
    var records = 200_000

    @Option(help: "Events for the relay and inbox runs.")
    var events = 100_000

    @Option(help: "Events for the light-load latency run (one every 10 ms).")
    var latencyEvents = 500

    @Option(help: "Seconds pgbench runs.")
    var pgbenchSeconds = 15

    func run() async throws {
        let kafka = try TestKafka.stack()
        let adminURL = try requireValue(TestEnvironment.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL")
        print("ServiceHall benchmark — \(ProcessInfo.processInfo.processorCount) cores, librdkafka \(LibRdKafka.versionString)")

        // 1. Ceilings measured in this run.
        let pgbench = try runPgbench(adminURL: adminURL, seconds: pgbenchSeconds)
        print(String(format: "pgbench -N (8 clients, %d s): %.0f TPS", pgbenchSeconds, pgbench))
        let rawTopic = try await kafka.makeTopics(["bench-raw"], partitions: 6)[0]
        let raw = try KafkaRawBenchmark.produce(
            configuration: KafkaProducerConfiguration(client: kafka.client("bench-raw")), topic: rawTopic, count: records, size: 300)
        print(String(format: "raw librdkafka idempotent produce (300 B): %.0f msg/s (%d failed)", raw.perSecond, raw.failed))

        // 2. Producer and consumer through HallKafka.
        let topic = try await kafka.makeTopics(["bench-produce"], partitions: 6)[0]
        let producer = try kafka.producer(messageTimeout: .seconds(60))
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 300)
        var start = ContinuousClock.now
        var sent = 0
        while sent < records {
            let count = min(20_000, records - sent)
            let batch = (sent..<(sent + count)).map { KafkaProducerMessage(topic: topic, key: "case-\($0 % 1000)", value: payload) }
            let results = await producer.send(batch)
            precondition(results.allSatisfy { (try? $0.get()) != nil }, "delivery failed")
            sent += count
        }
        let producerRate = Double(records) / seconds(since: start)
        print(String(format: "HallKafka producer (send → delivery report): %.0f msg/s = %.0f%% of raw", producerRate, 100 * producerRate / raw.perSecond))

        let consumer = try KafkaConsumer(
            configuration: kafka.consumerConfiguration(group: TestEnvironment.uniqueName("bench"), topics: [topic]), logger: TestEnvironment.logger())
        var received = 0
        var firstAt: ContinuousClock.Instant?
        while received < records {
            let batch = await consumer.poll(maxMessages: 5000, timeout: .seconds(1))
            if firstAt == nil, !batch.isEmpty { firstAt = .now }
            received += batch.count
            consumer.storeOffsets(batch)
        }
        let consumerRate = Double(records) / seconds(since: firstAt!)
        await consumer.close()
        print(String(format: "HallKafka consumer (poll + store offsets): %.0f msg/s", consumerRate))

        // 3. Outbox relay draining a backlog, and the inbox consumer applying it.
        try await TestDatabase.with(extra: [Effects.migration], poolSize: 30) { database in
            let relayTopic = try await kafka.makeTopics(["bench-relay"], partitions: 6)[0]
            let outbox = Outbox(schema: database.schema)
            let logger = TestEnvironment.logger()
            var appended = 0
            while appended < events {
                let count = min(5000, events - appended)
                let batch = try (appended..<(appended + count)).map { index in
                    OutgoingEvent(
                        topic: Topic(rawValue: relayTopic),
                        envelope: try EventEnvelope(payload: CounterStep(seq: index / 1000), producer: "bench", caseId: "case-\(index % 1000)"))
                }
                try await database.client.transaction(logger: logger) { try await outbox.append(batch, on: $0, logger: logger) }
                appended += count
            }
            var relayConfiguration = OutboxRelayConfiguration()
            relayConfiguration.batchSize = 5000
            let relay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, configuration: relayConfiguration, logger: logger)
            let relayStart = ContinuousClock.now
            var published = 0
            while published < events {
                published += try await relay.relayOnce().published
            }
            let relayRate = Double(events) / seconds(since: relayStart)
            print(String(format: "outbox relay, backlog of %d drained (commit → delivered): %.0f events/s = %.0f%% of raw produce", events, relayRate, 100 * relayRate / raw.perSecond))

            var inboxConfiguration = InboxConsumerConfiguration(
                kafka: kafka.consumerConfiguration(group: TestEnvironment.uniqueName("bench-inbox"), topics: [relayTopic]))
            inboxConfiguration.batchSize = 1000
            let inbox = InboxConsumer(
                configuration: inboxConfiguration, client: database.client, schema: database.schema, serviceName: "bench",
                handler: Effects.handler(schema: database.schema), deadLetters: producer, logger: logger)
            let kafkaConsumer = try KafkaConsumer(configuration: inboxConfiguration.kafka, logger: logger)
            var applied = 0
            var inboxStart: ContinuousClock.Instant?
            while applied < events {
                let batch = await kafkaConsumer.poll(maxMessages: 1000, timeout: .seconds(1))
                if batch.isEmpty { continue }
                if inboxStart == nil { inboxStart = .now }
                try await inbox.apply(batch)
                kafkaConsumer.storeOffsets(batch)
                applied += batch.count
            }
            let inboxRate = Double(events) / seconds(since: inboxStart!)
            await kafkaConsumer.close()
            let rows = try await database.client.query("SELECT count(*)::bigint FROM \(unescaped: database.schema).effects", logger: logger)
                .decode(Int64.self).collectAll().first ?? 0
            print(String(format: "inbox consumer (batch per transaction, effect + inbox row): %.0f events/s = %.2f × pgbench -N (%lld effects)", inboxRate, inboxRate / pgbench, rows))

            // 4. Light-load latency: one event every 10 ms, relay polling.
            let latencyTopic = try await kafka.makeTopics(["bench-latency"], partitions: 6)[0]
            let lightRelay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await lightRelay.run() }
                for index in 0..<latencyEvents {
                    let event = OutgoingEvent(
                        topic: Topic(rawValue: latencyTopic),
                        envelope: try EventEnvelope(payload: CounterStep(seq: index), producer: "bench", caseId: "latency-\(index % 50)"))
                    try await database.client.transaction(logger: logger) { try await outbox.append([event], on: $0, logger: logger) }
                    try await Task.sleep(for: .milliseconds(10))
                }
                while true {
                    let pending = try await database.client.query(
                        "SELECT count(*)::bigint FROM \(unescaped: database.schema).outbox WHERE published_at IS NULL", logger: logger
                    ).decode(Int64.self).collectAll().first ?? 0
                    if pending == 0 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                group.cancelAll()
            }
            let row = try await database.client.query(
                """
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms)
                FROM (SELECT extract(epoch FROM published_at - created_at) * 1000 AS ms
                      FROM \(unescaped: database.schema).outbox WHERE topic = \(latencyTopic)) AS latency
                """, logger: logger
            ).decode((Double, Double, Double).self).collectAll().first!
            print(String(format: "publishing latency at light load (commit → delivered, %d events): p50 %.1f ms, p99 %.1f ms, max %.1f ms", latencyEvents, row.0, row.1, row.2))
        }
        await producer.close()
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Runs `pgbench -N` against a scratch database of the same cluster and returns its TPS.
    private func runPgbench(adminURL: String, seconds: Int) throws -> Double {
        let bindir = ProcessInfo.processInfo.environment["HALL_PG_BINDIR"] ?? "/usr/lib/postgresql/15/bin"
        let pgbench = FileManager.default.isExecutableFile(atPath: "\(bindir)/pgbench") ? "\(bindir)/pgbench" : "pgbench"
        let benchURL = adminURL.replacingOccurrences(of: "/hall", with: "/hall_pgbench", options: .backwards)
        _ = try shell(["psql", adminURL, "-qc", "DROP DATABASE IF EXISTS hall_pgbench"])
        _ = try shell(["psql", adminURL, "-qc", "CREATE DATABASE hall_pgbench"])
        _ = try shell([pgbench, "-q", "-i", "-s", "10", benchURL])
        let output = try shell([pgbench, "-N", "-c", "8", "-j", "2", "-T", String(seconds), benchURL])
        _ = try shell(["psql", adminURL, "-qc", "DROP DATABASE IF EXISTS hall_pgbench"])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let value = Double(line.dropFirst(6).prefix { $0 == "." || $0.isNumber })
        else { throw ValidationError("could not read pgbench output:\n\(output)") }
        return value
    }

    private func shell(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw ValidationError("\(arguments.joined(separator: " ")) failed:\n\(output)") }
        return output
    }
}
