import Crypto
import Foundation
import HallContracts
import HallImprints
import Testing

@testable import seal

/// Builds a register of `count` imprints signed with `key`, as the service does.
func makeRegister(_ count: Int, key: Curve25519.Signing.PrivateKey, sealId: UUID = UUID(), start: Int64 = 1_767_600_000_000) throws -> [Imprint] {
    var previous = Imprint.genesisHash
    var register: [Imprint] = []
    for serial in 1...Int64(count) {
        var imprint = Imprint(
            imprintId: UUID(), sealId: sealId, serial: serial, sealedAtMillis: start + serial * 1000, documentKind: .approvalDecision,
            documentHash: Array(SHA256.hash(data: Array("doc-\(serial)".utf8))), caseId: "C-\(serial)", departmentId: "d-market",
            requestedBy: "s-zhang", windowId: "w-07", previousHash: previous, imprintHash: [], signature: [])
        try imprint.seal(with: key)
        previous = imprint.imprintHash
        register.append(imprint)
    }
    return register
}

@Suite("Imprint: canonical encoding, hash and signature")
struct ImprintTests {
    static let fixed = Imprint(
        imprintId: UUID(uuidString: "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")!, sealId: UUID(uuidString: "7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e")!,
        serial: 17, sealedAtMillis: 1_767_601_800_123, documentKind: .acceptanceNotice, documentHash: Array(repeating: 0xab, count: 32),
        caseId: "C-2026-000123", departmentId: "d-market", requestedBy: "s-wang", windowId: "w-07", previousHash: Imprint.genesisHash,
        imprintHash: [], signature: [])

    @Test("the canonical bytes are length-prefixed text, big-endian integers and raw digests, in the documented order")
    func canonicalLayout() {
        let bytes = Self.fixed.canonicalBytes
        func text(_ s: String) -> [UInt8] {
            let u = Array(s.utf8)
            return [UInt8(u.count >> 24), UInt8((u.count >> 16) & 0xff), UInt8((u.count >> 8) & 0xff), UInt8(u.count & 0xff)] + u
        }
        var expected: [UInt8] = text("servicehall.seal.imprint.v1") + text("6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
            + text("7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e")
        expected += [0, 0, 0, 0, 0, 0, 0, 17]
        let ms: UInt64 = 1_767_601_800_123
        expected += (0..<8).reversed().map { UInt8((ms >> (UInt64($0) * 8)) & 0xff) }
        expected += text("acceptance-notice") + Array(repeating: 0xab, count: 32) + text("C-2026-000123") + text("d-market") + text("s-wang")
            + text("w-07") + Array(repeating: 0, count: 32)
        #expect(bytes == expected)
        #expect(Self.fixed.computedHash == Array(SHA256.hash(data: expected)))
    }

    @Test("a signed imprint verifies; any changed field, a forged signature or another key does not")
    func tamperAndForge() throws {
        let key = Curve25519.Signing.PrivateKey()
        var imprint = Self.fixed
        try imprint.seal(with: key)
        #expect(imprint.check(publicKey: key.publicKey) == .valid)
        var later = imprint
        later.sealedAtMillis += 1
        #expect(later.check(publicKey: key.publicKey) == .hashMismatch)
        var otherCase = imprint
        otherCase.caseId = "C-2026-000124"
        #expect(otherCase.check(publicKey: key.publicKey) == .hashMismatch)
        var forged = imprint
        forged.signature[0] ^= 1
        #expect(forged.check(publicKey: key.publicKey) == .badSignature)
        #expect(imprint.check(publicKey: Curve25519.Signing.PrivateKey().publicKey) == .badSignature)
        // Re-hashing a changed row without the key still fails on the signature.
        var rehashed = later
        rehashed.imprintHash = rehashed.computedHash
        #expect(rehashed.check(publicKey: key.publicKey) == .badSignature)
    }

    @Test("the published event carries the public fields, checkable by a third party from the event alone")
    func eventIsVerifiable() throws {
        let key = Curve25519.Signing.PrivateKey()
        var imprint = Self.fixed
        try imprint.seal(with: key)
        let event = imprint.sealedEvent
        let envelope = try EventEnvelope(payload: event, producer: "seal", caseId: event.caseId)
        let read = try EventEnvelope.decode(from: envelope.encoded()).payload(as: DocumentSealed.self)
        #expect(try EventEnvelope(payload: read, producer: "seal", caseId: read.caseId).data == envelope.data)
        #expect(RFC3339Timestamp.string(from: read.sealedAt) == "2026-01-05T08:30:00.123Z")
        #expect(read.imprintHash == Hex.encode(imprint.computedHash))
        let signature = try #require(Data(base64Encoded: read.signature))
        #expect(key.publicKey.isValidSignature(signature, for: try #require(Hex.digest(read.imprintHash))))
        #expect(!String(decoding: try envelope.encoded(), as: UTF8.self).contains(Data(key.rawRepresentation).base64EncodedString()))
    }

    @Test("hex digests: 64 digits of either case, nothing else")
    func hex() {
        #expect(Hex.digest(String(repeating: "aB", count: 32)) == Array(repeating: 0xab, count: 32))
        #expect(Hex.digest(String(repeating: "a", count: 63)) == nil)
        #expect(Hex.digest(String(repeating: "g", count: 64)) == nil)
        #expect(Hex.encode([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
    }
}

@Suite("Register chain verification")
struct ChainVerifierTests {
    @Test("an intact register verifies to its end and against the seal's record")
    func intact() throws {
        let key = Curve25519.Signing.PrivateKey()
        let register = try makeRegister(6, key: key)
        let report = ChainVerifier(publicKey: key.publicKey).verify(register, expectedLast: (6, register[5].imprintHash))
        #expect(report == .init(intact: true, checked: 6, firstBrokenSerial: nil, problem: nil))
        #expect(ChainVerifier(publicKey: key.publicKey).verify(register, through: 3).checked == 3)
        #expect(ChainVerifier(publicKey: key.publicKey).verify([], expectedLast: (0, Imprint.genesisHash)).intact)
    }

