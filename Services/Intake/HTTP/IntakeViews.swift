import Foundation
import HallCalendar
import HallContracts
import HallKit

// The intake's answers, as its OpenAPI document describes them.

/// The answer to a submission or resubmission: exactly one outcome, decided at once.
struct ApplicationResponse: Codable, Sendable, Equatable {
    /// `held`: an application of a bundle that is complete but waits for the bundle's other
    /// applications to be corrected (a bundle is accepted together or not at all).
    enum Outcome: String, Codable, Sendable { case accepted, refused, correctionRequired = "correction-required", held }
    var caseId: UUID
    var receiptCode: String
    var outcome: Outcome
    var itemCode: String
    var itemVersion: Int?
    /// Accepted: the acceptance notice number, time and due date.
    var noticeNumber: String?
    var acceptedAt: Date?
    var dueDate: LocalDate?
    /// True when the due date reaches a year whose official calendar is not published yet.
    var dueDateProvisional: Bool?
    var promisedMaterials: [PromisedMaterial]?
    /// Refused: the specific reason and where to go instead.
    var refusal: Refusal?
    /// Correction required: everything to bring or fix, at once.
    var corrections: [Correction]?
    /// Correction required: the number of the one-time correction notice (《一次性告知通知书》, Art 36),
    /// printable at `GET /v1/cases/{receiptCode}/documents/correction-notice?idNumber=`.
    var correctionNoticeNumber: String?
    /// The "one thing, one go" bundle the application belongs to.
    var bundleId: String?

    struct Refusal: Codable, Sendable, Equatable {
        var reasonCode: RefusalReason
        var reason: String
        var competentAuthority: String
    }
}

/// The answer to a bundle submission: one outcome for the whole bundle.
struct BundleResponse: Codable, Sendable, Equatable {
    enum Outcome: String, Codable, Sendable { case accepted, refused, correctionRequired = "correction-required" }
    /// The bundle id: the applicant follows the bundle with it (`GET /v1/bundles/{bundleId}?idNumber=`).
    var bundleId: String
    var outcome: Outcome
    /// Number of applications in the bundle.
    var bundleSize: Int
    /// Refused: which application and why (the first refused; `applications` has every answer).
    var refusal: BundleRefusal?
    /// Correction required: the one notice, every correction of every application at once (Art 36).
    var corrections: [BundleCorrection]?
    /// One answer per application, in the order submitted. Accepted: each its own case, notice
    /// number and due date. Correction required: `correction-required` or `held` (complete, held
    /// until the others are corrected). Refused: `refused`, or `not-accepted` with no case for
    /// an application that was in order but could not go ahead without the refused one.
    var applications: [Member]

    struct Member: Codable, Sendable, Equatable {
        var position: Int
        var itemCode: String
        /// `accepted`, `refused`, `correction-required`, `held` or `not-accepted`.
        var outcome: String
        /// The case and its answer, when the application has a case.
        var application: ApplicationResponse?
    }

    struct BundleRefusal: Codable, Sendable, Equatable {
        /// Position (from 0) and item of the refused application.
        var position: Int
        var itemCode: String
        var receiptCode: String
        var reasonCode: RefusalReason
        /// Says which application and why.
        var reason: String
        var competentAuthority: String
    }

    struct BundleCorrection: Codable, Sendable, Equatable {
        var position: Int
        var itemCode: String
        /// The application's receipt code: the applicant returns with it (`POST /v1/applications/{receiptCode}/resubmission`).
        var receiptCode: String
        var materialId: String
        var problem: Correction.Problem
        var needed: String
    }
}

