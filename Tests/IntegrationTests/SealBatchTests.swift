import Crypto
import Foundation
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import PostgresNIO
import Testing

@testable import seal

extension SealFixture {
    /// Request `n` of alternately d-market (even, by its chief) and d-tax (odd), as a Kafka record
    /// the way the coordinator sends it (a new envelope id each time).
    static func requestMessage(_ n: Int, topic: String) throws -> KafkaProducerMessage {
        let request = SealFixture.request(n, department: n % 2 == 0 ? "d-market" : "d-tax", by: n % 2 == 0 ? "s-zhang" : "s-qian")
        let payload = SealDocumentRequested(
            documentKind: request.documentKind, documentHash: request.documentHash, caseId: request.caseId, departmentId: request.departmentId,
            requestedBy: request.requestedBy, windowId: request.windowId)
        let envelope = try EventEnvelope(payload: payload, producer: "coordinator", caseId: payload.caseId)
        return KafkaProducerMessage(topic: topic, key: payload.caseId, value: try envelope.encoded())
    }

    /// Seals `requests` as one batch in one transaction, the way the consumer does (a repeat is
    /// answered again); one outcome per request.
    func applyBatch(_ requests: [SealingRequest]) async throws -> [SealingOutcome] {
        let logger = self.logger
        return try await database.client.transaction(logger: logger) { connection in
            try await store.apply(
                requests, now: { Date() }, reemitOnRepeat: true, on: connection, logger: logger, requestLogger: { _ in logger }
            ) { index, payload in
                OutgoingEvent(topic: .sealEvents, envelope: try EventEnvelope(payload: payload, producer: "seal", caseId: requests[index].caseId))
            }
        }
    }

    /// The answers queued in the outbox (sealed or refused), in the order they were queued.
    func answers() async throws -> [EventEnvelope] {
        try await database.client.query(
            "SELECT payload FROM \(unescaped: database.schema).outbox WHERE event_type LIKE 'seal.document.%' ORDER BY id", logger: logger
        ).decode(String.self).collectAll().map { try EventEnvelope.decode(from: Array($0.utf8)) }
    }

    /// Each department's serials in order.
    func serials() async throws -> [String: [Int]] {
        let rows = try await database.client.query(
            "SELECT department_id, array_agg(serial ORDER BY serial) FROM \(unescaped: database.schema).imprints GROUP BY department_id", logger: logger
        ).decode((String, [Int]).self).collectAll()
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.0, $0.1) })
    }
}

@Suite("Seal requests sealed in batches: one read and one write per batch", .enabled(if: stackAvailable))
struct SealBatchTests {
    func refusal(_ outcome: SealingOutcome) -> SealRefusalReason? {
        if case .refused(let refusal) = outcome { return refusal.reason }
        return nil
    }

    @Test("a batch holding two requests for one document seals it once: both, and a request for a document sealed before, answer with its imprint")
    func sameDocumentTwice() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            let seal = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            let earlier = try hall.sealed(try await hall.repository.apply(SealFixture.request(1)))