    @Test("each kind of damage is found at its serial")
    func damage() throws {
        let key = Curve25519.Signing.PrivateKey()
        let register = try makeRegister(6, key: key)
        let verifier = ChainVerifier(publicKey: key.publicKey)
        let last = (serial: Int64(6), hash: register[5].imprintHash)

        var gap = register
        gap.remove(at: 2)
        #expect(verifier.verify(gap, expectedLast: last).firstBrokenSerial == 3)
        #expect(verifier.verify(gap, expectedLast: last).problem == .gap)

        var edited = register
        edited[3].sealedAtMillis += 60_000
        #expect(verifier.verify(edited, expectedLast: last) == .init(intact: false, checked: 3, firstBrokenSerial: 4, problem: .hashMismatch))

        var relinked = register
        relinked[4].previousHash = Array(repeating: 1, count: 32)
        #expect(verifier.verify(relinked, expectedLast: last).firstBrokenSerial == 5)

        var forged = register
        forged[1].signature = Array(try Curve25519.Signing.PrivateKey().signature(for: forged[1].imprintHash))
        #expect(verifier.verify(forged, expectedLast: last) == .init(intact: false, checked: 1, firstBrokenSerial: 2, problem: .badSignature))

        let truncated = Array(register.dropLast())
        #expect(verifier.verify(truncated, expectedLast: last) == .init(intact: false, checked: 5, firstBrokenSerial: 6, problem: .truncated))

        #expect(ChainVerifier(publicKey: Curve25519.Signing.PrivateKey().publicKey).verify(register).firstBrokenSerial == 1)
        // Up to an imprint before the damage, the chain is intact.
        #expect(verifier.verify(edited, through: 3).intact)
        #expect(!verifier.verify(gap, through: 4).intact)
    }
}
