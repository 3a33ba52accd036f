import Logging
import ServiceLifecycle

/// Runs `work` once, when the service has started (its gate open), logs what it did, and ends:
/// a recompute the data needs after a change of configuration, such as a new year's official
/// calendar. A failure is logged; the next start-up tries again.
public struct StartupTaskService: Service {
    let name: String
    let gate: StartupGate
    let logger: Logger
    let work: @Sendable () async throws -> Int

    /// - Parameter work: returns how many records it changed (logged when any).
    public init(name: String, gate: StartupGate, logger: Logger, work: @escaping @Sendable () async throws -> Int) {
        self.name = name
        self.gate = gate
        self.logger = logger
        self.work = work
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { [gate] in await gate.wait() }
        if Task.isCancelled || Task.isShuttingDownGracefully { return }
        do {
            let changed = try await work()
            if changed > 0 { logger.notice("\(name)", metadata: ["records": "\(changed)"]) }
        } catch {
            logger.error("\(name) failed", metadata: [LogKey.error: "\(error)"])
        }
        try? await gracefulShutdown()
    }
}
