import Foundation
import HallContracts
import HallKit
import PostgresNIO

/// The coordinator's consumer (group `hall.coordinator`): the directory and accepted cases from
/// `hall.intake.events`, imprints and refusals from `hall.seal.events`, and department systems'
/// commands from `hall.coordinator.department-commands`. Everything is applied through the inbox,
/// so a redelivered event or command changes nothing. A department command is carried out only
/// when an active system registered with the centre for the department it names signed it
/// (``DepartmentSystemProjection``); anything else is refused with reason `unauthenticated`.
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
        DepartmentSystemProjection.register(on: &router)
        // Accepted cases arrive in bursts: a run of them in one consumer transaction is routed in one statement.
        router.onBatch(ApplicationAccepted.self) { batch, context in
            var cases: [AcceptedCase] = []
            for (payload, envelope) in batch {
                guard let caseId = envelope.caseId else {
                    throw HallError.invalid("caseId", "an accepted application needs the envelope's caseId", words: "已受理申请的消息须带有办件编号（caseId）")
                }
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
        // Only decisions' imprints that verify with their seal's registered key reach the cases, a batch at a time.
        SealKeyProjection.register(on: &router, wants: \.documentKind.isDecision) { batch, context in
            var events: [PendingEvent] = []
            try await store.applySealed(batch, on: context.connection, into: &events)
            try await store.emit(events, context: context)
        }
        router.on(DocumentRefused.self) { payload, _, context in
            try await store.applySealRefused(payload, on: context.connection)
        }
        // A department system's opinions read together are carried out together when the store's
        // set-based statements cover them; otherwise, and alone (as after a refusal), one command at a time.
        router.onBatch(OpinionSubmitted.self) { batch, context in
            if batch.count > 1, try await store.giveOpinionsTogether(batch, context: context) { return }
            for (command, envelope) in batch {
                try await answer(
                    store, .opinion(taskId: command.taskId, CoordinatorStore.input(command)), by: command.officerId, of: command.departmentId, envelope,
                    batch.count == 1 ? context : context.applying(envelope))
            }
        }
        router.on(CountersignSubmitted.self) { command, envelope, context in
            try await answer(
                store, .countersign(taskId: command.taskId, staffId: command.staffId), by: command.staffId, of: command.departmentId, envelope, context)
        }
        router.on(SuspensionRequested.self) { command, envelope, context in
            let suspension = DepartmentCommand.suspend(
                caseId: command.caseId, category: command.category, reason: command.reason, noticeReference: command.noticeReference)
            try await answer(store, suspension, by: command.requestedBy, of: command.departmentId, envelope, context)
        }
        router.on(ResumeRequested.self) { command, envelope, context in
            try await answer(
                store, .resume(caseId: command.caseId, reason: command.reason), by: command.requestedBy, of: command.departmentId, envelope, context)
        }
        router.on(ExtensionRequested.self) { command, envelope, context in
            let extensionCommand = DepartmentCommand.extend(
                caseId: command.caseId, workingDays: command.workingDays, reason: command.reason, approvedBy: command.approvedBy)
            try await answer(store, extensionCommand, by: command.requestedBy, of: command.departmentId, envelope, context)
        }
        return router
    }

    /// Carries out a department command. A refusal is recorded and answered: applied alone, the
    /// command runs under a savepoint that a refusal rolls back; in a batch it takes none (a
    /// subtransaction for each command), and a refusal fails the batch, which the consumer then
    /// applies event by event, alone.
    private static func answer(
        _ store: CoordinatorStore, _ command: DepartmentCommand, by actorId: String, of department: String, _ envelope: EventEnvelope,
        _ context: HandlerContext
    ) async throws {
        let actor = DepartmentActor(id: actorId, departmentId: department, channel: .kafka)
        func carryOut() async throws {
            // The command acts for the department it names only when that department's registered system signed it.
            if let distrust = try await DepartmentSystemProjection.distrust(
                context.record, actingFor: department, on: context.connection, schema: context.schema, logger: context.logger)
            {
                throw CommandRefusal(.unauthenticated, distrust)
            }
            var events: [PendingEvent] = []
            _ = try await store.perform(command, by: actor, on: context.connection, into: &events)
            try await store.emit(events, context: context)
        }
        guard context.isolated else { return try await carryOut() }
        try await context.connection.run("SAVEPOINT department_command", logger: context.logger)
        do {
            try await carryOut()
            try await context.connection.run("RELEASE SAVEPOINT department_command", logger: context.logger)
        } catch let refusal as CommandRefusal {
            try await context.connection.run("ROLLBACK TO SAVEPOINT department_command", logger: context.logger)
            let caseKey = command.caseId ?? envelope.caseId
            let rejected = try await store.recordRejection(
                refusal, commandId: envelope.id.uuidString.lowercased(), commandType: envelope.type, departmentId: department, taskId: command.taskId,
                caseId: caseKey, on: context.connection)
            context.logger.notice("department command refused", metadata: ["reason": "\(refusal.reason.rawValue)", "detail": "\(refusal.detail)"])
            try await context.emit(rejected, to: .coordinatorEvents, caseId: caseKey, key: caseKey ?? command.taskId ?? department)
        }
    }
}