/// What an applicant sees when following a case (no login: receipt code + identity number).
struct CaseStatus: Codable, Sendable, Equatable {
    var receiptCode: String
    var itemCode: String
    /// `accepted`, `refused`, `awaiting-correction`, `held` (a bundle's application, complete,
    /// waiting for the bundle's corrections), `awaiting-supplement` (a department asked the
    /// applicant for more), `suspended` (the clock stands still for a step not counted), `decided` (immediate item, decision being sealed), `completed` (a
    /// bundle's case, decided and sealed, handed out with the rest of its bundle), `ready` (at the
    /// window to collect) or `issued`.
    var status: String
    var noticeNumber: String?
    var acceptedAt: Date?
    var dueDate: LocalDate?
    var dueDateProvisional: Bool?
    /// Awaited from the applicant: open corrections, promised materials and supplements asked for.
    var awaiting: [String]
    var refusalReason: String?
    var competentAuthority: String?
    /// The "one thing, one go" bundle the case belongs to.
    var bundleId: String?
    /// Every supplement a department asked for, and when it was brought.
    var supplements: [SupplementRequest]?
    /// Each department that acts on the case and what intake knows of its part: `not-started`
    /// (not accepted yet), `in-progress`, `awaiting-supplement` (it asked the applicant for more),
    /// `opinion-given` (its opinion countersigned) or `completed`.
    var departments: [DepartmentStatus]?
    /// Every change of the due date after acceptance (a new year's calendar, a suspension and its
    /// resume, an extension), oldest first, with the reason.
    var dueDateChanges: [DueDateChange]?
    /// The case's notices and decisions and where each one's seal stands (Art 35, 37).
    var documents: [DocumentStatus]?
    /// The green channel, when the centre approved one (Art 40).
    var greenChannel: GreenChannel?
    /// The centre's current agent, when the applicant entrusted the centre (全程代办, Art 40).
    var agent: Agent?
    /// Agents replaced before the current one, oldest first, each with when it ended.
    var previousAgents: [Agent]?
    /// When and to whom the result was handed out.
    var handover: Handover?
    /// When every department's decision is sealed: the outcome, the completion time (the last seal
    /// time, Art 31), the due date after suspensions and extensions, and whether it was met.
    var completion: Completion?
    /// Materials promised under tolerated-gap acceptance (容缺): by when, and when brought. The
    /// result is not handed out while one is owed.
    var promisedMaterials: [Promise]?
    /// The item's fee (Art 16) and whether it is paid; an approval is handed out once it is.
    var fee: FeeStatus?
    /// A result waiting at the window: since when, the last day to collect it (10 working days,
    /// ALL Art 44), and whether that day has passed.
    var collection: CollectionStatus?
    /// Everything that happened to the case, oldest first.
    var timeline: [TimelineEntry]?

    /// One step of a case, in the hall's public words: `accepted`, `refused`, `correction-notified`,
    /// `opinion-given` and `countersigned` (a department, with approve / deny / needs-supplement),
    /// `supplement-requested`, `supplement-brought`, `suspended`, `resumed`, `extended`,
    /// `recalculated` (with the reason and the new due date), `sealed` (a notice or decision, by
    /// its department), `promised-material-brought`, `completed` (approved / denied), `ready`,
    /// `fee-paid`, `handed-over`.
    struct TimelineEntry: Codable, Sendable, Equatable {
        var at: Date
        var event: String
        var departmentId: String?
        var detail: String?
    }

    struct Promise: Codable, Sendable, Equatable {
        var materialId: String
        var dueBy: LocalDate
        var receivedAt: Date?
        var receivedBy: String?
        /// Not brought and its date has passed.
        var overdue: Bool
    }

    struct FeeStatus: Codable, Sendable, Equatable {
        var amountCents: Int64
        var basis: String
        var paid: Bool
        /// The bank window's receipt reference.
        var paymentReference: String?
        var paidAt: Date?
    }

    struct CollectionStatus: Codable, Sendable, Equatable {
        var readyAt: Date
        var collectBy: LocalDate
        var overdue: Bool
    }

    struct DepartmentStatus: Codable, Sendable, Equatable {
        var departmentId: String
        /// `lead` or `participant`.
        var role: String
        var status: String
    }

    struct DueDateChange: Codable, Sendable, Equatable {
        var from: LocalDate
        var to: LocalDate
        var reason: String
        var changedAt: Date
    }

