import Foundation
import HallCalendar
import HallKit
import Testing

@testable import intake

/// A valid resident identity number for a birth date, with its GB 11643 check character.
func residentId(_ body17: String) -> String {
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    let sum = zip(body17, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
    return body17 + String(Array("10X98765432")[sum % 11])
}

func sampleItem(toleratedGap: Bool = true) -> ItemVersion {
    ItemSubmission(
        code: "MKT-001", name: "个体工商户登记", kind: .committed, leadDepartmentId: "d-market", participantDepartmentIds: nil,
        legalLimitDays: 15, promisedLimitDays: 5, fee: nil,
        materials: [
            RequiredMaterial(id: "application-form", name: "登记申请书", form: .original, copies: 1, requirement: .required, condition: nil, toleratedGap: false),
            RequiredMaterial(id: "identity-card", name: "身份证", form: .originalAndCopy, copies: 1, requirement: .required, condition: nil, toleratedGap: false),
            RequiredMaterial(id: "premises-proof", name: "经营场所证明", form: .copy, copies: 2, requirement: .required, condition: nil, toleratedGap: toleratedGap),
            RequiredMaterial(id: "agent-authorisation", name: "委托书", form: .original, copies: 1, requirement: .conditional, condition: "an agent applies", toleratedGap: false),
        ],
        formTemplate: "申请书", notCounted: [.inspection], delegatedToCentre: true, toleratedGapAllowed: toleratedGap,
        effectiveFrom: LocalDate(iso: "2026-01-01")!, approvalReference: "县审改办〔2025〕9号"
    ).version(1)
}

func submission(_ materials: [PresentedMaterial], conditions: [String]? = nil, promised: [PromisedMaterial]? = nil) -> ApplicationSubmission {
    ApplicationSubmission(
        itemCode: "MKT-001", departmentId: nil,
        applicant: Applicant(kind: .person, name: "张三", idNumber: residentId("11010519491231002"), contact: "13800000000"),
        materials: materials, conditionsMet: conditions, promised: promised, channel: .window, greenChannel: false,
        idempotencyKey: "k1", competentAuthority: nil)
}

let complete = [
    PresentedMaterial(materialId: "application-form", form: .original, copies: 1, legalForm: true),
    PresentedMaterial(materialId: "identity-card", form: .originalAndCopy, copies: 1, legalForm: true),
    PresentedMaterial(materialId: "premises-proof", form: .copy, copies: 2, legalForm: true),
]

@Suite("Front-desk rules without a database")
struct IntakeDomainTests {
    let today = LocalDate(iso: "2026-02-13")!

    @Test("identity numbers: GB 11643 check character and GB 32100 credit codes")
    func identityNumbers() {
        #expect(IdentityNumber.isValidResidentId("11010519491231002X"))
        #expect(!IdentityNumber.isValidResidentId("110105194912310021"))
        #expect(!IdentityNumber.isValidResidentId("11010519491231002"))
        #expect(!IdentityNumber.isValidResidentId("1101051949123100２X"))
        #expect(IdentityNumber.isValidCreditCode("91350100M000100Y43"))
        #expect(!IdentityNumber.isValidCreditCode("91350100M000100Y44"))
        #expect(!IdentityNumber.isValidCreditCode("91350100M000100YI3"))
    }

    @Test("an item code that is not a catalogue code is refused naming itemCode", arguments: [
        ("MKT-001", true), ("A1", true), (String(repeating: "A", count: 32), true),
        ("A", false), ("-MKT", false), ("mkt-001", false), ("MKT_001", false), ("MKT 001", false), ("ＭKT-001", false),
        (String(repeating: "A", count: 33), false), ("", false),
    ])
    func itemCodeShape(code: String, valid: Bool) throws {
        var input = submission(intake_complete)
        input.itemCode = code
        if valid {
            _ = try input.validated()
        } else {
            let error = try #require(throws: HallError.self) { try input.validated() }
            #expect(error.field == "itemCode")
        }
    }

    @Test("complete materials are accepted")
    func complete() throws {
        #expect(try MaterialsCheck.check(submission(intake_complete), against: sampleItem(), today: today) == .complete(promised: []))
    }

    @Test("every problem is listed at once, in catalogue order")
    func allCorrectionsAtOnce() throws {
        let presented = [
            PresentedMaterial(materialId: "identity-card", form: .copy, copies: 1, legalForm: true),
            PresentedMaterial(materialId: "premises-proof", form: .copy, copies: 1, legalForm: true),
            PresentedMaterial(materialId: "agent-authorisation", form: .original, copies: 1, legalForm: false),
        ]
        let verdict = try MaterialsCheck.check(submission(presented, conditions: ["agent-authorisation"]), against: sampleItem(), today: today)
        guard case .corrections(let list) = verdict else {
            Issue.record("expected corrections, got \(verdict)")
            return
        }
        #expect(list.map(\.materialId) == ["application-form", "identity-card", "premises-proof", "agent-authorisation"])
        #expect(list.map(\.problem) == [.missing, .wrongForm, .tooFewCopies, .notInLegalForm])
        #expect(list[2].needed.contains("2 copies"))
    }

    @Test("a conditional material is required only when its condition applies")
    func conditional() throws {
        #expect(try MaterialsCheck.check(submission(intake_complete), against: sampleItem(), today: today) == .complete(promised: []))
        let verdict = try MaterialsCheck.check(submission(intake_complete, conditions: ["agent-authorisation"]), against: sampleItem(), today: today)
        #expect(verdict == .corrections([Correction(materialId: "agent-authorisation", problem: .missing, needed: "委托书 (original, 1 copy)")]))
    }

    @Test("tolerated-gap acceptance: a secondary material may be promised with a deadline")
    func toleratedGap() throws {
        let promise = PromisedMaterial(materialId: "premises-proof", dueBy: LocalDate(iso: "2026-03-02")!)
        let verdict = try MaterialsCheck.check(submission(Array(intake_complete.prefix(2)), promised: [promise]), against: sampleItem(), today: today)
        #expect(verdict == .complete(promised: [promise]))
        #expect(throws: HallError.self) {
            try MaterialsCheck.check(
                submission(Array(intake_complete.prefix(1)), promised: [PromisedMaterial(materialId: "identity-card", dueBy: promise.dueBy)]),
                against: sampleItem(), today: today)
        }
    }

    @Test("a material that is not the item's is refused naming the field")
    func foreignMaterial() {
        let presented = intake_complete + [PresentedMaterial(materialId: "marriage-certificate", form: .copy, copies: 1, legalForm: true)]
        #expect {
            try MaterialsCheck.check(submission(presented), against: sampleItem(), today: today)
        } throws: { ($0 as? HallError)?.field == "materials[3].materialId" }
    }

    @Test("catalogue rules: promised ≤ legal, fee needs its basis, joint needs participants")
    func catalogueRules() {
        func error(_ change: (inout ItemSubmission) -> Void) -> String? {
            var item = ItemSubmission(
                code: "X-1", name: "x", kind: .committed, leadDepartmentId: "d", participantDepartmentIds: nil, legalLimitDays: 10,
                promisedLimitDays: 5, fee: nil, materials: sampleItem().materials, formTemplate: nil, notCounted: nil,
                delegatedToCentre: false, toleratedGapAllowed: true, effectiveFrom: LocalDate(iso: "2026-01-01")!, approvalReference: "ref")
            change(&item)
            do {
                _ = try item.validated()
                return nil
            } catch {
                return (error as? HallError)?.field
            }
        }
        #expect(error { _ in } == nil)
        #expect(error { $0.promisedLimitDays = 11 } == "promisedLimitDays")
        #expect(error { $0.fee = Fee(amountCents: 500, basis: nil) } == "fee.basis")
        #expect(error { $0.kind = .joint } == "participantDepartmentIds")
        #expect(error { $0.approvalReference = " " } == "approvalReference")
        #expect(error { $0.code = "lower" } == "code")
        #expect(error { $0.toleratedGapAllowed = false } == "materials[2].toleratedGap")
    }

    @Test("the version in force is the latest effective on the date")
    func versionInForce() {
        var second = sampleItem()
        second.version = 2
        second.effectiveFrom = LocalDate(iso: "2026-06-01")!
        let versions = [sampleItem(), second]
        #expect(IntakeStore.inForce(versions, on: LocalDate(iso: "2026-05-31")!)?.version == 1)
        #expect(IntakeStore.inForce(versions, on: LocalDate(iso: "2026-06-01")!)?.version == 2)
        #expect(IntakeStore.inForce(versions, on: LocalDate(iso: "2025-12-31")!) == nil)
    }
}

let intake_complete = complete
