import Foundation
import HallCalendar
import HallContracts
import HallKit

/// "One thing, one go" (一件事一次办, Art 4(5)): several applications by one applicant, submitted
/// together at the window and accepted together or not at all.
struct BundleSubmission: Codable, Sendable {
    /// The applicant of every application of the bundle.
    var applicant: Applicant
    var applications: [Member]
    var channel: ApplicationSubmission.Channel
    var greenChannel: Bool?
    /// The centre's green-channel approval, for every application of the bundle (Art 40).
    var greenChannelApproval: GreenChannelInput?
    /// Repeating a bundle with the same key returns the first answer (no second bundle, no cases).
    var idempotencyKey: String

    /// One application of the bundle: what `POST /v1/applications` takes, less what the bundle
    /// has once for all (applicant, channel, idempotency key).
    struct Member: Codable, Sendable {
        var itemCode: String
        var departmentId: String?
        var materials: [PresentedMaterial]
        var conditionsMet: [String]?
        var promised: [PromisedMaterial]?
        /// For a refusal of a matter the hall does not handle: where the applicant should go.
        var competentAuthority: String?
    }

    /// The most applications one bundle may hold.
    static let maximumSize = 20

    /// Member `index` as an ordinary submission (the idempotency key is the bundle's).
    func submission(_ index: Int) -> ApplicationSubmission {
        let member = applications[index]
        return ApplicationSubmission(
            itemCode: member.itemCode, departmentId: member.departmentId, applicant: applicant, materials: member.materials,
            conditionsMet: member.conditionsMet, promised: member.promised, channel: channel, greenChannel: greenChannel,
            greenChannelApproval: greenChannelApproval, idempotencyKey: idempotencyKey, competentAuthority: member.competentAuthority)
    }

    /// Checks what needs no database: 2 to ``maximumSize`` applications of distinct items, each
    /// valid as an ordinary submission. A problem in an application names `applications[i].<field>`.
    func validated() throws -> BundleSubmission {
        guard (2...Self.maximumSize).contains(applications.count) else {
            throw HallError.invalid(
                "applications", "a bundle holds 2 to \(Self.maximumSize) applications (one application: POST /v1/applications)",
                words: "一件事套餐须包含 2 至 \(Self.maximumSize) 项申请（只办一项的，请按单项申请提交）")
        }
        var items = Set<String>()
        for index in applications.indices {
            do {
                _ = try submission(index).validated()
            } catch let error as HallError {
                throw error.inBundle(index, keepingUnprefixed: [
                    "idempotencyKey", "applicant.name", "applicant.contact", "applicant.idNumber", "greenChannel", "greenChannelApproval",
                    "greenChannelApproval.reason", "greenChannelApproval.reference", "greenChannelApproval.approvedBy",
                ])
            }
            guard items.insert(applications[index].itemCode).inserted else {
                throw HallError.invalid(
                    "applications[\(index)].itemCode", "item \(applications[index].itemCode) appears twice in the bundle",
                    words: "事项 \(applications[index].itemCode) 在套餐中重复出现")
            }
        }
        return self
    }
}

extension HallError {
    /// The same error about application `index` of a bundle: its field becomes `applications[index].<field>`
    /// (fields the bundle has once for all are kept as they are).
    func inBundle(_ index: Int, keepingUnprefixed shared: Set<String> = []) -> HallError {
        guard let field, !shared.contains(field) else { return self }
        var error = self
        error.field = "applications[\(index)].\(field)"
        if error.message.hasPrefix("\(field):") {
            error.message = "applications[\(index)].\(error.message)"
        } else {
            error.message = "applications[\(index)] (\(field)): \(error.message)"
        }
        error.words = error.words.map { "第\(index + 1)项申请：\($0)" }
        return error
    }
}