    struct Completion: Codable, Sendable, Equatable {
        /// `approved` or `denied`.
        var outcome: String
        var completedAt: Date
        var dueDate: LocalDate?
        var onTime: Bool
    }
}

extension CaseStatus {
    /// A notice or decision of the case and where its seal stands.
    struct DocumentStatus: Codable, Sendable, Equatable {
        /// `acceptance-notice`, `refusal-notice`, `approval-decision`, `denial-decision` or
        /// `correction-notice` (not sealed).
        var kind: String
        /// The correction notice's number, or a decision's number (文号).
        var number: String?
        /// When it was issued.
        var issuedAt: Date?
        /// The department whose seal it carries (the hall centre for a refusal of an item unknown to the hall).
        var departmentId: String
        /// True once the seal's imprint came back.
        var sealed: Bool
        /// Verify it with the seal service: `GET /v1/imprints/{imprintId}` (public).
        var imprintId: UUID?
        var sealedAt: Date?
        /// Why the seal service refused it, while it is not sealed.
        var sealRefusal: String?
    }

    /// The green channel of the case (Art 40): the centre's approval, who approved it and who
    /// entered it (the clerk at submission, or the centre admin who granted it afterwards).
    struct GreenChannel: Codable, Sendable, Equatable {
        var reason: String
        var reference: String
        /// The centre staff member who approved it.
        var approvedBy: String
        var approvedAt: Date
        /// The staff member who entered it: the clerk who submitted the application with it, or
        /// the centre administrator who granted it afterwards.
        var recordedBy: String
        var recordedAt: Date
    }

    /// The centre's agent of the case (全程代办, Art 40).
    struct Agent: Codable, Sendable, Equatable {
        var agentId: String
        var name: String
        var entrustmentReference: String
        var assignedAt: Date
        /// When another agent replaced this one.
        var endedAt: Date?
        /// Why this agent replaced the previous one (absent for the first).
        var reason: String?
    }

    /// The hand-over of the result at the window.
    struct Handover: Codable, Sendable, Equatable {
        var handedOverAt: Date
        /// `applicant` or `agent`.
        var collectedBy: String
        var agentId: String?
    }
}

/// What an applicant sees when following a bundle (no login: bundle id + identity number).
struct BundleStatus: Codable, Sendable, Equatable {
    var bundleId: String
    /// One status for the whole bundle: `refused`, `awaiting-correction`, `in-progress`,
    /// `awaiting-supplement` (some case awaits a supplement), `ready` (every case can be
    /// collected at the window) or `issued`.
    var status: String
    var bundleSize: Int
    var acceptedAt: Date?
    /// When the coordinator completed the whole bundle.
    var completedAt: Date?
    /// When the whole bundle was handed out at the window (`POST /v1/bundles/{bundleId}/handover`).
    var handedOverAt: Date?
    var refusal: BundleResponse.BundleRefusal?
    /// The bundle's correction notice, while corrections are awaited.
    var corrections: [BundleResponse.BundleCorrection]?
    /// Each case of the bundle (a refused bundle lists only the refused applications).
    var cases: [CaseStatus]
}

/// A sealed approval decision as published (Art 38): no personal identity numbers.
/// A search of the published approvals (Art 38): by item, department and sealing date (hall dates,
/// inclusive), newest first, a page at a time; `after` is the `next` of the previous page.
struct DecisionQuery: Sendable, Equatable {
    var itemCode: String?
    var departmentId: String?
    var from: LocalDate?
    var to: LocalDate?
    var limit: Int = 20
    var after: Cursor?

    /// Where a page ended: the last decision's sealing time (microseconds since 1970) and imprint.
    struct Cursor: Sendable, Equatable {
        var sealedMicros: Int64
        var imprintId: UUID

        init(sealedMicros: Int64, imprintId: UUID) {
            self.sealedMicros = sealedMicros
            self.imprintId = imprintId
        }

