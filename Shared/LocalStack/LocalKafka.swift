import Foundation
import HallContracts
import HallKafka
import HallKit
import Logging

/// Kafka helpers for tests: fresh topics and groups on a given broker.
public struct LocalKafka: Sendable {
    /// Broker addresses.
    public let brokers: [String]

    /// The local stack's broker.
    public static func stack() throws -> LocalKafka {
        LocalKafka(brokers: try requireValue(LocalStack.kafkaBrokers, "HALL_KAFKA_BROKERS"))
    }

    /// Creates a helper for these brokers.
    public init(brokers: [String]) {
        self.brokers = brokers
    }

    /// Client options with a test client id.
    public func client(_ id: String = "test") -> KafkaClientConfiguration {
        var configuration = KafkaClientConfiguration(bootstrapServers: brokers, clientId: id)
        configuration.metadataRefreshInterval = .seconds(2)
        return configuration
    }

    /// Creates uniquely named topics (`partitions` each) and returns their names.
    public func makeTopics(_ prefixes: [String], partitions: Int32 = 3) async throws -> [String] {
        let names = prefixes.map { LocalStack.uniqueName($0).replacingOccurrences(of: "_", with: "-") }
        try await createTopics(names, partitions: partitions)
        return names
    }

    /// Creates topics by name (existing ones are left alone).
    public func createTopics(_ names: [String], partitions: Int32 = 3) async throws {
        try await KafkaAdminClient(configuration: client("admin"), logger: LocalStack.logger())
            .createTopics(names.map { KafkaTopicSpecification(name: $0, partitions: partitions) })
    }

    /// A producer with short timeouts.
    public func producer(messageTimeout: Duration = .seconds(10), messageMaxBytes: Int = 1_000_000) throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(client: client("test-producer"))
        configuration.messageTimeout = messageTimeout
        configuration.messageMaxBytes = messageMaxBytes
        return try KafkaProducer(configuration: configuration, logger: LocalStack.logger())
    }

    /// Consumer options for a test group: short session and poll intervals so rebalances are quick.
    public func consumerConfiguration(group: String, topics: [String]) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(client: client("test-consumer"), groupId: group, topics: topics)
        configuration.sessionTimeout = .seconds(6)
        configuration.heartbeatInterval = .seconds(1)
        configuration.maxPollInterval = .seconds(10)
        configuration.commitInterval = .milliseconds(200)
        return configuration
    }

    /// Reads every record from `topic` (a fresh group from the beginning): at least `count`, then
    /// until nothing more arrives, or until `timeout` passed.
    public func readAll(_ topic: String, atLeast count: Int, timeout: Duration = .seconds(30)) async throws -> [KafkaConsumerMessage] {
        let consumer = try KafkaConsumer(
            configuration: consumerConfiguration(group: LocalStack.uniqueName("reader"), topics: [topic]),
            logger: LocalStack.logger())
        var records: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let batch = await consumer.poll(maxMessages: 1000, timeout: .milliseconds(500))
            records += batch
            // Enough, and nothing more arriving: done.
            if records.count >= count && batch.isEmpty { break }
        }
        await consumer.close()
        return records
    }
}

/// A broker of the test's own (Tansu, in memory) that the test can pause, resume, kill and restart.
public final class LocalBroker: @unchecked Sendable {
    // @unchecked Sendable: `process` is only touched from the test's own task, one call at a time.
    private var process: Process?
    /// The broker's port on 127.0.0.1.
    public let port: Int
    /// The broker's `host:port`.
    public var address: String { "127.0.0.1:\(port)" }
    private let binary: String
    private let logFile: URL

    /// Starts a broker on a free port and waits until it accepts connections.
    public static func start() async throws -> LocalBroker {
        let binary = try requireValue(LocalStack.tansuBinary, "HALL_TANSU_BIN")
        let broker = LocalBroker(binary: binary, port: try freePort())
        try await broker.launch()
        return broker
    }

    private init(binary: String, port: Int) {
        self.binary = binary
        self.port = port
        self.logFile = FileManager.default.temporaryDirectory.appendingPathComponent("tansu-test-\(port).log")
    }

    private func launch() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "broker", "--listener-url", "tcp://127.0.0.1:\(port)", "--advertised-listener-url", "tcp://127.0.0.1:\(port)",
        ]
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(20)
        while !isPortOpen(port) {
            guard ContinuousClock.now < deadline else { throw MissingStackSetting(name: "a test broker on port \(port) (did not start)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Freezes the broker (SIGSTOP): connections stay open but nothing answers.
    public func pause() { if let pid = process?.processIdentifier { kill(pid, SIGSTOP) } }
    /// Unfreezes the broker (SIGCONT).
    public func resume() { if let pid = process?.processIdentifier { kill(pid, SIGCONT) } }

    /// Kills the broker (SIGKILL); its in-memory data is gone.
    public func stop() {
        guard let process else { return }
        kill(process.processIdentifier, SIGCONT)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Kills the broker and starts an empty one on the same port.
    public func restartEmpty() async throws {
        stop()
        try await launch()
    }

    deinit { stop() }
}

/// A free TCP port on 127.0.0.1.
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw MissingStackSetting(name: "a free port") }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
public func isPortOpen(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
