import Foundation
import HallCalendar
import HallContracts
import HallKit

/// What the figures are counted by.
enum FigureDimension: String, Codable, Sendable, CaseIterable {
    /// The staff member: the clerk who answered at the window; a complaint or sanction about them.
    case staff
    /// The window the case was answered at; a complaint about it.
    case window
    /// The item's lead department; a complaint about it; the department a sanction concerns.
    case department
    /// The catalogue item.
    case item
}

/// The length of a figure's period, in the hall's calendar (Asia/Shanghai).
enum FigurePeriod: String, Codable, Sendable, CaseIterable {
    case day, month, year
}

/// The figures of one key (a staff member, window, department or item) in one period. Counted from
/// events only, each once: a replay of every topic into a fresh schema gives the same rows.
struct FigureRow: Codable, Sendable, Equatable {
    /// The first day of the period.
    var period: HallDate
    var key: String
    /// Applications answered at the window, by outcome (the day of the answer).
    var accepted: Int
    var refused: Int
    var correctionNotified: Int
    /// Cases completed (the day of the last seal), and of them on time (seal time ≤ due date after
    /// suspensions and extensions).
    var completed: Int
    var completedOnTime: Int
    /// `completedOnTime / completed`, none without completions.
    var onTimeRate: Double?
    /// Working days from acceptance to the last seal, less the days the clock stood still: mean and
    /// 90th percentile (continuous) of the cases completed.
    var handlingDaysMean: Double?
    var handlingDaysP90: Double?
    /// Complaints about the key concluded substantiated or partly (the day of the conclusion in force).
    var complaintsSubstantiated: Int
    /// Sanctions decided on the key (on a staff member, or concerning a department).
    var sanctions: Int
    /// Ratings of the key's cases by level (the day of the rating); struck ratings and ratings held
    /// by the integrity check are not counted.
    var ratings: RatingCounts = .init()
    /// Completed cases not rated within the rating period, counted as basically satisfied when the
    /// hall's policy says so (`HALL_APPRAISAL_UNRATED`), on the day the period ended.
    var unratedCountedBasicallySatisfied = 0
    /// Bad ratings' rectifications done (replied), and of them with every step by its day.
    var rectificationsDone = 0
    var rectificationsDoneOnTime = 0
    /// The rectification rate (整改率): rectifications done in the period over the bad ratings
    /// counted in it (every bad rating not struck or held opens one), none without bad ratings; and
    /// of those done, the share with every step by its day. Set by ``withRectificationRates()``.
    var rectificationRate: Double?
    var rectificationOnTimeRate: Double?

    /// The row with its rectification rates computed from its counts.
    func withRectificationRates() -> FigureRow {
        var row = self
        let bad = ratings.dissatisfied + ratings.veryDissatisfied
        row.rectificationRate = bad > 0 ? Double(rectificationsDone) / Double(bad) : nil
        row.rectificationOnTimeRate = rectificationsDone > 0 ? Double(rectificationsDoneOnTime) / Double(rectificationsDone) : nil
        return row
    }

    /// Ratings by level.
    struct RatingCounts: Codable, Sendable, Equatable {
        var verySatisfied = 0
        var satisfied = 0
        var basicallySatisfied = 0
        var dissatisfied = 0
        var veryDissatisfied = 0
    }

    static let csvHeader =
        "period,key,accepted,refused,correctionNotified,completed,completedOnTime,onTimeRate,handlingDaysMean,handlingDaysP90,complaintsSubstantiated,sanctions,"
        + "verySatisfied,satisfied,basicallySatisfied,dissatisfied,veryDissatisfied,unratedCountedBasicallySatisfied,rectificationsDone,rectificationsDoneOnTime,"
        + "rectificationRate,rectificationOnTimeRate"

    /// The row as a CSV line (RFC 4180).
    var csvLine: String {
        let number = CSV.number
        return [
            period.description, CSV.field(key), "\(accepted)", "\(refused)", "\(correctionNotified)", "\(completed)", "\(completedOnTime)",
            number(onTimeRate), number(handlingDaysMean), number(handlingDaysP90), "\(complaintsSubstantiated)", "\(sanctions)",
            "\(ratings.verySatisfied)", "\(ratings.satisfied)", "\(ratings.basicallySatisfied)", "\(ratings.dissatisfied)", "\(ratings.veryDissatisfied)",
            "\(unratedCountedBasicallySatisfied)", "\(rectificationsDone)", "\(rectificationsDoneOnTime)", number(rectificationRate),
            number(rectificationOnTimeRate),
        ].joined(separator: ",")
    }
}

