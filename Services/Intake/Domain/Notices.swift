import Crypto
import Foundation
import HallContracts
import HallKit

/// The documents the front desk issues on a case and keeps with it.
enum NoticeKind: String, Sendable, Equatable {
    case acceptanceNotice = "acceptance-notice"
    case refusalNotice = "refusal-notice"
    case approvalDecision = "approval-decision"
    case denialDecision = "denial-decision"
    /// 《一次性告知通知书》 (Art 36): numbered and dated; the rule requires no seal on it.
    case correctionNotice = "correction-notice"

    /// The kind the department's seal is applied to; nil for a document that is not sealed.
    var sealKind: SealDocumentKind? { SealDocumentKind(rawValue: rawValue) }
}

/// The text of a notice or decision as issued and kept with the case. A sealed one (acceptance,
/// refusal, an immediate item's decision) is hashed (SHA-256, hex) and sent to the department's
/// seal (Art 35, 37), and anyone can re-hash the kept text; the one-time correction notice is
/// numbered and dated, not sealed (Art 36).
struct Notice: Sendable, Equatable {
    var kind: NoticeKind
    var departmentId: String
    var text: String
    /// The correction notice's number, or a decision's number (文号).
    var number: String? = nil

    var sha256: String { SHA256.hash(data: Data(text.utf8)).hexDigits }

    static func acceptance(_ response: ApplicationResponse, item: ItemVersion, applicantName: String) -> Notice {
        Notice(
            kind: .acceptanceNotice, departmentId: item.leadDepartmentId,
            text: """
                受理通知书 Acceptance notice
                notice: \(response.noticeNumber ?? "")
                receipt: \(response.receiptCode)
                case: \(response.caseId.uuidString.lowercased())
                item: \(item.code) v\(item.version) \(item.name)
                applicant: \(applicantName)
                accepted-at: \(response.acceptedAt.flatMap { RFC3339Timestamp.string(from: $0) } ?? "")
                due-date: \(response.dueDate?.description ?? "")\(response.dueDateProvisional == true ? " (provisional)" : "")
                promised-limit: \(item.promisedLimitDays) working days
                """)
    }

    static func refusal(_ response: ApplicationResponse, departmentId: String, applicantName: String, refusedAt: Date) -> Notice {
        Notice(
            kind: .refusalNotice, departmentId: departmentId,
            text: """
                不予受理通知书 Refusal notice
                receipt: \(response.receiptCode)
                case: \(response.caseId.uuidString.lowercased())
                item: \(response.itemCode)
                applicant: \(applicantName)
                reason: \(response.refusal?.reason ?? "")
                competent-authority: \(response.refusal?.competentAuthority ?? "")
                refused-at: \(RFC3339Timestamp.string(from: refusedAt) ?? "")
                """)
    }

    /// The one-time correction notice (Art 36): every correction at once, with its number and date.
    static func correction(
        _ response: ApplicationResponse, number: String, item: ItemVersion, departmentId: String, applicantName: String, clerk: Clerk, issuedAt: Date
    ) -> Notice {
        let lines = (response.corrections ?? []).enumerated().map { index, correction in
            "\(index + 1). \(correction.materialId) [\(correction.problem.rawValue)]: \(correction.needed)"
        }
        return Notice(
            kind: .correctionNotice, departmentId: departmentId,
            text: """
                一次性告知通知书 One-time correction notice
                number: \(number)
                receipt: \(response.receiptCode)
                case: \(response.caseId.uuidString.lowercased())
                item: \(item.code) v\(item.version) \(item.name)
                applicant: \(applicantName)
                issued-at: \(RFC3339Timestamp.string(from: issuedAt) ?? "")
                window: \(clerk.windowId ?? "")
                clerk: \(clerk.staffId)
                corrections (all of them, at once):
                \(lines.joined(separator: "\n"))
                Bring these with the receipt code; nothing else may be asked for (Art 36).
                """,
            number: number)
    }
}
