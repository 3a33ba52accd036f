import Foundation
import HallContracts
import HallKit

/// What a rating answers: its id, and whether the integrity check held it for the centre.
struct RatingAnswer: Codable, Sendable, Equatable {
    var ratingId: UUID
    var receiptCode: String
    var level: RatingLevel
    /// Held for the centre (a burst of top ratings from one client for one window): not counted until cleared.
    var heldForReview: Bool
    /// The rectification a bad rating opened.
    var rectificationId: UUID?
}

/// A rating as the centre's audit shows it, struck ones included.
struct RatingRecord: Codable, Sendable, Equatable {
    struct Appeal: Codable, Sendable, Equatable {
        var reason: String
        var by: String
        var at: Date
    }
    struct Review: Codable, Sendable, Equatable {
        var by: String
        var at: Date
        var reason: String
        var struck: Bool
    }
    var ratingId: UUID
    var receiptCode: String
    var level: RatingLevel
    var comment: String?
    var channel: RatingChannel
    var ratedAt: Date
    var itemCode: String
    var departmentId: String
    var windowId: String?
    var staffId: String?
    var heldForReview: Bool
    var struck: Bool
    var appeal: Appeal?
    var review: Review?
    var rectificationId: UUID?
    /// The bundle (一件事) rated as a whole, this rating being its record for this case.
    var bundleId: String?
}

/// A bad rating's rectification, the department's task.
struct Rectification: Codable, Sendable, Equatable {
    struct Step: Codable, Sendable, Equatable {
        var step: RectificationStep
        var actorId: String
        var note: String?
        var at: Date
    }
    var rectificationId: UUID
    var ratingId: UUID
    var receiptCode: String
    var departmentId: String
    var step: RectificationStep
    /// The next step and its last day; none once done.
    var dueStep: RectificationStep?
    var dueDate: HallDate?
    /// The current deadline has passed.
    var overdue: Bool
    /// Some step was taken after its day.
    var late: Bool
    var openedAt: Date
    var doneAt: Date?
    var steps: [Step]
}

/// Who appeals a rating: a clerk of the rated window, or the rated case's department.
enum Appellant: Sendable, Equatable {
    case window(String, staffId: String)
    case department(String, staffId: String)

    var actorId: String {
        switch self {
        case .window(_, let staff), .department(_, let staff): staff
        }
    }

    /// Whether this appellant may appeal a rating of a case at `windowId` of `departmentId`.
    func mayAppeal(windowId: String?, departmentId: String) -> Bool {
        switch self {
        case .window(let window, _): window == windowId
        case .department(let department, _): department == departmentId
        }
    }
}

/// The rating integrity check: a burst of top ratings from one client for one window's cases is
/// held for the centre, not silently counted. The rating that makes the burst is held, and so are
/// the burst's earlier top ratings, which leave the figures until the centre reviews them.
enum RatingIntegrity {
    /// Top ratings from one client for one window within `window` beyond which the next is held.
    static let burst = 4
    static let window: TimeInterval = 600

    static func isSuspect(_ level: RatingLevel, earlierTopRatingsFromClientForWindow count: Int) -> Bool {
        level == .verySatisfied && count >= burst
    }
}

/// A bad rating and the complaints about the same case: one follow-up for the centre. A complaint's
/// reply closes the rectification open at the time (`closed-by-complaint`).
struct FollowUp: Codable, Sendable, Equatable {
    struct Complaint: Codable, Sendable, Equatable {
        var complaintId: UUID
        var category: String
        var status: String
        var finding: String?
    }
    var receiptCode: String
    var ratingId: UUID
    var level: RatingLevel
    var rectificationId: UUID
    var rectificationStep: RectificationStep
    /// Whether the rating was appealed (once, for the whole follow-up).
    var appealed: Bool
    var complaints: [Complaint]
}
