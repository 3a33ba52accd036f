/// Broker addresses and options common to every client.
public struct KafkaClientConfiguration: Sendable, Hashable {
    /// `host:port` of one or more brokers.
    public var bootstrapServers: [String]
    /// Client id shown in broker logs.
    public var clientId: String
    /// Delay before reconnecting to a broker after a failure; doubles up to `reconnectBackoffMax`.
    public var reconnectBackoff: Duration = .milliseconds(100)
    /// Upper bound of the reconnect backoff.
    public var reconnectBackoffMax: Duration = .seconds(2)
    /// How often topic metadata is refreshed (so new partitions and topics are seen).
    public var metadataRefreshInterval: Duration = .seconds(30)
    /// Extra librdkafka debug contexts (e.g. `["broker", "protocol"]`), for diagnosis only.
    public var debugContexts: [String] = []

    /// Creates the common options.
    public init(bootstrapServers: [String], clientId: String) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
    }
}

/// Compression applied by the producer to record batches.
public enum KafkaCompression: String, Sendable, Hashable {
    case none, gzip, snappy, lz4, zstd
}

/// Producer options. The producer is always idempotent with `acks=all`: a record is reported
/// delivered only when every in-sync replica has it, with no duplicates from internal retries.
public struct KafkaProducerConfiguration: Sendable, Hashable {
    /// Common options.
    public var client: KafkaClientConfiguration
    /// How long a record may wait for delivery (including retries) before its report says it failed.
    public var messageTimeout: Duration = .seconds(30)
    /// How long the producer waits to fill a batch; small values lower latency.
    public var linger: Duration = .milliseconds(2)
    /// Largest number of records in one batch.
    public var batchMaxMessages: Int = 10_000
    /// Largest number of records waiting in the local queue.
    public var queueMaxMessages: Int = 1_000_000
    /// Compression of record batches.
    public var compression: KafkaCompression = .none
    /// The largest record this producer sends, in bytes (`message.max.bytes`): key, value and
    /// headers. The relay's events are far below it; a dead-letter copy is cut to fit.
    public var messageMaxBytes: Int = 1_000_000
    /// Consecutive sends whose records all timed out (none delivered) after which the librdkafka
    /// producer is replaced by a new one. A broker that came back empty does not know the
    /// idempotent producer's id and sequence numbers; the old producer can keep timing out for
    /// minutes, while a new one registers afresh. 0 never replaces.
    public var replaceAfterTimedOutSends: Int = 2
    /// How long closing waits for records in flight before it fails them (bounds a graceful stop
    /// while the broker is away).
    public var closeTimeout: Duration = .seconds(3)

    /// Creates producer options.
    public init(client: KafkaClientConfiguration) {
        self.client = client
    }
}

/// Where a consumer group with no committed offset starts reading.
public enum KafkaOffsetReset: String, Sendable, Hashable {
    case earliest, latest
}

/// Consumer group options. Offsets are stored only when the caller says a record's effect is
/// committed (``KafkaConsumer/storeOffsets(_:)``), and committed to the group in the background
/// and on close.
public struct KafkaConsumerConfiguration: Sendable, Hashable {
    /// Common options.
    public var client: KafkaClientConfiguration
    /// Consumer group id: instances with the same id share the partitions.
    public var groupId: String
    /// Topics to subscribe to.
    public var topics: [String]
    /// Where to start when the group has no committed offset.
    public var offsetReset: KafkaOffsetReset = .earliest
    /// A member not heard from for this long is removed from the group (broker minimum is usually 6 s).
    public var sessionTimeout: Duration = .seconds(6)
    /// Heartbeat interval (a third of the session timeout or less).
    public var heartbeatInterval: Duration = .seconds(2)
    /// Longest time between two polls before the member is considered stuck and leaves the group.
    public var maxPollInterval: Duration = .seconds(60)
    /// How often stored offsets are committed to the group.
    public var commitInterval: Duration = .seconds(1)
    /// Longest time the broker holds a fetch waiting for data (lower: lower latency).
    public var fetchWaitMax: Duration = .milliseconds(100)
    /// The most a fetch takes from one partition (`max.partition.fetch.bytes`); a larger record
    /// still comes, alone. And the most one fetch takes in all (`fetch.max.bytes`).
    public var partitionFetchMaxBytes: Int = 1_048_576
    public var fetchMaxBytes: Int = 52_428_800

    /// Creates consumer options.
    public init(client: KafkaClientConfiguration, groupId: String, topics: [String]) {
        self.client = client
        self.groupId = groupId
        self.topics = topics
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, at least 0.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
