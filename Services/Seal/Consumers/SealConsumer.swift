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
        ConsumerDefinition(groupId: ServiceName.seal.defaultConsumerGroup, topics: [.intakeEvents, .sealRequests], handler: router(store: store, clock: clock))
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
        router.on(SealDocumentRequested.self) { payload, _, context in
            _ = try await store.apply(SealingRequest(payload), now: clock, reemitOnRepeat: true, on: context.connection, logger: context.logger) { event in
                try context.followUp(event, to: .sealEvents, caseId: payload.caseId)
            }
        }
        return router
    }
}
