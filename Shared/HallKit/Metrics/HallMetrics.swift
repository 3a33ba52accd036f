import Metrics
import Prometheus
import Synchronization

/// The process's Prometheus registry, served at `/metrics`.
public enum HallMetrics {
    /// The registry every metric of the process is recorded in (once ``bootstrap()`` ran).
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = Mutex(false)

    /// Makes swift-metrics record into ``registry``. Safe to call more than once.
    public static func bootstrap() {
        bootstrapped.withLock { done in
            guard !done else { return }
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            done = true
        }
    }

    /// The registry's text exposition (format 0.0.4).
    public static func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
