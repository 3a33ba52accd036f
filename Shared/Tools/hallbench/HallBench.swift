@preconcurrency import Glibc
import ArgumentParser
import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import Logging
import PostgresNIO
import Synchronization

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

    @Flag(help: "Run only the light-load latency measurement.")
    var latencyOnly = false

    @Flag(help: "Run only raw produce (the ceiling) and the relay draining a backlog.")
    var relayOnly = false

    @Option(help: "Relay rows per transaction in the backlog run.")
    var relayBatch = 5000

    @Option(help: "Transactions per pgbench client (8 clients).")
    var pgbenchTransactions = 5000

    @Flag(help: "Print only pgbench -N on the stack's cluster (the ceiling beside a service's own benchmark).")
    var pgbenchOnly = false

    @Flag(help: "Run only the intake HTTP benchmark (acceptance throughput and guide reads).")
    var intake = false

    @Option(help: "Applications POSTed in the intake acceptance run (after a warm-up of 500).")
    var intakeRequests = 20_000

    @Option(help: "Guide GETs in the intake read run.")
    var intakeReads = 100_000

    @Option(help: "Concurrent HTTP clients in the intake runs.")
    var intakeClients = 32

    @Option(help: "Cases accepted for the look-ups of a different case each time (more than a run looks up).")
    var intakeCases = 12_000

    @Option(help: "Seconds of each public-page run (wrk); the service allows 100,000 look-ups a minute from one address.")
    var intakePageSeconds = 2

    @Option(help: "Transactions per pgbench client for the intake run's pgbench -N figure (0 skips it).")
    var intakePgbenchTransactions = 1000

    @Flag(help: "Run only the coordinator benchmark (routing accepted cases, firing due timers) on the coordinator executable.")
    var coordinator = false

    @Option(help: "Accepted cases routed in the coordinator run.")
    var cases = 20_000

    @Option(help: "Pending timers at least, in the coordinator's timer run.")
    var timers = 100_000

    @Option(name: .customLong("due"), help: "Timers made due at once in the coordinator's timer run.")
    var dueCount = 10_000

    @Option(help: "Transactions per pgbench client for the coordinator run's pgbench -N figure (0 skips it).")
    var coordinatorPgbenchTransactions = 2000

    @Flag(help: "Run only the seal benchmark (sealing over HTTP and Kafka, verification) on the seal executable.")
    var seal = false

    @Option(help: "Departments (one seal each) in the seal run.")
    var sealDepartments = 16

    @Option(help: "Documents per department sealed over HTTP in the seal run.")
    var sealPerDepartment = 500

    @Option(help: "Documents sealed over HTTP on one seal in the seal run.")
    var sealSingle = 3000

    @Option(help: "Documents requested over Kafka in the seal run (0 skips it).")
    var sealKafka = 16_000

    @Option(help: "Concurrent HTTP clients in the seal run.")
    var sealClients = 32

    @Option(help: "Transactions per pgbench client for the seal run's pgbench -N figure (0 skips it).")
    var sealPgbenchTransactions = 2000

    @Flag(help: "Run only the complaints benchmark (filing over HTTP) on the complaints executable.")
    var complaints = false

    @Option(help: "Complaints filed in the complaints run (after a warm-up of 500).")
    var complaintsRequests = 20_000

    @Option(help: "Concurrent HTTP clients in the complaints run.")
    var complaintsClients = 32

    @Option(help: "Transactions per pgbench client for the complaints run's pgbench -N figure (0 skips it).")
    var complaintsPgbenchTransactions = 1000

    @Flag(help: "Run only the appraisal benchmark (event ingestion, a year's statistics) on the appraisal executable.")
    var appraisal = false

    @Option(help: "Events delivered in the appraisal ingestion run.")
    var appraisalEvents = 60_000

    @Option(help: "Cases of the generated year in the appraisal statistics run.")
    var appraisalYearCases = 1_000_000

    @Option(help: "Transactions per pgbench client for the appraisal run's pgbench -N figure (0 skips it).")
    var appraisalPgbenchTransactions = 1000

    @Flag(help: "Run only the whole-hall benchmark: the five executables, clerks over HTTP, a department system over Kafka.")
    var hall = false

    @Option(help: "Concurrent clerks submitting applications in the whole-hall run.")
    var hallClients = 16

    @Option(help: "Seconds of load in the whole-hall run (the first 10 s are not counted).")
    var hallSeconds = 60

    @Option(help: "Applications submitted per second in all in the whole-hall run (0: as fast as the clerks are answered).")
    var hallRate = 0

    @Option(help: "Seconds the idle hall is measured after the whole-hall run, once it has settled for as long (0 skips it).")
    var hallIdle = 20

    @Option(help: "Transactions per pgbench client for the whole-hall run's pgbench -N figure (0 skips it).")
    var hallPgbenchTransactions = 2000

    func run() async throws {
        // Each figure is printed as soon as it is known, also into a pipe or a file.
        setvbuf(stdout, nil, _IOLBF, 0)
        let kafka = try LocalKafka.stack()
        let adminURL = try requireValue(LocalStack.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL")
        print("ServiceHall benchmark — \(ProcessInfo.processInfo.processorCount) cores, librdkafka \(LibRdKafka.versionString)")
        if pgbenchOnly {
            let tps = try runPgbench(adminURL: adminURL, transactionsPerClient: pgbenchTransactions)
            print(String(format: "pgbench -N (8 clients × %d transactions, scale 10): %.0f TPS", pgbenchTransactions, tps))
            return
        }
        if intake {
            try await intakeBenchmark(adminURL: adminURL)
            return
        }
        if coordinator {
            try await coordinatorBenchmark(adminURL: adminURL)
            return
        }
        if seal {
            try await sealBenchmark(adminURL: adminURL)
            return
        }
        if complaints {
            try await complaintsBenchmark(adminURL: adminURL)
            return
        }
        if appraisal {
            try await appraisalBenchmark(adminURL: adminURL)
            return
        }
        if hall {
            try await wholeHallBenchmark(adminURL: adminURL)
            return
        }

        let producer = try kafka.producer(messageTimeout: .seconds(60))
        if relayOnly {
            let raw = try await rawProduce(kafka: kafka)
            try await relayBacklog(kafka: kafka, producer: producer, raw: raw) { _, _ in }
            await producer.close()
            return
        }
        if !latencyOnly {
            try await throughput(kafka: kafka, adminURL: adminURL, producer: producer)
        }
        try await latency(kafka: kafka, producer: producer)
        await producer.close()
    }

    /// Ceilings, producer, consumer, relay and inbox throughput.
    private func throughput(kafka: LocalKafka, adminURL: String, producer: KafkaProducer) async throws {
        // 1. Ceilings measured in this run.
        let pgbench = try runPgbench(adminURL: adminURL, transactionsPerClient: pgbenchTransactions)
        print(String(format: "pgbench -N (8 clients × %d transactions, scale 10): %.0f TPS", pgbenchTransactions, pgbench))
        let raw = try await rawProduce(kafka: kafka)

        // 2. Producer and consumer through HallKafka.
        let topic = try await kafka.makeTopics(["bench-produce"], partitions: 6)[0]
        await producer.lookUp(topic: topic)
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 300)
        let start = ContinuousClock.now
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
            configuration: kafka.consumerConfiguration(group: LocalStack.uniqueName("bench"), topics: [topic]), logger: LocalStack.logger())
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
        try await relayBacklog(kafka: kafka, producer: producer, raw: raw) { database, relayTopic in
            let logger = LocalStack.logger()
            var inboxConfiguration = InboxConsumerConfiguration(
                kafka: kafka.consumerConfiguration(group: LocalStack.uniqueName("bench-inbox"), topics: [relayTopic]))
            inboxConfiguration.batchSize = 3000
            let inbox = InboxConsumer(
                configuration: inboxConfiguration, client: database.client, schema: database.schema, serviceName: "bench",
                handler: Effects.handler(schema: database.schema), deadLetters: producer, logger: logger)
            let kafkaConsumer = try KafkaConsumer(configuration: inboxConfiguration.kafka, logger: logger)
            var applied = 0
            var inboxStart: ContinuousClock.Instant?
            while applied < events {
                let batch = await kafkaConsumer.poll(maxMessages: inboxConfiguration.batchSize, timeout: .seconds(1))
                if batch.isEmpty { continue }
                if inboxStart == nil { inboxStart = .now }
                try await inbox.apply(batch)
                kafkaConsumer.storeOffsets(batch)
                applied += batch.count
            }
            let inboxRate = Double(events) / seconds(since: inboxStart!)
            await kafkaConsumer.close()
            let rows = try await database.client.run("SELECT count(*)::bigint FROM \(unescaped: database.schema).effects", logger: logger)
                .decode(Int64.self).collectAll().first ?? 0
            print(String(format: "inbox consumer (batch per transaction, effect + inbox row): %.0f events/s = %.2f × pgbench -N (%lld effects)", inboxRate, inboxRate / pgbench, rows))
        }
    }

    /// Raw librdkafka idempotent produce: the ceiling the relay is compared with.
    private func rawProduce(kafka: LocalKafka) async throws -> (perSecond: Double, failed: Int) {
        let rawTopic = try await kafka.makeTopics(["bench-raw"], partitions: 6)[0]
        let raw = try KafkaRawBenchmark.produce(
            configuration: KafkaProducerConfiguration(client: kafka.client("bench-raw")), topic: rawTopic, count: records, size: 300)
        print(String(format: "raw librdkafka idempotent produce (300 B): %.0f msg/s (%d failed)", raw.perSecond, raw.failed))
        return raw
    }

    /// Appends `events` to a fresh outbox, drains it with a relay and prints the rate; then runs
    /// `then` on the same schema and topic (the inbox run reads what the relay published).
    private func relayBacklog(
        kafka: LocalKafka, producer: KafkaProducer, raw: (perSecond: Double, failed: Int),
        then: @Sendable (ScratchDatabase, String) async throws -> Void
    ) async throws {
        try await ScratchDatabase.with(extra: [Effects.migration], poolSize: 30) { database in
            let relayTopic = try await kafka.makeTopics(["bench-relay"], partitions: 6)[0]
            // What is measured is draining, not the producer's one-off lookup of a topic created
            // a moment ago (up to ~0.8 s on the first send to it; a service's topics exist).
            await producer.lookUp(topic: relayTopic)
            let outbox = Outbox(schema: database.schema)
            let logger = LocalStack.logger()
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
            relayConfiguration.batchSize = relayBatch
            if let workers = ProcessInfo.processInfo.environment["HALL_BENCH_RELAY_WORKERS"].flatMap(Int.init) { relayConfiguration.concurrency = workers }
            let relay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, configuration: relayConfiguration, logger: logger)
            let relayStart = ContinuousClock.now
            let draining = Task { try await relay.run() }
            while try await pending(database) > 0 { try await Task.sleep(for: .milliseconds(20)) }
            let relayElapsed = seconds(since: relayStart)
            draining.cancel()
            _ = await draining.result
            let relayRate = Double(events) / relayElapsed
            print(String(format: "outbox relay, backlog of %d drained (commit → delivered): %.0f events/s = %.0f%% of raw produce", events, relayRate, 100 * relayRate / raw.perSecond))
            try await then(database, relayTopic)
        }
    }

    /// Light-load publishing latency.
    private func latency(kafka: LocalKafka, producer: KafkaProducer) async throws {
        // 4. Light-load latency on a fresh schema: one event every 10 ms, relay polling.
        try await ScratchDatabase.with(extra: [Effects.migration], poolSize: 10) { database in
            let outbox = Outbox(schema: database.schema)
            let logger = LocalStack.logger()
            let latencyTopic = try await kafka.makeTopics(["bench-latency"], partitions: 6)[0]
            var lightConfiguration = OutboxRelayConfiguration()
            if let workers = ProcessInfo.processInfo.environment["HALL_BENCH_RELAY_WORKERS"].flatMap(Int.init) { lightConfiguration.concurrency = workers }
            // Latency is measured from the moment the append's transaction committed (as the
            // appending code sees it) to the moment the relay's transaction that moved its cursor
            // past the delivered row committed.
            let deliveredAt = Mutex<[String: Date]>([:])
            let observer = OutboxRelayObserver { ids in
                let now = Date()
                deliveredAt.withLock { for id in ids { $0[id] = now } }
            }
            let lightRelay = OutboxRelay(
                client: database.client, schema: database.schema, producer: producer, configuration: lightConfiguration, logger: logger,
                observer: observer)
            var committedAt: [UUID: Date] = [:]
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await lightRelay.run() }
                // Warm-up: the topic was just created; its partitions' first records wait for
                // leader metadata (~1 s). Production topics exist long before; do not count this.
                let warmUp = try (0..<60).map { index in
                    OutgoingEvent(
                        topic: Topic(rawValue: latencyTopic),
                        envelope: try EventEnvelope(payload: CounterStep(seq: index), producer: "bench", caseId: "warm-\(index)"))
                }
                try await database.client.transaction(logger: logger) { try await outbox.append(warmUp, on: $0, logger: logger) }
                while try await pending(database) > 0 { try await Task.sleep(for: .milliseconds(50)) }
                for index in 0..<latencyEvents {
                    let event = OutgoingEvent(
                        topic: Topic(rawValue: latencyTopic),
                        envelope: try EventEnvelope(payload: CounterStep(seq: index), producer: "bench", caseId: "latency-\(index % 50)"))
                    try await database.client.transaction(logger: logger) { try await outbox.append([event], on: $0, logger: logger) }
                    committedAt[event.envelope.id] = Date()
                    try await Task.sleep(for: .milliseconds(10))
                }
                while try await pending(database) > 0 { try await Task.sleep(for: .milliseconds(50)) }
                group.cancelAll()
            }
            var latencies: [Double] = []
            let delivered = deliveredAt.withLock { $0 }
            for (eventId, committed) in committedAt {
                if let publishedAt = delivered[eventId.uuidString.lowercased()] {
                    latencies.append(max(0, publishedAt.timeIntervalSince(committed)) * 1000)
                }
            }
            if ProcessInfo.processInfo.environment["HALL_BENCH_DEBUG"] != nil {
                print(latencies.map { String(format: "%.0f", $0) }.joined(separator: " "))
            }
            latencies.sort()
            let row = (latencies[latencies.count / 2], latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))], latencies.last!)
            print(String(format: "publishing latency at light load (commit → delivered, %d events): p50 %.1f ms, p99 %.1f ms, max %.1f ms", latencyEvents, row.0, row.1, row.2))
        }
    }

    /// The number of buckets with rows not yet published: one index probe per bucket, so polling
    /// it costs the relay being measured next to nothing (counting a 100,000-row backlog would).
    private func pending(_ database: ScratchDatabase) async throws -> Int64 {
        try await database.client.run(
            """
            SELECT count(*)::bigint FROM \(unescaped: database.schema).outbox_cursor AS c
            WHERE EXISTS (SELECT 1 FROM \(unescaped: database.schema).outbox AS o
                          WHERE o.bucket = c.bucket AND (o.publish_xid, o.id) > (c.last_xid, c.last_id))
            """, logger: LocalStack.logger()
        ).decode(Int64.self).collectAll().first ?? 0
    }

    func seconds(since start: ContinuousClock.Instant) -> Double {
        seconds(ContinuousClock.now - start)
    }

    func seconds(_ elapsed: Duration) -> Double {
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Runs `pgbench -N` against a scratch database of the same cluster and returns its TPS.
    func runPgbench(adminURL: String, transactionsPerClient: Int) throws -> Double {
        let bindir = ProcessInfo.processInfo.environment["HALL_PG_BINDIR"] ?? "/usr/lib/postgresql/15/bin"
        let pgbench = FileManager.default.isExecutableFile(atPath: "\(bindir)/pgbench") ? "\(bindir)/pgbench" : "pgbench"
        guard var components = URLComponents(string: adminURL) else { throw ValidationError("HALL_ADMIN_DATABASE_URL is not a URL") }
        components.path = "/hall_pgbench"
        let benchURL = components.string!
        _ = try shell(["psql", adminURL, "-qc", "DROP DATABASE IF EXISTS hall_pgbench"])
        _ = try shell(["psql", adminURL, "-qc", "CREATE DATABASE hall_pgbench"])
        _ = try shell([pgbench, "-q", "-i", "-s", "10", benchURL])
        // -t (a transaction count) rather than -T: a child of this process may inherit a blocked
        // SIGALRM, and pgbench's -T then never ends.
        let output = try shell([pgbench, "-N", "-c", "8", "-j", "2", "-t", String(transactionsPerClient), benchURL])
        _ = try shell(["psql", adminURL, "-qc", "DROP DATABASE IF EXISTS hall_pgbench"])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let value = Double(line.dropFirst(6).prefix { $0 == "." || $0.isNumber })
        else { throw ValidationError("could not read pgbench output:\n\(output)") }
        return value
    }

    func shell(_ arguments: [String]) throws -> String {
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
