import Foundation
import HallCalendar
import HallContracts
import HallKit
import Testing

@testable import intake

/// The rules of issuance decided without a database: the fee (Art 16), the centre's agent (Art 40)
/// and what the public list of approvals shows of an applicant (Art 38).
@Suite("intake: fee, agency and publication rules")
struct IssuanceRuleTests {
    static func item(fee: Fee) -> ItemVersion {
        ItemVersion(
            code: "HOU-002", version: 1, name: "不动产登记", kind: .committed, leadDepartmentId: "d-housing", participantDepartmentIds: [],
            legalLimitDays: 30, promisedLimitDays: 5, fee: fee, materials: [], formTemplate: "", notCounted: [], delegatedToCentre: false,
            toleratedGapAllowed: false, effectiveFrom: LocalDate(iso: "2026-01-01")!, approvalReference: "批复〔2026〕3号")
    }

    static func field(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as HallError { return error.field } catch { return "?" }
        return nil
    }

    @Test("a fee is exactly the catalogue's standard with its basis; a free item is charged nothing")
    func fee() throws {
        let charged = Self.item(fee: Fee(amountCents: 8_000, basis: "发改价格〔2016〕2559号"))
        let recorded = try FeeRule.charge(8_000, for: charged)
        #expect(recorded.amountCents == 8_000 && recorded.basis == "发改价格〔2016〕2559号")
        #expect(Self.field { _ = try FeeRule.charge(9_000, for: charged) } == "amountCents")
        #expect(Self.field { _ = try FeeRule.charge(100, for: Self.item(fee: .free)) } == "amountCents")
    }

    @Test("a result leaves the window with its fee paid (approvals only) and no promised material owed; the refusal names what is owed")
    func release() throws {
        let owed = Release.Case(receiptCode: "R1", outcome: "approved", feeCents: 2_000, feePaid: false, openPromises: [])
        #expect(Self.field { try Release.check([owed]) } == "fee")
        var denied = owed
        denied.outcome = "denied"
        #expect(Self.field { try Release.check([denied]) } == nil, "a denial costs nothing")
        var paid = owed
        paid.feePaid = true
        #expect(Self.field { try Release.check([paid]) } == nil)
        paid.openPromises = [("premises-proof", LocalDate(iso: "2026-12-11")!)]
        do {
            try Release.check([Release.Case(receiptCode: "R0", outcome: "approved", feeCents: nil, feePaid: false, openPromises: []), paid])
            Issue.record("a promised material is owed")
        } catch let error as HallError {
            #expect(error.field == "promisedMaterials" && error.message.contains("R1 waits") && error.message.contains("premises-proof (promised by 2026-12-11)"))
        }
    }

    @Test("a result ready on 30 September 2026 is to be collected within 10 working days: across National Day and its Saturday make-up day, by 20 October")
    func collectionDeadline() throws {
        let calendar = try WorkingCalendar.bundled()
        let readyAt = try #require(RFC3339Timestamp.date(from: "2026-09-30T10:00:00+08:00"))
        let onTheDay = Collection.deadline(readyAt: readyAt, today: LocalDate(iso: "2026-10-20")!, calendar: calendar)
        #expect(onTheDay.collectBy == LocalDate(iso: "2026-10-20")! && !onTheDay.overdue)
        #expect(Collection.deadline(readyAt: readyAt, today: LocalDate(iso: "2026-10-21")!, calendar: calendar).overdue)
    }

    @Test("the first agent is recorded; the same one again changes nothing; another one needs the reason; the same agent under another entrustment is a conflict")
    func agency() throws {
        #expect(try Agency.change(current: nil, agentId: "c-li", entrustment: "委托 1", reason: nil, receiptCode: "R1") == .first)
        let current = (agentId: "c-li", entrustment: "委托 1")
        #expect(try Agency.change(current: current, agentId: "c-li", entrustment: "委托 1", reason: nil, receiptCode: "R1") == .unchanged)
        #expect(Self.field { _ = try Agency.change(current: current, agentId: "c-wang", entrustment: "委托 2", reason: nil, receiptCode: "R1") } == "reason")
        #expect(try Agency.change(current: current, agentId: "c-wang", entrustment: "委托 2", reason: "病假", receiptCode: "R1") == .replacing(previous: "c-li"))
        #expect(Self.field { _ = try Agency.change(current: current, agentId: "c-li", entrustment: "委托 9", reason: nil, receiptCode: "R1") } == "entrustmentReference")
    }

    @Test("the public list shows an organisation's name and only a person's family name")
    func publishedApplicant() {
        #expect(PublishedApplicant.shown(kind: .organisation, name: "某建设有限公司") == "某建设有限公司")
        #expect(PublishedApplicant.shown(kind: .person, name: "张三丰") == "张*")
    }
}
