import Foundation
import HallCalendar

/// The centre's view of every department's open work (Art 28; the silent departments): what each
/// has open, what is overdue or due today, and the warnings and escalations still standing on it.
struct CentreOverview: Codable, Sendable {
    /// The hall date the figures are counted on.
    var asOf: String
    /// The most overdue first (then the most silent escalations, then by id).
    var departments: [DepartmentOverview]

    struct DepartmentOverview: Codable, Sendable {
        var departmentId: String
        /// Tasks not countersigned yet (open or with the officer's opinion).
        var openTasks: Int
        /// With the officer's opinion, waiting for the chief representative's countersignature.
        var awaitingCountersign: Int
        /// Past their sub-deadline.
        var overdueTasks: Int
        var dueToday: Int
        /// Alerts standing on the open tasks, by kind: warning (before the sub-deadline), overdue
        /// (escalated to the lead department), silent (escalated to the centre).
        var warnings: Int
        var escalations: Int
        var silentEscalations: Int
        /// The open tasks, the earliest sub-deadline first (at most `maximumLines`).
        var tasks: [Line]
    }

    struct Line: Codable, Sendable {
        var taskId: String
        var caseId: String
        var receiptCode: String
        var itemName: String
        var role: String
        var state: String
        var subDeadline: String
        /// Working days are not counted here: the calendar days past the sub-deadline, when past.
        var daysOverdue: Int?
        /// The kinds of alert standing on the task.
        var alerts: [String]
        var priority: Bool
    }

    static let maximumLines = 50

    /// The overview of `tasks` (open or awaiting countersignature) and the `alerts` on them, on
    /// `today`; `departments` are listed even when they have nothing open.
    init(tasks: [TaskView], alerts: [AlertView], departments: [String] = [], today: LocalDate) {
        asOf = today.description
        let open = tasks.filter { $0.state == "open" || $0.state == "opinion-given" }
        let standing = Dictionary(grouping: alerts.filter { alert in open.contains { $0.taskId == alert.subject } }, by: \.subject)
        var byDepartment = Dictionary(grouping: open, by: \.departmentId)
        for department in departments where byDepartment[department] == nil { byDepartment[department] = [] }
        self.departments = byDepartment.map { department, tasks in
            let lines = tasks.sorted { ($0.subDeadline, $0.taskId) < ($1.subDeadline, $1.taskId) }.map { task -> Line in
                let due = LocalDate(iso: task.subDeadline)
                let late = due.map { $0 < today ? $0.distance(to: today) : nil } ?? nil
                return Line(
                    taskId: task.taskId, caseId: task.caseId, receiptCode: task.receiptCode, itemName: task.itemName, role: task.role, state: task.state,
                    subDeadline: task.subDeadline, daysOverdue: late, alerts: (standing[task.taskId] ?? []).map(\.kind).sorted(), priority: task.priority)
            }
            let kinds = lines.flatMap(\.alerts)
            return DepartmentOverview(
                departmentId: department, openTasks: lines.count, awaitingCountersign: lines.filter { $0.state == "opinion-given" }.count,
                overdueTasks: lines.filter { $0.daysOverdue != nil }.count, dueToday: lines.filter { $0.subDeadline == today.description }.count,
                warnings: kinds.filter { $0 == "warning" }.count, escalations: kinds.filter { $0 == "overdue" }.count,
                silentEscalations: kinds.filter { $0 == "silent" }.count, tasks: Array(lines.prefix(Self.maximumLines)))
        }.sorted { ($1.overdueTasks, $1.silentEscalations, $0.departmentId) < ($0.overdueTasks, $0.silentEscalations, $1.departmentId) }
    }
}
