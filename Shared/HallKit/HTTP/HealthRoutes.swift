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

    /// Creates the routes.
    public init(client: PostgresClient, producer: KafkaProducer, gate: StartupGate) {
        self.client = client
        self.producer = producer
        self.gate = gate
    }

    /// The readiness report: each dependency's state.
    public struct Report: ResponseCodable, Equatable {
        /// `ready` or `not-ready`.
        public var status: String
        /// `startup`, `database`, `broker` → `ok` / `pending` / `unreachable`.
        public var checks: [String: String]
    }

    /// Checks the database (`SELECT 1`) and the broker (a metadata request), each within 2 s.
    public func readiness(logger: Logger) async -> Report {
        async let database = withTimeout(.seconds(2)) { [client] in
            _ = try await client.query("SELECT 1", logger: logger).collect()
        }
        async let broker = producer.isBrokerReachable(timeout: .seconds(2))
        let databaseOK = await database
        let brokerOK = await broker
        let started = gate.isOpen
        let checks = [
            "startup": started ? "ok" : "pending",
            "database": databaseOK ? "ok" : "unreachable",
            "broker": brokerOK ? "ok" : "unreachable",
        ]
        return Report(status: started && databaseOK && brokerOK ? "ready" : "not-ready", checks: checks)
    }

    /// Adds `GET /health/live`, `GET /health/ready` and `GET /metrics`.
    public func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/health/live") { _, _ in
            Report(status: "live", checks: [:])
        }
        router.get("/health/ready") { _, context -> EditedResponse<Report> in
            let report = await readiness(logger: context.logger)
            return EditedResponse(status: report.status == "ready" ? .ok : .serviceUnavailable, response: report)
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
