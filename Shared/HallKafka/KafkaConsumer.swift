import Dispatch
import Logging

/// A consumer-group member with manual offset storage.
///
/// Poll batches with ``poll(maxMessages:timeout:)``, apply their effect, then call
/// ``storeOffsets(_:)``: only stored offsets are committed to the group (in the background every
/// `commitInterval`, and on ``close()``). A record whose offset was never stored is delivered again
/// to whichever member owns its partition next — consumers must be idempotent.
public final class KafkaConsumer: Sendable {
    private let client: ConsumerClient
    /// Serial queue for the blocking calls (poll, commit, close): never the Swift concurrency pool.
    private let queue: DispatchQueue
    private let logger: Logger
    /// The group id, for logs and metrics.
    public let groupId: String

    /// Creates the member and subscribes to the configured topics.
    ///
    /// - Throws: ``KafkaError/Code/configuration`` for a refused option,
    ///   ``KafkaError/Code/unsupportedLibrary`` when the loaded librdkafka is too old.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws {
        try LibRdKafka.requireSupportedVersion()
        var settings = commonSettings(configuration.client)
        settings += [
            ("group.id", configuration.groupId),
            ("enable.auto.commit", "true"),
            ("enable.auto.offset.store", "false"),
            ("auto.commit.interval.ms", String(configuration.commitInterval.milliseconds)),
            ("auto.offset.reset", configuration.offsetReset.rawValue),
            ("session.timeout.ms", String(configuration.sessionTimeout.milliseconds)),
            ("heartbeat.interval.ms", String(configuration.heartbeatInterval.milliseconds)),
            ("max.poll.interval.ms", String(configuration.maxPollInterval.milliseconds)),
            ("fetch.wait.max.ms", String(configuration.fetchWaitMax.milliseconds)),
            ("max.partition.fetch.bytes", String(configuration.partitionFetchMaxBytes)),
            ("fetch.max.bytes", String(configuration.fetchMaxBytes)),
            ("enable.partition.eof", "false"),
        ]
        self.client = try ConsumerClient(settings: settings, topics: configuration.topics, logger: logger)
        self.logger = logger
        self.groupId = configuration.groupId
        self.queue = DispatchQueue(label: "kafka-consumer.\(configuration.groupId)")
    }

    /// Waits up to `timeout` for the first record, then takes whatever else is already fetched, up
    /// to `maxMessages`. Returns an empty array when nothing arrived or the consumer is closed.
    ///
    /// Per-partition order is preserved in the returned array.
    public func poll(maxMessages: Int, timeout: Duration) async -> [KafkaConsumerMessage] {
        if client.isClosed { return [] }
        let client = self.client
        return await runBlocking(on: queue) { client.poll(maxMessages: maxMessages, timeout: timeout) }
    }

    /// Ends a poll that is waiting (or the next one) at once, for a prompt shutdown: the poll's
    /// timeout can then be long, so that an idle consumer seldom wakes.
    public func wake() {
        if !client.isClosed { client.wake() }
    }

    /// Marks these records as processed: their partitions' next offsets are stored and will be
    /// committed to the group. Records of partitions this member no longer owns are ignored.
    public func storeOffsets(_ messages: some Sequence<KafkaConsumerMessage>) {
        var next: [PartitionKey: Int64] = [:]
        for message in messages {
            let key = PartitionKey(topic: message.topic, partition: message.partition)
            next[key] = max(next[key] ?? -1, message.offset + 1)
        }
        if next.isEmpty || client.isClosed { return }
        if let error = client.store(next) {
            logger.debug("kafka offsets not stored (partition revoked?)", metadata: ["error": "\(error)"])
        }
    }

    /// Commits the stored offsets now and waits for the broker's answer.
    public func commitStoredOffsets() async throws {
        if client.isClosed { return }
        let client = self.client
        if let error = await runBlocking(on: queue, { client.commit() }) { throw error }
    }

    /// Records not yet consumed on this member's partitions: sum of (high watermark − position).
    /// Uses cached watermarks (no network round trip); 0 before the first fetch.
    public func lag() -> Int64 {
        client.isClosed ? 0 : client.lag()
    }

    /// The partitions currently assigned to this member, as `topic/partition` pairs.
    public func assignment() -> [(topic: String, partition: Int32)] {
        client.isClosed ? [] : client.assignment()
    }

    /// Leaves the group: commits the stored offsets and hands the partitions back. Safe to call twice.
    ///
    /// Closing commits the stored offsets and leaves the group. While the broker is away that can
    /// take as long as a request time-out, so it is given `timeout` (3 s by default): past it the
    /// consumer stops without leaving the group (the group notices after its session time-out,
    /// and offsets not committed are read again — the inbox drops the repeats).
    public func close(timeout: Duration = .seconds(3)) async {
        guard client.markClosed() else { return }
        let client = self.client
        await runBlocking(on: queue) { client.close(timeout: timeout) }
    }
}
