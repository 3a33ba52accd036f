import Foundation
import HallContracts
import HallKit

/// What the events say of one window staff member in a period.
struct StaffFacts: Codable, Sendable, Equatable {
    var staffId: String
    var name: String
    var departmentId: String
    var windowId: String?
    /// Cases they accepted that were completed in the period, and of them on time.
    var completed: Int
    var completedOnTime: Int
    /// Mean over those cases of min(2, (the item's mean handling days in the period + 1) / (the case's + 1)) / 2:
    /// 0.5 is the hall's usual speed for the same items, whatever their difficulty.
    var speedIndex: Double?
    var ratings: FigureRow.RatingCounts
    /// Substantiated complaints about them: of attitude or quality, and of discipline, law, duties, fees or out-of-hall acceptance.
    var attitudeComplaints: Int
    var disciplineComplaints: Int
    var sanctions: Int
}

/// The published formula of the computed dimensions (Art 24), with its weights; each score says
/// how it was reached.
struct AppraisalFormula: Sendable, Equatable, Codable {
    /// Efficiency = 100 × (onTimeWeight × on-time rate + speedWeight × speed index × 2 capped at 1); with no completed case, 100.
    var onTimeWeight = 0.7
    var speedWeight = 0.3
    /// Attitude = the ratings' mean on 100 / 80 / 60 / 30 / 0 (100 without ratings), less `complaintPenalty` per substantiated attitude or quality complaint.
    var complaintPenalty = 10.0
    /// Discipline = 100, less `sanctionPenalty` per sanction and `disciplineComplaintPenalty` per substantiated discipline complaint.
    var sanctionPenalty = 20.0
    var disciplineComplaintPenalty = 10.0
    /// The total: the five dimensions' mean, weighted.
    var weights = Weights()

    struct Weights: Sendable, Equatable, Codable {
        var conduct = 0.2, skills = 0.2, efficiency = 0.2, attitude = 0.2, discipline = 0.2

        var sum: Double { conduct + skills + efficiency + attitude + discipline }
    }

    /// The formula a hall publishes, as JSON: any of the members, the others keeping their
    /// defaults (`{"onTimeWeight":0.6,"speedWeight":0.4,"weights":{"efficiency":0.3,…}}`).
    /// Throws a message naming the member and the rule.
    static func configured(_ json: String) throws -> AppraisalFormula {
        struct Given: Decodable {
            var onTimeWeight, speedWeight, complaintPenalty, sanctionPenalty, disciplineComplaintPenalty: Double?
            var weights: [String: Double]?
        }
        let given: Given
        do {
            given = try JSONDecoder().decode(Given.self, from: Data(json.utf8))
        } catch {
            throw FormulaError("is not a JSON object of the formula's members (onTimeWeight, speedWeight, complaintPenalty, sanctionPenalty, disciplineComplaintPenalty, weights)")
        }
        var formula = AppraisalFormula()
        let members: [(String, WritableKeyPath<AppraisalFormula, Double>, Double?)] = [
            ("onTimeWeight", \.onTimeWeight, given.onTimeWeight), ("speedWeight", \.speedWeight, given.speedWeight),
            ("complaintPenalty", \.complaintPenalty, given.complaintPenalty), ("sanctionPenalty", \.sanctionPenalty, given.sanctionPenalty),
            ("disciplineComplaintPenalty", \.disciplineComplaintPenalty, given.disciplineComplaintPenalty),
        ]
        for case let (name, member, value?) in members {
            guard value.isFinite, value >= 0, value <= 100 else { throw FormulaError("\(name) must be between 0 and 100") }
            formula[keyPath: member] = value
        }
        guard abs(formula.onTimeWeight + formula.speedWeight - 1) < 1e-9 else {
            throw FormulaError("onTimeWeight and speedWeight must add up to 1 (efficiency is out of 100), got \(formula.onTimeWeight + formula.speedWeight)")
        }
        let dimensions: [String: WritableKeyPath<Weights, Double>] = [
            "conduct": \.conduct, "skills": \.skills, "efficiency": \.efficiency, "attitude": \.attitude, "discipline": \.discipline,
        ]
        for (name, value) in given.weights ?? [:] {
            guard let dimension = dimensions[name] else {
                throw FormulaError("weights.\(name) is not one of Art 24's dimensions (conduct, skills, efficiency, attitude, discipline)")
            }
            guard value.isFinite, value >= 0 else { throw FormulaError("weights.\(name) must be a number ≥ 0") }
            formula.weights[keyPath: dimension] = value
        }
        guard formula.weights.sum > 0 else { throw FormulaError("the weights must not all be 0") }
        return formula
    }

