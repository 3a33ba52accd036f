import HallKafka
import Testing

@Suite("Record batches laid out in one block of memory")
struct KafkaRecordBatchTests {
    @Test("a batch built from messages gives back the same topics, keys, values and headers, in order")
    func roundTrip() {
        let messages = [
            KafkaProducerMessage(topic: "a", key: "case-1", value: Array("one".utf8), headers: [KafkaHeader(key: "h", string: "1")]),
            KafkaProducerMessage(topic: "b", key: nil as String?, value: [], headers: []),
            KafkaProducerMessage(
                topic: "a", key: "case-2", value: Array(repeating: 7, count: 100_000),
                headers: [KafkaHeader(key: "h", string: "3"), KafkaHeader(key: "empty", value: nil), KafkaHeader(key: "h", string: "again")]),
        ]
        let batch = KafkaRecordBatch(messages)
        #expect(batch.count == 3)
        #expect((0..<3).map { batch[$0] } == messages)
        #expect(batch.topic(at: 1) == "b")
        #expect(batch.header("h", at: 2) == "3")
        #expect(batch.header("h", at: 1) == nil)
        #expect(batch.header("unknown", at: 0) == nil)
    }

    @Test("records point at parts of bytes stored once")
    func slices() {
        var batch = KafkaRecordBatch(reservingBytes: 8)
        let topic = batch.topic("t")
        let name = batch.headerName("id")
        let block = batch.store(Array("k1v1k2v2-id".utf8))
        batch.append(topic: topic, key: block.slice(0, 2), value: block.slice(2, 2))
        batch.appendHeader(name, value: block.slice(8, 3))
        batch.append(topic: topic, key: block.slice(4, 2), value: block.slice(6, 2))
        #expect(batch[0] == KafkaProducerMessage(topic: "t", key: "k1", value: Array("v1".utf8), headers: [KafkaHeader(key: "id", string: "-id")]))
        #expect(batch[1] == KafkaProducerMessage(topic: "t", key: "k2", value: Array("v2".utf8), headers: []))
        #expect(batch.topic("t") == topic)
    }

    @Test("changing a copy of a batch leaves the original as it was")
    func copyOnWrite() {
        let original = KafkaRecordBatch([KafkaProducerMessage(topic: "t", key: "k", value: [1, 2, 3])])
        var copy = original
        copy.append(KafkaProducerMessage(topic: "u", key: "k", value: Array(repeating: 9, count: 200_000)))
        #expect(original.count == 1)
        #expect(original[0].value == [1, 2, 3])
        #expect(copy.count == 2)
        #expect(copy[0] == original[0])
        #expect(copy[1].topic == "u")
    }
}
