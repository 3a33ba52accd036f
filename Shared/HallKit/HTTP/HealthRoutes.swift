import Foundation
import HallKafka
import Hummingbird
import Logging
import NIOCore
import PostgresNIO

/// Liveness, readiness and metrics endpoints.
public struct HealthRoutes: Sendable {
    /// The database the service depends on.
    public let client: PostgresClient
    /// The service's producer, used to ask a broker for metadata.
    public let producer: KafkaProducer
    /// Opened when start-up (migrations, topics) has finished.
    public let gate: StartupGate
    /// Whether the relay can publish, when the service runs one.
    public let publishing: PublishingHealth?

    /// Creates the routes.
    public init(client: PostgresClient, producer: KafkaProducer, gate: StartupGate, publishing: PublishingHealth? = nil) {
        self.client = client
        self.producer = producer
        self.gate = gate
        self.publishing = publishing
    }

    /// The readiness report: each dependency's state.
    public struct Report: ResponseCodable, Equatable {
        /// `ready`; `degraded` (the service does its HTTP work — its database is up — but the broker
        /// cannot be reached or its events cannot be published: they wait in the outbox); or
        /// `not-ready` (still starting, or the database is unreachable).
        public var status: String
        /// `startup` → `ok` / `pending`; `database`, `broker` → `ok` / `unreachable`;
        /// `publishing` → `ok` / `failing`.
        public var checks: [String: String]
        /// When publishing fails: for how many seconds, and the last delivery error.
        public var publishing: PublishingHealth.Status?
    }

    /// Checks the database (`SELECT 1`) and the broker (a metadata request), each within 2 s, and
    /// reads the relay's publishing state.
    ///
    /// Readiness means "can do its job": a service answers its HTTP API from its database, and
    /// its writes queue their events in the outbox whatever the broker does. So the answer is
    /// 200 while the database is up — `ready`, or `degraded` while the broker is away or the relay
    /// cannot publish (the metric `hall_outbox_publishing_failing_seconds` and the alert on it
    /// tell the operator) — and 503 only while starting or without the database. A load balancer
    /// gated on it does not take a working front desk away during a broker blip.
    public func readiness(logger: Logger) async -> Report {
        async let database = withTimeout(.seconds(2)) { [client] in
            _ = try await client.run("SELECT 1", logger: logger).collect()
        }
        async let broker = producer.isBrokerReachable(timeout: .seconds(2))
        let databaseOK = await database
        let brokerOK = await broker
        let started = gate.isOpen
        let publishingStatus = publishing?.status
        let publishingOK = publishingStatus?.ok ?? true
        var checks = [
            "startup": started ? "ok" : "pending",
            "database": databaseOK ? "ok" : "unreachable",
            "broker": brokerOK ? "ok" : "unreachable",
        ]
        if publishing != nil { checks["publishing"] = publishingOK ? "ok" : "failing" }
        let status = !(started && databaseOK) ? "not-ready" : (brokerOK && publishingOK ? "ready" : "degraded")
        return Report(status: status, checks: checks, publishing: publishingOK ? nil : publishingStatus)
    }

    /// Adds `GET /health/live`, `GET /health/ready` and `GET /metrics`.
    public func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/health/live") { _, _ in
            Report(status: "live", checks: [:])
        }
        router.get("/health/ready") { _, context -> EditedResponse<Report> in
            let report = await readiness(logger: context.logger)
            return EditedResponse(status: report.status == "not-ready" ? .serviceUnavailable : .ok, response: report)
        }
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: HallMetrics.exposition())))
        }
    }
}

/// Runs `body`, reporting false when it throws or takes longer than `timeout`.
func withTimeout(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> Void) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            do {
                try await body()
                return true
            } catch {
                return false
            }
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}