            let outcomes = try await hall.applyBatch([SealFixture.request(2), SealFixture.request(3), SealFixture.request(2), SealFixture.request(1)])
            let two = try hall.sealed(outcomes[0])
            let three = try hall.sealed(outcomes[1])
            #expect(outcomes[0] == .sealed(two, repeated: false) && outcomes[1] == .sealed(three, repeated: false))
            #expect(outcomes[2] == .sealed(two, repeated: true), "the second request for document 2 answers with the imprint made earlier in the batch")
            #expect(outcomes[3] == .sealed(earlier, repeated: true))
            #expect([earlier.serial, two.serial, three.serial] == [1, 2, 3])
            #expect(two.previousHash == earlier.imprintHash && three.previousHash == two.imprintHash)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).imprints") == 3)
            // One answer per request, in request order, each caused by its own request.
            let answers = try await hall.answers().dropFirst()  // the first is the direct sealing of document 1
            #expect(try answers.map { try $0.payload(as: DocumentSealed.self).imprintId } == [two, three, two, earlier].map(\.imprintId))
            #expect(try await hall.repository.verifyRegister(sealId: seal.sealId) == .init(intact: true, checked: 3, firstBrokenSerial: nil, problem: nil))
        }
    }

    @Test("a batch mixing refused and valid requests of two seals seals the valid ones with gap-free serials and records each refusal with its reason")
    func mixedBatch() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            let market = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            let tax = try await hall.repository.registerSeal(hall.registration("d-tax"), by: "admin")
            var malformed = SealFixture.request(2)
            malformed.documentHash = "not a digest"
            let batch = [
                SealFixture.request(1),
                malformed,
                SealFixture.request(3, department: "d-tax", by: "s-qian"),
                SealFixture.request(4, by: "s-nobody"),
                SealFixture.request(5, window: "w-99"),
                SealFixture.request(6, kind: .acceptanceNotice, by: "s-wang"),
                SealFixture.request(7, department: "d-tax", by: "s-qian", window: "w-09"),
                SealFixture.request(8, department: "d-nowhere", by: "s-zhang"),
                SealFixture.request(9, by: "s-qian"),
                SealFixture.request(10),
            ]
            let outcomes = try await hall.applyBatch(batch)
            #expect(outcomes.map(refusal) == [nil, .malformedDocumentHash, nil, .notAuthorised, .windowNotHallWindow, nil, nil, .noSeal, .departmentMismatch, nil])
            let sealed = outcomes.compactMap { if case .sealed(let imprint, false) = $0 { imprint } else { nil } }
            #expect(sealed.map(\.caseId) == ["C-1", "C-3", "C-6", "C-7", "C-10"])
            #expect(try await hall.serials() == ["d-market": [1, 2, 3], "d-tax": [1, 2]])
            #expect(sealed.filter { $0.departmentId == "d-market" }.map(\.serial) == [1, 2, 3], "serials follow the request order")

            // Revoked between two batches: the department's requests are refused, the other seal's chain goes on.
            _ = try await hall.repository.revokeSeal(id: tax.sealId, reason: "seal lost", by: "admin", successor: nil)
            let after = try await hall.applyBatch([
                SealFixture.request(11, department: "d-tax", by: "s-qian"), SealFixture.request(12), SealFixture.request(3, department: "d-tax", by: "s-qian"),
            ])
            #expect(after.map(refusal) == [.sealRevoked, nil, nil])
            #expect(after[2] == .sealed(sealed[1], repeated: true), "a document sealed before the revocation still answers with its imprint")
            #expect(try await hall.serials() == ["d-market": [1, 2, 3, 4], "d-tax": [1, 2]])

            let refusals = try await database.client.query(
                "SELECT case_id, reason FROM \(unescaped: database.schema).refusals ORDER BY refusal_id", logger: hall.logger
            ).decode((String, String).self).collectAll()
            #expect(refusals.map(\.0) == ["C-2", "C-4", "C-5", "C-8", "C-9", "C-11"])
            #expect(refusals.map(\.1) == ["malformed-document-hash", "not-authorised", "window-not-hall-window", "no-seal", "department-mismatch", "seal-revoked"])
            // Every request answered once, in request order.
            let answers = try await hall.answers()
            #expect(answers.map(\.caseId) == (batch + [SealFixture.request(11), SealFixture.request(12), SealFixture.request(3)]).map(\.caseId))
            #expect(answers.filter { $0.type == DocumentRefused.eventType }.count == 6)
            for seal in [market, tax] { #expect(try await hall.repository.verifyRegister(sealId: seal.sealId)?.intact == true) }
        }
    }

    @Test("concurrent direct callers on one seal, two instances: each caller gets its own outcome, one imprint per document, serials gap-free")
    func concurrentCallers() async throws {
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            let seal = try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin")
            try await ScratchDatabase.with(migrate: false) { other in
                let second = PostgresSealRepository(client: other.client, schema: database.schema, vault: SealFixture.vault, logger: hall.logger)
                // 30 documents, document 1 asked for 8 times, and 6 requests by someone not authorised.
                let requests = (1...30).map { SealFixture.request($0) } + Array(repeating: SealFixture.request(1), count: 7)
                    + (31...36).map { SealFixture.request($0, by: "s-nobody") }
                let results = try await withThrowingTaskGroup(of: (Int, SealingOutcome).self) { group in
                    for (index, request) in requests.enumerated() {
                        let repository = index.isMultiple(of: 2) ? hall.repository : second
                        group.addTask { (index, try await repository.apply(request)) }
                    }
                    return try await group.reduce(into: [Int: SealingOutcome]()) { $0[$1.0] = $1.1 }
                }
                for (index, request) in requests.enumerated() {
                    let outcome = try #require(results[index])
                    if request.requestedBy == "s-nobody" {
                        #expect(refusal(outcome) == .notAuthorised)
                    } else {
                        #expect(try hall.sealed(outcome).caseId == request.caseId, "each caller is answered about its own document")
                    }
                }
                let firsts = requests.indices.filter { requests[$0].caseId == "C-1" }.map { results[$0]! }
                #expect(Set(try firsts.map { try hall.sealed($0).imprintId }).count == 1)
                #expect(firsts.filter { if case .sealed(_, false) = $0 { true } else { false } }.count == 1)
            }
            #expect(try await hall.serials() == ["d-market": Array(1...30)])
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).refusals") == 6)
            #expect(try await hall.repository.verifyRegister(sealId: seal.sealId) == .init(intact: true, checked: 30, firstBrokenSerial: nil, problem: nil))
        }
    }

    @Test("two consumer instances applying the same requests at once seal each document once, serials gap-free, every request answered, nothing dead-lettered")
    func racingConsumers() async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: SealMigrations.all) { database in
            let hall = SealFixture(database)
            try await hall.seedDirectory()
            let seals = [
                try await hall.repository.registerSeal(hall.registration("d-market"), by: "admin"),
                try await hall.repository.registerSeal(hall.registration("d-tax"), by: "admin"),
            ]
            let topic = try await kafka.makeTopics(["seal-race"], partitions: 3)[0]
            let producer = try kafka.producer()
            var messages: [KafkaProducerMessage] = []
            for n in 0..<150 {
                // Every tenth document is asked for twice (a new request, not a redelivery).
                for _ in 0..<(n.isMultiple(of: 10) ? 2 : 1) { messages.append(try SealFixture.requestMessage(n, topic: topic)) }
            }
            for result in await producer.sendSigned(messages) { _ = try result.get() }
            // Two instances that both get every request (two groups, as during a rebalance that
            // hands a partition over while the old owner still applies it), the service's laning.
            let groups = [LocalStack.uniqueName("g"), LocalStack.uniqueName("g")]
            let consumers = groups.map { group in
                let definition = SealConsumer.definition(store: hall.store)
                var configuration = InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: group, topics: [topic]))
                configuration.deadLetterTopic = topic + ".dlq"
                configuration.laning = definition.laning
                configuration.batchSize = 64
                return InboxConsumer(
                    configuration: configuration, client: database.client, schema: database.schema, serviceName: "seal",
                    handler: definition.handler, deadLetters: producer, logger: LocalStack.logger())
            }
            let running = consumers.map { consumer in Task { try await consumer.run() } }
            defer { running.forEach { $0.cancel() } }
            try await eventually("both instances applied every request", timeout: .seconds(90)) {
                try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox") == 2 * messages.count
            }
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox WHERE status <> 'applied'") == 0)
            #expect(try await hall.serials() == ["d-market": Array(1...75), "d-tax": Array(1...75)])
            // Each instance answered every request; every answer about a document names its one imprint.
            let answers = try await hall.answers().map { try $0.payload(as: DocumentSealed.self) }
            #expect(answers.count == 2 * messages.count)
            #expect(Dictionary(grouping: answers, by: \.caseId).allSatisfy { Set($0.value.map(\.imprintId)).count == 1 })
            for seal in seals { #expect(try await hall.repository.verifyRegister(sealId: seal.sealId)?.intact == true) }
            await producer.close()
        }
    }
}