/// What the front desk found for one application, before deciding the bundle.
enum MemberAssessment: Equatable {
    case refused(ApplicationResponse.Refusal)
    case corrections([Correction])
    case complete(promised: [PromisedMaterial])
}

/// The outcome of a bundle, decided from its members' assessments: all or nothing.
enum BundleVerdict: Equatable {
    /// Some application is refused: the bundle is refused; `refused` lists the positions refused.
    case refused(refused: [Int])
    /// Some application needs corrections and none is refused: one notice lists every correction
    /// of every application; nothing is accepted.
    case corrections
    /// Every application is complete: all are accepted together.
    case accepted

    /// A refusal of any application refuses the bundle; otherwise any correction holds every
    /// application back; otherwise all are accepted.
    static func decide(_ members: [MemberAssessment]) -> BundleVerdict {
        let refused = members.indices.filter { if case .refused = members[$0] { true } else { false } }
        if !refused.isEmpty { return .refused(refused: refused) }
        if members.contains(where: { if case .corrections = $0 { true } else { false } }) { return .corrections }
        return .accepted
    }
}

/// What a clerk records when the applicant brings a supplement a department asked for.
struct SupplementDelivery: Codable, Sendable {
    /// What was brought: each the `material` of an open supplement request of the case.
    var materials: [String]
    /// Who brought it: the applicant (default) or the case's agent (全程代办, Art 40).
    var broughtBy: Party?

    func validated() throws -> SupplementDelivery {
        guard !materials.isEmpty else { throw HallError.invalid("materials", "name what the applicant brought", words: "请列明申请人带来的材料") }
        var seen = Set<String>()
        for (index, material) in materials.enumerated() {
            guard !material.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw HallError.invalid("materials[\(index)]", "must not be empty", words: "不能为空")
            }
            guard seen.insert(material).inserted else {
                throw HallError.invalid("materials[\(index)]", "'\(material)' appears twice", words: "“\(material)”重复填写")
            }
        }
        return self
    }
}

/// A supplement a department asked for (`coordinator.case.supplement-requested`), as the case keeps it.
struct SupplementRequest: Codable, Sendable, Equatable {
    var departmentId: String
    var material: String
    var needed: String
    var requestedAt: Date
    /// When the applicant brought it (nil while awaited).
    var suppliedAt: Date?
    /// The centre's agent who brought it on the applicant's behalf, if it was the agent.
    var broughtByAgent: String?
}

enum SupplementMatching {
    /// Matches what the applicant brought with the open requests (by their `material`).
    ///
    /// - Returns: the materials of the open requests still awaited afterwards.
    /// - Throws: ``HallError`` naming `materials[i]` for something no open request asked for.
    static func remaining(open: [String], brought: [String]) throws -> [String] {
        let asked = Set(open)
        for (index, material) in brought.enumerated() where !asked.contains(material) {
            throw HallError.invalid(
                "materials[\(index)]", "'\(material)' was not asked for; awaited: \(open.sorted().joined(separator: ", "))",
                words: "“\(material)”不在要求补充的材料之中；待补充：\(open.sorted().joined(separator: "、"))")
        }
        let supplied = Set(brought)
        return open.filter { !supplied.contains($0) }
    }
}

extension PresentedMaterial {
    /// The material as `intake.application.accepted` reports it: the original and the copies are
    /// separate lines (the contract knows `original` and `copy`), named as in the catalogue.
    func references(in item: ItemVersion) -> [ApplicationAccepted.PresentedMaterialRef] {
        let name = item.materials.first { $0.id == materialId }?.name ?? materialId
        switch form {
        case .original: return [.init(materialId: materialId, name: name, form: .original, copies: copies)]
        case .copy: return [.init(materialId: materialId, name: name, form: .copy, copies: copies)]
        case .originalAndCopy:
            return [
                .init(materialId: materialId, name: name, form: .original, copies: 1),
                .init(materialId: materialId, name: name, form: .copy, copies: copies),
            ]
        }
    }
}
