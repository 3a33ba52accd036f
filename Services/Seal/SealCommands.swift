import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKafka
import HallKit
import Logging
import PostgresNIO

/// The seal executable's commands besides serving.
enum SealCommands {
    /// `seal verify-register [SEAL-ID…]`: re-verifies registers in `HALL_DATABASE_SCHEMA` (default
    /// `seal`) of `HALL_DATABASE_URL`; prints one line per seal; exit 0 all intact, 2 one broken, 1 error.
    static func verifyRegister(_ arguments: [String]) async -> Int32 {
        var logger = Logger(label: "hall.seal.verify")
        logger.logLevel = .warning
        do {
            let environment = EnvironmentReader()
            let schema = environment.string("HALL_DATABASE_SCHEMA", default: "seal")
            let database = try DatabaseConfiguration(
                url: try environment.require("HALL_DATABASE_URL"), key: "HALL_DATABASE_URL", schema: schema, poolSize: 2)
            let client = PostgresClient(configuration: database.clientConfiguration(), backgroundLogger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                // Verification needs only public keys: no master key.
                let repository = PostgresSealRepository(
                    client: client, schema: schema, vault: KeyVault(masterKey: Array(repeating: 0, count: 32)), logger: logger)
                var ids = arguments.compactMap(UUID.init(uuidString:))
                if ids.count != arguments.count { throw HallError.invalid("seal id", "arguments must be seal ids (UUIDs)") }
                if ids.isEmpty { ids = try await repository.seals(departmentId: nil).map(\.sealId) }
                var broken = false
                for id in ids {
                    guard let report = try await repository.verifyRegister(sealId: id) else {
                        print("\(id.uuidString.lowercased()) unknown seal")
                        broken = true
                        continue
                    }
                    if report.intact {
                        print("\(id.uuidString.lowercased()) intact imprints=\(report.checked)")
                    } else {
                        broken = true
                        print("\(id.uuidString.lowercased()) BROKEN at serial \(report.firstBrokenSerial ?? 0): \(report.problem?.rawValue ?? "?") (intact before it: \(report.checked))")
                    }
                }
                return broken ? 2 : 0
            }
        } catch {
            FileHandle.standardError.write(Data("seal verify-register: \(error)\n".utf8))
            return 1
        }
    }