        init?(_ text: String) {
            let parts = text.split(separator: "_")
            guard parts.count == 2, let micros = Int64(parts[0]), let imprint = UUID(uuidString: String(parts[1])) else { return nil }
            self.init(sealedMicros: micros, imprintId: imprint)
        }

        var text: String { "\(sealedMicros)_\(imprintId.uuidString.lowercased())" }
    }

    static let maximumLimit = 100

    /// Reads the query string; names the parameter and the rule when one is wrong.
    init(itemCode: String?, departmentId: String?, from: String?, to: String?, limit: String?, after: String?) throws {
        self.itemCode = itemCode.flatMap { $0.isEmpty ? nil : $0 }
        self.departmentId = departmentId.flatMap { $0.isEmpty ? nil : $0 }
        self.from = try from.map(parseDate(field: "from"))
        self.to = try to.map(parseDate(field: "to"))
        if let from = self.from, let to = self.to, to < from { throw HallError.invalid("to", "must not be before from (\(from))", words: "不得早于开始日期（\(from)）") }
        if let limit {
            guard let value = Int(limit), (1...Self.maximumLimit).contains(value) else {
                throw HallError.invalid("limit", "must be a whole number from 1 to \(Self.maximumLimit)", words: "须为 1 至 \(Self.maximumLimit) 的整数")
            }
            self.limit = value
        }
        if let after {
            guard let cursor = Cursor(after) else { throw HallError.invalid("after", "must be the `next` of a previous page", words: "须为上一页返回的 next 值") }
            self.after = cursor
        }
    }
}

struct PublishedDecision: Codable, Sendable {
    var itemCode: String
    var itemName: String
    var decision: String
    var departmentId: String
    /// The decision number (文号); absent for decisions made before numbers were given.
    var decisionNumber: String?
    var applicant: String
    var sealedAt: Date
    /// Verify the decision with the seal service: `GET /v1/imprints/{imprintId}` (public).
    var imprintId: UUID
}

/// What the front desk must follow up (`GET /v1/reminders`): promised materials past their date,
/// and results waiting at the window past the 10 working days of ALL Art 44.
struct Reminders: Codable, Sendable, Equatable {
    var overduePromises: [OverduePromise]
    var uncollected: [Uncollected]

    struct OverduePromise: Codable, Sendable, Equatable {
        var receiptCode: String
        var itemCode: String
        var materialId: String
        var dueBy: LocalDate
        var daysOverdue: Int
        /// How to reach the applicant.
        var contact: String
    }

    struct Uncollected: Codable, Sendable, Equatable {
        var receiptCode: String
        var itemCode: String
        var readyAt: Date
        var collectBy: LocalDate
        var contact: String
        var bundleId: String?
    }
}

/// A stand-in filed with the centre (`POST /v1/stand-ins`).
struct StandInRecord: Codable, Sendable, Equatable {
    var id: Int64
    var staffId: String
    var windowId: String
    var from: LocalDate
    var to: LocalDate
    var reason: String
    var filingReference: String
    var filedBy: String
    var filedAt: Date
}

/// A staff member as the directory keeps them (`GET /v1/staff`, centre admin).
struct StaffRecord: Codable, Sendable {
    var id: String
    var name: String
    var departmentId: String
    var windowId: String?
    /// The day the person started at the window.
    var windowSince: LocalDate?
    var qualified: Bool
    var active: Bool
    var immediateItems: [String]
    var training: StaffInput.Training?
    /// Window rotations filed with the centre, oldest first (Art 20).
    var rotations: [RotationRecord]

    struct RotationRecord: Codable, Sendable {
        var fromWindow: String?
        var toWindow: String?
        var filingReference: String
        var reason: String?
        var recordedBy: String
        var recordedAt: Date
    }
}

/// An open window and the items it takes (`GET /v1/windows`, public, Art 11).
struct WindowRecord: Codable, Sendable {
    var id: String
    var name: String
    var kind: String
    var departmentIds: [String]
    var items: [Item]

    struct Item: Codable, Sendable {
        var code: String
        var name: String
    }
}
