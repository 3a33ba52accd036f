import Foundation
import HallCalendar
import HallContracts
import HallKit

/// Whether the applicant brings the original, a copy, or both.
enum MaterialForm: String, Codable, Sendable, CaseIterable {
    case original, copy
    case originalAndCopy = "original-and-copy"
}

/// A material the item requires.
struct RequiredMaterial: Codable, Sendable, Equatable {
    /// Identifier within the item, e.g. `business-licence`.
    var id: String
    /// Name shown in the guide.
    var name: String
    /// Original, copy, or both.
    var form: MaterialForm
    /// Number of copies (≥ 1).
    var copies: Int
    /// `required`, or `conditional` with the condition under which it is required.
    var requirement: Requirement
    /// When the condition applies (conditional materials only).
    var condition: String?
    /// A secondary material that may be promised later under tolerated-gap acceptance (容缺受理).
    var toleratedGap: Bool

    enum Requirement: String, Codable, Sendable { case required, conditional }
}

/// The fee of an item: free, or an amount with its legal basis (Art 16).
struct Fee: Codable, Sendable, Equatable {
    /// Amount in fen (1/100 yuan); nil when the item is free.
    var amountCents: Int64?
    /// The law or rule that sets the fee; nil when free.
    var basis: String?

    static let free = Fee(amountCents: nil, basis: nil)
    var isFree: Bool { amountCents == nil }
}

/// What the guide tells the applicant beyond the materials (Art 10, 14, 33, 34): the legal basis,
/// the conditions, the procedure, how and where to pay, and how long each kind of time not
/// counted usually takes (ALL Art 45: the applicant is told).
struct GuideDetails: Codable, Sendable, Equatable {
    struct LegalBasis: Codable, Sendable, Equatable {
        /// The law or regulation, e.g. 《中华人民共和国行政许可法》.
        var law: String
        /// Its articles, e.g. 第二十九条、第三十条.
        var articles: String
    }

    struct Payment: Codable, Sendable, Equatable {
        /// How the fee is paid, e.g. cash, card or scan at the bank window.
        var how: String
        /// Where: the hall's designated bank window (Art 16).
        var `where`: String
    }

    struct ExpectedDuration: Codable, Sendable, Equatable {
        var category: NotCountedCategory
        /// In words, e.g. 一般不超过10个工作日.
        var expected: String
    }

    var legalBasis: [LegalBasis]
    var conditions: [String]
    var procedure: [String]
    var payment: Payment?
    var notCountedDurations: [ExpectedDuration]?

    /// Checks the guide against its item: names the field and the rule.
    func validated(fee: Fee?, notCounted: [NotCountedCategory]) throws {
        func text(_ value: String, _ field: String) throws {
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw HallError.invalid(field, "must not be empty", words: "不能为空") }
        }
        guard !legalBasis.isEmpty else {
            throw HallError.invalid("guide.legalBasis", "the guide names the law the item rests on (Art 10)", words: "办事指南须载明事项的设定依据（第10条）")
        }
        for (index, basis) in legalBasis.enumerated() {
            try text(basis.law, "guide.legalBasis[\(index)].law")
            try text(basis.articles, "guide.legalBasis[\(index)].articles")
        }
        for (index, condition) in conditions.enumerated() { try text(condition, "guide.conditions[\(index)]") }
        guard !procedure.isEmpty else {
            throw HallError.invalid("guide.procedure", "the guide lists the steps of the procedure (Art 14)", words: "办事指南须列明办理流程（第14条）")
        }
        for (index, step) in procedure.enumerated() { try text(step, "guide.procedure[\(index)]") }
        if fee?.amountCents != nil {
            guard let payment else {
                throw HallError.invalid("guide.payment", "an item with a fee tells how and where to pay (Art 16)", words: "收费事项须写明缴费方式和地点（第16条）")
            }
            try text(payment.how, "guide.payment.how")
            try text(payment.where, "guide.payment.where")
        } else if payment != nil {
            throw HallError.invalid("guide.payment", "a free item has nothing to pay", words: "不收费的事项无需填写缴费方式")
        }
        let durations = notCountedDurations ?? []
        for (index, duration) in durations.enumerated() {
            guard notCounted.contains(duration.category) else {
                throw HallError.invalid(
                    "guide.notCountedDurations[\(index)].category", "'\(duration.category.rawValue)' is not among the item's notCounted",
                    words: "“\(duration.category.rawValue)”不在本事项不计入办理时限的环节之中")
            }
            try text(duration.expected, "guide.notCountedDurations[\(index)].expected")
        }
        if let missing = notCounted.first(where: { category in !durations.contains { $0.category == category } }) {
            throw HallError.invalid(
                "guide.notCountedDurations", "the applicant is told how long '\(missing.rawValue)' usually takes (ALL Art 45)",
                words: "须告知申请人“\(missing.rawValue)”一般需要多长时间（《行政许可法》第45条）")
        }
    }
}

