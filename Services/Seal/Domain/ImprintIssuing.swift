import Crypto
import Foundation
import HallContracts
import HallImprints

extension Imprint {
    /// The next imprint of `seal`'s register for `request` at `now`: serial and previous hash follow
    /// the seal's last imprint; hashed and signed with `key`.
    public static func next(
        for request: SealingRequest, documentHash: [UInt8], on seal: SealRecord, at now: Date, signedWith key: Curve25519.Signing.PrivateKey
    ) throws -> Imprint {
        var imprint = Imprint(
            imprintId: UUID.random(), sealId: seal.sealId, serial: seal.lastSerial + 1,
            sealedAtMillis: Int64((now.timeIntervalSince1970 * 1000).rounded(.down)), documentKind: request.documentKind,
            documentHash: documentHash, caseId: request.caseId, departmentId: request.departmentId,
            requestedBy: request.requestedBy, windowId: request.windowId, previousHash: seal.lastHash, imprintHash: [], signature: [])
        try imprint.seal(with: key)
        return imprint
    }
}
