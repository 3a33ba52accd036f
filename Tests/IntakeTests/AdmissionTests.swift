import Foundation
import HallCalendar
import HallContracts
import Testing

@testable import intake

/// Whether the front desk may take an application at all, decided without a database.
@Suite("intake: admission of an application (Art 30, 35, 37)")
struct AdmissionTests {
    static func joint(effectiveFrom: String = "2026-01-01", delegated: Bool = false) -> ItemVersion {
        ItemVersion(
            code: "JNT-001", version: 1, name: "开办餐饮店", kind: .joint, leadDepartmentId: "d-market", participantDepartmentIds: ["d-tax"],
            legalLimitDays: 20, promisedLimitDays: 10, fee: .free, materials: [], formTemplate: "", notCounted: [], delegatedToCentre: delegated,
            toleratedGapAllowed: false, effectiveFrom: LocalDate(iso: effectiveFrom)!, approvalReference: "批复〔2026〕1号")
    }

    static let today = LocalDate(iso: "2026-12-04")!

    @Test("an item the hall does not know, or not yet in force, or addressed to a department with no part in it, is refused — whatever the window")
    func refusals() {
        #expect(Admission.decide(versions: [], department: nil, today: Self.today, windowKind: .department, windowDepartments: []) == .unknownItem)
        let future = Self.joint(effectiveFrom: "2027-01-01")
        #expect(
            Admission.decide(versions: [future], department: nil, today: Self.today, windowKind: .department, windowDepartments: ["d-market"])
                == .notInForce(first: future))
        let item = Self.joint()
        #expect(
            Admission.decide(versions: [item], department: "d-housing", today: Self.today, windowKind: .department, windowDepartments: ["d-market"])
                == .notCompetent(item: item, department: "d-housing"))
    }

    @Test("a joint item is taken at its lead's window, or at the comprehensive window when delegated to the centre — never at a participant's window")
    func windows() {
        let item = Self.joint()
        #expect(
            Admission.decide(versions: [item], department: nil, today: Self.today, windowKind: .department, windowDepartments: ["d-market"])
                == .admissible(item))
        #expect(
            Admission.decide(versions: [item], department: nil, today: Self.today, windowKind: .department, windowDepartments: ["d-tax"])
                == .wrongWindow(item: item, participant: true))
        #expect(
            Admission.decide(versions: [item], department: nil, today: Self.today, windowKind: .comprehensive, windowDepartments: [])
                == .wrongWindow(item: item, participant: false))
        let delegated = Self.joint(delegated: true)
        #expect(
            Admission.decide(versions: [delegated], department: nil, today: Self.today, windowKind: .comprehensive, windowDepartments: [])
                == .admissible(delegated))
    }
}
