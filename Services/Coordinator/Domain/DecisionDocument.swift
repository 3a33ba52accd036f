import Crypto
import Foundation
import HallContracts
import HallKit

/// The text of a decision document (准予许可决定 / 不予许可决定) and its SHA-256, which is what the
/// seal service signs. The text is kept with the case, so anyone holding the document can
/// recompute the hash and verify the imprint publicly.
struct DecisionDocument: Sendable, Hashable {
    let kind: SealDocumentKind
    let departmentId: String
    /// The decision number (文号), `<code>〔<year>〕<n>号`.
    let number: String
    let text: String

    var sha256: String {
        SHA256.hash(data: Array(text.utf8)).hexDigits
    }

    /// An approval decision of one department on its part of the case.
    static func approval(case summary: CaseSummary, departmentId: String, number: String, decidedAt: Date) -> DecisionDocument {
        DecisionDocument(
            kind: .approvalDecision, departmentId: departmentId, number: number,
            text: """
                准予行政许可决定书 / Approval decision
                number: \(number)
                case: \(summary.caseId)
                receipt: \(summary.receiptCode)
                acceptance notice: \(summary.noticeNumber)
                item: \(summary.itemCode) v\(summary.itemVersion) \(summary.itemName)
                applicant: \(summary.applicantName)
                department: \(departmentId)
                decision: approved
                decided at: \(RFC3339Timestamp.string(from: decidedAt) ?? "")
                """)
    }

    /// The denial decision of the lead department, listing every department's reasons.
    static func denial(case summary: CaseSummary, reasons: [DepartmentReason], number: String, decidedAt: Date) -> DecisionDocument {
        let listed = reasons.enumerated().map { "  \($0.offset + 1). [\($0.element.departmentId)] \($0.element.reason)" }.joined(separator: "\n")
        return DecisionDocument(
            kind: .denialDecision, departmentId: summary.leadDepartmentId, number: number,
            text: """
                不予行政许可决定书 / Denial decision
                number: \(number)
                case: \(summary.caseId)
                receipt: \(summary.receiptCode)
                acceptance notice: \(summary.noticeNumber)
                item: \(summary.itemCode) v\(summary.itemVersion) \(summary.itemName)
                applicant: \(summary.applicantName)
                department: \(summary.leadDepartmentId)
                decision: denied
                reasons:
                \(listed)
                The applicant may apply for administrative reconsideration or bring an administrative lawsuit according to law.
                decided at: \(RFC3339Timestamp.string(from: decidedAt) ?? "")
                """)
    }
}

/// What a decision document says about its case.
struct CaseSummary: Sendable, Hashable {
    var caseId: String
    var receiptCode: String
    var noticeNumber: String
    var itemCode: String
    var itemVersion: Int
    var itemName: String
    var applicantName: String
    var leadDepartmentId: String
}
