import AsyncHTTPClient
import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import Logging
import Synchronization

/// The whole hall (`hallbench --hall`): the five release executables (``Hall``), `--hall-clients`
/// clerks submitting committed single-department and joint applications over HTTP for
/// `--hall-seconds` (as fast as they are answered, or `--hall-rate` a second in all), and a department system that decides every task at once over Kafka (an opinion
/// countersigned by the chief representative in the same command). Prints completed cases/s
/// (`coordinator.case.completed`: every decision sealed) and p50/p99 of accepted → last decision
/// sealed over the steady part of the run, database commits per completed case, and pgbench `-N`.
extension HallBench {
    func wholeHallBenchmark(adminURL: String) async throws {
        if hallPgbenchTransactions > 0 {
            let pgbench = try runPgbench(adminURL: adminURL, transactionsPerClient: hallPgbenchTransactions)
            print(String(format: "pgbench -N (8 clients × %d transactions, scale 10): %.0f TPS", hallPgbenchTransactions, pgbench))
        }
        // The coordinator's timer loop as in production (the end-to-end tests look every 200 ms), so
        // that the idle figure is the one an operator gets.
        let settings = [
            "HALL_LOG_LEVEL": "error", "HALL_DATABASE_POOL_SIZE": "20", "HALL_COORDINATOR_TIMER_INTERVAL_MS": "500",
            "HALL_COORDINATOR_TIMER_IDLE_MAX_MS": "5000",
        ]
        try await Hall.run(extra: settings) { hall in
            let logger = LocalStack.logger("hallbench")
            let kafka = try LocalKafka.stack()
            let system = try DepartmentSystem(hall: hall, kafka: kafka, logger: logger)
            let deciding = Task { try await system.run() }
            defer { deciding.cancel() }
            let commitsBefore = try databaseCommits(adminURL: adminURL)

            // The clerks: closed loop, three committed applications for one joint.
            let clerk = try await hall.clerk
            let counts = SubmissionCounts()
            let started = ContinuousClock.now
            let until = started + .seconds(hallSeconds)
            let tag = hall.tag
            // Where the time goes: the CPU of each service and of its database backends over the
            // steady part of the load, and the machine's, measured beside the load.
            let warmUpSeconds = min(10, hallSeconds / 3)
            let measuredSeconds = max(1, hallSeconds - warmUpSeconds - 1)
            let cpuDuringLoad = Task { () -> (share: CPUShare, machine: Double)? in
                try? await Task.sleep(until: started + .seconds(warmUpSeconds), clock: .continuous)
                let machineBefore = Self.machineTicks()
                guard let share = try? await self.cpuShare(hall: hall, adminURL: adminURL, seconds: measuredSeconds) else { return nil }
                let machineAfter = Self.machineTicks()
                let machine = Double(machineAfter.busy - machineBefore.busy) * 100 / Double(max(1, machineAfter.all - machineBefore.all)) * Double(ProcessInfo.processInfo.activeProcessorCount)
                return (share, machine)
            }
            try await withThrowingTaskGroup(of: Void.self) { clerks in
                // With --hall-rate, each clerk paces itself so that together they submit that many a
                // second (an open loop the hall may keep up with); without, each submits as fast as
                // it is answered.
                let interval: Duration? = hallRate > 0 ? .seconds(Double(hallClients) / Double(hallRate)) : nil
                for client in 0..<hallClients {
                    clerks.addTask {
                        var n = 0
                        var next = started + (interval ?? .zero) * (Double(client) / Double(max(hallClients, 1)))
                        while ContinuousClock.now < until {
                            if let interval {
                                try await Task.sleep(until: next, clock: .continuous)
                                next += interval
                            }
                            let item = n % 4 == 3 ? "JNT-001" : "MKT-001"
                            let body = Hall.application(item, idNumber: Hall.idNumber(n), key: "bench-\(tag)-\(client)-\(n)")
                            let answer = try? await hall.call("intake", .POST, "/v1/applications", token: clerk, body)
                            if answer?.status == 201, answer?.json["outcome"] == "accepted" {
                                counts.accepted.add(1, ordering: .relaxed)
                            } else {
                                counts.failed.add(1, ordering: .relaxed)
                            }
                            n += 1
                        }
                    }
                }
                try await clerks.waitForAll()
            }
            let submitted = counts.accepted.load(ordering: .relaxed)
            // Every accepted case completes: wait for the stragglers (60 s at most).
            let drain = ContinuousClock.now + .seconds(60)
            while system.completedCount < submitted, ContinuousClock.now < drain { try await Task.sleep(for: .milliseconds(200)) }
            let commits = try databaseCommits(adminURL: adminURL) - commitsBefore
            let completions = system.completions
            deciding.cancel()
            _ = await deciding.result

            // The steady part: from 10 s after the start to the end of the load.
            let loadSeconds = Double(hallSeconds)
            let warmUp = min(10.0, loadSeconds / 3)
            let startDate = Date().addingTimeInterval(-seconds(since: started))
            let steady = completions.filter {
                let t = $0.seenAt.timeIntervalSince(startDate)
                return t >= warmUp && t <= loadSeconds
            }
            // Latencies of the steady part too: the first cases also wait for the consumers to join.
            let latencies = steady.map { $0.completedAt.timeIntervalSince($0.acceptedAt) * 1000 }.sorted()
            func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
            print(
                String(
                    format: "whole hall: %d clerks for %d s%@: %d accepted (%d refused or failed), %d completed; %.0f completed cases/s (steady %.0f–%.0f s)",
                    hallClients, hallSeconds, hallRate > 0 ? " at \(hallRate) applications/s" : "", submitted, counts.failed.load(ordering: .relaxed), completions.count,
                    Double(steady.count) / max(loadSeconds - warmUp, 0.001), warmUp, loadSeconds))
            print(
                String(
                    format: "whole hall: accepted → last decision sealed p50 %.0f ms, p99 %.0f ms, max %.0f ms; %.1f database commits per completed case",
                    percentile(0.5), percentile(0.99), latencies.last ?? 0, Double(commits) / Double(max(completions.count, 1))))
            if let (share, machine) = await cpuDuringLoad.value {
                let perCase = Double(steady.count) / max(loadSeconds - warmUp, 0.001)
                func line(_ shares: [String: Double]) -> String {
                    shares.sorted { $0.value > $1.value }.map { String(format: "%@ %.0f %% (%.1f ms a case)", $0.key, $0.value, $0.value * 10 / max(perCase, 0.001)) }
                        .joined(separator: ", ")
                }
                print(
                    String(
                        format: "whole hall: CPU over %d–%d s, in %% of one core — the machine %.0f %% of %d cores; services: %@; their database backends %.0f %% (%@); the rest (broker, load, department system) %.0f %%",
                        warmUpSeconds, warmUpSeconds + measuredSeconds, machine, ProcessInfo.processInfo.activeProcessorCount, line(share.services),
                        share.backends, line(share.backendsBySchema), max(0, machine - share.services.values.reduce(0, +) - share.backends)))
            }
            if completions.count < submitted {
                print(try whereCasesStand(hall: hall, adminURL: adminURL, undelivered: system.undelivered))
                throw BenchError("only \(completions.count) of \(submitted) accepted cases completed")
            }
            if hallIdle > 0 {
                // The relays and the timer loop back off while nothing happens: let them settle first.
                try await Task.sleep(for: .seconds(max(hallIdle, 30)))
                let idle = try await cpuShare(hall: hall, adminURL: adminURL, seconds: hallIdle)
                let services = idle.services.values.reduce(0, +)
                let each = idle.services.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", ")
                let schemas = idle.backendsBySchema.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", ")
                print(
                    String(
                        format: "idle hall after the load (the five services and their database backends, %d s): %.2f %% of one core (%@; backends %.2f %%: %@) — goal ≤ 2 %% %@",
                        hallIdle, services + idle.backends, each, idle.backends, schemas, services + idle.backends <= 2 ? "✔" : "✘"))
            }
        }
    }

    /// The CPU of the five services and of their database backends, in % of one core.
    typealias CPUShare = (services: [String: Double], backends: Double, backendsBySchema: [String: Double])

    /// The share of one core the five services and their database backends use in `seconds`
    /// (user + system time from /proc; the broker and this process are not counted; a backend
    /// opened during the measurement is not counted either).
    private func cpuShare(hall: Hall, adminURL: String, seconds: Int) async throws -> CPUShare {
        // Each backend with the schema it serves (application_name `hall-<schema>`).
        let backends = try shell([
            "psql", adminURL, "-AtF", " ", "-c",
            "SELECT pid, substr(application_name, 6) FROM pg_stat_activity WHERE application_name LIKE 'hall-\(hall.namespace)%'",
        ]).split(whereSeparator: \.isNewline).compactMap { line -> (Int32, String)? in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let pid = Int32(parts[0]) else { return nil }
            return (pid, String(parts[1]))
        }
        let servicesBefore = hall.services.mapValues { Self.cpuTicks($0.pid) }
        let backendsBefore = backends.map { ($0.0, $0.1, Self.cpuTicks($0.0)) }
        try await Task.sleep(for: .seconds(seconds))
        let perSecond = Double(sysconf(Int32(_SC_CLK_TCK))) * Double(seconds)
        // A backend that ended meanwhile (a pool closing an idle connection) reads 0: it is left out.
        var bySchema: [String: Double] = [:]
        for (pid, schema, before) in backendsBefore {
            let after = Self.cpuTicks(pid)
            if after > 0 { bySchema[schema, default: 0] += Double(max(0, after - before)) * 100 / perSecond }
        }
        let services = Dictionary(uniqueKeysWithValues: hall.services.map { name, service in
            (name, Double(Self.cpuTicks(service.pid) - (servicesBefore[name] ?? 0)) * 100 / perSecond)
        })
        return (services, bySchema.values.reduce(0, +), bySchema)
    }

    /// The machine's busy and total clock ticks so far, over every core (`/proc/stat`).
    static func machineTicks() -> (busy: Int, all: Int) {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return (0, 0) }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard ticks.count >= 5 else { return (0, 0) }
        // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
        let all = ticks.prefix(8).reduce(0, +)
        return (all - ticks[3] - ticks[4], all)
    }

    /// User + system clock ticks of a process so far (0 when it is gone).
    static func cpuTicks(_ pid: Int32) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        // After the name: state is field 3, utime field 14 and stime field 15 of the whole line.
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
        return user + system
    }

    /// Where the cases that did not complete stand, for a run that fails: the coordinator's cases
    /// by state, their tasks and decisions, and what each service dead-lettered.
    private func whereCasesStand(hall: Hall, adminURL: String, undelivered: Int) throws -> String {
        let coordinator = hall.schema("coordinator")
        let queries = [
            """
            SELECT 'coordinator cases not completed, by state: ' || COALESCE(string_agg(state || ' ' || n, ', '), 'none')
            FROM (SELECT state, count(*) AS n FROM \(coordinator).cases WHERE state <> 'completed' GROUP BY state) s
            """,
            """
            SELECT 'their tasks, by state: ' || COALESCE(string_agg(state || ' ' || n, ', '), 'none')
            FROM (SELECT t.state, count(*) AS n FROM \(coordinator).tasks t JOIN \(coordinator).cases c USING (case_id)
                  WHERE c.state <> 'completed' GROUP BY t.state) s
            """,
            """
            SELECT 'their decisions: ' || count(*) || ', sealed ' || count(imprint_id) || ', refused by the seal ' || count(seal_refusal)
            FROM \(coordinator).decisions d JOIN \(coordinator).cases c USING (case_id) WHERE c.state <> 'completed'
            """,
        ] + ["intake", "coordinator", "seal", "appraisal", "complaints"].map { service in
            "SELECT '\(service) dead-lettered: ' || count(*) FROM \(hall.schema(service)).inbox WHERE status <> 'applied'"
        }
        return try shell(["psql", adminURL, "-At"] + queries.flatMap { ["-c", $0] }).trimmingCharacters(in: .whitespacesAndNewlines)
            + "\ndepartment commands the department system could not deliver: \(undelivered)"
    }

    /// Transactions committed so far in the stack's database (all schemas).
    private func databaseCommits(adminURL: String) throws -> Int {
        Int(try shell(["psql", adminURL, "-Atc", "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"])
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}

/// A department system that approves every task it is assigned, at once, over Kafka: the
/// officer's opinion with the chief representative's countersignature in one command.
private final class DepartmentSystem: Sendable {
    struct Completion: Sendable {
        var acceptedAt: Date
        var completedAt: Date
        var seenAt: Date
    }

    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let commandsTopic: String
    private let logger: Logger
    private let completed = Mutex<[Completion]>([])

    init(hall: Hall, kafka: LocalKafka, logger: Logger) throws {
        var configuration = kafka.consumerConfiguration(group: "bench-departments-\(hall.tag)", topics: ["\(hall.namespace).\(Topic.coordinatorEvents.rawValue)"])
        configuration.commitInterval = .seconds(1)
        consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        producer = try kafka.producer(messageTimeout: .seconds(30))
        commandsTopic = "\(hall.namespace).\(Topic.coordinatorDepartmentCommands.rawValue)"
        self.logger = logger
    }

    var completions: [Completion] { completed.withLock { $0 } }
    var completedCount: Int { completed.withLock { $0.count } }
    /// Commands the broker did not take.
    var undelivered: Int { undeliveredCommands.load(ordering: .relaxed) }
    private let undeliveredCommands = Atomic<Int>(0)

    /// Decides until cancelled, then leaves the group and flushes.
    func run() async throws {
        do {
            try await decide()
        } catch {
            await consumer.close()
            await producer.close()
            throw error
        }
        await consumer.close()
        await producer.close()
    }

    private func decide() async throws {
        while !Task.isCancelled {
            let batch = await consumer.poll(maxMessages: 1000, timeout: .milliseconds(100))
            var commands: [KafkaProducerMessage] = []
            var done: [Completion] = []
            for message in batch {
                guard let envelope = try? EventEnvelope.decode(from: message.value) else { continue }
                switch envelope.type {
                case TaskAssigned.eventType:
                    guard let task = try? envelope.payload(as: TaskAssigned.self),
                        let department = Hall.departments.first(where: { $0.id == task.departmentId })
                    else { continue }
                    let opinion = OpinionSubmitted(
                        taskId: task.taskId, departmentId: task.departmentId, opinion: .approve, reasons: [], supplements: [],
                        officerId: department.officer, countersignedBy: department.chief)
                    let command = try EventEnvelope(
                        payload: opinion, producer: "\(department.id)-system", caseId: envelope.caseId, correlationId: envelope.correlationId,
                        causationId: envelope.id)
                    commands.append(
                        KafkaProducerMessage(
                            topic: commandsTopic, key: envelope.caseId, value: try command.encoded(),
                            headers: EventHeader.headers(for: command).map { KafkaHeader(key: $0.key, value: Array($0.value.utf8)) }))
                case CaseCompleted.eventType:
                    guard let completion = try? envelope.payload(as: CaseCompleted.self) else { continue }
                    done.append(Completion(acceptedAt: completion.acceptedAt, completedAt: completion.completedAt, seenAt: Date()))
                default:
                    continue
                }
            }
            if !done.isEmpty { completed.withLock { $0 += done } }
            if !commands.isEmpty {
                for result in await producer.sendSigned(commands) where (try? result.get()) == nil {
                    logger.warning("a department command was not delivered")
                    undeliveredCommands.add(1, ordering: .relaxed)
                }
            }
            consumer.storeOffsets(batch)
        }
    }
}

/// What the clerks' submissions got: accepted, or anything else.
private final class SubmissionCounts: Sendable {
    let accepted = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
}
