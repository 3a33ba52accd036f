import Foundation
import Synchronization

/// Limits failed attempts per client: after `limit` failures within `window`, a client is refused
/// (``HallError/Code/tooManyRequests``) until its oldest failure in the window ages out — so a code
/// that is the only key to something (a complaint's tracking code) cannot be guessed by trying.
/// Kept in memory per process, at most `maximumClients` clients (the least recently failing go first).
public final class FailureLimiter: Sendable {
    private let limit: Int
    private let window: Duration
    private let maximumClients: Int
    /// What is counted, as the 429's detail names it.
    private let what: String
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    public init(limit: Int = 10, window: Duration = .seconds(600), maximumClients: Int = 100_000, counting what: String = "failed look-ups") {
        self.what = what
        self.limit = limit
        self.window = window
        self.maximumClients = maximumClients
    }

    /// Throws 429 naming when to come back when `client` has used up its failures.
    public func check(_ client: String, now: ContinuousClock.Instant = .now) throws {
        let wait: Duration? = failures.withLock { failures in
            let recent = (failures[client] ?? []).filter { now - $0 < window }
            failures[client] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return window - (now - oldest)
        }
        if let wait {
            let seconds = max(1, Int(wait.components.seconds) + 1)
            var error = HallError(.tooManyRequests, "too many \(what) from this client; try again in \(seconds) s")
            error.retryAfter = seconds
            throw error
        }
    }

    /// Counts one request of `client`, or throws 429 with `Retry-After` once it made `limit` within
    /// the window: the limiter as a rate on every request (what says what is counted, for the answer).
    public func take(_ client: String, now: ContinuousClock.Instant = .now) throws {
        try check(client, now: now)
        fail(client, now: now)
    }

    /// Records a failed attempt of `client`.
    public func fail(_ client: String, now: ContinuousClock.Instant = .now) {
        failures.withLock { failures in
            if failures[client] == nil, failures.count >= maximumClients,
                let stalest = failures.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) })?.key
            {
                failures[stalest] = nil
            }
            failures[client, default: []].append(now)
        }
    }
}
