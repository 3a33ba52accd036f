import Foundation
import HallCalendar
import HallContracts

/// The working-day arithmetic of a case's clock: sub-deadlines, when warnings and escalations
/// fall due, what a suspension costs, and whether a completion was on time. Pure functions of the
/// official calendar, so every instance (and every test) computes the same instants.
struct CaseClock: Sendable {
    let calendar: WorkingCalendar
    /// Share of a period's working days used at which a warning is raised (0 < share ≤ 1).
    let warningShare: Double
    /// Working days a participant's sub-deadline lies before the case's due date, leaving the lead
    /// department time to assemble the decision.
    let participantMarginDays: Int
    /// Working days an escalated participant task may stay silent before it goes to the centre.
    let silentDays: Int

    init(calendar: WorkingCalendar, warningShare: Double = 0.8, participantMarginDays: Int = 1, silentDays: Int = 2) {
        self.calendar = calendar
        self.silentDays = silentDays
        self.warningShare = warningShare
        self.participantMarginDays = participantMarginDays
    }

    /// The share as a whole percentage, for events.
    var sharePercent: Int { Int((warningShare * 100).rounded()) }

    /// A participant's sub-deadline: `participantMarginDays` working days before the due date, but
    /// never before the first working day after acceptance (short limits leave no margin). The lead's
    /// sub-deadline is the due date itself.
    func subDeadline(role: TaskRole, accepted: LocalDate, due: LocalDate) -> LocalDate {
        guard role == .participant, participantMarginDays > 0 else { return due }
        let earliest = calendar.addingWorkingDays(1, after: accepted).value
        let shifted = calendar.subtractingWorkingDays(participantMarginDays, before: due).value
        return max(min(shifted, due), min(earliest, due))
    }

    /// When a period from `start` (not counted) to `end` (its last day) has used the warning share
    /// of its working days: the start of the day after which only `remaining` working days are left,
    /// where `remaining = total − ⌈share × total⌉`. With nothing remaining the warning falls at the
    /// start of the last day. `nil` for an empty period.
    func warningInstant(start: LocalDate, end: LocalDate) -> Date? {
        let total = calendar.workingDays(from: start, to: end).value
        guard total > 0 else { return nil }
        let used = Int((Double(total) * warningShare - 1e-9).rounded(.up))
        let remaining = max(0, total - max(1, used))
        if remaining == 0 { return calendar.workingDay(onOrBefore: end).value.startInstant }
        // The first of the last `remaining` working days of the period starts the warning.
        let firstOfRemaining = calendar.subtractingWorkingDays(remaining, before: end.adding(days: 1)).value
        return firstOfRemaining.startInstant
    }

    /// The instant a period ending on `end` is overdue: the start of the next day (Asia/Shanghai).
    func overdueInstant(end: LocalDate) -> Date { end.endInstant }

    /// The instant a participant task overdue since its sub-deadline `end` (escalated to the lead
    /// department then) has stayed silent ``silentDays`` more working days: the start of the day
    /// after the last of them; then it is escalated to the hall centre.
    func silentInstant(end: LocalDate) -> Date { moved(end, by: silentDays).endInstant }

    /// The working days a clock stood still: those strictly after the hall date of `since` up to
    /// and including that of `until` (suspended and resumed the same day costs nothing).
    func suspendedWorkingDays(since: Date, until: Date) -> Int {
        calendar.workingDays(from: since, to: until).value
    }

    /// `date` moved by `n` working days (the due date after a resume or an extension).
    func moved(_ date: LocalDate, by n: Int) -> LocalDate {
        n == 0 ? date : calendar.addingWorkingDays(n, after: date).value
    }

    /// Whether a case sealed at `completedAt` met `due`: its hall date is not after the due date.
    func isOnTime(completedAt: Date, due: LocalDate) -> Bool {
        LocalDate.inHall(completedAt) <= due
    }
}
