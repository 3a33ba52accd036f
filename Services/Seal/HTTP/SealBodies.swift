import Foundation
import HallContracts
import HallKit

struct SealRequestBody: Decodable {
    var documentKind: SealDocumentKind
    var documentHash: String
    var caseId: String
    var departmentId: String
    var windowId: String?
}

struct RegistrationBody: Decodable {
    var departmentId: String
    var name: String
    var code: String
    var custodianStaffId: String
    var authorisations: [SealAuthorisation]?
    var validFrom: Date
    var validUntil: Date

    func registration() throws -> SealRegistration {
        for (field, value) in [("departmentId", departmentId), ("name", name), ("code", code), ("custodianStaffId", custodianStaffId)]
        where value.isEmpty || value.count > 500 {
            throw HallError.invalid(field, "must be 1 to 500 characters", words: "须为 1 到 500 个字符")
        }
        guard validUntil > validFrom else { throw HallError.invalid("validUntil", "must be after validFrom", words: "须晚于有效期起始时间") }
        return SealRegistration(
            departmentId: departmentId, name: name, code: code, custodianStaffId: custodianStaffId, authorisations: authorisations ?? [],
            validFrom: validFrom, validUntil: validUntil)
    }
}

/// `PUT /v1/seals/{id}/authorisations`: the whole new list (an empty list leaves the custodian alone).
struct AuthorisationsBody: Decodable {
    var authorisations: [SealAuthorisation]

    /// The most entries one seal's list may hold.
    static let maximumCount = 500

    /// The list, checked beyond what decoding checks (each entry's kinds: at least one, known, no
    /// repeats): staff ids of 1 to 200 characters, each at most once. Throws `invalid-field` naming the entry.
    func validated() throws -> [SealAuthorisation] {
        guard authorisations.count <= Self.maximumCount else {
            throw HallError.invalid("authorisations", "must hold at most \(Self.maximumCount) entries", words: "最多 \(Self.maximumCount) 项")
        }
        var seen = Set<String>()
        for (index, entry) in authorisations.enumerated() {
            guard entry.staffId.count <= 200, entry.staffId.trimmingCharacters(in: .whitespaces) == entry.staffId else {
                throw HallError.invalid(
                    "authorisations[\(index)].staffId", "must be 1 to 200 characters without surrounding spaces", words: "须为 1 到 200 个字符，首尾不能有空格")
            }
            guard seen.insert(entry.staffId).inserted else {
                throw HallError.invalid(
                    "authorisations[\(index)].staffId", "names \(entry.staffId) a second time; list each person once with all their kinds",
                    words: "重复列出了 \(entry.staffId)：每人只列一次，并写明其可用印的全部文书类型")
            }
        }
        return authorisations
    }
}

struct RevocationBody: Decodable {
    var reason: String
    var successor: RegistrationBody?
}
