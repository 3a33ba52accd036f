import Crypto
import Foundation
import HallContracts

/// The text of an acceptance or refusal notice, as hashed (SHA-256, hex) and sent to the
/// department's seal (Art 35, 37). The text is kept with the case so anyone can re-hash it.
struct Notice: Sendable, Equatable {
    var kind: SealDocumentKind
    var departmentId: String
    var text: String

    var sha256: String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(text.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

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
}
