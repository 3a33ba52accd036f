import Crypto
import Foundation

/// Re-verifies a seal's register from genesis: serials 1, 2, 3… without gaps, each imprint's
/// previous hash equal to the hash of the one before (64 zeros for serial 1), each stored hash equal
/// to the hash recomputed from the fields, each signature valid under the seal's public key, and the
/// seal's own record of its last serial and last hash matching the end of the chain, and the last
/// published head still in the chain (both detect a deleted tail; the published head also one cut
/// together with the seal's record). Pure: the caller loads the rows and the anchors.
public struct ChainVerifier: Sendable {
    /// What is wrong at the first broken serial.
    public enum Break: String, Sendable, Codable {
        /// A serial is missing (a row was deleted) or repeated.
        case gap
        /// The previous-hash link does not match the preceding imprint.
        case brokenLink = "broken-link"
        /// The fields do not hash to the stored imprint hash.
        case hashMismatch = "hash-mismatch"
        /// The signature does not verify under the seal's public key.
        case badSignature = "bad-signature"
        /// The register ends before the seal's recorded last serial (rows deleted at the end), or its
        /// last hash differs from the seal's record.
        case truncated
        /// The register ends before the serial of the last published head (`seal.register.head`):
        /// rows were deleted at the end, even if the seal's own record was cut back with them.
        case behindPublishedHead = "behind-published-head"
        /// The imprint at the last published head's serial no longer has the published hash: the
        /// register was rewritten from there on.
        case headMismatch = "head-mismatch"
        /// The seal's public key is no longer the one published when it was registered (`seal.seal.registered`).
        case keyReplaced = "key-replaced"
    }

    /// The outcome: intact, or the first serial at which the chain breaks and why.
    public struct Report: Sendable, Equatable, Codable {
        /// Whether every imprint checked is intact.
        public var intact: Bool
        /// Imprints checked.
        public var checked: Int
        /// The first broken serial (the serial expected there for a gap), when not intact.
        public var firstBrokenSerial: Int64?
        /// Why it broke.
        public var problem: Break?

        /// A report with every field given.
        public init(intact: Bool, checked: Int, firstBrokenSerial: Int64?, problem: Break?) {
            self.intact = intact
            self.checked = checked
            self.firstBrokenSerial = firstBrokenSerial
            self.problem = problem
        }
    }

    public let publicKey: Curve25519.Signing.PublicKey

    public init(publicKey: Curve25519.Signing.PublicKey) {
        self.publicKey = publicKey
    }

    /// Checks `imprints` (sorted by serial) from serial 1. When `through` is given, stops after that
    /// serial (verifying the chain up to one imprint). `expectedLast` is the seal's recorded last
    /// serial and hash, and `publishedHead` the last head published for it (serial and imprint
    /// hash), both checked only when the whole register is verified.
    public func verify(
        _ imprints: [Imprint], through: Int64? = nil, expectedLast: (serial: Int64, hash: [UInt8])? = nil,
        publishedHead: (serial: Int64, hash: [UInt8])? = nil
    ) -> Report {
        var previous = Imprint.genesisHash
        var hashAtHead: [UInt8]?
        var expectedSerial: Int64 = 1
        var checked = 0
        for imprint in imprints {
            if let through, expectedSerial > through { break }
            guard imprint.serial == expectedSerial else { return Report(intact: false, checked: checked, firstBrokenSerial: expectedSerial, problem: .gap) }
            guard imprint.previousHash == previous else { return Report(intact: false, checked: checked, firstBrokenSerial: imprint.serial, problem: .brokenLink) }
            switch imprint.check(publicKey: publicKey) {
            case .valid: break
            case .hashMismatch: return Report(intact: false, checked: checked, firstBrokenSerial: imprint.serial, problem: .hashMismatch)
            case .badSignature: return Report(intact: false, checked: checked, firstBrokenSerial: imprint.serial, problem: .badSignature)
            }
            checked += 1
            if imprint.serial == publishedHead?.serial { hashAtHead = imprint.imprintHash }
            previous = imprint.imprintHash
            expectedSerial += 1
        }
        if let through, expectedSerial <= through {
            return Report(intact: false, checked: checked, firstBrokenSerial: expectedSerial, problem: .gap)
        }
        if through == nil, let publishedHead, publishedHead.serial > 0 {
            if publishedHead.serial > expectedSerial - 1 {
                return Report(intact: false, checked: checked, firstBrokenSerial: expectedSerial, problem: .behindPublishedHead)
            }
            if hashAtHead != publishedHead.hash {
                return Report(intact: false, checked: checked, firstBrokenSerial: publishedHead.serial, problem: .headMismatch)
            }
        }
        if through == nil, let expectedLast {
            if expectedLast.serial != expectedSerial - 1 || (expectedLast.serial > 0 && expectedLast.hash != previous) {
                return Report(intact: false, checked: checked, firstBrokenSerial: expectedSerial, problem: .truncated)
            }
        }
        return Report(intact: true, checked: checked, firstBrokenSerial: nil, problem: nil)
    }
}
