import Foundation
import HallCalendar
import HallContracts
import HallKit
import Testing

@testable import coordinator

/// The clock's arithmetic on the official 2026 calendar (Spring Festival 15–23 Feb, adjusted working
/// Saturdays 14 and 28 Feb), with instants in Asia/Shanghai.
@Suite("Case clock")
struct CaseClockTests {
    let clock = CaseClock(calendar: try! WorkingCalendar.bundled(), warningShare: 0.8, participantMarginDays: 1)

    func day(_ text: String) -> LocalDate { LocalDate(iso: text)! }
    func instant(_ text: String) -> Date { RFC3339Timestamp.date(from: text)! }

    @Test("a participant's sub-deadline is one working day before the due date, across the Spring Festival; the lead's is the due date")
    func subDeadlines() {
        // Accepted Friday 13 Feb: 10 working days end on Thursday 5 Mar (14 and 28 Feb are working Saturdays).
        let due = clock.calendar.addingWorkingDays(10, after: day("2026-02-13")).value
        #expect(due == day("2026-03-05"))
        #expect(clock.subDeadline(role: .participant, accepted: day("2026-02-13"), due: due) == day("2026-03-04"))
        #expect(clock.subDeadline(role: .lead, accepted: day("2026-02-13"), due: due) == due)
        // Before the holiday the working day before 24 Feb is the adjusted Saturday 14 Feb.
        #expect(clock.subDeadline(role: .participant, accepted: day("2026-02-12"), due: day("2026-02-24")) == day("2026-02-14"))
    }

    @Test("a one-day limit leaves no margin: the participant's sub-deadline is the due date, never the day of acceptance")
    func shortLimit() {
        #expect(clock.subDeadline(role: .participant, accepted: day("2026-03-02"), due: day("2026-03-03")) == day("2026-03-03"))
    }

    @Test("the warning falls when 80% of the working days are used: the start of the first of the last 20%")
    func warning() {
        // 10 working days from Mon 2 Mar end Mon 16 Mar; 8 are used at the start of Fri 13 Mar (Shanghai midnight).
        #expect(clock.warningInstant(start: day("2026-03-02"), end: day("2026-03-16")) == instant("2026-03-12T16:00:00.000Z"))
        // Across the Spring Festival: the last two working days are 4 and 5 Mar.
        #expect(clock.warningInstant(start: day("2026-02-13"), end: day("2026-03-05")) == instant("2026-03-03T16:00:00.000Z"))
        // One working day: the warning opens the last day.
        #expect(clock.warningInstant(start: day("2026-03-02"), end: day("2026-03-03")) == instant("2026-03-02T16:00:00.000Z"))
        #expect(clock.warningInstant(start: day("2026-03-02"), end: day("2026-03-02")) == nil)
    }

    @Test("a period is overdue from the start of the next day in Shanghai")
    func overdue() {
        #expect(clock.overdueInstant(end: day("2026-03-16")) == instant("2026-03-16T16:00:00.000Z"))
    }

    @Test("a suspension costs the working days after the day it started up to the day it ended; the due date moves by them")
    func suspension() {
        // Suspended Fri 13 Feb, resumed Wed 25 Feb: 14 Feb (adjusted Saturday), 24 and 25 Feb.
        let days = clock.suspendedWorkingDays(since: instant("2026-02-13T02:00:00.000Z"), until: instant("2026-02-25T02:00:00.000Z"))
        #expect(days == 3)
        #expect(clock.moved(day("2026-03-05"), by: days) == day("2026-03-10"))
        #expect(clock.suspendedWorkingDays(since: instant("2026-03-02T01:00:00.000Z"), until: instant("2026-03-02T09:00:00.000Z")) == 0)
    }

    @Test("on time means sealed on or before the due date, in Shanghai time")
    func onTime() {
        #expect(clock.isOnTime(completedAt: instant("2026-03-05T15:59:59.000Z"), due: day("2026-03-05")))
        #expect(!clock.isOnTime(completedAt: instant("2026-03-05T16:00:01.000Z"), due: day("2026-03-05")))
    }

    @Test("opinions: a denial needs reasons, needs-supplement a list, an approval asks for nothing")
    func opinions() throws {
        func check(_ opinion: TaskOpinion, reasons: [String] = [], supplements: [SupplementItem] = []) -> String? {
            do {
                try OpinionInput(opinion: opinion, reasons: reasons, supplements: supplements, officerId: "o", countersignedBy: nil).validate()
                return nil
            } catch let refusal as CommandRefusal {
                return refusal.field
            } catch {
                return "?"
            }
        }
        #expect(check(.approve) == nil)
        #expect(check(.deny) == "reasons")
        #expect(check(.deny, reasons: ["  "]) == "reasons")
        #expect(check(.deny, reasons: ["消防设计不符合规范"]) == nil)
        #expect(check(.needsSupplement) == "supplements")
        #expect(check(.approve, supplements: [SupplementItem(material: "图纸", needed: "盖章原件")]) == "supplements")
    }

    @Test("a denial decision lists every department's reason and carries its number; its hash is the SHA-256 of its text")
    func denialDocument() {
        let summary = CaseSummary(
            caseId: "c-1", receiptCode: "R1", noticeNumber: "2026-000001", itemCode: "JOINT-001", itemVersion: 1, itemName: "联合审批",
            applicantName: "某公司", leadDepartmentId: "d-build")
        let reasons = [DepartmentReason(departmentId: "d-fire", reason: "消防通道宽度不足"), DepartmentReason(departmentId: "d-env", reason: "未提交环评")]
        let at = instant("2026-03-02T02:00:00.000Z")
        let number = DecisionNumbers.format(code: "县住建许", year: 2026, number: 7)
        #expect(number == "县住建许〔2026〕7号")
        let document = DecisionDocument.denial(case: summary, reasons: reasons, number: number, decidedAt: at)
        #expect(document.kind == .denialDecision && document.departmentId == "d-build" && document.number == number)
        #expect(document.text.contains("消防通道宽度不足") && document.text.contains("未提交环评") && document.text.contains(number))
        #expect(document.sha256.count == 64 && document.sha256 == DecisionDocument.denial(case: summary, reasons: reasons, number: number, decidedAt: at).sha256)
        #expect(document.sha256 != DecisionDocument.denial(case: summary, reasons: reasons, number: "县住建许〔2026〕8号", decidedAt: at).sha256, "the number is sealed with the text")
        #expect(document.sha256 != DecisionDocument.approval(case: summary, departmentId: "d-build", number: number, decidedAt: at).sha256)
    }

    @Test("settings: defaults, and a bad value is one error naming the variable")
    func settings() throws {
        let defaults = try CoordinatorSettings(environment: EnvironmentReader([:]))
        #expect(defaults.warningShare == 0.8 && defaults.participantMarginDays == 1 && defaults.timerInterval == .milliseconds(500))
        do {
            _ = try CoordinatorSettings(environment: EnvironmentReader(["HALL_COORDINATOR_WARNING_SHARE": "1.5"]))
            Issue.record("a share above 1 was accepted")
        } catch let error as ConfigurationError {
            #expect(error.key == "HALL_COORDINATOR_WARNING_SHARE" && error.description.contains("(0, 1]"))
        }
    }
}
