/// Records to publish, laid out in one block of memory.
///
/// Building a batch costs a few allocations per batch rather than several per record, and the
/// producer hands librdkafka the keys and values in place (no copy) until their delivery reports
/// are in. A caller that already holds many records' bytes contiguously (rows read from a
/// database) stores those bytes once with ``store(_:)`` and points each record at its part:
///
/// ```swift
/// var batch = KafkaRecordBatch()
/// let topic = batch.topic("hall.intake")
/// let eventId = batch.headerName("event-id")
/// let column = batch.store(bytes)                       // one copy for many records
/// batch.append(topic: topic, key: column.slice(0, 8), value: column.slice(8, 300))
/// batch.appendHeader(eventId, value: column.slice(308, 36))
/// ```
///
/// A value type: copying a batch and changing the copy leaves the original as it was.
public struct KafkaRecordBatch: Sendable {
    /// A topic registered in this batch.
    public struct TopicID: Sendable, Hashable {
        let index: Int32
    }

    /// A header name registered in this batch.
    public struct HeaderName: Sendable, Hashable {
        let index: Int32
    }

    /// A range of the batch's memory, returned by ``store(_:)``.
    public struct Bytes: Sendable, Hashable {
        /// Offset of the first byte in the batch's memory.
        public let offset: Int
        /// Number of bytes.
        public let count: Int

        /// The `count` bytes starting `offset` bytes into this range.
        ///
        /// - Precondition: the slice lies within this range.
        public func slice(_ offset: Int, _ count: Int) -> Bytes {
            precondition(offset >= 0 && count >= 0 && offset + count <= self.count, "slice outside the stored bytes")
            return Bytes(offset: self.offset + offset, count: count)
        }
    }

    struct Record {
        var topic: Int32
        var key: Bytes?
        var value: Bytes
        var firstHeader: Int
        var headerCount: Int
    }

    struct Header {
        var name: Int32
        var value: Bytes?
    }

    /// The memory and the tables. Mutated only through a uniquely referenced batch (copy on
    /// write); read-only once handed to the producer.
    final class Storage: @unchecked Sendable {
        private(set) var base: UnsafeMutableRawPointer
        private(set) var capacity: Int
        private(set) var used = 0
        var records: [Record] = []
        var headers: [Header] = []
        var topics: [String] = []
        var topicIndex: [String: Int32] = [:]
        var headerNames: [String] = []
        var headerNameIndex: [String: Int32] = [:]

        init(capacity: Int) {
            self.capacity = max(capacity, 64)
            self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
        }

        deinit { base.deallocate() }

        func copy() -> Storage {
            let copy = Storage(capacity: capacity)
            copy.base.copyMemory(from: base, byteCount: used)
            copy.used = used
            copy.records = records
            copy.headers = headers
            copy.topics = topics
            copy.topicIndex = topicIndex
            copy.headerNames = headerNames
            copy.headerNameIndex = headerNameIndex
            return copy
        }

        func store(_ bytes: UnsafeRawBufferPointer) -> Bytes {
            if used + bytes.count > capacity {
                var grown = capacity * 2
                while grown < used + bytes.count { grown *= 2 }
                let moved = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
                moved.copyMemory(from: base, byteCount: used)
                base.deallocate()
                base = moved
                capacity = grown
            }
            if let source = bytes.baseAddress, bytes.count > 0 {
                (base + used).copyMemory(from: source, byteCount: bytes.count)
            }
            defer { used += bytes.count }
            return Bytes(offset: used, count: bytes.count)
        }

