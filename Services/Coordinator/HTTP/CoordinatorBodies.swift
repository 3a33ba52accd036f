import Foundation
import HallContracts

// The request bodies of the coordinator's commands over HTTP.

struct OpinionBody: Decodable {
    var opinion: TaskOpinion
    var reasons: [String]?
    var supplements: [SupplementItem]?
}

struct SuspensionBody: Decodable {
    var category: NotCountedCategory
    var reason: String
    var noticeReference: String
}

struct ResumeBody: Decodable {
    var reason: String
}

struct ExtensionBody: Decodable {
    var workingDays: Int
    var reason: String
    var approvedBy: String
}

struct ReviewBody: Decodable {
    var meetingAt: Date
    var place: String
    var departmentIds: [String]
}

struct MinutesBody: Decodable {
    var positions: [ReviewMinuted.Position]
    var summary: String
}
