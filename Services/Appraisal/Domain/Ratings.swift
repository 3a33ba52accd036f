import Foundation
import HallCalendar
import HallContracts
import HallKit

/// A rating as the applicant submits it.
struct RatingSubmission: Codable, Sendable {
    var receiptCode: String
    /// The applicant's identity number: checked against the case, never stored.
    var idNumber: String
    var level: RatingLevel
    var comment: String?
    var channel: RatingChannel

    static let maximumComment = 500

    /// The submission's form.
    func validate() throws {
        if receiptCode.isEmpty || receiptCode.count > 64 {
            throw HallError.invalid("receiptCode", "is the receipt code on the acceptance notice", words: "须为受理通知书上的受理编号")
        }
        try Self.validate(idNumber: idNumber, comment: comment)
    }

    /// The rater's identity number and comment, of a case's rating or a bundle's.
    static func validate(idNumber: String, comment: String?) throws {
        if idNumber.trimmingCharacters(in: .whitespaces).isEmpty || idNumber.count > 64 {
            throw HallError.invalid(
                "idNumber", "is the applicant's identity number (or the organisation's code)", words: "须为申请人的身份证件号码（或单位的统一社会信用代码）")
        }
        if let comment, comment.count > maximumComment {
            throw HallError.invalid("comment", "is at most \(maximumComment) characters", words: "不超过 \(maximumComment) 字")
        }
    }
}

/// What the rules need of the rated case.
struct RatedCase: Sendable, Equatable {
    var caseId: String
    var receiptCode: String
    var itemCode: String
    var departmentId: String
    var windowId: String?
    var staffId: String?
    /// The applicant's check from the acceptance; none when the case's acceptance is not known yet.
    var applicantCheck: String?
    /// The last seal; none while the case is being handled.
    var completedAt: Date?
    /// The bundle (一件事) the case was accepted in: rated as a whole, never case by case.
    var bundleId: String? = nil
}

/// A rating of a bundle (一件事一次办) as the applicant submits it: the whole bundle, once.
struct BundleRatingSubmission: Codable, Sendable {
    var bundleId: String
    /// The applicant's identity number: checked against every case of the bundle, never stored.
    var idNumber: String
    var level: RatingLevel
    var comment: String?
    var channel: RatingChannel

    /// The submission's form.
    func validate() throws {
        if bundleId.isEmpty || bundleId.count > 64 {
            throw HallError.invalid("bundleId", "is the bundle's number on the acceptance notices", words: "须为受理通知书上的一件事套餐编号")
        }
        try RatingSubmission.validate(idNumber: idNumber, comment: comment)
    }
}

/// What the rules need of a rated bundle: its cases as the hall knows them, and how many it has.
struct RatedBundle: Sendable, Equatable {
    var bundleId: String
    /// The number of cases accepted in the bundle (from the acceptances); none when no acceptance is known.
    var size: Int?
    var cases: [RatedCase]
}

/// The answer to a bundle's rating: the rating recorded for each of its cases.
struct BundleRatingAnswer: Codable, Sendable, Equatable {
    var bundleId: String
    var level: RatingLevel
    var heldForReview: Bool
    /// One per case, each counted for its own department, window and clerk; a bad one opens each department's rectification.
    var ratings: [RatingAnswer]
}

/// The 好差评 rules (国办发〔2019〕51号): one rating per completed case, by its applicant, within
/// the rating period after completion.
struct RatingRules: Sendable {
    var check: ApplicantCheck
    /// Natural days after completion during which a case can be rated.
    var ratingDays: Int

    /// Why `submission` may not rate `rated` (already rated: `alreadyRated`), or nothing.
    func refusal(_ submission: RatingSubmission, rated: RatedCase?, alreadyRated: Bool, at: Date) -> HallError? {
        guard let rated else {
            return HallError(
                .notFound, "no completed case with this receipt code is known to the hall", field: "receiptCode", words: "未找到这个受理编号的已办结办件")
        }
        guard let applicantCheck = rated.applicantCheck, check.matches(applicantCheck, idNumber: submission.idNumber) else {
            return HallError(
                .forbidden, "a case is rated by its applicant: the identity number is not the applicant's", field: "idNumber",
                words: "办件由申请人本人评价：这个身份证件号码不是申请人的")
        }
        guard let completedAt = rated.completedAt else {
            return HallError(
                .conflict, "the case is not complete yet; it is rated once its decision is sealed", field: "receiptCode",
                words: "办件尚未办结：审批决定加盖审批专用章后方可评价")
        }
        if let bundle = rated.bundleId {
            return HallError(
                .conflict, "the case was accepted in bundle \(bundle) (一件事): the bundle is rated once, as a whole", field: "receiptCode",
                words: "这个办件属于一件事套餐 \(bundle)：套餐作为整体评价一次")
        }
        if alreadyRated {
            return HallError(.conflict, "the case is already rated: one rating per case", field: "receiptCode", words: "这个办件已经评价过：每个办件只能评价一次")
        }
        if at > completedAt.addingTimeInterval(Double(ratingDays) * 86_400) {
            return HallError(
                .conflict, "the rating period ended \(ratingDays) days after completion", field: "receiptCode",
                words: "评价期限已过：办结后 \(ratingDays) 日内可以评价")
        }
        return nil
    }

