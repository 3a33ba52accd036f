import Foundation
import HallCalendar
import HallContracts
import HallKit

/// Who applies.
struct Applicant: Codable, Sendable, Equatable {
    typealias Kind = ApplicantKind
    var kind: Kind
    var name: String
    /// Resident identity number (person) or unified social credit code (organisation).
    var idNumber: String
    /// Phone or address to reach the applicant.
    var contact: String
}

/// A material the applicant brought.
struct PresentedMaterial: Codable, Sendable, Equatable {
    var materialId: String
    var form: MaterialForm
    var copies: Int
    /// Whether the material is in the legal form (signed, sealed, complete).
    var legalForm: Bool
}

/// A secondary material the applicant promises to bring later (tolerated-gap acceptance).
struct PromisedMaterial: Codable, Sendable, Equatable {
    var materialId: String
    var dueBy: LocalDate
}

/// What the clerk submits at the window.
struct ApplicationSubmission: Codable, Sendable {
    var itemCode: String
    /// The department the applicant addresses (defaults to the item's lead department).
    var departmentId: String?
    var applicant: Applicant
    var materials: [PresentedMaterial]
    /// Conditional materials whose condition applies to this applicant.
    var conditionsMet: [String]?
    /// Secondary materials promised for later (only where the item allows tolerated gaps).
    var promised: [PromisedMaterial]?
    var channel: Channel
    /// The green channel (Art 40): needs `greenChannelApproval`; may be omitted when the approval is given.
    var greenChannel: Bool?
    /// The hall centre's approval of the green channel (who approved it, the reference, the reason).
    var greenChannelApproval: GreenChannelInput?
    /// Repeating a submission with the same key returns the first answer (no second case).
    var idempotencyKey: String
    /// For a refusal of a matter the hall does not handle: where the applicant should go.
    var competentAuthority: String?

    typealias Channel = ApplicationChannel

    /// Whether the case goes on the green channel (its approval is given).
    var isGreenChannel: Bool { greenChannelApproval != nil }

    /// Checks the fields that need no database; names the field and the rule.
    func validated() throws -> ApplicationSubmission {
        if greenChannel == true && greenChannelApproval == nil {
            throw HallError.invalid(
                "greenChannelApproval", "a green-channel case needs the hall centre's approval (Art 40): reason, reference and approvedBy",
                words: "走绿色通道的办件须经政务服务中心批准（第40条）：须填写理由、批准文号和批准人")
        }
        if greenChannel == false && greenChannelApproval != nil {
            throw HallError.invalid("greenChannel", "must be true (or omitted) when greenChannelApproval is given", words: "已填写绿色通道批准信息时，须为“是”（或不填）")
        }
        try greenChannelApproval?.check(prefix: "greenChannelApproval.")
        guard !idempotencyKey.isEmpty, idempotencyKey.utf8.count <= 128 else {
            throw HallError.invalid("idempotencyKey", "must be 1–128 characters", words: "须为 1–128 个字符")
        }
        guard Self.isCatalogueCode(itemCode) else {
            throw HallError.invalid("itemCode", "must be a catalogue code (2–32 upper-case letters, digits or '-')", words: "须为事项目录中的事项编码（2–32 位大写字母、数字或“-”）")
        }
        guard !applicant.name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HallError.invalid("applicant.name", "must not be empty", words: "不能为空")
        }
        guard !applicant.contact.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HallError.invalid("applicant.contact", "must not be empty", words: "不能为空")
        }
        switch applicant.kind {
        case .person:
            guard IdentityNumber.isValidResidentId(applicant.idNumber) else {
                throw HallError.invalid(
                    "applicant.idNumber", "is not a valid resident identity number (18 characters, GB 11643 check digit)",
                    words: "不是有效的居民身份证号码（应为 18 位，末位校验码须符合 GB 11643）")
            }
        case .organisation:
            guard IdentityNumber.isValidCreditCode(applicant.idNumber) else {
                throw HallError.invalid(
                    "applicant.idNumber", "is not a valid unified social credit code (18 characters, GB 32100 check character)",
                    words: "不是有效的统一社会信用代码（应为 18 位，末位校验码须符合 GB 32100）")
            }
        }
        var seen = Set<String>()
        for (index, material) in materials.enumerated() {
            guard seen.insert(material.materialId).inserted else {
                throw HallError.invalid("materials[\(index)].materialId", "'\(material.materialId)' appears twice", words: "材料“\(material.materialId)”重复填写")
            }
            guard material.copies >= 1 else { throw HallError.invalid("materials[\(index)].copies", "must be ≥ 1", words: "须不少于 1 份") }
        }
        return self
    }

    /// `^[A-Z0-9][A-Z0-9-]{1,31}$`, checked on the bytes (a regular expression costs more than the
    /// rest of the validation on every submission).
    static func isCatalogueCode(_ code: String) -> Bool {
        let bytes = code.utf8
        guard (2...32).contains(bytes.count), let first = bytes.first, first != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }
    }
}

