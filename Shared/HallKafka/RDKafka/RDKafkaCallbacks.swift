import CRdKafka
import Logging
import Synchronization

/// The Swift side of a librdkafka handle: the logger its log and error callbacks write to, and the
/// latest error state the callbacks observed.
///
/// librdkafka gets this object as its configuration `opaque` (unretained): the owning client keeps
/// it alive until after `rd_kafka_destroy` has returned, so callbacks never see a dangling pointer.
final class RDKafkaCallbackContext: Sendable {
    let logger: Logger
    /// A fatal error reported by the library (idempotent producer fenced, out of sequence).
    let fatalError = Mutex<KafkaError?>(nil)
    /// Whether the last error callback said that no broker is reachable.
    let allBrokersDown = Atomic<Bool>(false)

    init(logger: Logger) {
        self.logger = logger
    }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaCallbackContext? {
        opaque.map { Unmanaged<RDKafkaCallbackContext>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// librdkafka's log callback: forwards library log lines to the client's logger.
func rdKafkaLogCallback(handle: OpaquePointer?, level: Int32, facility: UnsafePointer<CChar>?, message: UnsafePointer<CChar>?) {
    guard let handle, let context = RDKafkaCallbackContext.from(rd_kafka_opaque(handle)) else { return }
    let text = message.map { String(cString: $0) } ?? ""
    let facilityText = facility.map { String(cString: $0) } ?? ""
    let logLevel: Logger.Level
    switch level {
    case 0...3: logLevel = .error
    case 4: logLevel = .warning
    case 5, 6: logLevel = .info
    default: logLevel = .debug
    }
    context.logger.log(level: logLevel, "librdkafka: \(text)", metadata: ["kafka.facility": "\(facilityText)"])
}

/// librdkafka's error callback: records fatal errors and broker reachability, logs the rest.
func rdKafkaErrorCallback(handle: OpaquePointer?, code: Int32, reason: UnsafePointer<CChar>?, opaque: UnsafeMutableRawPointer?) {
    guard let context = RDKafkaCallbackContext.from(opaque) else { return }
    let err = rd_kafka_resp_err_t(rawValue: code)
    let text = reason.map { String(cString: $0) } ?? ""
    if err == RD_KAFKA_RESP_ERR__FATAL, let handle {
        var buffer = [CChar](repeating: 0, count: 512)
        let original = rd_kafka_fatal_error(handle, &buffer, buffer.count)
        let error = KafkaError(.fatal, "\(String(cString: rd_kafka_err2name(original))): \(string(from: buffer))", isFatal: true)
        context.fatalError.withLock { $0 = error }
        context.logger.critical("kafka fatal error", metadata: ["error": "\(error)"])
        return
    }
    if err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN {
        context.allBrokersDown.store(true, ordering: .relaxed)
    }
    context.logger.warning("kafka client error", metadata: ["error": "\(text)", "kafka.error": "\(String(cString: rd_kafka_err2name(err)))"])
}

/// Installs the log and error callbacks and the context on a configuration.
func installCallbacks(on conf: OpaquePointer, context: RDKafkaCallbackContext) {
    rd_kafka_conf_set_opaque(conf, context.opaque)
    rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
    rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
}

/// Creates a librdkafka handle of the given type from an owned configuration.
func makeHandle(type: rd_kafka_type_t, conf: OpaquePointer) throws -> OpaquePointer {
    var errorBuffer = [CChar](repeating: 0, count: 512)
    guard let handle = rd_kafka_new(type, conf, &errorBuffer, errorBuffer.count) else {
        rd_kafka_conf_destroy(conf)
        throw KafkaError(.configuration, "creating the Kafka client: \(string(from: errorBuffer))")
    }
    return handle
}