    /// Why `submission` may not rate `bundle` (already rated: `alreadyRated`), or nothing: the
    /// bundle is rated by its applicant once every case of it is complete, within the rating
    /// period after the last completion.
    func refusal(_ submission: BundleRatingSubmission, bundle: RatedBundle, alreadyRated: Bool, at: Date) -> HallError? {
        guard let size = bundle.size, !bundle.cases.isEmpty else {
            return HallError(.notFound, "no bundle with this number is known to the hall", field: "bundleId", words: "未找到这个编号的一件事套餐")
        }
        guard bundle.cases.allSatisfy({ $0.applicantCheck.map { check.matches($0, idNumber: submission.idNumber) } ?? false }) else {
            return HallError(
                .forbidden, "a bundle is rated by its applicant: the identity number is not the applicant's", field: "idNumber",
                words: "一件事套餐由申请人本人评价：这个身份证件号码不是申请人的")
        }
        let completed = bundle.cases.compactMap(\.completedAt)
        guard completed.count == bundle.cases.count, bundle.cases.count >= size, let last = completed.max() else {
            return HallError(
                .conflict, "the bundle is rated once all its cases are complete: \(completed.count) of \(size) are", field: "bundleId",
                words: "一件事套餐的办件全部办结后方可评价：\(size) 件中已办结 \(completed.count) 件")
        }
        if alreadyRated {
            return HallError(
                .conflict, "the bundle is already rated: one rating per bundle", field: "bundleId", words: "这个一件事套餐已经评价过：每个套餐只能评价一次")
        }
        if at > last.addingTimeInterval(Double(ratingDays) * 86_400) {
            return HallError(
                .conflict, "the rating period ended \(ratingDays) days after the bundle's last case was completed", field: "bundleId",
                words: "评价期限已过：套餐最后一个办件办结后 \(ratingDays) 日内可以评价")
        }
        return nil
    }
}

/// The working days of each rectification step after the one before (the call-back after the rating).
struct RectificationDeadlines: Sendable {
    var calendar: WorkingCalendar
    var callBackDays = 1
    var verifyDays = 1
    var resolveDays = 2
    var replyDays = 1
    /// Working days after a rating during which the window or the department may appeal it.
    var appealDays = 5

    /// The last day (hall date) on which a rating given at `ratedAt` may be appealed.
    func appealDeadline(ratedAt: Date) -> HallDate {
        calendar.dueDate(acceptedAt: ratedAt, workingDays: appealDays).date.hallDate
    }

    /// The next step after `step`, with its last day counted from `at`; none once replied.
    func next(after step: RectificationStep, at: Date) -> (step: RectificationStep, due: HallDate)? {
        let (next, days): (RectificationStep, Int)
        switch step {
        case .opened: (next, days) = (.calledBack, callBackDays)
        case .calledBack: (next, days) = (.verified, verifyDays)
        case .verified: (next, days) = (.fixed, resolveDays)
        case .fixed, .explained: (next, days) = (.replied, replyDays)
        case .replied, .closedByStrike, .closedByComplaint: return nil
        }
        return (next, calendar.dueDate(acceptedAt: at, workingDays: days).date.hallDate)
    }

    /// Whether `step` may follow `current`, or the refusal naming the rule.
    static func check(_ step: RectificationStep, after current: RectificationStep) throws {
        let allowed: Bool =
            switch (current, step) {
            case (.opened, .calledBack), (.calledBack, .verified), (.verified, .fixed), (.verified, .explained), (.fixed, .replied), (.explained, .replied): true
            default: false
            }
        guard allowed else {
            throw HallError(
                .conflict,
                "\(step.rawValue) does not follow \(current.rawValue) (opened → called-back → verified → fixed or explained → replied)", field: "step",
                words: "整改当前为“\(AppraisalWords.step(current))”，不能记为“\(AppraisalWords.step(step))”"
                    + "（顺序：待回访 → 已回访 → 已核实 → 已整改或已解释说明 → 已答复）")
        }
    }
}
