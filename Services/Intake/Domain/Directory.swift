import Foundation
import HallCalendar
import HallContracts
import HallKit

// The hall's directory as the centre records it: departments, windows and staff.

/// A department as the centre enters it.
struct DepartmentInput: Codable, Sendable {
    var id: String
    var name: String
    var active: Bool?
    /// The chief representative (首席代表), a staff member of the department.
    var chiefRepresentativeId: String?
    /// A temporary substitute with the filed written notice and its period (Art 27).
    var substitute: SubstituteInput?
    /// True for the hall centre (政务中心), at most one department: it issues refusals of items
    /// unknown to the hall under its own approval seal (Art 35, 37), approves green channels and
    /// provides agents for full-process agency (Art 40).
    var centre: Bool?

    struct SubstituteInput: Codable, Sendable {
        var staffId: String
        var noticeReference: String
        var from: LocalDate
        var to: LocalDate
    }

    func validated() throws -> DepartmentInput {
        try checkIdentifier(id, field: "id")
        guard !name.isEmpty else { throw HallError.invalid("name", "must not be empty") }
        if let substitute {
            guard !substitute.noticeReference.isEmpty else {
                throw HallError.invalid("substitute.noticeReference", "a substitute needs the filed written notice (Art 27)")
            }
            guard substitute.from <= substitute.to else { throw HallError.invalid("substitute.to", "must not be before 'from'") }
        }
        return self
    }
}

/// A window as the centre enters it.
struct WindowInput: Codable, Sendable {
    var id: String
    var name: String
    var kind: WindowKind
    var departmentIds: [String]
    var active: Bool?

    func validated() throws -> WindowInput {
        try checkIdentifier(id, field: "id")
        guard !name.isEmpty else { throw HallError.invalid("name", "must not be empty") }
        if kind == .department && departmentIds.isEmpty {
            throw HallError.invalid("departmentIds", "a department window serves at least one department")
        }
        return self
    }
}

/// A staff member as the centre enters them.
struct StaffInput: Codable, Sendable {
    var id: String
    var name: String
    var departmentId: String
    var windowId: String?
    /// Meets the qualification for window work (Art 19).
    var qualified: Bool
    var active: Bool?
    /// Immediate items this person may decide on the spot (Art 8, 13).
    var immediateItems: [String]?
    /// The filing of a window rotation with the centre (Art 20), when the window changes.
    var rotationFilingReference: String?

    func validated() throws -> StaffInput {
        try checkIdentifier(id, field: "id")
        guard !name.isEmpty else { throw HallError.invalid("name", "must not be empty") }
        if windowId != nil && !qualified {
            throw HallError.invalid("qualified", "only qualified staff work at a window (Art 19)")
        }
        return self
    }
}

/// A department's own system as the centre registers it (`POST /v1/department-systems`): the key
/// pair's public half verifies every command the system signs.
struct DepartmentSystemInput: Codable, Sendable {
    /// The system's id: the `hall-signer` of its records.
    var id: String
    var departmentId: String
    var name: String
    /// Ed25519 public key, 32 bytes in standard base64.
    var publicKey: String
    /// False withdraws the system: its commands are refused from then on.
    var active: Bool?

    func validated() throws -> DepartmentSystemInput {
        try checkIdentifier(id, field: "id")
        guard DepartmentSystemChanged.isValidSystemId(id) else { throw HallError.invalid("id", "must not be the name of a hall service") }
        // It is also the envelope's `producer` of the system's commands, which starts with a letter.
        guard id.first?.isLetter == true else { throw HallError.invalid("id", "must start with a letter (it is the producer of the system's commands)") }
        guard !name.isEmpty, name.count <= 500 else { throw HallError.invalid("name", "must be 1–500 characters") }
        guard let raw = Data(base64Encoded: publicKey), raw.count == 32 else {
            throw HallError.invalid("publicKey", "must be an Ed25519 public key: 32 bytes in standard base64")
        }
        return self
    }
}