/// The hall centre's approval of a green-channel case (绿色通道, Art 40), as entered at the window
/// or by a centre administrator.
struct GreenChannelInput: Codable, Sendable, Equatable {
    /// `major-investment` (a major investment project of the county) or `special-matter` (特事特办).
    var reason: GreenChannelReason
    /// The reference of the centre's written approval.
    var reference: String
    /// The staff id of the centre member who approved it (a staff member of the hall centre).
    var approvedBy: String
    /// When it was approved (defaults to the time it is recorded).
    var approvedAt: Date?

    /// Checks what needs no database; field names start with `prefix`.
    func check(prefix: String = "") throws {
        guard !reference.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HallError.invalid(prefix + "reference", "must name the centre's written approval", words: "须填写政务服务中心书面批准的文号")
        }
        try checkIdentifier(approvedBy, field: prefix + "approvedBy")
    }

    /// The approval as the events carry it, approved at `approvedAt` or else `now`.
    func approval(now: Date) -> GreenChannelApproval {
        GreenChannelApproval(reason: reason, reference: reference, approvedBy: approvedBy, approvedAt: approvedAt ?? now)
    }
}

/// Who came to the window for the applicant: the applicant (or their representative) or the
/// centre's agent under a full-process entrustment (全程代办, Art 40).
enum Party: String, Codable, Sendable { case applicant, agent }

/// One thing to correct, told all at once (一次性告知, Art 36).
struct Correction: Codable, Sendable, Equatable {
    typealias Problem = MaterialProblem
    var materialId: String
    var problem: Problem
    /// What the applicant must bring, in words for the notice.
    var needed: String
}

/// What the front desk decides about materials (department competence and item validity are
/// checked before): either every correction at once, or acceptance with the promised materials.
enum MaterialsVerdict: Equatable {
    case complete(promised: [PromisedMaterial])
    case corrections([Correction])
}

enum MaterialsCheck {
    /// Compares what was presented with what the item version requires.
    ///
    /// - Throws: ``HallError`` naming `materials[i].materialId` for a material that does not
    ///   belong to the item, and `promised[i]` for a promise the item does not allow.
    static func check(_ submission: ApplicationSubmission, against item: ItemVersion, today: LocalDate) throws -> MaterialsVerdict {
        try check(
            materials: submission.materials, conditionsMet: submission.conditionsMet ?? [], promised: submission.promised ?? [],
            against: item, today: today)
    }

