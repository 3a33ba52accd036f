import Logging

/// Administrative operations on the cluster.
public struct KafkaAdminClient: Sendable {
    private let configuration: KafkaClientConfiguration
    private let logger: Logger

    /// Creates an admin client description; each operation opens and closes its own connection.
    public init(configuration: KafkaClientConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Which of `names` the broker holds now, with their partition counts (a topic it does not
    /// hold is absent); nil when no broker answered within `timeout`.
    ///
    /// One short-lived connection with an empty metadata cache, asking for the named topics one by
    /// one and never for every topic: librdkafka 2.8 corrupted its metadata cache (and crashed)
    /// updating it from a request for every topic while topics were lost and made anew under the
    /// same names. A request never creates a topic.
    public func topics(named names: [String], timeout: Duration = .seconds(5)) async -> [String: Int]? {
        await AdminHandle.withShortLived(configuration, logger: logger) { $0.partitionCounts(of: names, timeout: timeout) }
    }

    /// The high watermark (the offset the next record will get) of the given partitions of each
    /// topic, as the broker reports it now; a topic or partition the broker does not hold is
    /// absent. Nil when no broker answered within `timeout`. One short-lived connection, like
    /// ``topics(named:timeout:)``.
    public func highWatermarks(of partitions: [String: [Int32]], timeout: Duration = .seconds(5)) async -> [String: [Int32: Int64]]? {
        if partitions.isEmpty { return [:] }
        return await AdminHandle.withShortLived(configuration, logger: logger) { $0.highWatermarks(of: partitions, timeout: timeout) }
    }

    /// Creates the topics that do not exist yet. A topic that already exists is not an error
    /// (its partition count is left as it is).
    ///
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/admin`` naming the first topic that
    ///   failed, or a retriable error when no broker answered within `timeout`.
    /// - Returns: the names of the topics this call created (not those that existed already).
    @discardableResult
    public func createTopics(_ topics: [KafkaTopicSpecification], timeout: Duration = .seconds(15)) async throws -> [String] {
        if topics.isEmpty { return [] }
        try LibRdKafka.requireSupportedVersion()
        return try await AdminHandle.createTopics(topics, configuration: configuration, logger: logger, timeout: timeout)
    }
}
