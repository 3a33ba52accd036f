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
    private let whatWords: String
    private let failures = Mutex<[String: Attempts]>([:])

    /// One client's attempts within the window, oldest first; the expired ones are dropped from
    /// the front, so that counting costs the same at 60 a minute as at 100,000.
    struct Attempts {
        private var times: [ContinuousClock.Instant] = []
        private var head = 0

        var count: Int { times.count - head }
        var oldest: ContinuousClock.Instant? { head < times.count ? times[head] : nil }
        var newest: ContinuousClock.Instant? { times.last }

        mutating func drop(olderThan window: Duration, now: ContinuousClock.Instant) {
            while head < times.count, now - times[head] >= window { head += 1 }
            if head >= 64, head * 2 >= times.count {
                times.removeFirst(head)
                head = 0
            }
        }

        mutating func append(_ time: ContinuousClock.Instant) { times.append(time) }
    }

    /// `what` is counted, in the API's words and in the hall's (`whatWords`, for pages).
    public init(
        limit: Int = 10, window: Duration = .seconds(600), maximumClients: Int = 100_000, counting what: String = "failed look-ups",
        inWords whatWords: String = "未成功的查询"
    ) {
        self.what = what
        self.whatWords = whatWords
        self.limit = limit
        self.window = window
        self.maximumClients = maximumClients
    }

    /// Throws 429 naming when to come back when `client` has used up its failures.
    public func check(_ client: String, now: ContinuousClock.Instant = .now) throws {
        let wait: Duration? = failures.withLock { failures in
            // Changed in place: a copy taken out of the dictionary would copy its times.
            failures[client]?.drop(olderThan: window, now: now)
            guard let count = failures[client]?.count else { return nil }
            if count == 0 { failures[client] = nil }
            guard count >= limit, let oldest = failures[client]?.oldest else { return nil }
            return window - (now - oldest)
        }
        if let wait {
            let seconds = max(1, Int(wait.components.seconds) + 1)
            var error = HallError(
                .tooManyRequests, "too many \(what) from this client; try again in \(seconds) s",
                words: "本机\(whatWords)次数过多，请 \(seconds) 秒后再试")
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
                let stalest = failures.min(by: { ($0.value.newest ?? now) < ($1.value.newest ?? now) })?.key
            {
                failures[stalest] = nil
            }
            failures[client, default: Attempts()].append(now)
        }
    }
}
