import Foundation
import HallContracts
import HallKit

/// The seal service's consumer (group `hall.seal`): the directory from `hall.intake.events` into
/// projections, and seal requests from `hall.seal.requests`.
///
/// Everything is applied through the inbox, so a redelivered event changes nothing; directory
/// events for one entity arriving out of order keep the later `occurredAt`.
enum SealConsumer {
    static func definition(store: SealStore, clock: @escaping @Sendable () -> Date = { Date() }) -> ConsumerDefinition {
        ConsumerDefinition(
            groupId: ServiceName.seal.defaultConsumerGroup, topics: [.intakeEvents, .sealRequests], handler: router(store: store, clock: clock),
            laning: laning)
    }

    /// Seal requests are laned by department across partitions: each seal's requests are applied by
    /// one lane at a time, so parallel lanes never queue on one seal's lock. Everything else (the
    /// directory) is laned by its record key.
    static let laning = ConsumerLaning(acrossPartitions: true) { message in
        if message.headers.first(named: EventHeader.eventType) == SealDocumentRequested.eventType || message.headers.isEmpty,
            let envelope = try? EventEnvelope.decode(from: message.value), envelope.type == SealDocumentRequested.eventType,
            let department = envelope.data["departmentId"]?.stringValue
        {
            return "seal:" + department
        }
        return message.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    static func router(store: SealStore, clock: @escaping @Sendable () -> Date = { Date() }) -> EventRouter {
        var router = EventRouter()
        router.on(DepartmentChanged.self) { payload, envelope, context in
            try await store.apply(payload, occurredAt: envelope.occurredAt, on: context.connection, logger: context.logger)
        }
        router.on(WindowChanged.self) { payload, envelope, context in
            try await store.apply(payload, occurredAt: envelope.occurredAt, on: context.connection, logger: context.logger)
        }
        router.on(StaffChanged.self) { payload, envelope, context in
            try await store.apply(payload, occurredAt: envelope.occurredAt, on: context.connection, logger: context.logger)
        }
        // A run of requests in one consumer transaction is sealed together, in department order: every
        // transaction takes the seal locks it needs in the same order, so concurrent lanes never wait
        // in a circle, and one commit covers the run. Each department's requests keep their order.
        router.onBatch(SealDocumentRequested.self) { batch, context in
            let ordered = batch.enumerated().sorted { ($0.element.0.departmentId, $0.offset) < ($1.element.0.departmentId, $1.offset) }.map(\.element)
            for (payload, envelope) in ordered {
                let each = context.applying(envelope)
                _ = try await store.apply(SealingRequest(payload), now: clock, reemitOnRepeat: true, on: each.connection, logger: each.logger) { event in
                    try each.followUp(event, to: .sealEvents, caseId: payload.caseId)
                }
            }
        }
        return router
    }
}