/// One version of a service item and its guide (办事指南): what the catalogue says, in force from
/// `effectiveFrom` until the next version's date (Art 7, 10, 14, 33).
struct ItemVersion: Codable, Sendable, Equatable {
    var code: String
    var version: Int
    var name: String
    var kind: ItemKind
    var leadDepartmentId: String
    var participantDepartmentIds: [String]
    /// Limit set by law, in working days.
    var legalLimitDays: Int
    /// Limit the hall promises, in working days (≤ legal).
    var promisedLimitDays: Int
    var fee: Fee
    var materials: [RequiredMaterial]
    var formTemplate: String
    var notCounted: [NotCountedCategory]
    var delegatedToCentre: Bool
    var toleratedGapAllowed: Bool
    var effectiveFrom: LocalDate
    var approvalReference: String
    /// The guide in full (legal basis, conditions, procedure, payment, durations).
    var guide: GuideDetails?
    /// This version withdraws the item from `effectiveFrom`: from then on no version is in force.
    var withdrawn: Bool?

    /// Every department that acts on the item.
    var departmentIds: [String] { [leadDepartmentId] + participantDepartmentIds }
}

/// What a centre administrator submits to create an item or a new version of it.
struct ItemSubmission: Codable, Sendable {
    var code: String
    var name: String
    var kind: ItemKind
    var leadDepartmentId: String
    var participantDepartmentIds: [String]?
    var legalLimitDays: Int
    var promisedLimitDays: Int
    var fee: Fee?
    var materials: [RequiredMaterial]
    var formTemplate: String?
    var notCounted: [NotCountedCategory]?
    var delegatedToCentre: Bool
    var toleratedGapAllowed: Bool
    var effectiveFrom: LocalDate
    var approvalReference: String
    var guide: GuideDetails?
    /// Publishes a version that withdraws the item from `effectiveFrom` (`POST /v1/items/{code}/withdrawal`).
    var withdrawn: Bool?

