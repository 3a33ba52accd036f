import HallContracts
import HallKit
import Logging
import ServiceLifecycle

/// Intake's consumer, group `hall.intake`: reads what the seal service and the coordinator
/// report about intake's cases and applies it with the inbox (a redelivered event changes nothing).
///
/// - `hall.seal.events`: `seal.document.sealed` (a sealed immediate decision makes its case ready;
///   sealed notices are recorded), `seal.document.refused` (recorded on the notice).
/// - `hall.coordinator.events`: `coordinator.case.supplement-requested` (what the applicant must
///   bring), `coordinator.case.clock-changed` (the due date moves with the coordinator's ledger),
///   `coordinator.task.opinion-recorded` and `coordinator.task.countersigned` (the case's timeline),
///   `coordinator.case.decided` (each department's decision document, shown with its seal),
///   `coordinator.case.completed` (a committed or joint case is ready, or waits for its
///   bundle), `coordinator.bundle.completed` (a bundle's cases are handed out together).
///
/// Other events on these topics are skipped. Both topics are created at start-up if missing.
enum IntakeConsumer {
    static func definition(_ store: IntakeStore) -> ConsumerDefinition {
        var router = EventRouter()
        // Only imprints that verify with their seal's registered key reach the cases, a batch at a time.
        SealKeyProjection.register(on: &router) { batch, context in
            try await store.applySealed(batch, on: context.connection)
        }
        router.on(DocumentRefused.self) { refused, _, context in
            try await store.applySealRefused(refused, on: context.connection)
        }
        router.on(SupplementRequested.self) { requested, envelope, context in
            try await store.applySupplementRequested(requested, caseId: envelope.caseId, on: context.connection)
        }
        router.on(ClockChanged.self) { changed, envelope, context in
            try await store.applyClockChanged(changed, caseId: envelope.caseId, on: context.connection)
            let category = changed.category.map { " (\($0))" } ?? ""
            try await store.recordTimeline(
                envelope, event: changed.change.rawValue, at: changed.changedAt, departmentId: changed.departmentId,
                detail: "\(changed.reason)\(category); due \(changed.dueDateAfter)", on: context.connection)
        }
        // Each department's opinion and countersignature, for the applicant's timeline: entries keyed
        // by their events that nothing else reads while applying, so the transaction's are written together.
        router.onBatch(TaskOpinionRecorded.self, commuting: true) { batch, context in
            try await store.recordTimeline(
                batch.map { recorded, envelope in
                    .init(envelope: envelope, event: "opinion-given", at: recorded.recordedAt, departmentId: recorded.departmentId, detail: recorded.opinion.rawValue)
                }, on: context.connection)
        }
        router.onBatch(TaskCountersigned.self, commuting: true) { batch, context in
            try await store.recordTimeline(
                batch.map { countersigned, envelope in
                    .init(
                        envelope: envelope, event: "countersigned", at: countersigned.countersignedAt, departmentId: countersigned.departmentId,
                        detail: countersigned.opinion.rawValue)
                }, on: context.connection)
        }
        // Decided documents only add rows, found by their case (which intake itself accepted), and no
        // handler reads them: a transaction's are recorded together after the rest.
        router.onBatch(CaseDecided.self, commuting: true) { batch, context in
            try await store.applyCaseDecided(batch, on: context.connection)
        }
        router.onBatch(CaseCompleted.self) { batch, context in
            try await store.applyCaseCompleted(batch, on: context.connection)
        }
        router.on(BundleCompleted.self) { completed, _, context in
            try await store.applyBundleCompleted(completed, on: context.connection)
        }
        return ConsumerDefinition(
            groupId: ServiceName.intake.defaultConsumerGroup, topics: [.sealEvents, .coordinatorEvents], handler: router)
    }
}
