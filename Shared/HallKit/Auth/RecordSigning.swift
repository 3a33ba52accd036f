import Crypto
import Foundation
import HallContracts
import HallKafka

/// Signs the records a sender writes to Kafka: an Ed25519 signature of the record value's exact
/// bytes in the `hall-signature` header, the sender's name in `hall-signer`
/// (``RecordSignatureHeader``). A hall service signs everything its outbox sends with its own key
/// (`HALL_SIGNING_KEY`); a department system with the key it registered with the centre.
public struct RecordSigner: Sendable {
    /// Who signs: a ``ServiceName`` raw value or a department system's id.
    public let identity: String
    private let key: Curve25519.Signing.PrivateKey

    /// A signer with `key`.
    public init(identity: String, key: Curve25519.Signing.PrivateKey) {
        self.identity = identity
        self.key = key
    }

    /// A signer whose private key is written as 32 bytes in standard base64 (`HALL_SIGNING_KEY`).
    public init(identity: String, base64PrivateKey: String) throws {
        guard let raw = Data(base64Encoded: base64PrivateKey.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw ConfigurationError(key: "HALL_SIGNING_KEY", problem: "must be an Ed25519 private key: 32 bytes in standard base64")
        }
        self.init(identity: identity, key: key)
    }

    /// The private key, 32 bytes in standard base64 (`HALL_SIGNING_KEY`'s form).
    public var privateKeyText: String { key.rawRepresentation.base64EncodedString() }

    /// The public key that verifies this signer's records, 32 bytes in standard base64.
    public var publicKey: String { key.publicKey.rawRepresentation.base64EncodedString() }

    /// The signature of `value`, standard base64.
    public func signature(of value: some DataProtocol) -> String {
        // Ed25519 signing cannot fail for a valid key; an empty signature would be refused by every reader.
        ((try? key.signature(for: value)) ?? Data()).base64EncodedString()
    }

    /// `message` with this signer's two headers (any previous ones replaced).
    public func signed(_ message: KafkaProducerMessage) -> KafkaProducerMessage {
        var message = message
        message.headers.removeAll { $0.key == RecordSignatureHeader.signer || $0.key == RecordSignatureHeader.signature }
        message.headers.append(KafkaHeader(key: RecordSignatureHeader.signer, value: Array(identity.utf8)))
        message.headers.append(KafkaHeader(key: RecordSignatureHeader.signature, value: Array(signature(of: message.value).utf8)))
        return message
    }

    /// The record of an event envelope, with the event and signature headers.
    public func message(topic: String, key: String, envelope: EventEnvelope) throws -> KafkaProducerMessage {
        signed(KafkaProducerMessage(
            topic: topic, key: Array(key.utf8), value: try envelope.encoded(),
            headers: EventHeader.headers(for: envelope).map { KafkaHeader(key: $0.key, value: Array($0.value.utf8)) }))
    }

    /// A new random key, 32 bytes in standard base64 (for `deploy/hall`, tests and department systems).
    public static func newPrivateKey() -> String {
        Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString()
    }
}

/// Checks the `hall-signature` of a record against an Ed25519 public key.
public enum RecordSignature {
    /// The record's signer and signature headers, if both are present.
    public static func headers(of message: KafkaConsumerMessage) -> (signer: String, signature: String)? {
        guard let signer = message.headers.first(named: RecordSignatureHeader.signer),
            let signature = message.headers.first(named: RecordSignatureHeader.signature)
        else { return nil }
        return (signer, signature)
    }

    /// Whether `signature` (standard base64) is a valid Ed25519 signature of `value` by `publicKey`
    /// (32 bytes, standard base64).
    public static func verifies(_ signature: String, of value: some DataProtocol, publicKey: String) -> Bool {
        guard let raw = Data(base64Encoded: publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return verifies(signature, of: value, key: key)
    }

    /// Whether `signature` (standard base64) is a valid Ed25519 signature of `value` by `key`.
    public static func verifies(_ signature: String, of value: some DataProtocol, key: Curve25519.Signing.PublicKey) -> Bool {
        guard let bytes = Data(base64Encoded: signature), bytes.count == 64 else { return false }
        return key.isValidSignature(bytes, for: value)
    }
}

/// The public keys of the hall's five services (`HALL_PRODUCER_KEYS`), and the check a consumer
/// makes of every record it reads from a service's topic: signed by a service that may write there
/// (``ServiceName/signers(of:)``), with a signature that verifies.
public struct ProducerTrust: Sendable {
    private let keys: [ServiceName: [Curve25519.Signing.PublicKey]]
    /// A prefix the consumer's topic names carry before the hall's names (tests), with its dot.
    private let namespacePrefix: String?

