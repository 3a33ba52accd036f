import Crypto
import Foundation
import HallContracts

/// One entry of a seal's register (用印登记): the document sealed, where it sits in the chain, and
/// its signature.
///
/// ## Canonical encoding `servicehall.seal.imprint.v1`
/// ``imprintHash`` is SHA-256 over these bytes, in this order:
///
/// | # | field | bytes |
/// |---|---|---|
/// | 1 | the tag `servicehall.seal.imprint.v1` | text |
/// | 2 | imprint id, lower-case UUID `xxxxxxxx-xxxx-…` | text |
/// | 3 | seal id, lower-case UUID | text |
/// | 4 | serial | 8 bytes, unsigned big-endian |
/// | 5 | sealing time, milliseconds since 1970-01-01T00:00:00Z | 8 bytes, signed big-endian |
/// | 6 | document kind (`acceptance-notice`, …) | text |
/// | 7 | document hash | 32 raw bytes |
/// | 8 | case id | text |
/// | 9 | department id | text |
/// | 10 | requested by (staff id) | text |
/// | 11 | window id | text |
/// | 12 | previous imprint hash (32 zero bytes for serial 1) | 32 raw bytes |
///
/// "text" is the UTF-8 byte count as 4 bytes unsigned big-endian, then the UTF-8 bytes (no
/// normalisation). The signature is Ed25519 (RFC 8032) over the 32 bytes of ``imprintHash`` with
/// the seal's private key; anyone holding the seal's published public key can check it.
public struct Imprint: Sendable, Hashable {
    /// The canonical encoding's name and tag.
    public static let canonicalization = "servicehall.seal.imprint.v1"
    /// The previous hash of serial 1.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    public var imprintId: UUID
    public var sealId: UUID
    public var serial: Int64
    /// Milliseconds since 1970-01-01T00:00:00Z (the register's time precision).
    public var sealedAtMillis: Int64
    public var documentKind: SealDocumentKind
    /// 32 bytes.
    public var documentHash: [UInt8]
    public var caseId: String
    public var departmentId: String
    public var requestedBy: String
    public var windowId: String
    /// 32 bytes.
    public var previousHash: [UInt8]
    /// 32 bytes, as stored or as computed by ``seal(with:)``.
    public var imprintHash: [UInt8]
    /// 64 bytes.
    public var signature: [UInt8]
    /// The document kind as stored when it is none of ``SealDocumentKind``'s (a row edited in the
    /// database): it is what the canonical encoding hashes, so such an imprint never verifies.
    public var storedKindText: String? = nil

    /// An imprint with every field given (hash and signature as stored, or empty before ``seal(with:)``).
    public init(
        imprintId: UUID, sealId: UUID, serial: Int64, sealedAtMillis: Int64, documentKind: SealDocumentKind, documentHash: [UInt8],
        caseId: String, departmentId: String, requestedBy: String, windowId: String, previousHash: [UInt8], imprintHash: [UInt8],
        signature: [UInt8]
    ) {
        self.imprintId = imprintId
        self.sealId = sealId
        self.serial = serial
        self.sealedAtMillis = sealedAtMillis
        self.documentKind = documentKind
        self.documentHash = documentHash
        self.caseId = caseId
        self.departmentId = departmentId
        self.requestedBy = requestedBy
        self.windowId = windowId
        self.previousHash = previousHash
        self.imprintHash = imprintHash
        self.signature = signature
    }

    /// The sealing time as a `Date`.
    public var sealedAt: Date { Date(timeIntervalSince1970: Double(sealedAtMillis) / 1000) }

    /// The canonical bytes (see the type's documentation).
    public var canonicalBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        func text(_ value: String) {
            let utf8 = Array(value.utf8)
            integer(UInt64(utf8.count), width: 4)
            bytes += utf8
        }
        func integer(_ value: UInt64, width: Int) {
            for shift in stride(from: (width - 1) * 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        text(Self.canonicalization)
        text(imprintId.uuidString.lowercased())
        text(sealId.uuidString.lowercased())
        integer(UInt64(bitPattern: serial), width: 8)
        integer(UInt64(bitPattern: sealedAtMillis), width: 8)
        text(storedKindText ?? documentKind.rawValue)
        bytes += documentHash
        text(caseId)
        text(departmentId)
        text(requestedBy)
        text(windowId)
        bytes += previousHash
        return bytes
    }

    /// SHA-256 of ``canonicalBytes``.
    public var computedHash: [UInt8] { Array(SHA256.hash(data: canonicalBytes)) }

    /// Sets ``imprintHash`` and ``signature`` with the seal's private key.
    public mutating func seal(with key: Curve25519.Signing.PrivateKey) throws {
        imprintHash = computedHash
        signature = Array(try key.signature(for: imprintHash))
    }

    /// Whether the stored hash is the hash of the fields and the signature is the key's over it.
    public func check(publicKey: Curve25519.Signing.PublicKey) -> ImprintCheck {
        guard computedHash == imprintHash else { return .hashMismatch }
        guard publicKey.isValidSignature(signature, for: imprintHash) else { return .badSignature }
        return .valid
    }

    /// An imprint read from its public event (`seal.document.sealed`, or the answer to a seal
    /// request), as a department system or the public checks it; nil when a field is not in its
    /// published form (hex hashes, base64 signature).
    public init?(_ event: DocumentSealed) {
        guard let documentHash = Hex.digest(event.documentHash), let previousHash = Hex.digest(event.previousImprintHash),
            let imprintHash = Hex.digest(event.imprintHash), let signature = Data(base64Encoded: event.signature)
        else { return nil }
        self.init(
            imprintId: event.imprintId, sealId: event.sealId, serial: Int64(event.serial),
            sealedAtMillis: Int64((event.sealedAt.timeIntervalSince1970 * 1000).rounded()), documentKind: event.documentKind,
            documentHash: documentHash, caseId: event.caseId, departmentId: event.departmentId, requestedBy: event.requestedBy,
            windowId: event.windowId, previousHash: previousHash, imprintHash: imprintHash, signature: Array(signature))
    }

    /// The public event of this imprint.
    public var sealedEvent: DocumentSealed {
        DocumentSealed(
            imprintId: imprintId, sealId: sealId, departmentId: departmentId, serial: Int(serial), sealedAt: sealedAt,
            documentKind: documentKind, documentHash: Hex.encode(documentHash), caseId: caseId, requestedBy: requestedBy,
            windowId: windowId, previousImprintHash: Hex.encode(previousHash), imprintHash: Hex.encode(imprintHash),
            signature: Data(signature).base64EncodedString())
    }
}

/// The result of checking one imprint on its own.
public enum ImprintCheck: String, Sendable {
    case valid
    /// The fields do not hash to the stored imprint hash (a field was altered).
    case hashMismatch = "hash-mismatch"
    /// The signature is not the seal key's signature of the hash (forged, or another key).
    case badSignature = "bad-signature"
}

/// Lower-case hexadecimal.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 32 bytes of a SHA-256 digest written as 64 hex digits (either case); nil otherwise.
    public static func digest(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