    /// `seal bench [--departments N] [--per-department N] [--single N] [--concurrency N] [--lanes N]
    /// [--kafka N] [--consumer-batch N]`: on a fresh
    /// schema of `HALL_ADMIN_DATABASE_URL` (or `HALL_DATABASE_URL`), seals documents across
    /// departments, then on one seal, then verifies; prints rates; drops the schema.
    static func bench(_ arguments: [String]) async -> Int32 {
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else { return fallback }
            return value
        }
        if arguments.contains("--help") {
            print(
                """
                usage: seal bench [--departments N (16)] [--per-department N (500)] [--single N (3000)] [--concurrency N (32)]
                                  [--lanes N (8)] [--kafka N (16000, 0: skip)] [--consumer-batch N (500)]
                On a fresh schema of HALL_ADMIN_DATABASE_URL (or HALL_DATABASE_URL): seals N × departments documents over the
                direct path with `concurrency` callers (sealed together in up to `lanes` transactions at once), then `single` on one seal, then (with HALL_KAFKA_BROKERS) `kafka` requests
                through the seal's own consumer polling `consumer-batch` records at a time, then verifies; prints rates.
                """)
            return 0
        }
        let departments = option("--departments", 16)
        let perDepartment = option("--per-department", 500)
        let single = option("--single", 3000)
        let concurrency = option("--concurrency", 32)
        let kafkaCount = option("--kafka", 16_000)
        let consumerBatch = option("--consumer-batch", 500)
        let lanes = option("--lanes", 8)
        var logger = Logger(label: "hall.seal.bench")
        logger.logLevel = .warning
        do {
            let environment = EnvironmentReader()
            let url = try environment.raw("HALL_ADMIN_DATABASE_URL") ?? environment.require("HALL_DATABASE_URL")
            let schema = "sealbench_\(UInt32.random(in: 0...UInt32.max))"
            let database = try DatabaseConfiguration(url: url, key: "HALL_ADMIN_DATABASE_URL", schema: schema, poolSize: concurrency + 2)
            let client = PostgresClient(configuration: database.clientConfiguration(), backgroundLogger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                try await Migrator.migrate(PlatformMigrations.all + SealMigrations.all, schema: schema, client: client, logger: logger)
                let vault = KeyVault(masterKey: (0..<32).map { _ in UInt8.random(in: 0...255) })
                let repository = PostgresSealRepository(client: client, schema: schema, vault: vault, logger: logger, sealingLanes: lanes)
                let store = repository.store
                let departmentIds = (0..<departments).map { "d-\($0)" }
                try await client.transaction(logger: logger) { connection in
                    let at = Date()
                    try await store.apply(
                        WindowChanged(windowId: "w-1", name: "1", kind: .comprehensive, departmentIds: [], active: true), occurredAt: at,
                        on: connection, logger: logger)
                    for id in departmentIds {
                        try await store.apply(
                            DepartmentChanged(departmentId: id, name: id, active: true, chiefRepresentative: .init(staffId: "chief-\(id)", name: "c"), substitute: nil),
                            occurredAt: at, on: connection, logger: logger)
                        try await store.apply(
                            StaffChanged(staffId: "chief-\(id)", name: "c", departmentId: id, windowId: "w-1", qualified: true, active: true), occurredAt: at,
                            on: connection, logger: logger)
                    }
                }
                var seals: [SealRecord] = []
                for id in departmentIds {
                    seals.append(
                        try await repository.registerSeal(
                            SealRegistration(
                                departmentId: id, name: "\(id) seal", code: "SC-\(id)", custodianStaffId: "chief-\(id)", authorisations: [],
                                validFrom: Date(timeIntervalSinceNow: -60), validUntil: Date(timeIntervalSinceNow: 86_400)), by: "bench"))
                }
                func request(_ department: String, _ n: Int, _ tag: String) -> SealingRequest {
                    let hash = Hex.encode(SHA256.hash(data: Array("\(tag)-\(department)-\(n)".utf8)))
                    return SealingRequest(
                        documentKind: .approvalDecision, documentHash: hash, caseId: "C-\(tag)-\(n)", departmentId: department,
                        requestedBy: "chief-\(department)", windowId: "w-1")
                }
                func run(_ requests: [SealingRequest]) async throws -> Double {
                    let start = ContinuousClock.now
                    try await withThrowingTaskGroup(of: Void.self) { workers in
                        let chunks = stride(from: 0, to: requests.count, by: max(1, requests.count / concurrency + 1)).map {
                            Array(requests[$0..<min($0 + requests.count / concurrency + 1, requests.count)])
                        }
                        for chunk in chunks {
                            workers.addTask {
                                for request in chunk {
                                    guard case .sealed = try await repository.apply(request) else { throw HallError(.internalError, "refused in bench") }
                                }
                            }
                        }
                        try await workers.waitForAll()
                    }
                    let elapsed = ContinuousClock.now - start
                    return Double(requests.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                }
                // Interleave departments so concurrent workers hit different seals.
                var across: [SealingRequest] = []
                for n in 0..<perDepartment { for id in departmentIds { across.append(request(id, n, "a")) } }
                let acrossRate = try await run(across)
                print(String(format: "seal bench: %d imprints across %d departments, concurrency %d: %.0f imprints/s", across.count, departments, concurrency, acrossRate))
                let one = (0..<single).map { request(departmentIds[0], $0, "s") }
                let singleRate = try await run(one)
                print(String(format: "seal bench: %d imprints on one seal, concurrency %d: %.0f imprints/s", single, concurrency, singleRate))

                // Over Kafka, the way intake and the coordinator ask: requests across the departments on a
                // topic, applied by the seal's own consumer (inbox, lanes, one transaction per lane batch).
                if let brokers = ProcessInfo.processInfo.environment["HALL_KAFKA_BROKERS"]?.split(separator: ",").map(String.init), kafkaCount > 0 {
                    let kafka = KafkaClientConfiguration(bootstrapServers: brokers, clientId: "seal-bench")
                    let topic = "sealbench-\(UInt32.random(in: 0...UInt32.max))"
                    try await KafkaAdminClient(configuration: kafka, logger: logger).createTopics([KafkaTopicSpecification(name: topic, partitions: 6)])
                    let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: kafka), logger: logger)
                    var messages: [KafkaProducerMessage] = []
                    for n in 0..<(kafkaCount / departments) {
                        for id in departmentIds {
                            let r = request(id, n, "k")
                            let payload = SealDocumentRequested(
                                documentKind: r.documentKind, documentHash: r.documentHash, caseId: r.caseId + "-" + id, departmentId: r.departmentId,
                                requestedBy: r.requestedBy, windowId: r.windowId)
                            let envelope = try EventEnvelope(payload: payload, producer: "coordinator", caseId: payload.caseId)
                            messages.append(KafkaProducerMessage(topic: topic, key: payload.caseId, value: try envelope.encoded()))
                        }
                    }
                    for result in await producer.send(messages) { _ = try result.get() }
                    let before = try await client.run("SELECT count(*) FROM \(unescaped: schema).imprints", logger: logger).decode(Int64.self).collectAll()[0]
                    var consumerKafka = KafkaConsumerConfiguration(client: kafka, groupId: topic, topics: [topic])
                    consumerKafka.sessionTimeout = .seconds(6)
                    consumerKafka.heartbeatInterval = .seconds(1)
                    // The service's own consumer definition (handler and laning), with its default batch size.
                    let definition = SealConsumer.definition(store: store)
                    var inbox = InboxConsumerConfiguration(kafka: consumerKafka)
                    inbox.laning = definition.laning
                    inbox.batchSize = consumerBatch
                    let consumer = InboxConsumer(
                        configuration: inbox, client: client, schema: schema, serviceName: "seal", handler: definition.handler,
                        deadLetters: producer, logger: logger)
                    let consuming = Task { try await consumer.run() }
                    var first: (ContinuousClock.Instant, Int64)?
                    var sealed: Int64 = 0
                    let deadline = ContinuousClock.now + .seconds(300)
                    while sealed < Int64(messages.count), ContinuousClock.now < deadline {
                        sealed = try await client.run("SELECT count(*) FROM \(unescaped: schema).imprints", logger: logger).decode(Int64.self).collectAll()[0] - before
                        if first == nil, sealed > 0 { first = (ContinuousClock.now, sealed) }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    consuming.cancel()
                    _ = await consuming.result
                    await producer.close()
                    if let first, sealed > first.1 {
                        let elapsed = ContinuousClock.now - first.0
                        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                        print(String(format: "seal bench: %lld imprints across %d departments requested over Kafka (seal consumer): %.0f imprints/s", sealed, departments, Double(sealed - first.1) / seconds))
                    } else {
                        print("seal bench: over Kafka: only \(sealed) of \(messages.count) sealed")
                    }
                }

                // Verification: each imprint's hash + Ed25519 signature, in memory, on all cores.
                let register = try await client.withConnection { try await store.register(sealId: seals[0].sealId, through: nil, on: $0, logger: logger) }
                let key = try Curve25519.Signing.PublicKey(rawRepresentation: seals[0].publicKey)
                let cores = ProcessInfo.processInfo.activeProcessorCount
                let rounds = 3
                let start = ContinuousClock.now
                let valid = try await withThrowingTaskGroup(of: Int.self) { workers in
                    for core in 0..<cores {
                        workers.addTask {
                            var count = 0
                            for _ in 0..<rounds {
                                for index in stride(from: core, to: register.count, by: cores) where register[index].check(publicKey: key) == .valid { count += 1 }
                            }
                            return count
                        }
                    }
                    return try await workers.reduce(0, +)
                }
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print(String(format: "seal bench: %d imprint verifications (hash + Ed25519) on %d cores: %.0f verifications/s", valid, cores, Double(valid) / seconds))
                let registerStart = ContinuousClock.now
                let report = try await repository.verifyRegister(sealId: seals[0].sealId)!
                let registerElapsed = ContinuousClock.now - registerStart
                let registerSeconds = Double(registerElapsed.components.seconds) + Double(registerElapsed.components.attoseconds) / 1e18
                print(String(format: "seal bench: verify-register of %d imprints (read + chain + signatures, one task): %.3f s, %.0f imprints/s, intact=%@", report.checked, registerSeconds, Double(report.checked) / registerSeconds, report.intact ? "yes" : "no"))
                try await client.run("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: logger)
                return 0
            }
        } catch {
            FileHandle.standardError.write(Data("seal bench: \(error)\n".utf8))
            return 1
        }
    }
}
