import Foundation
import HallContracts
import HallImprints

/// A seal as the API shows it: never its private key.
struct SealView: Encodable {
    var sealId: String
    var departmentId: String
    var name: String
    var code: String
    var custodianStaffId: String
    var authorisations: [SealAuthorisation]
    var validFrom: Date
    var validUntil: Date
    var publicKey: String
    var keyAlgorithm = "Ed25519"
    var status: String
    var predecessorSealId: String?
    var successorSealId: String?
    var registeredBy: String
    var registeredAt: Date
    var revokedBy: String?
    var revokedAt: Date?
    var revocationReason: String?
    var lastSerial: Int64
    /// Who keeps it today and the log of custody changes while in use (Art 32).
    var custody: SealCustody?

    init(_ seal: SealRecord, custody: SealCustody? = nil) {
        self.custody = custody
        sealId = seal.sealId.uuidString.lowercased()
        departmentId = seal.departmentId
        name = seal.name
        code = seal.code
        custodianStaffId = seal.custodianStaffId
        authorisations = seal.authorisations
        validFrom = seal.validFrom
        validUntil = seal.validUntil
        publicKey = Data(seal.publicKey).base64EncodedString()
        status = seal.status.rawValue
        predecessorSealId = seal.predecessorSealId?.uuidString.lowercased()
        successorSealId = seal.successorSealId?.uuidString.lowercased()
        registeredBy = seal.registeredBy
        registeredAt = seal.registeredAt
        revokedBy = seal.revokedBy
        revokedAt = seal.revokedAt
        revocationReason = seal.revocationReason
        lastSerial = seal.lastSerial
    }
}

struct RevocationView: Encodable {
    var revoked: SealView
    var successor: SealView?
}

struct VerificationView: Encodable {
    /// The imprint's own signature is valid and the register up to it is intact.
    var valid: Bool
    var signatureValid: Bool
    var chainIntact: Bool
    var firstBrokenSerial: Int64?
    var problem: String?
    var departmentId: String
    var sealedAt: Date
    var seal: SealSummary
    var imprint: DocumentSealed
    /// The case the document belongs to, as the hall's events told it (Art 30–31).
    var `case`: CaseSummary?

    struct CaseSummary: Encodable {
        var receiptCode: String
        var itemCode: String?
        var dueDate: HallDate
        /// The due date after every suspension and extension (the case is complete).
        var dueDateFinal: Bool
        /// For a decision: whether it was sealed on or before the due date (the sealing time is the
        /// legal completion time, Art 31).
        var onTime: Bool?
    }

    struct SealSummary: Encodable {
        var sealId: String
        var name: String
        var code: String
        var status: String
        var publicKey: String
    }

    init(_ result: ImprintVerification) {
        valid = result.valid
        signatureValid = result.signatureValid
        chainIntact = result.chain.intact
        firstBrokenSerial = result.chain.firstBrokenSerial
        problem = result.chain.problem?.rawValue ?? (result.signatureValid ? nil : "imprint-invalid")
        departmentId = result.imprint.departmentId
        sealedAt = result.imprint.sealedAt
        seal = SealSummary(
            sealId: result.seal.sealId.uuidString.lowercased(), name: result.seal.name, code: result.seal.code, status: result.seal.status.rawValue,
            publicKey: Data(result.seal.publicKey).base64EncodedString())
        imprint = result.imprint.sealedEvent
        `case` = result.caseFacts.map { facts in
            let decision = [.approvalDecision, .denialDecision].contains(result.imprint.documentKind)
            return CaseSummary(
                receiptCode: facts.receiptCode, itemCode: facts.itemCode, dueDate: facts.dueDate, dueDateFinal: facts.final,
                onTime: decision ? SealPolicy.hallDay(result.imprint.sealedAt) <= facts.dueDate.description : nil)
        }
    }
}

struct DocumentVerificationView: Encodable {
    var documentHash: String
    var found: Bool
    var valid: Bool
    var imprints: [VerificationView]
}

struct RegisterReport: Encodable {
    var sealId: String
    var intact: Bool
    var checked: Int
    var firstBrokenSerial: Int64?
    var problem: String?

    init(sealId: String, report: ChainVerifier.Report) {
        self.sealId = sealId
        intact = report.intact
        checked = report.checked
        firstBrokenSerial = report.firstBrokenSerial
        problem = report.problem?.rawValue
    }
}