    /// Why a configured formula was refused.
    struct FormulaError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Each rating's count with the score of its level.
    static func levelScores(_ ratings: FigureRow.RatingCounts) -> [(count: Int, score: Double)] {
        [(ratings.verySatisfied, 100), (ratings.satisfied, 80), (ratings.basicallySatisfied, 60), (ratings.dissatisfied, 30), (ratings.veryDissatisfied, 0)]
    }

    /// The computed dimensions of `facts`, each with the figures and formula that gave it, in the
    /// API's English or, for the centre's pages, in Chinese.
    func computed(_ facts: StaffFacts, chinese: Bool = false) -> (efficiency: Scored, attitude: Scored, discipline: Scored) {
        func clamp(_ value: Double) -> Double { (min(100, max(0, value)) * 10).rounded() / 10 }
        let efficiency: Scored
        if facts.completed == 0 {
            efficiency = Scored(score: 100, how: chinese ? "本期没有办结的办件：100" : "no case completed in the period: 100")
        } else {
            let rate = Double(facts.completedOnTime) / Double(facts.completed)
            let speed = min(1, (facts.speedIndex ?? 0.5) * 2)
            efficiency = Scored(
                score: clamp(100 * (onTimeWeight * rate + speedWeight * speed)),
                how: String(
                    format: chinese
                        ? "100 × (%.2f × 按时办结 %d/%d + %.2f × 速度 %.2f（与同一事项全厅平均相比）)"
                        : "100 × (%.2f × on-time %d/%d + %.2f × speed %.2f against the same items' hall mean)", onTimeWeight,
                    facts.completedOnTime, facts.completed, speedWeight, speed))
        }
        let levels = Self.levelScores(facts.ratings)
        let rated = levels.reduce(0) { $0 + $1.count }
        let mean = rated == 0 ? 100 : levels.reduce(0.0) { $0 + Double($1.count) * $1.score } / Double(rated)
        let attitude = Scored(
            score: clamp(mean - complaintPenalty * Double(facts.attitudeComplaints)),
            how: String(
                format: chinese
                    ? "%.1f（%d 条评价的平均分）− %.0f × %d 件查实的态度或质量投诉"
                    : "ratings' mean %.1f over %d ratings − %.0f × %d substantiated attitude or quality complaints", mean, rated,
                complaintPenalty, facts.attitudeComplaints))
        let discipline = Scored(
            score: clamp(100 - sanctionPenalty * Double(facts.sanctions) - disciplineComplaintPenalty * Double(facts.disciplineComplaints)),
            how: String(
                format: chinese
                    ? "100 − %.0f × %d 次处理 − %.0f × %d 件查实的违纪投诉"
                    : "100 − %.0f × %d sanctions − %.0f × %d substantiated discipline complaints", sanctionPenalty, facts.sanctions,
                disciplineComplaintPenalty, facts.disciplineComplaints))
        return (efficiency, attitude, discipline)
    }

    /// The weighted total of the five scores.
    func total(_ scores: AppraisalScores) -> Double {
        let sum = weights.sum
        let weighted = weights.conduct * scores.conduct + weights.skills * scores.skills + weights.efficiency * scores.efficiency
            + weights.attitude * scores.attitude + weights.discipline * scores.discipline
        return (weighted / sum * 10).rounded() / 10
    }

    /// 优秀 ≥ 90, 称职 ≥ 75, 基本称职 ≥ 60, 不称职 below.
    static func grade(_ total: Double) -> AppraisalGrade {
        total >= 90 ? .excellent : total >= 75 ? .competent : total >= 60 ? .basicallyCompetent : .unfit
    }
}

/// A score and how it was reached.
struct Scored: Codable, Sendable, Equatable {
    var score: Double
    var how: String
}

/// What the centre enters: conduct and skills (Art 24), with the discipline room's input (Art 44).
struct AppraisalEntry: Codable, Sendable, Equatable {
    var conduct: Double
    var skills: Double
    var note: String?

    func validate() throws {
        if !(0...100).contains(conduct) { throw HallError.invalid("conduct", "is a score from 0 to 100", words: "须为 0 到 100 的分数") }
        if !(0...100).contains(skills) { throw HallError.invalid("skills", "is a score from 0 to 100", words: "须为 0 到 100 的分数") }
        if let note, note.count > 2000 { throw HallError.invalid("note", "is at most 2,000 characters", words: "不超过 2000 字") }
    }
}

