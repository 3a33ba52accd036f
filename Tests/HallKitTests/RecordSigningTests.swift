import HallContracts
import HallKafka
import HallKit
import Testing

@Suite("Record signatures: who may write a service's topic")
struct RecordSigningTests {
    static let signers = Dictionary(uniqueKeysWithValues: ServiceName.allCases.map { ($0, RecordSigner(identity: $0.rawValue, key: .init())) })
    let trust = try! ProducerTrust(text: ProducerTrust.text(of: ServiceName.allCases.map { Self.signers[$0]! }), topicNamespace: "run1")

    func record(_ topic: String, signedBy signer: RecordSigner?, value: [UInt8] = Array(#"{"id":"x"}"#.utf8)) -> KafkaConsumerMessage {
        let produced = KafkaProducerMessage(topic: topic, key: Array("k".utf8), value: value)
        let signed = signer.map { $0.signed(produced) } ?? produced
        return KafkaConsumerMessage(topic: topic, partition: 0, offset: 0, key: signed.key, value: signed.value, headers: signed.headers)
    }

    @Test("a service's topic takes its own records only; seal requests those of intake and the coordinator; department commands are left to the coordinator")
    func owners() {
        #expect(trust.distrust(record("run1.hall.intake.events", signedBy: Self.signers[.intake])) == nil)
        #expect(trust.distrust(record("run1.hall.intake.events", signedBy: Self.signers[.coordinator]))?.contains("may not write") == true)
        #expect(trust.distrust(record("run1.hall.seal.requests", signedBy: Self.signers[.coordinator])) == nil)
        #expect(trust.distrust(record("run1.hall.seal.requests", signedBy: Self.signers[.appraisal])) != nil)
        #expect(trust.distrust(record("run1.hall.coordinator.department-commands", signedBy: nil)) == nil)
        #expect(trust.distrust(record("run1.hall.seal.events", signedBy: nil))?.contains("not signed") == true)
    }

    @Test("a signature of other bytes, or by another key under the service's name, does not verify")
    func tampering() {
        var changed = record("run1.hall.coordinator.events", signedBy: Self.signers[.coordinator])
        changed.value[changed.value.count - 2] ^= 1
        #expect(trust.distrust(changed)?.contains("does not verify") == true)
        let impostor = RecordSigner(identity: "coordinator", key: .init())
        #expect(trust.distrust(record("run1.hall.coordinator.events", signedBy: impostor))?.contains("does not verify") == true)
    }
}
