import AsyncHTTPClient
import Foundation

/// A hall service run as its own process by a benchmark or an end-to-end test: the executable
/// built beside the running program (hallbench, or the test runner; `HALL_BIN_DIR` names another
/// folder, e.g. a previous build to compare), on a schema of its own and, when given, a Kafka
/// namespace of its own. What is measured or tested is the executable the hall runs.
public final class ServiceProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` is replaced only by `restart()`, which callers do not run
    // concurrently with other calls on the same service.
    public let name: String
    public let port: Int
    private var process: Process
    private let environment: [String: String]
    private let binary: URL

    /// The service's base URL.
    public var base: String { "http://127.0.0.1:\(port)" }
    /// The running process's id.
    public var pid: Int32 { process.processIdentifier }

    /// The folder of the executables: `HALL_BIN_DIR`, or the first folder upwards from the running
    /// program that holds `name`.
    public static func executable(_ name: String) -> URL {
        if let folder = ProcessInfo.processInfo.environment["HALL_BIN_DIR"] {
            return URL(fileURLWithPath: folder).appendingPathComponent(name)
        }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent(name).path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent(name)
    }

    private init(name: String, port: Int, binary: URL, environment: [String: String]) throws {
        self.name = name
        self.port = port
        self.binary = binary
        self.environment = environment
        self.process = try Self.launch(binary, environment)
    }

    private static func launch(_ binary: URL, _ environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        try process.run()
        return process
    }

    /// Starts `name` (`intake`, `coordinator`, `seal`, …) with the stack's database and broker.
    ///
    /// - Parameters:
    ///   - namespace: `HALL_KAFKA_NAMESPACE`, or nil for the cluster's own topic names.
    ///   - extra: further environment (a service's own settings).
    public static func start(
        _ name: String, adminURL: String, schema: String, namespace: String? = nil, secret: String, extra: [String: String] = [:]
    ) throws -> ServiceProcess {
        let binary = executable(name)
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ServiceProcessError("no \(name) executable at \(binary.path): swift build --product \(name)")
        }
        let port = try freePort()
        var settings = [
            "HALL_DATABASE_URL": adminURL,
            "HALL_DATABASE_SCHEMA": schema,
            "HALL_KAFKA_BROKERS": try requireValue(LocalStack.kafkaBrokers, "HALL_KAFKA_BROKERS").joined(separator: ","),
            "HALL_JWT_ISSUER": try requireValue(LocalStack.issuerURL, "HALL_JWT_ISSUER"),
            // Derives the applicant check's key only: tokens come from the local identity provider.
            "HALL_JWT_SECRET": secret,
            "HALL_HTTP_HOST": "127.0.0.1",
            "HALL_HTTP_PORT": String(port),
            // A few connections per core of this 2-core machine: 32 load clients on 40 connections made
            // 32 PostgreSQL backends compete for the cores, and a case look-up took twice the
            // database's time; acceptances, which wait on commits, lose little with 16.
            "HALL_DATABASE_POOL_SIZE": "16",
            "HALL_LOG_LEVEL": "error",
            // Load drivers and tests look cases up from one address.
            "HALL_PUBLIC_LOOKUPS_PER_MINUTE": "100000000",
            // As the superuser, which may do anything; the guard of append-only tables is tested with real roles.
            "HALL_APPEND_ONLY_CHECK": "off",
        ]
        if let namespace { settings["HALL_KAFKA_NAMESPACE"] = namespace }
        settings.merge(HallSigners.environment(for: name)) { $1 }
        let environment = ProcessInfo.processInfo.environment.merging(settings.merging(extra) { _, new in new }) { _, new in new }
        return try ServiceProcess(name: name, port: port, binary: binary, environment: environment)
    }

    /// Waits until the service answers 200 on `/health/ready` (60 s at most).
    public func waitUntilReady(_ client: HTTPClient) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw ServiceProcessError("\(name) exited with status \(process.terminationStatus) before it was ready") }
            if let answer = try? await client.execute(HTTPClientRequest(url: "\(base)/health/ready"), timeout: .seconds(2)), answer.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServiceProcessError("\(name) did not answer 200 on /health/ready within 60 s")
    }

    /// Kills the service at once (SIGKILL: no shutdown, nothing flushed or committed).
    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Starts the service again, same executable, port, schema and settings (after ``kill()`` or ``stop()``).
    public func restart() throws {
        guard !process.isRunning else { return }
        process = try Self.launch(binary, environment)
    }

    /// Stops the service gracefully (SIGTERM), or kills it after 15 s.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A service that could not be started or did not become ready, with the reason.
public struct ServiceProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
