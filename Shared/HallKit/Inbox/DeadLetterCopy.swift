import HallContracts
import HallKafka

/// The copy of a record a consumer cannot apply, as written to its dead-letter topic: the
/// original key, value and headers plus the ``DeadLetterHeader``s — cut where they would not fit
/// the topic, so that writing the dead letter never fails for the record's size and the
/// partition always moves on. Each cut is stated in a header.
public enum DeadLetterCopy {
    /// The longest value copied (512 KiB); a longer one keeps its first bytes.
    public static let valueLimit = 512 * 1024
    /// The longest key copied (4 KiB).
    public static let keyLimit = 4 * 1024
    /// The most original header bytes copied (64 KiB, names and values); more, and none are.
    public static let headersLimit = 64 * 1024

    /// The dead-letter record of `message` on `topic`, with `reasons` (the ``DeadLetterHeader``s) added.
    public static func record(of message: KafkaConsumerMessage, topic: String, reasons: [(key: String, value: String)]) -> KafkaProducerMessage {
        var added = reasons
        var key = message.key
        if let original = key, original.count > keyLimit {
            key = Array(original.prefix(keyLimit))
            added.append((DeadLetterHeader.keyBytes, String(original.count)))
        }
        var value = message.value
        if value.count > valueLimit {
            value = Array(value.prefix(valueLimit))
            added.append((DeadLetterHeader.valueBytes, String(message.value.count)))
        }
        var headers = message.headers
        let headerBytes = headers.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) }
        if headerBytes > headersLimit {
            added.append((DeadLetterHeader.headersDropped, String(headers.count)))
            headers = []
        }
        headers += added.map { KafkaHeader(key: $0.key, string: $0.value) }
        return KafkaProducerMessage(topic: topic, key: key, value: value, headers: headers)
    }
}