    /// The trust of the services' public keys (32 bytes, standard base64, by service). A service
    /// may have several: the new one first, and old ones while their records may still be read.
    public init(keys: [ServiceName: [String]], topicNamespace: String? = nil) throws {
        var parsed: [ServiceName: [Curve25519.Signing.PublicKey]] = [:]
        for (service, texts) in keys {
            for text in texts {
                guard let raw = Data(base64Encoded: text), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                    throw ConfigurationError(key: "HALL_PRODUCER_KEYS", problem: "a key of \(service.rawValue) is not an Ed25519 public key (32 bytes, standard base64)")
                }
                parsed[service, default: []].append(key)
            }
        }
        self.keys = parsed
        self.namespacePrefix = topicNamespace.map { "\($0)." }
    }

    /// Parses `intake=<key>,coordinator=<key>,…` (`HALL_PRODUCER_KEYS`): every service's key; a
    /// service being given a new key lists both, separated by a space (`intake=<new> <old>`).
    public init(text: String, topicNamespace: String? = nil) throws {
        var keys: [ServiceName: [String]] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let service = ServiceName(rawValue: parts[0]) else {
                throw ConfigurationError(key: "HALL_PRODUCER_KEYS", problem: "expected service=key pairs separated by commas (services: intake, coordinator, seal, complaints, appraisal)")
            }
            keys[service, default: []] += parts[1].split(separator: " ").map(String.init)
        }
        let missing = ServiceName.allCases.filter { keys[$0] == nil }
        guard missing.isEmpty else {
            throw ConfigurationError(key: "HALL_PRODUCER_KEYS", problem: "no key for \(missing.map(\.rawValue).joined(separator: ", "))")
        }
        try self.init(keys: keys, topicNamespace: topicNamespace)
    }

    /// `HALL_PRODUCER_KEYS`'s text for `signers`' public keys.
    public static func text(of signers: [RecordSigner]) -> String {
        signers.map { "\($0.identity)=\($0.publicKey)" }.joined(separator: ",")
    }

    /// The keys of `service` (the newest first).
    public func keys(of service: ServiceName) -> [Curve25519.Signing.PublicKey] { keys[service] ?? [] }

    /// Why `message` may not be believed, or nil when it may: on a topic a hall service owns, it
    /// must be signed by a service that may write there, and the signature must verify. Records of
    /// other topics (department commands, topics of tests) are left to their handlers.
    public func distrust(_ message: KafkaConsumerMessage) -> String? {
        var name = Substring(message.topic)
        if let prefix = namespacePrefix, name.hasPrefix(prefix) { name = name.dropFirst(prefix.count) }
        let signers = ServiceName.signers(of: Topic(rawValue: String(name)))
        if signers.isEmpty { return nil }
        guard let (signer, signature) = RecordSignature.headers(of: message) else {
            return "the record is not signed (\(RecordSignatureHeader.signer), \(RecordSignatureHeader.signature)); \(name) takes records of \(Self.list(signers)) only"
        }
        guard let service = ServiceName(rawValue: signer), signers.contains(service) else {
            return "the record is signed by a sender that may not write to \(name) (it takes records of \(Self.list(signers)) only)"
        }
        guard keys(of: service).contains(where: { RecordSignature.verifies(signature, of: message.value, key: $0) }) else {
            return "the record's signature does not verify with \(service.rawValue)'s key"
        }
        return nil
    }

    private static func list(_ signers: Set<ServiceName>) -> String {
        signers.map(\.rawValue).sorted().joined(separator: ", ")
    }
}