/// What the discipline inspection room gives the centre for a staff member's appraisal (Art 44):
/// its findings on conduct and discipline, and optionally the conduct score it suggests. The
/// centre enters the scores; the inputs stay beside them.
struct DisciplineInput: Codable, Sendable, Equatable {
    var note: String
    /// The conduct (思想品德) score the room suggests, 0–100.
    var conduct: Double?
    /// Who gave it (a discipline inspector) and when; set by the service.
    var by: String?
    var at: Date?

    func validate() throws {
        let text = note.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { throw HallError.invalid("note", "the discipline room's input says what it found", words: "纪检监察室意见须写明查明的情况") }
        if note.count > 2000 { throw HallError.invalid("note", "is at most 2,000 characters", words: "不超过 2000 字") }
        if let conduct, !(0...100).contains(conduct) {
            throw HallError.invalid("conduct", "is a suggested score from 0 to 100", words: "建议的思想品德分须为 0 到 100 的分数")
        }
    }
}

/// A staff member's appraisal of a period: the computed dimensions, the entered ones, and — once
/// finalised — the total, the grade and the recommendation.
struct StaffAppraisal: Codable, Sendable, Equatable {
    var facts: StaffFacts
    var period: String
    var periodStart: HallDate
    var efficiency: Scored
    var attitude: Scored
    var discipline: Scored
    var entry: AppraisalEntry?
    /// The discipline room's inputs (Art 44), oldest first.
    var disciplineInputs: [DisciplineInput]
    /// Once conduct and skills are entered.
    var total: Double?
    var grade: AppraisalGrade?
    var finalised: Finalised?

    struct Finalised: Codable, Sendable, Equatable {
        var by: String
        var at: Date
        var replacementRecommended: Bool
    }

    init(
        facts: StaffFacts, period: FigurePeriod, start: HallDate, entry: AppraisalEntry?, finalised: Finalised?, formula: AppraisalFormula,
        disciplineInputs: [DisciplineInput] = []
    ) {
        let (efficiency, attitude, discipline) = formula.computed(facts)
        (self.facts, self.period, self.periodStart, self.entry, self.finalised) = (facts, period.rawValue, start, entry, finalised)
        self.disciplineInputs = disciplineInputs
        (self.efficiency, self.attitude, self.discipline) = (efficiency, attitude, discipline)
        if let scores {
            total = formula.total(scores)
            grade = total.map(AppraisalFormula.grade)
        }
    }

    /// The five scores, once conduct and skills are entered.
    var scores: AppraisalScores? {
        entry.map {
            AppraisalScores(conduct: $0.conduct, skills: $0.skills, efficiency: efficiency.score, attitude: attitude.score, discipline: discipline.score)
        }
    }
}

/// An appraisal period: a month or a year of the hall's calendar, named by its first day.
struct AppraisalPeriod: Sendable, Equatable {
    var period: FigurePeriod
    var start: HallDate
    var end: HallDate

    init(period: String?, start: String?) throws {
        guard let period, let kind = FigurePeriod(rawValue: period), kind != .day else {
            throw HallError.invalid("period", "is month or year", words: "须为月度（month）或年度（year）")
        }
        guard let start, let first = LocalDateText.parse(start) else {
            throw HallError.invalid("start", "is the period's first day, YYYY-MM-DD", words: "须为考核期的第一天，格式 YYYY-MM-DD")
        }
        let (year, month, day) = first
        if day != 1 || (kind == .year && month != 1) {
            throw HallError.invalid(
                "start", "is the first day of a \(kind.rawValue) (YYYY-MM-01, or YYYY-01-01 for a year)",
                words: kind == .year ? "须为年初第一天（YYYY-01-01）" : "须为月初第一天（YYYY-MM-01）")
        }
        let (endYear, endMonth) = kind == .year ? (year, 12) : (year, month)
        let lastDay = [31, (endYear % 4 == 0 && (endYear % 100 != 0 || endYear % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][endMonth - 1]
        guard let startDate = HallDate(start), let endDate = HallDate(String(format: "%04d-%02d-%02d", endYear, endMonth, lastDay)) else {
            throw HallError.invalid("start", "is a calendar day", words: "须为有效的日期")
        }
        (self.period, self.start, self.end) = (kind, startDate, endDate)
    }
}

/// `YYYY-MM-DD` into its numbers.
enum LocalDateText {
    static func parse(_ text: String) -> (Int, Int, Int)? {
        guard HallDate(text) != nil else { return nil }
        let parts = text.split(separator: "-").compactMap { Int($0) }
        return parts.count == 3 ? (parts[0], parts[1], parts[2]) : nil
    }
}
