import Foundation
import Synchronization

/// Values that every reader may share for a few seconds: a public page as rendered, the
/// directory's names. A value older than `ttl` is made again by the next reader; the cache holds
/// at most `capacity` keys (emptied when full). A person's own data goes in only under a key
/// that only they know (a case's page under its receipt code and identity number).
public final class PageCache<Value: Sendable>: Sendable {
    private let ttl: Duration
    private let capacity: Int
    private let entries = Mutex<[String: (value: Value, until: ContinuousClock.Instant)]>([:])

    public init(ttl: Duration, capacity: Int = 1024) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The value of `key`, made by `make` when absent or stale.
    public func value(_ key: String, make: () async throws -> Value) async throws -> Value {
        if let value = cached(key) { return value }
        let value = try await make()
        keep(key, value)
        return value
    }

    /// The value kept for `key`, unless absent or stale.
    public func cached(_ key: String) -> Value? {
        guard let entry = entries.withLock({ $0[key] }), entry.until > ContinuousClock.now else { return nil }
        return entry.value
    }

    /// Keeps `value` for `key` for the cache's time to live (all are dropped when it is full).
    public func keep(_ key: String, _ value: Value) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (value, ContinuousClock.now + ttl)
        }
    }
}