    /// The same check on its parts (a resubmission has no applicant or channel to repeat).
    static func check(
        materials: [PresentedMaterial], conditionsMet: [String], promised: [PromisedMaterial], against item: ItemVersion, today: LocalDate
    ) throws -> MaterialsVerdict {
        let required = Dictionary(uniqueKeysWithValues: item.materials.map { ($0.id, $0) })
        for (index, presented) in materials.enumerated() where required[presented.materialId] == nil {
            throw HallError.invalid(
                "materials[\(index)].materialId", "'\(presented.materialId)' is not a material of item \(item.code)",
                words: "“\(presented.materialId)”不是事项 \(item.code) 的申请材料")
        }
        let conditions = Set(conditionsMet)
        for (index, id) in conditionsMet.enumerated() where required[id]?.requirement != .conditional {
            throw HallError.invalid(
                "conditionsMet[\(index)]", "'\(id)' is not a conditional material of item \(item.code)", words: "“\(id)”不是事项 \(item.code) 按情形提供的材料")
        }
        var promises: [String: PromisedMaterial] = [:]
        for (index, promise) in promised.enumerated() {
            guard let material = required[promise.materialId] else {
                throw HallError.invalid(
                    "promised[\(index)].materialId", "'\(promise.materialId)' is not a material of item \(item.code)",
                    words: "“\(promise.materialId)”不是事项 \(item.code) 的申请材料")
            }
            guard item.toleratedGapAllowed, material.toleratedGap else {
                throw HallError.invalid(
                    "promised[\(index)].materialId", "'\(promise.materialId)' cannot be promised later (no tolerated gap for it)",
                    words: "“\(promise.materialId)”不可容缺，不能承诺补交")
            }
            guard promise.dueBy > today else { throw HallError.invalid("promised[\(index)].dueBy", "must be after today", words: "承诺补交日期须在今天之后") }
            promises[promise.materialId] = promise
        }
        let presented = Dictionary(uniqueKeysWithValues: materials.map { ($0.materialId, $0) })
        var corrections: [Correction] = []
        var keptPromises: [PromisedMaterial] = []
        for material in item.materials {
            let needed = material.requirement == .required || conditions.contains(material.id)
            guard needed else { continue }
            guard let brought = presented[material.id] else {
                if let promise = promises[material.id] {
                    keptPromises.append(promise)
                } else {
                    corrections.append(Correction(materialId: material.id, problem: .missing, needed: describe(material)))
                }
                continue
            }
            if let problem = shortfall(form: brought.form, copies: brought.copies, legalForm: brought.legalForm, for: material) {
                corrections.append(Correction(materialId: material.id, problem: problem, needed: wording(problem, material)))
            }
        }
        return corrections.isEmpty ? .complete(promised: keptPromises) : .corrections(corrections)
    }

    /// What is wrong with a material brought in `form`, `copies` copies, in the legal form or not,
    /// against what the item requires of it; nil when it is in order.
    static func shortfall(form: MaterialForm, copies: Int, legalForm: Bool, for material: RequiredMaterial) -> Correction.Problem? {
        if !satisfies(form, material.form) { return .wrongForm }
        if copies < material.copies { return .tooFewCopies }
        if !legalForm { return .notInLegalForm }
        return nil
    }

    /// The words of a correction: what to bring so that `problem` is put right.
    static func wording(_ problem: Correction.Problem, _ material: RequiredMaterial) -> String {
        problem == .notInLegalForm ? "\(describe(material)), in the legal form" : describe(material)
    }

    static func satisfies(_ brought: MaterialForm, _ required: MaterialForm) -> Bool {
        switch required {
        case .copy: return true  // an original can be copied on the spot
        case .original: return brought == .original || brought == .originalAndCopy
        case .originalAndCopy: return brought == .originalAndCopy
        }
    }

    static func describe(_ material: RequiredMaterial) -> String {
        let form = switch material.form {
        case .original: "original"
        case .copy: "copy"
        case .originalAndCopy: "original and copy"
        }
        return "\(material.name) (\(form), \(material.copies) cop\(material.copies == 1 ? "y" : "ies"))"
    }
}

/// Who is acting at the window.
struct Clerk: Sendable {
    var staffId: String
    var windowId: String?
}
