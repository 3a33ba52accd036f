import Foundation
import HallContracts
import HallKit

/// The centre's statistics over a range of days (Art 4(3)): volumes by channel, department and
/// window, timeliness, the
/// cases overdue now, hot items, the slowest departments' steps, and the trend by month.
struct Statistics: Codable, Sendable, Equatable {
    struct ChannelVolume: Codable, Sendable, Equatable {
        var channel: String
        var accepted: Int
    }
    /// A department's or a window's volume in the range: answered at the window, completed, on time.
    struct UnitVolume: Codable, Sendable, Equatable {
        var key: String
        var accepted: Int
        var refused: Int
        var correctionNotified: Int
        var completed: Int
        var completedOnTime: Int
    }
    struct Timeliness: Codable, Sendable, Equatable {
        var completed: Int
        var completedOnTime: Int
        var onTimeRate: Double?
        var handlingDaysMean: Double?
        var handlingDaysP90: Double?
    }
    /// A case past its due date (after suspensions and extensions) and not complete.
    struct OverdueCase: Codable, Sendable, Equatable {
        var receiptCode: String
        var itemCode: String
        var departmentId: String
        var windowId: String?
        var dueDate: HallDate
        /// Working days since the due date.
        var workingDaysOverdue: Int
    }
    struct Overdue: Codable, Sendable, Equatable {
        var count: Int
        /// The most overdue first, at most 100.
        var cases: [OverdueCase]
    }
    struct ItemVolume: Codable, Sendable, Equatable {
        var itemCode: String
        var name: String?
        var accepted: Int
        /// The day from which the item is withdrawn from the catalogue (Art 7); absent while it is offered.
        var withdrawnFrom: HallDate?
    }
    /// A department's opinions on its tasks: elapsed hours from the task's assignment to the opinion.
    struct StepTime: Codable, Sendable, Equatable {
        var departmentId: String
        var opinions: Int
        var hoursMean: Double
        var hoursP90: Double
    }
    struct MonthTrend: Codable, Sendable, Equatable {
        var month: HallDate
        var accepted: Int
        var completed: Int
        var badRatings: Int
        var complaintsSubstantiated: Int
    }

    var from: HallDate
    var to: HallDate
    var channels: [ChannelVolume]
    /// By department (the case's lead) and by window, most accepted first.
    var departments: [UnitVolume] = []
    var windows: [UnitVolume] = []
    var timeliness: Timeliness
    /// As of today (not limited to the range).
    var overdueNow: Overdue
    /// The ten items most accepted.
    var hotItems: [ItemVolume]
    /// The ten departments slowest to give their opinions.
    var slowestSteps: [StepTime]
    var trends: [MonthTrend]

    /// The sections a CSV file can hold.
    enum Section: String, CaseIterable {
        case channels, departments, windows, timeliness, overdue, hotItems = "hot-items", slowestSteps = "slowest-steps", trends
    }

    /// One section as CSV (RFC 4180), header first.
    func csv(_ section: Section) -> String {
        let (field, number) = (CSV.field, CSV.number)
        let lines: [String]
        switch section {
        case .channels:
            lines = ["channel,accepted"] + channels.map { "\(field($0.channel)),\($0.accepted)" }
        case .departments, .windows:
            lines = ["key,accepted,refused,correctionNotified,completed,completedOnTime"]
                + (section == .departments ? departments : windows).map {
                    "\(field($0.key)),\($0.accepted),\($0.refused),\($0.correctionNotified),\($0.completed),\($0.completedOnTime)"
                }
        case .timeliness:
            lines = [
                "completed,completedOnTime,onTimeRate,handlingDaysMean,handlingDaysP90",
                "\(timeliness.completed),\(timeliness.completedOnTime),\(number(timeliness.onTimeRate)),\(number(timeliness.handlingDaysMean)),\(number(timeliness.handlingDaysP90))",
            ]
        case .overdue:
            lines = ["receiptCode,itemCode,departmentId,windowId,dueDate,workingDaysOverdue"]
                + overdueNow.cases.map {
                    [field($0.receiptCode), field($0.itemCode), field($0.departmentId), field($0.windowId ?? ""), $0.dueDate.description, "\($0.workingDaysOverdue)"]
                        .joined(separator: ",")
                }
        case .hotItems:
            lines = ["itemCode,name,accepted,withdrawnFrom"] + hotItems.map {
                "\(field($0.itemCode)),\(field($0.name ?? "")),\($0.accepted),\($0.withdrawnFrom?.description ?? "")"
            }
        case .slowestSteps:
            lines = ["departmentId,opinions,hoursMean,hoursP90"] + slowestSteps.map {
                "\(field($0.departmentId)),\($0.opinions),\(number($0.hoursMean)),\(number($0.hoursP90))"
            }
        case .trends:
            lines = ["month,accepted,completed,badRatings,complaintsSubstantiated"] + trends.map {
                "\($0.month),\($0.accepted),\($0.completed),\($0.badRatings),\($0.complaintsSubstantiated)"
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
