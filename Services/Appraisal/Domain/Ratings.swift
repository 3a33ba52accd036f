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
        if receiptCode.isEmpty || receiptCode.count > 64 { throw HallError.invalid("receiptCode", "is the receipt code on the acceptance notice") }
        if idNumber.trimmingCharacters(in: .whitespaces).isEmpty || idNumber.count > 64 {
            throw HallError.invalid("idNumber", "is the applicant's identity number (or the organisation's code)")
        }
        if let comment, comment.count > Self.maximumComment { throw HallError.invalid("comment", "is at most \(Self.maximumComment) characters") }
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
            return HallError(.notFound, "no completed case with this receipt code is known to the hall", field: "receiptCode")
        }
        guard let applicantCheck = rated.applicantCheck, check.matches(applicantCheck, idNumber: submission.idNumber) else {
            return HallError(.forbidden, "a case is rated by its applicant: the identity number is not the applicant's", field: "idNumber")
        }
        guard let completedAt = rated.completedAt else {
            return HallError(.conflict, "the case is not complete yet; it is rated once its decision is sealed", field: "receiptCode")
        }
        if alreadyRated { return HallError(.conflict, "the case is already rated: one rating per case", field: "receiptCode") }
        if at > completedAt.addingTimeInterval(Double(ratingDays) * 86_400) {
            return HallError(.conflict, "the rating period ended \(ratingDays) days after completion", field: "receiptCode")
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
                "\(step.rawValue) does not follow \(current.rawValue) (opened → called-back → verified → fixed or explained → replied)", field: "step")
        }
    }
}
