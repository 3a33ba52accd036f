import Foundation
import Synchronization

/// Values that every reader may share for a few seconds: a public page as rendered, the
/// directory's names. A value older than `ttl` is made again by the next reader; the cache holds
/// at most `capacity` keys (emptied when full). A person's own data goes in only under a key
/// that only they know (a case's page under its receipt code and identity number).
///
/// A value is made once however many readers ask for it at the same moment: the first makes it,
/// the others wait for what it makes (its value, or its error). Without that, every reader of a
/// busy page rendered it again together each time it expired, and the page's slowest answers
/// were those.
///
/// With `minUses` above 1, a value is kept only once its key has been asked for that many times
/// within `ttl` (as nginx's `proxy_cache_min_uses`); until then only the key is remembered. A
/// case's page is asked for again by an applicant reloading it, but most cases are looked up once:
/// keeping each such page for nobody filled the cache with pages no one read, and emptying it
/// when full handed their memory back to the system, to be taken again (page faults were 6 % of
/// the service's CPU under look-ups of a different case each time).
public final class PageCache<Value: Sendable>: Sendable {
    private let ttl: Duration
    private let capacity: Int
    private let minUses: Int
    private let entries = Mutex<[String: (value: Value, until: ContinuousClock.Instant)]>([:])
    /// Keys asked for fewer than `minUses` times so far, with how often and until when that counts.
    private let asked = Mutex<[String: (uses: Int, until: ContinuousClock.Instant)]>([:])
    /// The keys being made, with the readers waiting for each.
    private let making = Mutex<[String: [CheckedContinuation<Result<Value, any Error>?, Never>]]>([:])

    public init(ttl: Duration, capacity: Int = 1024, minUses: Int = 1) {
        precondition(minUses >= 1)
        self.ttl = ttl
        self.capacity = capacity
        self.minUses = minUses
    }

    /// The value of `key`, made by `make` when absent or stale (by this reader, or by another
    /// that is making it already).
    public func value(_ key: String, make: () async throws -> Value) async throws -> Value {
        while true {
            if let value = cached(key) { return value }
            let first = making.withLock { making in
                guard making[key] == nil else { return false }
                making[key] = []
                return true
            }
            if first {
                let result: Result<Value, any Error>
                do { result = .success(try await make()) } catch { result = .failure(error) }
                if case .success(let value) = result {
                    // The readers who waited for it asked for it too.
                    keep(key, value, uses: 1 + making.withLock { $0[key]?.count ?? 0 })
                }
                for waiting in making.withLock({ $0.removeValue(forKey: key) ?? [] }) { waiting.resume(returning: result) }
                return try result.get()
            }
            let shared: Result<Value, any Error>? = await withCheckedContinuation { continuation in
                let joined = making.withLock { making in
                    guard making[key] != nil else { return false }
                    making[key]!.append(continuation)
                    return true
                }
                if !joined { continuation.resume(returning: nil) }   // made meanwhile: look again
            }
            if let shared { return try shared.get() }
        }
    }

    /// The value kept for `key`, unless absent or stale.
    public func cached(_ key: String) -> Value? {
        guard let entry = entries.withLock({ $0[key] }), entry.until > ContinuousClock.now else { return nil }
        return entry.value
    }

    /// Keeps `value` for `key` for the cache's time to live (all are dropped when it is full), once
    /// `key` has been asked for `minUses` times within it, counting these `uses`.
    public func keep(_ key: String, _ value: Value, uses: Int = 1) {
        let now = ContinuousClock.now
        if minUses > 1 {
            let due = asked.withLock { asked -> Bool in
                let earlier = asked[key].flatMap { $0.until > now ? $0 : nil }
                let count = uses + (earlier?.uses ?? 0)
                if count >= minUses {
                    asked[key] = nil
                    return true
                }
                if earlier == nil, asked.count >= capacity { asked.removeAll(keepingCapacity: true) }
                asked[key] = (count, earlier?.until ?? now + ttl)
                return false
            }
            guard due else { return }
        }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (value, now + ttl)
        }
    }
}
