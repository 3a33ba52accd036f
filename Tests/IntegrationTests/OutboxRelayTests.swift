import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import PostgresNIO
import Testing

@Suite("Outbox and relay against real PostgreSQL and Kafka", .enabled(if: stackAvailable), .serialized)
struct OutboxRelayTests {
    @Test("committed events reach the consumer's effect exactly once, even when the relay dies between delivery and marking; rolled-back events never leave")
    func exactlyOnceAcrossRelayCrash() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let topic = try await kafka.makeTopics(["relay-crash"])[0]
            let committed = try await Effects.append(cases: ["c1", "c2", "c3", "c4", "c5"], steps: 20, topic: topic, database: database)
            _ = try await Effects.append(cases: ["rolled-back"], steps: 5, topic: topic, database: database, commit: false)
            #expect(try await database.pendingOutbox() == 100)

            // A relay process publishes the batch, the broker acknowledges it, and the process dies
            // before it can mark the rows.
            let crashing = try await Worker(["relay", "--schema", database.schema, "--crash-after-delivery"])
            let signal = try await crashing.waitForExit()
            #expect(signal == SIGKILL)
            #expect(try await database.pendingOutbox() == 100, "the dead relay moved no cursor: nothing counts as published")

            // The next relay publishes everything again.
            let producer = try kafka.producer()
            let relay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, logger: LocalStack.logger())
            while try await database.pendingOutbox() > 0 { try await relay.relayOnce() }

            // The topic really holds events twice (those the dead relay delivered, again) …
            let records = try await kafka.readAll(topic, atLeast: 101)
            #expect(records.count > 100)
            #expect(Set(records.compactMap { $0.headers.first(named: EventHeader.eventId) }) == Set(committed.map { $0.uuidString.lowercased() }))
            // … but the consumer applies each once.
            let consumer = startConsumer(database: database, kafka: kafka, topic: topic, group: LocalStack.uniqueName("g"), producer: producer)
            try await eventually("100 effects") { try await database.effectCount() >= 100 }
            try await Task.sleep(for: .seconds(2))
            consumer.cancel()
            _ = await consumer.result
            let effects = try await Effects.rows(database)
            #expect(effects.count == 100)
            #expect(Set(effects.map(\.eventId)) == Set(committed))
            #expect(!effects.contains { $0.caseId == "rolled-back" })
            #expect(!records.contains { $0.keyString == "rolled-back" })
            await producer.close()
        }
    }

    @Test("an idle relay publishes a committed event at once, woken by the commit, not by its next poll; rows written behind its back still go out at the fallback poll")
    func idleRelayWokenByCommit() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let topic = try await kafka.makeTopics(["wake"])[0]
            let producer = try kafka.producer()
            // The topic is known to the producer before the clock starts: on a broker busy with the
            // whole suite a new topic's metadata can take seconds, which is not what is measured here.
            _ = try await producer.send(KafkaProducerMessage(topic: topic, key: "probe", value: [1]))
            var configuration = OutboxRelayConfiguration()
            // The idle poll is ten minutes: an event published within the wait below was published
            // because the commit woke the relay, however slow a broker busy with the whole suite is
            // (21 s from commit to delivery report has been seen).
            configuration.idlePollInterval = .seconds(600)
            let relay = OutboxRelay(
                client: database.client, schema: database.schema, producer: producer, configuration: configuration, logger: LocalStack.logger())
            let running = Task { try await relay.run() }
            // Let the relay find the outbox empty and settle into its idle wait.
            try await Task.sleep(for: .seconds(1))
            _ = try await Effects.append(cases: ["w"], steps: 1, topic: topic, database: database)
            try await eventually("published after the commit, long before the idle poll", timeout: .seconds(120), interval: .milliseconds(10)) {
                try await database.pendingOutbox() == 0
            }
            running.cancel()
            _ = await running.result

            // A row committed without HallKit's transaction (as by another process: no wake-up
            // after its commit) waits for the fallback poll, here of 2 s.
            configuration.idlePollInterval = .seconds(2)
            let polling = Task {
                try await OutboxRelay(
                    client: database.client, schema: database.schema, producer: producer, configuration: configuration, logger: LocalStack.logger()
                ).run()
            }
            try await Task.sleep(for: .seconds(1))
            let outbox = Outbox(schema: database.schema)
            let event = OutgoingEvent(
                topic: Topic(rawValue: topic), envelope: try EventEnvelope(payload: CounterStep(seq: 1), producer: "test", caseId: "w"))
            try await database.client.withConnection { connection in
                try await connection.run("BEGIN", logger: LocalStack.logger())
                try await connection.run("\(insert: try Outbox.Rows([event]), into: outbox)", logger: LocalStack.logger())
                try await connection.run("COMMIT", logger: LocalStack.logger())
            }
            try await eventually("published by the fallback poll", timeout: .seconds(60)) { try await database.pendingOutbox() == 0 }
            polling.cancel()
            _ = await polling.result
            await producer.close()
        }
    }

    @Test("each case's events are applied in the order they were appended")
    func perCaseOrder() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let topic = try await kafka.makeTopics(["order"], partitions: 6)[0]
            let cases = (0..<12).map { "case-\($0)" }
            let outbox = Outbox(schema: database.schema)
            // Interleave the cases: every transaction carries one step of every case.
            for seq in 0..<25 {
                let events = try cases.map {
                    OutgoingEvent(topic: Topic(rawValue: topic), envelope: try EventEnvelope(payload: CounterStep(seq: seq), producer: "test", caseId: $0))
                }
                try await database.client.transaction(logger: LocalStack.logger()) {
                    try await outbox.append(events, on: $0, logger: LocalStack.logger())
                }
            }
            let producer = try kafka.producer()
            var relayConfiguration = OutboxRelayConfiguration()
            relayConfiguration.batchSize = 37  // many small batches
            let relay = startRelay(database: database, producer: producer, configuration: relayConfiguration)
            let consumer = startConsumer(
                database: database, kafka: kafka, topic: topic, group: LocalStack.uniqueName("g"), producer: producer
            ) { $0.batchSize = 20 }
            try await eventually("300 effects") { try await database.effectCount() >= 300 }
            relay.cancel()
            consumer.cancel()
            _ = await (relay.result, consumer.result)
            let effects = try await Effects.rows(database)
            #expect(effects.count == 300)
            for caseId in cases {
                #expect(effects.filter { $0.caseId == caseId }.map(\.seq) == Array(0..<25), "order of \(caseId)")
            }
            await producer.close()
        }
    }

    @Test("two relays and two consumers of one group: no duplicates, every partition served, a killed consumer's partitions taken over")
    func twoOfEach() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let topic = try await kafka.makeTopics(["pair"], partitions: 6)[0]
            let group = LocalStack.uniqueName("pair")
            let cases = (0..<24).map { "case-\($0)" }
            let relays = [
                try await Worker(["relay", "--schema", database.schema]),
                try await Worker(["relay", "--schema", database.schema]),
            ]
            let first = try await Worker(["consume", "--schema", database.schema, "--topic", topic, "--group", group, "--name", "first"])
            let second = try await Worker(["consume", "--schema", database.schema, "--topic", topic, "--group", group, "--name", "second"])
            // Feed every case, a step at a time, until both members have applied something (the
            // group has settled with partitions on each).
            var appended = 0
            try await eventually("both consumers applying", timeout: .seconds(90), interval: .milliseconds(500)) {
                _ = try await Effects.append(cases: cases, steps: 1, topic: topic, database: database)
                appended += cases.count
                return try await database.count("SELECT count(DISTINCT applied_by)::bigint FROM \(database.schema).effects") == 2
            }
            try await eventually("everything so far applied") { try await database.effectCount() >= appended }
            // The first consumer dies without leaving the group; more events arrive for every case.
            first.kill()
            let beforeKill = appended
            _ = try await Effects.append(cases: cases, steps: 10, topic: topic, database: database)
            appended += cases.count * 10
            try await eventually("every event applied after the takeover", timeout: .seconds(90)) { try await database.effectCount() >= appended }
            try await Task.sleep(for: .seconds(2))
            relays.forEach { $0.stop() }
            second.stop()

            let effects = try await Effects.rows(database)
            #expect(effects.count == appended)
            #expect(Set(effects.map(\.eventId)).count == appended, "no event applied twice")
            // Every case's last wave (the first consumer was dead) was applied by the survivor.
            let lastWave = try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).effects WHERE applied_by = 'second' AND id > (SELECT max(id) FROM \(database.schema).effects WHERE applied_by = 'first')")
            #expect(lastWave >= appended - beforeKill)
            for caseId in cases {
                let steps = effects.filter { $0.caseId == caseId }.map(\.seq)
                #expect(steps.count == appended / cases.count)
            }
            // Two relays never published a row twice: the topic holds exactly one record per event.
            let records = try await kafka.readAll(topic, atLeast: appended)
            #expect(records.count == appended)
        }
    }

    @Test("published rows are deleted after the retention, unpublished ones are kept, and a republished range is applied once")
    func retentionAndRepublish() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let topic = try await kafka.makeTopics(["retention"])[0]
            let started = Date()
            _ = try await Effects.append(cases: ["a", "b"], steps: 5, topic: topic, database: database)
            let producer = try kafka.producer()
            let relay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, logger: LocalStack.logger())
            while try await database.pendingOutbox() > 0 { try await relay.relayOnce() }

            // Case "c" is appended but not yet published. Then "a" (published) and "c" (not)
            // are made 8 days old: past the 7-day default retention.
            _ = try await Effects.append(cases: ["c"], steps: 1, topic: topic, database: database)
            _ = try await database.count(
                "WITH aged AS (UPDATE \(database.schema).outbox SET created_at = now() - interval '8 days' WHERE key IN ('a', 'c') RETURNING 1) SELECT count(*)::bigint FROM aged")
            try await relay.deleteExpired()
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox WHERE key = 'a'") == 0)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).outbox WHERE key = 'b'") == 5)
            #expect(try await database.pendingOutbox() == 1, "an unpublished event is kept however old")
            while try await database.pendingOutbox() > 0 { try await relay.relayOnce() }

            let consumer = startConsumer(database: database, kafka: kafka, topic: topic, group: LocalStack.uniqueName("g"), producer: producer)
            try await eventually("11 effects") { try await database.effectCount() >= 11 }

            let queued = try await Outbox(schema: database.schema).republish(
                from: started, to: Date().addingTimeInterval(1), requestedBy: "operator-1", producer: "test", auditTopic: Topic(rawValue: topic),
                client: database.client, logger: LocalStack.logger())
            #expect(queued == 5)
            while try await database.pendingOutbox() > 0 { try await relay.relayOnce() }
            let records = try await kafka.readAll(topic, atLeast: 17)
            #expect(records.count == 17, "11 first publications + 5 republished + 1 audit event")
            let audit = try #require(records.first { $0.headers.first(named: EventHeader.eventType) == OutboxRepublished.eventType })
            let payload = try EventEnvelope.decode(from: audit.value).payload(as: OutboxRepublished.self)
            #expect(payload.rows == 5)
            #expect(payload.requestedBy == "operator-1")
            try await Task.sleep(for: .seconds(2))
            consumer.cancel()
            _ = await consumer.result
            #expect(try await database.effectCount() == 11, "the republished events changed nothing")
            await producer.close()
        }
    }

    @Test("counting what is not yet published reads past each bucket's cursor, not the published rows kept for retention")
    func pendingCountSkipsPublishedRows() async throws {
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let schema = database.schema
            // A busy day's published events, kept for the retention: the cursors are past them all.
            _ = try await database.count(
                """
                WITH added AS (
                    INSERT INTO \(schema).outbox (event_id, event_type, event_version, producer, topic, key, payload)
                    SELECT gen_random_uuid(), 'test.published', 1, 'test', 'hall.test', 'case-' || g, repeat('x', 800)
                    FROM generate_series(1, 20000) AS g RETURNING 1)
                SELECT count(*)::bigint FROM added
                """)
            _ = try await database.count(
                """
                WITH moved AS (
                    UPDATE \(schema).outbox_cursor AS c SET last_xid = m.xid, last_id = m.id
                    FROM (SELECT bucket, max(publish_xid) AS xid, max(id) AS id FROM \(schema).outbox GROUP BY bucket) AS m
                    WHERE m.bucket = c.bucket RETURNING 1)
                SELECT count(*)::bigint FROM moved
                """)
            try await database.client.query(PostgresQuery(unsafeSQL: "ANALYZE \(schema).outbox"), logger: LocalStack.logger())
            #expect(try await database.pendingOutbox() == 0)

            let plan = try await database.client.query(
                PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT count(*) FROM \(schema).outbox_pending"),
                logger: LocalStack.logger()
            ).decode(String.self).collectAll().joined(separator: "\n")
            #expect(!plan.contains("Seq Scan on outbox "), "the whole outbox was read:\n\(plan)")
            #expect(!plan.contains("JIT:"), "the count was compiled before it ran:\n\(plan)")
            let pages = try await database.count("SELECT pg_relation_size('\(schema).outbox') / current_setting('block_size')::bigint")
            let touched = try #require(
                plan.split(separator: "\n").compactMap { line -> Int? in
                    guard line.contains("Buffers: shared hit=") else { return nil }
                    return Int(line.split(separator: "=")[1].prefix { $0.isNumber })
                }.first, "no buffer count in:\n\(plan)")
            #expect(touched * 10 < pages, "counting nothing touched \(touched) of the outbox's \(pages) pages")

            _ = try await Effects.append(cases: ["new"], steps: 1, topic: "hall.test", database: database)
            #expect(try await database.pendingOutbox() == 1, "a new event is still counted")
        }
    }

    @Test("a transaction that commits after a newer one is not skipped: its events are published too")
    func lateCommitNotSkipped() async throws {
        let (sent, received) = try await twoEventsOfOneKey("late-commit") { events, outbox, relay, database, older in
            let logger = LocalStack.logger()
            // The older transaction appends first (lower id) and stays open …
            try await older.query("BEGIN", logger: logger)
            try await outbox.append([events[0]], on: older, logger: logger)
            // … while a newer one appends and commits, and the relay runs.
            try await database.client.transaction(logger: logger) { try await outbox.append([events[1]], on: $0, logger: logger) }
            for _ in 0..<3 { try await relay.relayOnce() }
            try await older.query("COMMIT", logger: logger)
        }
        #expect(Set(received) == Set(sent), "both events reached the broker")
        #expect(received.count == 2)
    }

    @Test("a key's events leave in append order even when the later append's transaction began before the earlier one")
    func appendOrderAcrossWaitingTransaction() async throws {
        let (sent, received) = try await twoEventsOfOneKey("append-order") { events, outbox, _, database, waiting in
            let logger = LocalStack.logger()
            // A transaction that has written something (it has its transaction id) and then
            // waits, as a consumer's transaction waits for a case's lock …
            try await waiting.query("BEGIN", logger: logger)
            try await waiting.query("SELECT pg_current_xact_id()", logger: logger)
            // … meanwhile another appends the key's first event and commits; then the waiting
            // one appends the second.
            try await database.client.transaction(logger: logger) { try await outbox.append([events[0]], on: $0, logger: logger) }
            try await outbox.append([events[1]], on: waiting, logger: logger)
            try await waiting.query("COMMIT", logger: logger)
        }
        #expect(received == sent)
    }

    @Test("the last write before a quiet spell is published at once: it does not wait for some later transaction to take an id")
    func lastWriterBeforeSilence() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let logger = LocalStack.logger()
            let topic = try await kafka.makeTopics(["quiet"], partitions: 1)[0]
            let event = OutgoingEvent(
                topic: Topic(rawValue: topic), envelope: try EventEnvelope(payload: CounterStep(seq: 0), producer: "test", caseId: "quiet"))
            try await database.client.withConnection { writer in
                // The writer takes its transaction id; a newer transaction takes one and commits
                // (as a consumer's does in a busy hall); then the writer appends and commits, and
                // the database falls quiet.
                try await writer.query("BEGIN", logger: logger)
                try await writer.query("SELECT pg_current_xact_id()", logger: logger)
                try await database.client.transaction(logger: logger) { try await $0.query("SELECT pg_current_xact_id()", logger: logger) }
                try await Outbox(schema: database.schema).append([event], on: writer, logger: logger)
                try await writer.query("COMMIT", logger: logger)
            }
            // With the writer committed, its row lies below the horizon of any snapshot taken now
            // without waiting for another transaction id to be handed out.
            let waiting = try await database.count(
                """
                SELECT count(*)::bigint FROM \(database.schema).outbox
                WHERE publish_xid >= pg_snapshot_xmax(pg_current_snapshot())
                """)
            #expect(waiting == 0, "the row's horizon lies beyond every completed transaction")
            let producer = try kafka.producer()
            let relay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, logger: logger)
            try await eventually("the quiet write published") {
                try await relay.relayOnce()
                return try await database.pendingOutbox() == 0
            }
            let records = try await kafka.readAll(topic, atLeast: 1)
            #expect(records.compactMap { $0.headers.first(named: EventHeader.eventId) } == [event.envelope.id.uuidString.lowercased()])
            await producer.close()
        }
    }

    /// Runs `body` with two events of case "k" (one bucket, one cursor), an outbox, a relay and a
    /// connection of its own (for a transaction the body keeps open); then drains the outbox.
    /// Returns the two event ids and those the one-partition topic received, in order.
    private func twoEventsOfOneKey(
        _ name: String,
        _ body: @Sendable ([OutgoingEvent], Outbox, OutboxRelay, ScratchDatabase, PostgresConnection) async throws -> Void
    ) async throws -> (sent: [String], received: [String]) {
        let kafka = try LocalKafka.stack()
        return try await ScratchDatabase.with(extra: [Effects.migration]) { database in
            let topic = try await kafka.makeTopics([name], partitions: 1)[0]
            let producer = try kafka.producer()
            let relay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, logger: LocalStack.logger())
            let events = try (0..<2).map {
                OutgoingEvent(topic: Topic(rawValue: topic), envelope: try EventEnvelope(payload: CounterStep(seq: $0), producer: "test", caseId: "k"))
            }
            try await database.client.withConnection { connection in
                try await body(events, Outbox(schema: database.schema), relay, database, connection)
            }
            while try await database.pendingOutbox() > 0 { try await relay.relayOnce() }
            let records = try await kafka.readAll(topic, atLeast: 2)
            await producer.close()
            return (events.map { $0.envelope.id.uuidString.lowercased() }, records.compactMap { $0.headers.first(named: EventHeader.eventId) })
        }
    }

    @Test("upgrading a database: events pending under the previous outbox are published, published ones are not sent again")
    func upgradeKeepsPendingRows() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(migrate: false) { database in
            let topic = try await kafka.makeTopics(["upgrade"], partitions: 1)[0]
            let logger = LocalStack.logger()
            // The schema as it was before the cursors (platform migrations 1–3).
            let previous = PlatformMigrations.all.filter { $0.version <= 3 } + [Effects.migration]
            try await Migrator.migrate(previous, schema: database.schema, client: database.client, logger: logger)
            let published = try await Effects.append(cases: ["done"], steps: 3, topic: topic, database: database)
            let pending = try await Effects.append(cases: ["waiting"], steps: 3, topic: topic, database: database)
            _ = try await database.count(
                "WITH marked AS (UPDATE \(database.schema).outbox SET published_at = now() WHERE key = 'done' RETURNING 1) SELECT count(*)::bigint FROM marked")

            try await Migrator.migrate(PlatformMigrations.all + [Effects.migration], schema: database.schema, client: database.client, logger: logger)
            #expect(try await database.pendingOutbox() == 3)
            let later = try await Effects.append(cases: ["waiting"], steps: 1, topic: topic, database: database)

            let producer = try kafka.producer()
            let relay = OutboxRelay(client: database.client, schema: database.schema, producer: producer, logger: logger)
            while try await database.pendingOutbox() > 0 { try await relay.relayOnce() }
            let records = try await kafka.readAll(topic, atLeast: 4)
            #expect(records.compactMap { $0.headers.first(named: EventHeader.eventId) } == (pending + later).map { $0.uuidString.lowercased() },
                "the pending events, in order, then the new one")
            #expect(!records.contains { record in published.contains { $0.uuidString.lowercased() == record.headers.first(named: EventHeader.eventId) } })
            await producer.close()
        }
    }
}

