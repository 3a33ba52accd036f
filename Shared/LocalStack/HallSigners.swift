import Crypto
import Foundation
import HallContracts
import HallKafka
import HallKit

/// The five services' record keys for a test or benchmark run: made once per process, given to
/// every service started here (`HALL_SIGNING_KEY`, `HALL_PRODUCER_KEYS`), and used by tests that
/// write a service's events by hand — a record signed otherwise is dead-lettered, as in production.
public enum HallSigners {
    /// One signer per service, with a key made for this process.
    public static let services: [ServiceName: RecordSigner] = Dictionary(
        uniqueKeysWithValues: ServiceName.allCases.map { ($0, RecordSigner(identity: $0.rawValue, key: .init())) })

    /// The signer of `service`.
    public static func signer(_ service: ServiceName) -> RecordSigner {
        services[service]!
    }

    /// The signer whose identity is an envelope's `producer`: a service's, or else a department
    /// system's (``departmentSystem(_:)``; records of a services' topic signed so are refused).
    public static func signer(producer: String) -> RecordSigner {
        ServiceName(rawValue: producer).map(signer) ?? departmentSystem(producer)
    }

    /// The signer of the department system `systemId` in tests: its key is derived from the id, so
    /// a test registers it (``DepartmentSystemChanged`` with its ``RecordSigner/publicKey``) and
    /// signs its commands without keeping it. Never for a real hall.
    public static func departmentSystem(_ systemId: String) -> RecordSigner {
        let seed = Data(SHA256.hash(data: Data("servicehall test department system \(systemId)".utf8)))
        return RecordSigner(identity: systemId, key: try! Curve25519.Signing.PrivateKey(rawRepresentation: seed))
    }

    /// `HALL_PRODUCER_KEYS` of this run.
    public static var producerKeys: String {
        ProducerTrust.text(of: ServiceName.allCases.map(signer))
    }

    /// The signing settings of a service started here.
    public static func environment(for service: String) -> [String: String] {
        guard let name = ServiceName(rawValue: service) else { return ["HALL_PRODUCER_KEYS": producerKeys] }
        return ["HALL_SIGNING_KEY": signer(name).privateKeyText, "HALL_PRODUCER_KEYS": producerKeys]
    }
}

extension HallSigners {
    /// `message` signed as its envelope's `producer` would sign it (a message that is no envelope
    /// is returned unsigned).
    public static func signed(_ message: KafkaProducerMessage) -> KafkaProducerMessage {
        guard let envelope = try? EventEnvelope.decode(from: message.value) else { return message }
        return signer(producer: envelope.producer).signed(message)
    }

    /// Each of `messages` signed as its envelope's `producer` would sign it.
    public static func signed(_ messages: [KafkaProducerMessage]) -> [KafkaProducerMessage] {
        messages.map(signed)
    }
}

extension KafkaProducer {
    /// Sends `message` signed as its envelope's producer would sign it (``HallSigners/signed(_:)``).
    @discardableResult
    public func sendSigned(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        try await send(HallSigners.signed(message))
    }

    /// Sends `messages`, each signed as its envelope's producer would sign it.
    public func sendSigned(_ messages: [KafkaProducerMessage]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await send(HallSigners.signed(messages))
    }
}
