import Foundation
import HallCalendar
import HallContracts
import HallKit
import Testing

@testable import intake

@Suite("One thing, one go: bundles and supplements without a database")
struct BundleTests {
    func bundle(_ members: [BundleSubmission.Member], key: String = "b-1") -> BundleSubmission {
        BundleSubmission(
            applicant: Applicant(kind: .person, name: "张三", idNumber: residentId("11010519491231002"), contact: "13800000000"),
            applications: members, channel: .window, greenChannel: nil, idempotencyKey: key)
    }

    func member(_ code: String, _ materials: [PresentedMaterial] = intake_complete) -> BundleSubmission.Member {
        BundleSubmission.Member(itemCode: code, departmentId: nil, materials: materials, conditionsMet: nil, promised: nil, competentAuthority: nil)
    }

    let refusal = ApplicationResponse.Refusal(reasonCode: .notCompetent, reason: "not ours", competentAuthority: "县税务局")
    let correction = Correction(materialId: "identity-card", problem: .missing, needed: "身份证")

    @Test("all or nothing: any refusal refuses the bundle, else any correction holds every application, else all are accepted")
    func verdict() {
        #expect(BundleVerdict.decide([.complete(promised: []), .complete(promised: [])]) == .accepted)
        #expect(BundleVerdict.decide([.complete(promised: []), .corrections([correction])]) == .corrections)
        #expect(BundleVerdict.decide([.corrections([correction]), .refused(refusal), .complete(promised: []), .refused(refusal)]) == .refused(refused: [1, 3]))
    }

    @Test("a bundle holds 2 to 20 applications of distinct items; a bad application names applications[i].field")
    func validation() {
        func field(_ submission: BundleSubmission) -> String? {
            do {
                _ = try submission.validated()
                return nil
            } catch {
                return (error as? HallError)?.field
            }
        }
        #expect(field(bundle([member("MKT-001"), member("TAX-001")])) == nil)
        #expect(field(bundle([member("MKT-001")])) == "applications")
        #expect(field(bundle(Array(repeating: member("MKT-001"), count: 21))) == "applications")
        #expect(field(bundle([member("MKT-001"), member("MKT-001")])) == "applications[1].itemCode")
        #expect(field(bundle([member("MKT-001"), member("bad code")])) == "applications[1].itemCode")
        let twice = [PresentedMaterial](repeating: intake_complete[0], count: 2)
        #expect(field(bundle([member("MKT-001", twice), member("TAX-001")])) == "applications[0].materials[1].materialId")
        // What the bundle has once for all keeps its own name.
        #expect(field(bundle([member("MKT-001"), member("TAX-001")], key: "")) == "idempotencyKey")
        var badApplicant = bundle([member("MKT-001"), member("TAX-001")])
        badApplicant.applicant.idNumber = "110105194912310021"
        #expect(field(badApplicant) == "applicant.idNumber")
    }

    @Test("an error about one application of a bundle says which")
    func errorInBundle() {
        let error = HallError.invalid("materials[3].materialId", "'x' is not a material of item MKT-001").inBundle(2)
        #expect(error.field == "applications[2].materials[3].materialId")
        #expect(error.message.hasPrefix("applications[2].materials[3].materialId:"))
        let forbidden = HallError(.forbidden, "window w-01 does not take applications for item TAX-001").inBundle(1)
        #expect(forbidden.field == nil, "an error without a field is not about a field of the application")
    }

    @Test("presented materials in the accepted event: catalogue name, original and copies on separate lines")
    func presentedReferences() {
        let references = intake_complete.flatMap { $0.references(in: sampleItem()) }
        #expect(references == [
            .init(materialId: "application-form", name: "登记申请书", form: .original, copies: 1),
            .init(materialId: "identity-card", name: "身份证", form: .original, copies: 1),
            .init(materialId: "identity-card", name: "身份证", form: .copy, copies: 1),
            .init(materialId: "premises-proof", name: "经营场所证明", form: .copy, copies: 2),
        ])
    }

    @Test("supplements: only what was asked for; what is still awaited afterwards")
    func supplementMatching() throws {
        #expect(try SupplementMatching.remaining(open: ["site-plan", "fire-check"], brought: ["site-plan"]) == ["fire-check"])
        #expect(try SupplementMatching.remaining(open: ["site-plan", "fire-check"], brought: ["fire-check", "site-plan"]).isEmpty)
        #expect {
            try SupplementMatching.remaining(open: ["site-plan"], brought: ["site-plan", "bank-statement"])
        } throws: { ($0 as? HallError)?.field == "materials[1]" }
        #expect(throws: HallError.self) { try SupplementDelivery(materials: []).validated() }
        #expect { try SupplementDelivery(materials: ["a", "a"]).validated() } throws: { ($0 as? HallError)?.field == "materials[1]" }
    }

    @Test("bundle ids: B and 10 characters without look-alikes")
    func bundleIds() {
        let id = IntakeStore.newBundleId()
        #expect(id.range(of: #"^B[2-9A-HJ-NP-Z]{10}$"#, options: .regularExpression) != nil)
    }
}
