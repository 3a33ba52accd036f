import Foundation
import HallContracts
import HallKit
import PostgresNIO

/// The coordinator's consumer (group `hall.coordinator`): the directory and accepted cases from
/// `hall.intake.events`, imprints and refusals from `hall.seal.events`, and department systems'
/// commands from `hall.coordinator.department-commands`. Everything is applied through the inbox,
/// so a redelivered event or command changes nothing.
///
/// A command that breaks a rule (another department's task, a duplicate opinion, an extension
/// beyond the law…) is not an error: it is rolled back to a savepoint, recorded, and answered with
/// `coordinator.command.rejected` (causationId = the command's id), and the partition moves on.
/// A command that does not match its schema is dead-lettered with the reason.
enum CoordinatorConsumer {
    static let topics: [Topic] = [.intakeEvents, .sealEvents, .coordinatorDepartmentCommands]

    static func definition(store: CoordinatorStore) -> ConsumerDefinition {
        ConsumerDefinition(groupId: ServiceName.coordinator.defaultConsumerGroup, topics: topics, handler: router(store: store))
    }

    static func router(store: CoordinatorStore) -> EventRouter {
        var router = EventRouter()
        DirectoryProjection.register(on: &router)
        // Accepted cases arrive in bursts: a run of them in one consumer transaction is routed in one statement.
        router.onBatch(ApplicationAccepted.self) { batch, context in
            var cases: [AcceptedCase] = []
            for (payload, envelope) in batch {
                guard let caseId = envelope.caseId else { throw HallError.invalid("caseId", "an accepted application needs the envelope's caseId") }
                cases.append(AcceptedCase(accepted: payload, caseId: caseId, envelope: envelope))
            }
            var events: [PendingEvent] = []
            try await store.route(cases, on: context.connection, into: &events)
            try await store.emit(events, context: context)
        }
        router.on(ApplicationGreenChannelGranted.self) { payload, envelope, context in
            guard let caseId = envelope.caseId else { return }
            var events: [PendingEvent] = []
            try await store.applyGreenChannel(payload, caseId: caseId, on: context.connection, into: &events)
            try await store.emit(events, context: context)
        }
        router.on(ApplicationSupplemented.self) { payload, envelope, context in
            guard let caseId = envelope.caseId else { return }
            var events: [PendingEvent] = []
            try await store.applySupplemented(payload, caseId: caseId, on: context.connection, into: &events)
            try await store.emit(events, context: context)
        }
        router.on(DocumentSealed.self) { payload, _, context in
            var events: [PendingEvent] = []
            try await store.applySealed(payload, on: context.connection, into: &events)
            try await store.emit(events, context: context)
        }
        router.on(DocumentRefused.self) { payload, _, context in
            try await store.applySealRefused(payload, on: context.connection)
        }
        router.on(OpinionSubmitted.self) { command, envelope, context in
            let actor = DepartmentActor(id: command.officerId, departmentId: command.departmentId, channel: "kafka")
            try await answer(store, envelope, context, department: command.departmentId, taskId: command.taskId) { events in
                let input = OpinionInput(
                    opinion: command.opinion, reasons: command.reasons, supplements: command.supplements, officerId: command.officerId,
                    countersignedBy: command.countersignedBy)
                try await store.giveOpinion(taskId: command.taskId, input, actor: actor, on: context.connection, into: &events)
            }
        }
        router.on(CountersignSubmitted.self) { command, envelope, context in
            let actor = DepartmentActor(id: command.staffId, departmentId: command.departmentId, channel: "kafka")
            try await answer(store, envelope, context, department: command.departmentId, taskId: command.taskId) { events in
                try await store.countersign(taskId: command.taskId, staffId: command.staffId, actor: actor, on: context.connection, into: &events)
            }
        }
        router.on(SuspensionRequested.self) { command, envelope, context in
            let actor = DepartmentActor(id: command.requestedBy, departmentId: command.departmentId, channel: "kafka")
            try await answer(store, envelope, context, department: command.departmentId, taskId: nil, caseId: command.caseId) { events in
                try await store.suspend(
                    caseId: command.caseId, category: command.category, reason: command.reason, noticeReference: command.noticeReference, actor: actor,
                    on: context.connection, into: &events)
            }
        }
        router.on(ResumeRequested.self) { command, envelope, context in
            let actor = DepartmentActor(id: command.requestedBy, departmentId: command.departmentId, channel: "kafka")
            try await answer(store, envelope, context, department: command.departmentId, taskId: nil, caseId: command.caseId) { events in
                try await store.resume(caseId: command.caseId, reason: command.reason, actor: actor, on: context.connection, into: &events)
            }
        }
        router.on(ExtensionRequested.self) { command, envelope, context in
            let actor = DepartmentActor(id: command.requestedBy, departmentId: command.departmentId, channel: "kafka")
            try await answer(store, envelope, context, department: command.departmentId, taskId: nil, caseId: command.caseId) { events in
                try await store.extend(
                    caseId: command.caseId, workingDays: command.workingDays, reason: command.reason, approvedBy: command.approvedBy, actor: actor,
                    on: context.connection, into: &events)
            }
        }
        return router
    }

    /// Runs a department command under a savepoint; a refusal rolls it back, is recorded and answered.
    private static func answer(
        _ store: CoordinatorStore, _ envelope: EventEnvelope, _ context: HandlerContext, department: String, taskId: String?, caseId: String? = nil,
        _ body: (inout [PendingEvent]) async throws -> Void
    ) async throws {
        try await context.connection.run("SAVEPOINT department_command", logger: context.logger)
        var events: [PendingEvent] = []
        do {
            try await body(&events)
            try await context.connection.run("RELEASE SAVEPOINT department_command", logger: context.logger)
            try await store.emit(events, context: context)
        } catch let refusal as CommandRefusal {
            try await context.connection.run("ROLLBACK TO SAVEPOINT department_command", logger: context.logger)
            let caseKey = caseId ?? envelope.caseId
            let rejected = try await store.recordRejection(
                refusal, commandId: envelope.id.uuidString.lowercased(), commandType: envelope.type, departmentId: department, taskId: taskId,
                caseId: caseKey, on: context.connection)
            context.logger.notice("department command refused", metadata: ["reason": "\(refusal.reason.rawValue)", "detail": "\(refusal.detail)"])
            try await context.emit(rejected, to: .coordinatorEvents, caseId: caseKey, key: caseKey ?? taskId ?? department)
        }
    }
}
