import Foundation
import HallCalendar
import HallContracts
import HallKit

// What the intake's controllers need of its records, one protocol per resource. ``IntakeStore``
// keeps them all in PostgreSQL, each change with its events in one transaction (outbox);
// ``MemoryGuideRepository`` keeps the catalogue in memory for the route tests.

/// The centre's directory of the hall: departments, windows and staff, each change published.
protocol DirectoryRepository: Sendable {
    func saveDepartment(_ department: DepartmentInput) async throws -> DepartmentChanged
    func saveWindow(_ window: WindowInput) async throws -> WindowChanged
    func saveStaff(_ staff: StaffInput, recordedBy: String) async throws -> StaffChanged
    func saveDepartmentSystem(_ system: DepartmentSystemInput, recordedBy: String) async throws -> DepartmentSystemChanged
    func departmentSystems() async throws -> [DepartmentSystemChanged]
    func saveStandIn(_ input: StandInInput, filedBy: String) async throws -> StandInRecord
    func standIns(windowId: String?, on day: LocalDate?) async throws -> [StandInRecord]
    func staffList() async throws -> [StaffRecord]
    func departmentList() async throws -> [DepartmentChanged]
    func windowList(on day: LocalDate) async throws -> [WindowRecord]
}

/// The catalogue as the centre edits it: a new version of an item, published.
protocol CatalogueRepository: GuideRepository {
    func publishItem(_ submission: ItemSubmission, approvedBy: String) async throws -> ItemVersion
}

extension CatalogueRepository {
    /// Withdraws an item from a date (Art 7: on an approval, from its effective date): a new version
    /// that puts no version in force from then on, published like any other.
    func withdrawItem(code: String, from effectiveFrom: LocalDate, reference: String, approvedBy: String) async throws -> ItemVersion {
        guard let latest = try await itemVersions(of: code).last else {
            throw HallError(.notFound, "no item \(code)", field: "code", words: "目录中没有事项 \(code)")
        }
        guard latest.withdrawn != true else {
            throw HallError(
                .conflict, "item \(code) is already withdrawn from \(latest.effectiveFrom)", field: "code",
                words: "事项 \(code) 已自 \(latest.effectiveFrom) 起从目录中撤销")
        }
        return try await publishItem(.withdrawal(of: latest, from: effectiveFrom, reference: reference), approvedBy: approvedBy)
    }
}

/// Applications at the front desk, from submission to hand-over.
protocol ApplicationRepository: Sendable {
    func submit(_ submission: ApplicationSubmission, clerk: Clerk, now: Date) async throws -> ApplicationResponse
    func resubmit(receiptCode: String, _ resubmission: Resubmission, clerk: Clerk, now: Date) async throws -> ApplicationResponse
    func decideImmediate(receiptCode: String, _ input: ImmediateDecision, clerk: Clerk, now: Date) async throws -> ApplicationResponse
    func clerkCaseStatus(receiptCode: String, clerk: Clerk) async throws -> CaseStatus
    func recordSupplement(receiptCode: String, _ delivery: SupplementDelivery, clerk: Clerk, now: Date) async throws -> CaseStatus
    func recordFee(receiptCode: String, _ fee: FeeRecord, clerk: Clerk) async throws
    func receivePromised(receiptCode: String, materialId: String, _ arrival: PromisedArrival, clerk: Clerk, now: Date) async throws -> CaseStatus.Promise
    func reminders(clerk: Clerk?, today: LocalDate, limit: Int) async throws -> Reminders
    func handOver(receiptCode: String, _ input: HandOver, clerk: Clerk) async throws -> CaseStatus
    func grantGreenChannel(receiptCode: String, _ input: GreenChannelInput, recordedBy: String, now: Date) async throws -> CaseStatus
    func assignAgent(receiptCode: String, _ input: AgentAssignment, assignedBy: String, now: Date) async throws -> CaseStatus
}

/// "One thing, one go" bundles (一件事): accepted together, handed over together.
protocol BundleRepository: Sendable {
    func submitBundle(_ bundle: BundleSubmission, clerk: Clerk, now: Date) async throws -> BundleResponse
    func handOverBundle(bundleId: String, _ input: HandOver, clerk: Clerk, now: Date) async throws -> BundleStatus
    func assignBundleAgent(bundleId: String, _ input: AgentAssignment, assignedBy: String, now: Date) async throws -> BundleStatus
}

/// What the public reads: a case or bundle by its code and the applicant's identity number, and
/// the published decisions (Art 38).
protocol TrackingRepository: Sendable {
    func caseStatus(receiptCode: String, idNumber: String) async throws -> CaseStatus?
    func bundleStatus(bundleId: String, idNumber: String) async throws -> BundleStatus?
    func publishedDecisions(_ query: DecisionQuery) async throws -> (decisions: [PublishedDecision], next: DecisionQuery.Cursor?)
    func documentText(receiptCode: String, idNumber: String, kind: NoticeKind) async throws -> String?
}

extension IntakeStore: DirectoryRepository, CatalogueRepository, ApplicationRepository, BundleRepository, TrackingRepository {}
