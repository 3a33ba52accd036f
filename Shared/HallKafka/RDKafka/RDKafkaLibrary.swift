import CRdKafka

/// The librdkafka library loaded at run time.
public enum LibRdKafka {
    /// The oldest librdkafka whose protocol handling works with the brokers we use (2.1.0).
    public static let minimumVersion: (major: Int, minor: Int, patch: Int) = (2, 1, 0)

    /// The loaded library's version as `major.minor.patch` numbers (from `rd_kafka_version()`,
    /// which reports the library actually loaded, not the headers compiled against).
    public static var version: (major: Int, minor: Int, patch: Int) {
        let raw = UInt32(bitPattern: rd_kafka_version())
        return (Int((raw >> 24) & 0xff), Int((raw >> 16) & 0xff), Int((raw >> 8) & 0xff))
    }

    /// The loaded library's version string, e.g. `2.8.0`.
    public static var versionString: String { String(cString: rd_kafka_version_str()) }

    /// Throws ``KafkaError/Code/unsupportedLibrary`` when the loaded library is older than
    /// ``minimumVersion``. Every executable calls this before anything else.
    public static func requireSupportedVersion() throws {
        let loaded = version
        let minimum = minimumVersion
        if (loaded.major, loaded.minor, loaded.patch) < (minimum.major, minimum.minor, minimum.patch) {
            throw KafkaError(
                .unsupportedLibrary,
                "librdkafka \(versionString) was loaded at run time; \(minimum.major).\(minimum.minor).\(minimum.patch) or newer is required (run deploy/hall install, and make sure /usr/local/lib comes before the system library)"
            )
        }
    }
}

/// Builds a librdkafka configuration object from key/value pairs.
///
/// Returns an owned `rd_kafka_conf_t` (the caller hands it to `rd_kafka_new`, which takes
/// ownership, or destroys it on failure).
func makeRdKafkaConf(_ settings: [(String, String)]) throws -> OpaquePointer {
    guard let conf = rd_kafka_conf_new() else {
        throw KafkaError(.configuration, "rd_kafka_conf_new failed")
    }
    var errorBuffer = [CChar](repeating: 0, count: 512)
    for (key, value) in settings {
        let result = rd_kafka_conf_set(conf, key, value, &errorBuffer, errorBuffer.count)
        if result != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(.configuration, "setting \(key): \(reason)")
        }
    }
    return conf
}

/// Options shared by producers, consumers and admin clients, as librdkafka settings.
func commonSettings(_ client: KafkaClientConfiguration) -> [(String, String)] {
    var settings: [(String, String)] = [
        ("bootstrap.servers", client.bootstrapServers.joined(separator: ",")),
        ("client.id", client.clientId),
        ("reconnect.backoff.ms", String(client.reconnectBackoff.milliseconds)),
        ("reconnect.backoff.max.ms", String(client.reconnectBackoffMax.milliseconds)),
        ("topic.metadata.refresh.interval.ms", String(client.metadataRefreshInterval.milliseconds)),
        ("socket.keepalive.enable", "true"),
        ("log.connection.close", "false"),
    ]
    if !client.debugContexts.isEmpty {
        settings.append(("debug", client.debugContexts.joined(separator: ",")))
    }
    return settings
}

/// Turns a librdkafka error number into a ``KafkaError``.
func kafkaError(_ code: rd_kafka_resp_err_t, _ context: String, file: String = #fileID, line: UInt = #line) -> KafkaError {
    let text = String(cString: rd_kafka_err2str(code))
    let raw = code.rawValue
    let mapped: KafkaError.Code
    var retriable = false
    switch code {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
        mapped = .init("message-timed-out", rawValue: raw); retriable = true
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        mapped = .init("queue-full", rawValue: raw); retriable = true
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TRANSPORT:
        mapped = .init("all-brokers-down", rawValue: raw); retriable = true
    case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        mapped = .init("timed-out", rawValue: raw); retriable = true
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        mapped = .init("unknown-topic", rawValue: raw); retriable = true
    case RD_KAFKA_RESP_ERR__FATAL:
        mapped = .init("fatal", rawValue: raw)
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR__RESOLVE:
        mapped = .init("other", rawValue: raw); retriable = true
    default:
        mapped = .init("other", rawValue: raw)
    }
    // Errors after which an idempotent producer cannot go on: the handle must be replaced.
    let producerFatal: Set<rd_kafka_resp_err_t> = [
        RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR_PRODUCER_FENCED, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH,
        RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID,
        RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING, RD_KAFKA_RESP_ERR__FENCED,
    ]
    let fatal = producerFatal.contains(code)
    return KafkaError(
        fatal && mapped.name == "other" ? .init("fatal", rawValue: raw) : mapped, "\(context): \(text)", isRetriable: retriable,
        isFatal: fatal, file: file, line: line)
}

/// Copies a C string buffer that may not be NUL-terminated within `count`.
func string(from buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