    /// Checks every rule that does not need the database; throws naming the field and the rule.
    func validated() throws -> ItemSubmission {
        try guide?.validated(fee: fee, notCounted: notCounted ?? [])
        guard code.range(of: #"^[A-Z0-9][A-Z0-9-]{1,31}$"#, options: .regularExpression) != nil else {
            throw HallError.invalid("code", "must be 2–32 upper-case letters, digits or '-'", words: "须为 2–32 位大写字母、数字或“-”")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw HallError.invalid("name", "must not be empty", words: "不能为空") }
        guard !approvalReference.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HallError.invalid("approvalReference", "a catalogue change needs the approval reference (Art 7)", words: "调整事项目录须填写批准文号（第7条）")
        }
        guard legalLimitDays >= 0 else { throw HallError.invalid("legalLimitDays", "must be ≥ 0 working days", words: "不得少于 0 个工作日") }
        guard promisedLimitDays >= 0 else { throw HallError.invalid("promisedLimitDays", "must be ≥ 0 working days", words: "不得少于 0 个工作日") }
        guard promisedLimitDays <= legalLimitDays else {
            throw HallError.invalid(
                "promisedLimitDays", "must not exceed the legal limit (\(legalLimitDays) working days, Art 34)", words: "不得超过法定时限（\(legalLimitDays) 个工作日，第34条）")
        }
        let participants = participantDepartmentIds ?? []
        switch kind {
        case .immediate:
            guard promisedLimitDays == 0 else {
                throw HallError.invalid("promisedLimitDays", "an immediate item is decided on the spot: 0", words: "即办件当场决定，承诺时限应为 0")
            }
        case .committed:
            guard participants.isEmpty else {
                throw HallError.invalid(
                    "participantDepartmentIds", "a committed item has one department; use kind joint", words: "承诺件只由一个部门办理；涉及多个部门的，事项类型请选联办件")
            }
            guard promisedLimitDays >= 1 else {
                throw HallError.invalid("promisedLimitDays", "a committed item needs at least 1 working day", words: "承诺件的承诺时限至少为 1 个工作日")
            }
        case .joint:
            guard !participants.isEmpty else {
                throw HallError.invalid("participantDepartmentIds", "a joint item needs at least one participant", words: "联办件至少需要一个协办部门")
            }
            guard !participants.contains(leadDepartmentId) else {
                throw HallError.invalid("participantDepartmentIds", "the lead department cannot also be a participant", words: "牵头部门不能同时作为协办部门")
            }
            guard promisedLimitDays >= 1 else {
                throw HallError.invalid("promisedLimitDays", "a joint item needs at least 1 working day", words: "联办件的承诺时限至少为 1 个工作日")
            }
        }
        if let fee, let amount = fee.amountCents {
            guard amount > 0 else { throw HallError.invalid("fee.amountCents", "must be > 0 (omit the fee for a free item)", words: "须大于 0（不收费的事项请不填收费）") }
            guard let basis = fee.basis, !basis.isEmpty else {
                throw HallError.invalid("fee.basis", "a fee needs its legal basis (Art 16)", words: "收费须写明法定依据（第16条）")
            }
        } else if fee?.basis != nil {
            throw HallError.invalid("fee.amountCents", "a fee basis without an amount", words: "填写了收费依据，但没有填写收费金额")
        }
        guard !materials.isEmpty || kind == .immediate else { throw HallError.invalid("materials", "must list the materials to bring", words: "须列明应提交的材料") }
        var seen = Set<String>()
        for (index, material) in materials.enumerated() {
            let field = "materials[\(index)]"
            guard material.id.range(of: #"^[a-z0-9][a-z0-9-]{0,63}$"#, options: .regularExpression) != nil else {
                throw HallError.invalid("\(field).id", "must be lower-case letters, digits or '-'", words: "须由小写字母、数字或“-”组成")
            }
            guard seen.insert(material.id).inserted else {
                throw HallError.invalid("\(field).id", "'\(material.id)' appears twice", words: "“\(material.id)”重复出现")
            }
            guard !material.name.isEmpty else { throw HallError.invalid("\(field).name", "must not be empty", words: "不能为空") }
            guard material.copies >= 1 else { throw HallError.invalid("\(field).copies", "must be ≥ 1", words: "须不少于 1 份") }
            switch material.requirement {
            case .conditional:
                guard let condition = material.condition, !condition.isEmpty else {
                    throw HallError.invalid("\(field).condition", "a conditional material needs its condition", words: "按情形提供的材料须写明适用情形")
                }
            case .required:
                guard material.condition == nil else {
                    throw HallError.invalid("\(field).condition", "only conditional materials have a condition", words: "只有按情形提供的材料才填写适用情形")
                }
            }
            if material.toleratedGap && !toleratedGapAllowed {
                throw HallError.invalid("\(field).toleratedGap", "the item does not allow tolerated-gap acceptance", words: "本事项不实行容缺受理")
            }
        }
        return self
    }

    /// The version this submission publishes after the item's `latest` one: its departments must be
    /// active ones, and it takes effect after the version in force.
    func publication(after latest: (version: Int, effectiveFrom: LocalDate)?, activeDepartments: Set<String>) throws -> ItemVersion {
        if !activeDepartments.contains(leadDepartmentId) {
            throw HallError.invalid("leadDepartmentId", "no active department \(leadDepartmentId)", words: "部门 \(leadDepartmentId) 不存在或已撤出")
        }
        if let missing = (participantDepartmentIds ?? []).first(where: { !activeDepartments.contains($0) }) {
            throw HallError.invalid("participantDepartmentIds", "no active department \(missing)", words: "部门 \(missing) 不存在或已撤出")
        }
        if let latest, effectiveFrom <= latest.effectiveFrom {
            throw HallError.invalid(
                "effectiveFrom", "must be after the current version's effective date (\(latest.effectiveFrom))", words: "须晚于现行版本的施行日期（\(latest.effectiveFrom)）")
        }
        return version((latest?.version ?? 0) + 1)
    }

    /// The version this submission becomes.
    func version(_ number: Int) -> ItemVersion {
        ItemVersion(
            code: code, version: number, name: name, kind: kind, leadDepartmentId: leadDepartmentId,
            participantDepartmentIds: participantDepartmentIds ?? [], legalLimitDays: legalLimitDays,
            promisedLimitDays: promisedLimitDays, fee: fee ?? .free, materials: materials, formTemplate: formTemplate ?? "",
            notCounted: notCounted ?? [], delegatedToCentre: delegatedToCentre, toleratedGapAllowed: toleratedGapAllowed,
            effectiveFrom: effectiveFrom, approvalReference: approvalReference, guide: guide, withdrawn: withdrawn == true ? true : nil)
    }

    /// The submission withdrawing `item` (its latest version) from `effectiveFrom`, on the approval `reference`.
    static func withdrawal(of item: ItemVersion, from effectiveFrom: LocalDate, reference: String) -> ItemSubmission {
        ItemSubmission(
            code: item.code, name: item.name, kind: item.kind, leadDepartmentId: item.leadDepartmentId,
            participantDepartmentIds: item.participantDepartmentIds, legalLimitDays: item.legalLimitDays, promisedLimitDays: item.promisedLimitDays,
            fee: item.fee.isFree ? nil : item.fee, materials: item.materials, formTemplate: item.formTemplate, notCounted: item.notCounted,
            delegatedToCentre: item.delegatedToCentre, toleratedGapAllowed: item.toleratedGapAllowed, effectiveFrom: effectiveFrom,
            approvalReference: reference, guide: item.guide, withdrawn: true)
    }
}
