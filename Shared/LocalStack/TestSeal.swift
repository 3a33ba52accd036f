import Crypto
import Foundation
import HallContracts
import HallImprints

/// A department's approval seal as tests and benchmarks stand in for the seal service: its
/// registration (`seal.seal.registered`, with the public key) and imprints signed with its key,
/// which intake and the coordinator verify before acting on a sealed document.
public struct TestSeal: Sendable {
    public let sealId: UUID
    public let departmentId: String
    private let key: Curve25519.Signing.PrivateKey

    /// A new seal of `departmentId` with a fresh key pair.
    public init(departmentId: String) {
        self.sealId = UUID()
        self.departmentId = departmentId
        self.key = Curve25519.Signing.PrivateKey()
    }

    /// The seal's registration, valid from a day ago for a year.
    public var registered: SealRegistered {
        SealRegistered(
            sealId: sealId, departmentId: departmentId, name: "\(departmentId) 行政审批专用章", code: "TEST-\(sealId.uuidString.prefix(8))",
            custodianStaffId: "chief-\(departmentId)", authorisations: [], validFrom: Date().addingTimeInterval(-86_400),
            validUntil: Date().addingTimeInterval(365 * 86_400), publicKey: Data(key.publicKey.rawRepresentation).base64EncodedString(),
            predecessorSealId: nil, registeredBy: "admin-test", registeredAt: Date().addingTimeInterval(-86_400))
    }

    /// An imprint of the document with `documentHash` (64 hex digits), signed with this seal's key.
    public func sealed(
        _ kind: SealDocumentKind, documentHash: String, caseId: String, requestedBy: String, windowId: String = "w-01", serial: Int = 1,
        at sealedAt: Date = Date()
    ) throws -> DocumentSealed {
        var imprint = Imprint(
            imprintId: UUID(), sealId: sealId, serial: Int64(serial), sealedAtMillis: Int64((sealedAt.timeIntervalSince1970 * 1000).rounded()),
            documentKind: kind, documentHash: Hex.digest(documentHash) ?? [], caseId: caseId, departmentId: departmentId, requestedBy: requestedBy,
            windowId: windowId, previousHash: Imprint.genesisHash, imprintHash: [], signature: [])
        try imprint.seal(with: key)
        return imprint.sealedEvent
    }
}
