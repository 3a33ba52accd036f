import CRdKafka
import Foundation
import Synchronization

/// librdkafka producing with `RD_KAFKA_MSG_F_COPY` and a delivery callback that only counts: the
/// C side of ``KafkaRawBenchmark``.
enum RawProducer {
    /// Produces `count` records and waits for every delivery report (blocking).
    static func produce(settings: [(String, String)], topic: String, count: Int, size: Int, keys: Int) throws -> (perSecond: Double, failed: Int) {
        let conf = try makeRdKafkaConf(settings)
        let counter = RawCounter()
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(counter).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf, rawDeliveryCallback)
        let handle = try makeHandle(type: RD_KAFKA_PRODUCER, conf: conf)
        defer { withExtendedLifetime(counter) { rd_kafka_destroy(handle) } }
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else { throw KafkaError(.other, "rd_kafka_topic_new") }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        let keyStrings = (0..<keys).map { Array("case-\($0)".utf8) }
        let start = ContinuousClock.now
        for index in 0..<count {
            var key = keyStrings[index % keys]
            while true {
                let result = payload.withUnsafeMutableBytes { value in
                    key.withUnsafeMutableBytes { keyBytes in
                        rd_kafka_produce(
                            topicHandle, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, value.baseAddress, value.count,
                            keyBytes.baseAddress, keyBytes.count, nil)
                    }
                }
                if result == 0 { break }
                rd_kafka_poll(handle, 1)
            }
            if index % 1000 == 0 { rd_kafka_poll(handle, 0) }
        }
        while counter.done.load(ordering: .relaxed) < count {
            rd_kafka_poll(handle, 10)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (Double(count) / seconds, counter.failed.load(ordering: .relaxed))
    }
}

private final class RawCounter: Sendable {
    let done = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
}

private func rawDeliveryCallback(handle: OpaquePointer?, message: UnsafePointer<rd_kafka_message_t>?, opaque: UnsafeMutableRawPointer?) {
    guard let opaque, let message else { return }
    let counter = Unmanaged<RawCounter>.fromOpaque(opaque).takeUnretainedValue()
    if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR { counter.failed.add(1, ordering: .relaxed) }
    counter.done.add(1, ordering: .relaxed)
}
