/// The machine's produce ceiling: librdkafka's own rate with the same producer settings and no
/// per-record Swift bookkeeping (delivery reports are only counted). For benchmarks.
public enum KafkaRawBenchmark {
    /// Produces `count` records of `size` bytes to `topic` (keys cycle over `keys` values) and waits
    /// for every delivery report.
    ///
    /// - Returns: records per second, and how many failed.
    public static func produce(
        configuration: KafkaProducerConfiguration, topic: String, count: Int, size: Int, keys: Int = 1000
    ) throws -> (perSecond: Double, failed: Int) {
        var settings = commonSettings(configuration.client)
        settings += [
            ("enable.idempotence", "true"), ("acks", "all"),
            ("linger.ms", String(configuration.linger.milliseconds)),
            ("batch.num.messages", String(configuration.batchMaxMessages)),
            ("queue.buffering.max.messages", String(configuration.queueMaxMessages)),
            ("queue.buffering.max.kbytes", "1048576"),
        ]
        return try RawProducer.produce(settings: settings, topic: topic, count: count, size: size, keys: keys)
    }
}
