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
    /// The leader in charge of the department's windows and staff (主管领导, Art 22), who approves
    /// extensions (ALL Art 42 ¶1); for the hall centre, the people's government's leader in charge
    /// of government services, who approves the extension of a joint case (ALL Art 42 ¶2).
    var head: HeadInput?
    /// The document code (文号代字) its decisions are numbered with, e.g. 县市监许.
    var documentCode: String?

    struct HeadInput: Codable, Sendable {
        var id: String
        var name: String
        var title: String
    }

    struct SubstituteInput: Codable, Sendable {
        var staffId: String
        var noticeReference: String
        var from: LocalDate
        var to: LocalDate
    }

    func validated() throws -> DepartmentInput {
        try checkIdentifier(id, field: "id")
        guard !name.isEmpty else { throw HallError.invalid("name", "must not be empty", words: "不能为空") }
        if let head {
            try checkIdentifier(head.id, field: "head.id")
            guard !head.name.isEmpty else { throw HallError.invalid("head.name", "must not be empty", words: "不能为空") }
            guard !head.title.isEmpty else {
                throw HallError.invalid("head.title", "must not be empty (the head's office, e.g. 副局长)", words: "不能为空（填写负责人的职务，如副局长）")
            }
        }
        if let documentCode {
            guard (1...20).contains(documentCode.count), !documentCode.contains(where: { $0.isWhitespace || "〔〕[]".contains($0) }) else {
                throw HallError.invalid(
                    "documentCode", "1 to 20 characters without spaces or brackets (文号代字, e.g. 县市监许)", words: "文号代字须为 1–20 个字符，不含空格和括号（如县市监许）")
            }
        }
        if let substitute {
            guard !substitute.noticeReference.isEmpty else {
                throw HallError.invalid("substitute.noticeReference", "a substitute needs the filed written notice (Art 27)", words: "指定临时代表须有已备案的书面通知（第27条）")
            }
            guard substitute.from <= substitute.to else { throw HallError.invalid("substitute.to", "must not be before 'from'", words: "不得早于开始日期") }
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
        guard !name.isEmpty else { throw HallError.invalid("name", "must not be empty", words: "不能为空") }
        if kind == .department && departmentIds.isEmpty {
            throw HallError.invalid("departmentIds", "a department window serves at least one department", words: "部门窗口至少须对应一个部门")
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
    /// Why a person leaves a window before a year there (Art 20: in principle at least one year).
    var rotationReason: String?
    /// The pre-job training the centre organised (Art 20).
    var training: Training?
    /// The day the person started at the window, when it is not today (records entered afterwards).
    var windowSince: LocalDate?

    struct Training: Codable, Sendable, Equatable {
        var completedOn: LocalDate
        var course: String
    }

    func validated() throws -> StaffInput {
        try checkIdentifier(id, field: "id")
        guard !name.isEmpty else { throw HallError.invalid("name", "must not be empty", words: "不能为空") }
        if windowId != nil && !qualified {
            throw HallError.invalid("qualified", "only qualified staff work at a window (Art 19)", words: "只有具备上岗资格的人员才能在窗口工作（第19条）")
        }
        if let training, training.course.trimmingCharacters(in: .whitespaces).isEmpty {
            throw HallError.invalid("training.course", "names the pre-job training course (Art 20)", words: "须写明岗前培训课程（第20条）")
        }
        if windowSince != nil && windowId == nil {
            throw HallError.invalid("windowSince", "only a person posted at a window has a date there", words: "只有派驻窗口的人员才填写到岗日期")
        }
        return self
    }
}

/// Rotations between windows (Art 20): a person works at a window in principle at least one year;
/// leaving it earlier needs the reason on the filing.
enum Rotation {
    static let minimumDays = 365

    /// - Throws: ``HallError`` naming `rotationFilingReference` without the filing, or
    ///   `rotationReason` when the person has been at the window less than a year and gives none.
    static func check(since: LocalDate?, today: LocalDate, filing: String?, reason: String?) throws {
        guard let filing, !filing.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HallError.invalid(
                "rotationFilingReference", "moving staff to another window needs the rotation's filing with the centre (Art 20)",
                words: "轮换窗口工作人员须在政务服务中心备案，请填写备案文号（第20条）")
        }
        if let since, since.distance(to: today) < minimumDays, (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw HallError.invalid(
                "rotationReason", "at the window only since \(since), less than a year (Art 20): the filing states why the person leaves it earlier",
                words: "自 \(since) 起在窗口工作，不满一年（第20条）：备案时须说明提前离岗的理由")
        }
    }
}

/// A temporary stand-in (临时顶岗) filed with the centre (Art 20, 27): a qualified person of the hall
/// acting at a window for the days filed.
struct StandInInput: Codable, Sendable {
    var staffId: String
    var windowId: String
    var from: LocalDate
    var to: LocalDate
    var reason: String
    var filingReference: String

    func validated() throws -> StandInInput {
        try checkIdentifier(staffId, field: "staffId")
        try checkIdentifier(windowId, field: "windowId")
        guard from <= to else { throw HallError.invalid("to", "must not be before from (\(from))", words: "不得早于开始日期（\(from)）") }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HallError.invalid("reason", "says why the stand-in is needed", words: "须说明临时顶岗的理由")
        }
        guard !filingReference.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HallError.invalid("filingReference", "a stand-in is filed with the centre (Art 20): its reference", words: "临时顶岗须在政务服务中心备案（第20条）：请填写备案文号")
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
        guard DepartmentSystemChanged.isValidSystemId(id) else {
            throw HallError.invalid("id", "must not be the name of a hall service", words: "不能使用大厅服务系统的名称")
        }
        // It is also the envelope's `producer` of the system's commands, which starts with a letter.
        guard id.first?.isLetter == true else {
            throw HallError.invalid("id", "must start with a letter (it is the producer of the system's commands)", words: "须以字母开头（它是该系统所发指令的发送方标识）")
        }
        guard !name.isEmpty, name.count <= 500 else { throw HallError.invalid("name", "must be 1–500 characters", words: "须为 1–500 个字符") }
        guard let raw = Data(base64Encoded: publicKey), raw.count == 32 else {
            throw HallError.invalid("publicKey", "must be an Ed25519 public key: 32 bytes in standard base64", words: "须为 Ed25519 公钥：32 字节，标准 base64 编码")
        }
        return self
    }
}
