import Metrics
import Synchronization

/// Whether a service's relay can publish: shared by the relay (which reports each pass) and the
/// readiness check and metrics (which read it).
///
/// Publishing counts as failing once the relay's passes have failed (a delivery error, or a pass
/// that could not run, e.g. without the database) for ``failingAfter`` with no good pass since.
public final class PublishingHealth: Sendable {
    private struct State {
        var failingSince: ContinuousClock.Instant?
        var lastError: String?
    }

    private let state = Mutex(State())
    /// How long deliveries may fail before publishing counts as failing (a broker blip is not).
    public let failingAfter: Duration
    private let failingSeconds: Gauge

    /// Creates the state of `schema`'s relay.
    public init(schema: String, failingAfter: Duration = .seconds(30)) {
        self.failingAfter = failingAfter
        self.failingSeconds = Gauge(label: "hall_outbox_publishing_failing_seconds", dimensions: [("schema", schema)])
        failingSeconds.record(0)
    }

    /// A relay pass ended with nothing undelivered (it delivered rows, or had none to deliver).
    public func delivered() {
        let wasFailing = state.withLock { state -> Bool in
            defer { state = State() }
            return state.failingSince != nil
        }
        if wasFailing { failingSeconds.record(0) }
    }

    /// The relay could not deliver (a delivery report's error, or a failed pass).
    public func failed(_ reason: String) {
        let since = state.withLock { state -> ContinuousClock.Instant in
            let since = state.failingSince ?? .now
            state.failingSince = since
            state.lastError = reason
            return since
        }
        failingSeconds.record(Self.seconds(ContinuousClock.now - since))
    }

    /// What readiness reports: `ok`, or `failing` with how long and the last error.
    public struct Status: Sendable, Equatable, Codable {
        /// Whether publishing works (or has failed for less than ``PublishingHealth/failingAfter``).
        public var ok: Bool
        /// Whole seconds since deliveries began to fail, when they do.
        public var failingForSeconds: Int?
        /// The last delivery error, when deliveries fail.
        public var lastError: String?
    }

    /// The current status.
    public var status: Status {
        let (since, error) = state.withLock { ($0.failingSince, $0.lastError) }
        guard let since else { return Status(ok: true) }
        let failing = ContinuousClock.now - since
        return Status(ok: failing < failingAfter, failingForSeconds: Int(failing.components.seconds), lastError: error)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
