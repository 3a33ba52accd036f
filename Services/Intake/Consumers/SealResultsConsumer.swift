import HallContracts
import HallKit
import Logging
import ServiceLifecycle

/// Reads the seal service's results: sealed decisions make cases ready at the window; sealed or
/// refused notices are recorded with the case. Group `hall.intake`, topic `hall.seal.events`.
enum SealResultsConsumer {
    static func definition(_ store: IntakeStore) -> ConsumerDefinition {
        var router = EventRouter()
        router.on(DocumentSealed.self) { sealed, _, context in
            try await store.applySealed(sealed, on: context.connection)
        }
        router.on(DocumentRefused.self) { refused, _, context in
            try await store.applySealRefused(refused, on: context.connection)
        }
        return ConsumerDefinition(groupId: ServiceName.intake.defaultConsumerGroup, topics: [.sealEvents], handler: router)
    }
}

/// At start-up, recomputes provisional due dates with the calendar now loaded and records each
/// change (a new year's official schedule was added to `HALL_CALENDAR_DIR`).
struct ProvisionalDueDateService: Service {
    let store: IntakeStore
    let gate: StartupGate
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { [gate] in await gate.wait() }
        if Task.isCancelled || Task.isShuttingDownGracefully { return }
        do {
            let changed = try await store.recomputeProvisionalDueDates()
            if changed > 0 { logger.notice("provisional due dates recomputed", metadata: ["cases": "\(changed)"]) }
        } catch {
            logger.error("recomputing provisional due dates failed", metadata: [LogKey.error: "\(error)"])
        }
        try? await gracefulShutdown()
    }
}
