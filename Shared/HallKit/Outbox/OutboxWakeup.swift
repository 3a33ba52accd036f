import Synchronization

/// Wakes a waiting task early: `wait(upTo:)` returns at the first `notify()` after (or the one
/// pending from before) it, or when its time is up.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var nextId: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waits that ended before their continuation was registered.
        var abandoned: Set<UInt64> = []
    }
    private let state = Mutex(State())

    /// Creates a wake-up with nothing pending.
    public init() {}

    /// Wakes every waiter; with none waiting, the next `wait` returns at once.
    public func notify() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.waiters.isEmpty {
                state.pending = true
                return []
            }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the next notification, after `timeout`, or when the task is cancelled.
    public func wait(upTo timeout: Duration) async {
        let id = state.withLock { state -> UInt64? in
            if state.pending {
                state.pending = false
                return nil
            }
            state.nextId += 1
            return state.nextId
        }
        guard let id else { return }
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.abandoned.remove(id) != nil { return true }
                        if state.pending {
                            state.pending = false
                            return true
                        }
                        state.waiters[id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let notified = await group.next() ?? false
            group.cancelAll()
            if notified { return }
            // Time is up (or the task was cancelled): release the waiter, or tell it not to wait
            // if it has not registered yet.
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.abandoned.insert(id)
                return nil
            }
            waiter?.resume()
            await group.waitForAll()
            state.withLock { _ = $0.abandoned.remove(id) }
        }
    }
}

/// The relays' wake-ups, one per outbox schema in this process: a transaction that appended to an
/// outbox wakes the relay of that schema as soon as it commits, so an idle relay need not poll
/// the database every few milliseconds to publish promptly.
public enum OutboxWakeups {
    private static let wakeups = Mutex<[String: Wakeup]>([:])

    /// The wake-up of an outbox schema.
    public static func wakeup(for schema: String) -> Wakeup {
        wakeups.withLock { wakeups in
            if let wakeup = wakeups[schema] { return wakeup }
            let wakeup = Wakeup()
            wakeups[schema] = wakeup
            return wakeup
        }
    }

    /// An outbox of `schema` was appended to: its relay wakes when the current transaction
    /// (``TransactionHooks``) commits, or at once outside one.
    static func appended(schema: String) {
        if let hooks = TransactionHooks.current {
            hooks.appended(schema: schema)
        } else {
            wakeup(for: schema).notify()
        }
    }
}

/// What a transaction run by HallKit's `PostgresClient.transaction` does after it commits.
final class TransactionHooks: Sendable {
    @TaskLocal static var current: TransactionHooks?

    private let schemas = Mutex<Set<String>>([])

    func appended(schema: String) { schemas.withLock { _ = $0.insert(schema) } }

    /// Runs after COMMIT succeeded.
    func committed() {
        for schema in schemas.withLock({ $0 }) { OutboxWakeups.wakeup(for: schema).notify() }
    }
}