        func pointer(_ bytes: Bytes) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: base + bytes.offset, count: bytes.count)
        }
    }

    var storage: Storage

    /// An empty batch with room for `bytes` bytes before it grows.
    public init(reservingBytes bytes: Int = 64 * 1024, records: Int = 0) {
        storage = Storage(capacity: bytes)
        storage.records.reserveCapacity(records)
    }

    /// A batch of `messages`, in order.
    public init(_ messages: [KafkaProducerMessage]) {
        var size = 0
        for message in messages {
            size += (message.key?.count ?? 0) + message.value.count
            for header in message.headers { size += header.value?.count ?? 0 }
        }
        self.init(reservingBytes: size, records: messages.count)
        for message in messages { append(message) }
    }

    /// Number of records.
    public var count: Int { storage.records.count }

    /// Whether the batch has no records.
    public var isEmpty: Bool { storage.records.isEmpty }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Registers a topic (once per name) and returns its id in this batch.
    public mutating func topic(_ name: String) -> TopicID {
        TopicID(index: register(name, in: \.topics, \.topicIndex))
    }

    /// Registers a header name (once per name) and returns its id in this batch.
    public mutating func headerName(_ name: String) -> HeaderName {
        HeaderName(index: register(name, in: \.headerNames, \.headerNameIndex))
    }

    private mutating func register(
        _ name: String, in names: ReferenceWritableKeyPath<Storage, [String]>, _ index: ReferenceWritableKeyPath<Storage, [String: Int32]>
    ) -> Int32 {
        if let known = storage[keyPath: index][name] { return known }
        makeUnique()
        let position = Int32(storage[keyPath: names].count)
        storage[keyPath: names].append(name)
        storage[keyPath: index][name] = position
        return position
    }

    /// Copies `bytes` into the batch's memory; records and headers then refer to them (or to
    /// parts of them, ``Bytes/slice(_:_:)``) without copying again.
    public mutating func store(_ bytes: UnsafeRawBufferPointer) -> Bytes {
        makeUnique()
        return storage.store(bytes)
    }

    /// Copies `bytes` into the batch's memory.
    public mutating func store(_ bytes: [UInt8]) -> Bytes {
        bytes.withUnsafeBytes { store($0) }
    }

    /// Appends a record; ``appendHeader(_:value:)`` then adds headers to it.
    ///
    /// - Precondition: `key` and `value` were returned by this batch's ``store(_:)``.
    public mutating func append(topic: TopicID, key: Bytes?, value: Bytes) {
        makeUnique()
        precondition(Int(topic.index) < storage.topics.count, "a topic of another batch")
        precondition(value.offset + value.count <= storage.used && (key.map { $0.offset + $0.count <= storage.used } ?? true), "bytes of another batch")
        storage.records.append(Record(topic: topic.index, key: key, value: value, firstHeader: storage.headers.count, headerCount: 0))
    }

    /// Adds a header to the last record appended.
    ///
    /// - Precondition: a record was appended; `value` was returned by this batch's ``store(_:)``.
    public mutating func appendHeader(_ name: HeaderName, value: Bytes?) {
        makeUnique()
        precondition(!storage.records.isEmpty, "a header before any record")
        precondition(Int(name.index) < storage.headerNames.count, "a header name of another batch")
        precondition(value.map { $0.offset + $0.count <= storage.used } ?? true, "bytes of another batch")
        storage.headers.append(Header(name: name.index, value: value))
        storage.records[storage.records.count - 1].headerCount += 1
    }

    /// Appends a copy of `message`.
    public mutating func append(_ message: KafkaProducerMessage) {
        let topic = topic(message.topic)
        let key = message.key.map { store($0) }
        let value = store(message.value)
        append(topic: topic, key: key, value: value)
        for header in message.headers {
            let name = headerName(header.key)
            appendHeader(name, value: header.value.map { store($0) })
        }
    }

    /// The topic of record `index`.
    public func topic(at index: Int) -> String {
        storage.topics[Int(storage.records[index].topic)]
    }

    /// The record at `index` as a message (a copy of its bytes).
    public subscript(index: Int) -> KafkaProducerMessage {
        let record = storage.records[index]
        let headers = storage.headers[record.firstHeader..<(record.firstHeader + record.headerCount)].map { header in
            KafkaHeader(key: storage.headerNames[Int(header.name)], value: header.value.map { Array(storage.pointer($0)) })
        }
        return KafkaProducerMessage(
            topic: storage.topics[Int(record.topic)], key: record.key.map { Array(storage.pointer($0)) },
            value: Array(storage.pointer(record.value)), headers: headers)
    }

    /// The first header `name` of record `index`, as text.
    public func header(_ name: String, at index: Int) -> String? {
        guard let id = storage.headerNameIndex[name] else { return nil }
        let record = storage.records[index]
        for header in storage.headers[record.firstHeader..<(record.firstHeader + record.headerCount)] where header.name == id {
            return header.value.flatMap { String(validating: storage.pointer($0), as: UTF8.self) }
        }
        return nil
    }
}