/// A request for figures: by what, per which period, over which days (inclusive), one key or all.
struct FiguresQuery: Sendable, Equatable {
    var dimension: FigureDimension
    var period: FigurePeriod
    var from: HallDate
    var to: HallDate
    var key: String?

    /// The longest range asked at once: ten years of days.
    static let maximumDays = 3_660

    /// The query from the URL's parameters, or a refusal naming the parameter.
    init(by: String?, period: String?, from: String?, to: String?, key: String?) throws {
        guard let by, let dimension = FigureDimension(rawValue: by) else {
            throw HallError.invalid(
                "by", "is one of \(FigureDimension.allCases.map(\.rawValue).joined(separator: ", "))",
                words: "须为以下之一：\(FigureDimension.allCases.map(\.rawValue).joined(separator: "、"))")
        }
        guard let period = FigurePeriod(rawValue: period ?? "day") else {
            throw HallError.invalid(
                "period", "is one of \(FigurePeriod.allCases.map(\.rawValue).joined(separator: ", ")) (default day)",
                words: "须为以下之一：\(FigurePeriod.allCases.map(\.rawValue).joined(separator: "、"))（默认 day）")
        }
        guard let fromText = from, let from = HallDate(fromText), let fromDay = LocalDate(iso: from.description) else {
            throw HallError.invalid("from", "is the first day, YYYY-MM-DD", words: "须为开始日期，格式 YYYY-MM-DD")
        }
        guard let toText = to, let to = HallDate(toText), let toDay = LocalDate(iso: to.description) else {
            throw HallError.invalid("to", "is the last day, YYYY-MM-DD", words: "须为结束日期，格式 YYYY-MM-DD")
        }
        if toDay < fromDay { throw HallError.invalid("to", "is on or after from", words: "不得早于开始日期") }
        if fromDay.distance(to: toDay) >= Self.maximumDays {
            throw HallError.invalid("to", "is at most \(Self.maximumDays) days after from", words: "距开始日期不得超过 \(Self.maximumDays) 天")
        }
        if let key, key.isEmpty || key.count > 200 {
            throw HallError.invalid("key", "names one staff member, window, department or item", words: "须为一名工作人员、一个窗口、部门或事项的编号")
        }
        (self.dimension, self.period, self.from, self.to, self.key) = (dimension, period, from, to, key)
    }
}

/// How a completed case's handling time is counted.
enum HandlingTime {
    /// Working days from acceptance to completion (the day of acceptance not counted), less the
    /// working days the clock stood still; never below zero.
    static func workingDays(acceptedAt: Date, completedAt: Date, suspended: Int, calendar: WorkingCalendar) -> Int {
        max(0, calendar.workingDays(from: acceptedAt, to: completedAt).value - suspended)
    }
}

/// RFC 4180 fields for the CSV files the centre downloads.
enum CSV {
    /// A text field: quoted when it holds a comma, a quote or a line break.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number with four decimals; empty when there is none.
    static func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "" }
}

/// Values counted by how many times each occurs (handling days, or hours rounded up): the mean
/// and the percentiles of any period from its days' counts, as PostgreSQL's `avg` and
/// `percentile_cont` would give over the values themselves.
struct ValueCounts: Sendable, Equatable {
    /// Value → how many times.
    var counts: [Int: Int] = [:]

    init(_ counts: [Int: Int] = [:]) { self.counts = counts.filter { $0.value > 0 } }

    /// From parallel arrays of values and counts (as a query returns them).
    init(values: [Int], counts: [Int]) {
        var merged: [Int: Int] = [:]
        for (value, count) in zip(values, counts) { merged[value, default: 0] += count }
        self.init(merged)
    }

    var total: Int { counts.values.reduce(0, +) }

    var mean: Double? {
        let total = total
        guard total > 0 else { return nil }
        return Double(counts.reduce(0) { $0 + $1.key * $1.value }) / Double(total)
    }

    /// The continuous percentile (`fraction` in 0…1): the value at position `fraction × (n − 1)` of
    /// the sorted values, interpolated between its neighbours.
    func percentile(_ fraction: Double) -> Double? {
        let total = total
        guard total > 0 else { return nil }
        let position = fraction * Double(total - 1)
        let below = Int(position.rounded(.down)), above = Int(position.rounded(.up))
        var seen = 0
        var lower: Int?, upper: Int?
        for (value, count) in counts.sorted(by: { $0.key < $1.key }) {
            seen += count
            if lower == nil, below < seen { lower = value }
            if above < seen { upper = value; break }
        }
        guard let lower, let upper else { return nil }
        return Double(lower) + (position - Double(below)) * Double(upper - lower)
    }
}