@Suite("Seal consumer laning")
struct SealLaningTests {
    @Test("a seal request is laned by its department whatever its partition and case; directory events by their record key")
    func lanes() throws {
        func record(_ envelope: EventEnvelope, key: String, partition: Int32) throws -> KafkaConsumerMessage {
            KafkaConsumerMessage(topic: "t", partition: partition, offset: 0, key: Array(key.utf8), value: try envelope.encoded(), headers: [])
        }
        let requests = try (0..<4).map { n in
            let request = SealFixture.request(n, department: "d-tax", by: "s-qian")
            let payload = SealDocumentRequested(
                documentKind: request.documentKind, documentHash: request.documentHash, caseId: request.caseId, departmentId: request.departmentId,
                requestedBy: request.requestedBy, windowId: request.windowId)
            return try record(try EventEnvelope(payload: payload, producer: "coordinator", caseId: request.caseId), key: request.caseId, partition: Int32(n))
        }
        #expect(Set(requests.map(SealConsumer.laning.key)) == ["seal:d-tax"])
        let window = try EventEnvelope(payload: WindowChanged(windowId: "w-07", name: "7", kind: .comprehensive, departmentIds: [], active: true), producer: "intake", caseId: nil)
        #expect(SealConsumer.laning.key(try record(window, key: "w-07", partition: 0)) == "w-07")
    }
}
