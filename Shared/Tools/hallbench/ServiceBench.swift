import AsyncHTTPClient
import Foundation
import HallKit
import HallLocalStack
import Logging
import PostgresNIO

/// One service executable under benchmark, with what a benchmark of it needs.
struct ServiceUnderBench {
    let service: ServiceProcess
    /// Keep-alive HTTP client for the service (up to `clients` connections).
    let http: HTTPClient
    /// A client of the service's schema, to count what it did.
    let database: PostgresClient
    let schema: String
    let namespace: String
    let logger: Logger
}

extension HallBench {
    /// Prints pgbench `-N` (unless `pgbenchTransactions` is 0), starts the release executable `name`
    /// on a fresh schema and Kafka namespace, runs `body` once it is ready, then stops it and drops
    /// its schema (also when `body` throws).
    func withServiceUnderBench(
        _ name: String, adminURL: String, pgbenchTransactions: Int, secret: String, extra: [String: String] = [:], clients: Int = 32,
        _ body: (ServiceUnderBench) async throws -> Void
    ) async throws {
        if pgbenchTransactions > 0 {
            let pgbench = try runPgbench(adminURL: adminURL, transactionsPerClient: pgbenchTransactions)
            print(String(format: "pgbench -N (8 clients × %d transactions, scale 10): %.0f TPS", pgbenchTransactions, pgbench))
        }
        let logger = LocalStack.logger("hallbench")
        let tag = UInt32.random(in: 0...UInt32.max)
        let schema = "\(name)bench_\(tag)"
        let namespace = "\(name)bench-\(tag)"
        let service = try ServiceProcess.start(name, adminURL: adminURL, schema: schema, namespace: namespace, secret: secret, extra: extra)
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(32, clients))
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let database = try DatabaseConfiguration(url: adminURL, key: "HALL_ADMIN_DATABASE_URL", schema: schema, poolSize: 4)
        let client = PostgresClient(configuration: database.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            func tearDown() async {
                try? await http.shutdown()
                service.stop()
                _ = try? await client.run("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: logger)
            }
            do {
                try await service.waitUntilReady(http)
                try await body(ServiceUnderBench(service: service, http: http, database: client, schema: schema, namespace: namespace, logger: logger))
            } catch {
                await tearDown()
                throw error
            }
            await tearDown()
        }
    }
}
