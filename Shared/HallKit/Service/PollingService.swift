import Logging
import Metrics
import ServiceLifecycle

/// Runs `work` (firing durable timers, say) after start-up, again and again: at once while a full
/// batch came back, after `interval` when some work was done, and while none was, each empty look
/// doubles the wait up to `idleMax`, so an idle hall looks every few seconds. Any number of
/// instances may run it: `work` must take its rows with `FOR UPDATE SKIP LOCKED` (or the like).
/// A failing round is logged and retried on the next.
public struct PollingService: Service {
    let name: String
    let gate: StartupGate
    let interval: Duration
    let idleMax: Duration
    let batch: Int
    let logger: Logger
    let done: Counter
    let work: @Sendable () async throws -> Int

    /// - Parameters:
    ///   - name: what the work is, for the log.
    ///   - batch: the most `work` does in one round; a full round is followed by another at once.
    ///   - counter: the metric counting what `work` did.
    ///   - work: one round; answers how many it did.
    public init(
        name: String, gate: StartupGate, interval: Duration, idleMax: Duration, batch: Int, logger: Logger, counter: String,
        work: @escaping @Sendable () async throws -> Int
    ) {
        self.name = name
        self.gate = gate
        self.interval = interval
        self.idleMax = max(interval, idleMax)
        self.batch = batch
        self.logger = logger
        self.done = Counter(label: counter)
        self.work = work
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { [gate] in await gate.wait() }
        var wait = interval
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var count = 0
            do {
                count = try await work()
                if count > 0 {
                    done.increment(by: count)
                    logger.info("\(name): \(count) done")
                }
            } catch {
                logger.error("\(name) failed", metadata: [LogKey.error: "\(error)"])
            }
            if count < batch {
                try? await cancelWhenGracefulShutdown { [wait] in try await Task.sleep(for: wait) }
                wait = count > 0 ? interval : min(wait * 2, idleMax)
            }
        }
    }
}
