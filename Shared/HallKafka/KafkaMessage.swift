/// A Kafka record header. Values are bytes; the hall's own headers are UTF-8 text.
public struct KafkaHeader: Sendable, Hashable {
    /// Header name.
    public var key: String
    /// Header value bytes (nil for a header with no value).
    public var value: [UInt8]?

    /// Creates a header with a byte value.
    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    /// Creates a header with a UTF-8 text value.
    public init(key: String, string: String) {
        self.key = key
        self.value = Array(string.utf8)
    }

    /// The value decoded as UTF-8, if it is valid UTF-8.
    public var stringValue: String? {
        value.flatMap { String(validating: $0, as: UTF8.self) }
    }
}

extension Array where Element == KafkaHeader {
    /// The first header with this name, as text.
    public func first(named key: String) -> String? {
        first(where: { $0.key == key })?.stringValue
    }
}

/// A record to publish.
public struct KafkaProducerMessage: Sendable, Hashable {
    /// Destination topic.
    public var topic: String
    /// Partitioning key: all records with the same key go to the same partition, in order.
    public var key: [UInt8]?
    /// Record value.
    public var value: [UInt8]
    /// Record headers, in order.
    public var headers: [KafkaHeader]

    /// Creates a record.
    public init(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = []) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// Creates a record with a text key.
    public init(topic: String, key: String?, value: [UInt8], headers: [KafkaHeader] = []) {
        self.init(topic: topic, key: key.map { Array($0.utf8) }, value: value, headers: headers)
    }
}

/// Where the broker stored a delivered record: returned only once the broker acknowledged it
/// (acks=all, idempotent producer).
public struct KafkaDeliveryReport: Sendable, Hashable {
    /// Topic the record was written to.
    public var topic: String
    /// Partition the record was written to.
    public var partition: Int32
    /// Offset of the record in its partition.
    public var offset: Int64
}

/// A record read by a consumer.
public struct KafkaConsumerMessage: Sendable, Hashable {
    /// Source topic.
    public var topic: String
    /// Source partition.
    public var partition: Int32
    /// Offset in the partition.
    public var offset: Int64
    /// Record key, if any.
    public var key: [UInt8]?
    /// Record value (empty for a null value).
    public var value: [UInt8]
    /// Record headers, in order.
    public var headers: [KafkaHeader]
    /// Broker or producer timestamp in milliseconds since 1970 (UTC), if known.
    public var timestampMilliseconds: Int64?

    /// Creates a record (used by tests and by the client).
    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
        headers: [KafkaHeader], timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The key as UTF-8 text.
    public var keyString: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }
}

/// A topic to create, with its partition count.
public struct KafkaTopicSpecification: Sendable, Hashable {
    /// Topic name.
    public var name: String
    /// Number of partitions (≥ 1).
    public var partitions: Int32
    /// Replication factor; -1 uses the broker's default.
    public var replicationFactor: Int32

    /// Creates a specification.
    public init(name: String, partitions: Int32, replicationFactor: Int32 = -1) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
    }
}
