import Foundation
import HallContracts
import HallKit

/// The seal service's consumer (group `hall.seal`): the directory from `hall.intake.events` into
/// projections, what verification tells of a case (receipt code, item, due date) from
/// `hall.intake.events` and `hall.coordinator.events`, and seal requests from `hall.seal.requests`.
///
/// Everything is applied through the inbox, so a redelivered event changes nothing; directory
/// events for one entity arriving out of order keep the later `occurredAt`.
enum SealConsumer {
    static func definition(store: SealStore, clock: @escaping @Sendable () -> Date = { Date() }) -> ConsumerDefinition {
        ConsumerDefinition(
            groupId: ServiceName.seal.defaultConsumerGroup, topics: [.intakeEvents, .coordinatorEvents, .sealRequests],
            handler: router(store: store, clock: clock),
            laning: laning)
    }

    /// Seal requests are laned by department, whatever their partition: each seal's requests are applied by
    /// one lane at a time, so parallel lanes never queue on one seal's lock. Everything else (the
    /// directory) is laned by its record key.
    ///
    /// Only the envelope's `type` and `data.departmentId` are decoded here (``LaneProbe``): the
    /// consumer decodes the whole envelope once more to apply it, and a full decode here cost about
    /// a sixth of the service's CPU on the Kafka path.
    static let laning = ConsumerLaning { message in
        if message.headers.first(named: EventHeader.eventType) == SealDocumentRequested.eventType || message.headers.isEmpty,
            let probe = try? JSONDecoder().decode(LaneProbe.self, from: Data(message.value)), probe.type == SealDocumentRequested.eventType,
            let department = probe.data?.departmentId
        {
            return "seal:" + department
        }
        return message.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The two members of an envelope the laning needs; the rest is skipped, not decoded.
    struct LaneProbe: Decodable {
        struct Payload: Decodable {
            var departmentId: String?
        }

        var type: String
        var data: Payload?
    }

    /// Facts read together (a run of acceptances, of completions) are recorded by one statement.
    static func recordCaseFacts<P: CaseDueFact>(_ type: P.Type, on router: inout EventRouter, store: SealStore) {
        router.onBatch(type) { batch, context in
            let facts = batch.map { fact, envelope in
                SealStore.CaseFact(
                    caseId: envelope.caseId, receiptCode: fact.receiptCode, itemCode: fact.itemCodeIfKnown, dueDate: fact.dueDateNow, at: fact.factAt,
                    final: fact.isFinal)
            }
            try await store.recordCaseFacts(facts, on: context.connection, logger: context.logger)
        }
    }

    static func router(store: SealStore, clock: @escaping @Sendable () -> Date = { Date() }) -> EventRouter {
        var router = EventRouter()
        DirectoryProjection.register(on: &router)
        // What verification tells of a case: its receipt code, item and due date, from their owners.
        recordCaseFacts(ApplicationAccepted.self, on: &router, store: store)
        recordCaseFacts(ClockChanged.self, on: &router, store: store)
        recordCaseFacts(CaseCompleted.self, on: &router, store: store)
        recordCaseFacts(ApplicationCompleted.self, on: &router, store: store)
        // A run of requests in one consumer transaction is sealed together: one read statement (seal
        // locks taken in department order, so concurrent lanes never wait in a circle) and one write
        // statement for the whole run, and one commit. Each department's requests keep their order.
        router.onBatch(SealDocumentRequested.self) { batch, context in
            let contexts = batch.map { context.applying($0.1) }
            _ = try await store.apply(
                batch.map { SealingRequest($0.0) }, now: clock, reemitOnRepeat: true, on: context.connection, logger: context.logger,
                requestLogger: { contexts[$0].logger }
            ) { index, event in
                try contexts[index].followUp(event, to: .sealEvents, caseId: batch[index].0.caseId)
            }
        }
        return router
    }
}

/// An event that states a case's due date: the acceptance's, a clock change's, or the completion's
/// final one.
protocol CaseDueFact: EventPayload {
    var receiptCode: String { get }
    var itemCodeIfKnown: String? { get }
    var dueDateNow: HallDate { get }
    var factAt: Date { get }
    var isFinal: Bool { get }
}

extension ApplicationAccepted: CaseDueFact {
    var itemCodeIfKnown: String? { itemCode }
    var dueDateNow: HallDate { dueDate }
    var factAt: Date { acceptedAt }
    var isFinal: Bool { false }
}

extension ClockChanged: CaseDueFact {
    var itemCodeIfKnown: String? { nil }
    var dueDateNow: HallDate { dueDateAfter }
    var factAt: Date { changedAt }
    var isFinal: Bool { false }
}

extension CaseCompleted: CaseDueFact {
    var itemCodeIfKnown: String? { itemCode }
    var dueDateNow: HallDate { dueDate }
    var factAt: Date { completedAt }
    var isFinal: Bool { true }
}

extension ApplicationCompleted: CaseDueFact {
    var itemCodeIfKnown: String? { itemCode }
    var dueDateNow: HallDate { dueDate }
    var factAt: Date { completedAt }
    var isFinal: Bool { true }
}
