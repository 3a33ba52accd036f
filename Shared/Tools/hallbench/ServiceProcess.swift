import AsyncHTTPClient
import Foundation
import HallTestSupport

/// A hall service run by a benchmark as its own process: the release-built executable beside
/// hallbench (`HALL_BENCH_BIN_DIR` names another folder, e.g. a previous build to compare), on a
/// schema of its own and, when given, a Kafka namespace of its own. Benchmarks measure the
/// executables the hall runs, never the services' code linked into the benchmark.
struct ServiceProcess {
    let name: String
    let port: Int
    private let process: Process

    /// The service's base URL.
    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts `name` (`intake`, `coordinator`, `seal`, …) with the stack's database and broker.
    ///
    /// - Parameters:
    ///   - namespace: `HALL_KAFKA_NAMESPACE`, or nil for the cluster's own topic names.
    ///   - extra: further environment (a service's own settings).
    static func start(
        _ name: String, adminURL: String, schema: String, namespace: String? = nil, secret: String, extra: [String: String] = [:]
    ) throws -> ServiceProcess {
        let environment = ProcessInfo.processInfo.environment
        let folder = environment["HALL_BENCH_BIN_DIR"].map { URL(fileURLWithPath: $0) }
            ?? Bundle.main.executableURL!.deletingLastPathComponent()
        let binary = folder.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchError("no \(name) executable at \(binary.path): swift build -c release --product \(name)")
        }
        let port = try freePort()
        var settings = [
            "HALL_DATABASE_URL": adminURL,
            "HALL_DATABASE_SCHEMA": schema,
            "HALL_KAFKA_BROKERS": try requireValue(TestEnvironment.kafkaBrokers, "HALL_KAFKA_BROKERS").joined(separator: ","),
            "HALL_JWT_SECRET": secret,
            "HALL_HTTP_HOST": "127.0.0.1",
            "HALL_HTTP_PORT": String(port),
            "HALL_DATABASE_POOL_SIZE": "40",
            "HALL_LOG_LEVEL": "error",
        ]
        if let namespace { settings["HALL_KAFKA_NAMESPACE"] = namespace }
        let process = Process()
        process.executableURL = binary
        process.environment = environment.merging(settings.merging(extra) { _, new in new }) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        try process.run()
        return ServiceProcess(name: name, port: port, process: process)
    }

    /// Waits until the service answers 200 on `/health/ready` (60 s at most).
    func waitUntilReady(_ client: HTTPClient) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw BenchError("\(name) exited with status \(process.terminationStatus) before it was ready") }
            if let answer = try? await client.execute(HTTPClientRequest(url: "\(base)/health/ready"), timeout: .seconds(2)), answer.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("\(name) did not answer 200 on /health/ready within 60 s")
    }

    /// Stops the service gracefully (SIGTERM), or kills it after 15 s.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A benchmark that could not run, with the reason.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
