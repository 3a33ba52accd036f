import Foundation
import HallCalendar
import HallContracts
import HallKit

/// Whether the front desk may take an application for an item at all (Art 35, 37, 30), decided
/// from the item's versions, the day and the clerk's window alone: the store looks up what it
/// needs (the versions, the window, the names for the notice) and acts on the answer.
enum Admission: Equatable {
    /// Not a matter of this hall: refused under the hall centre's seal, naming the competent authority.
    case unknownItem
    /// The item exists but no version is in force today (not yet, or withdrawn from `withdrawnFrom`):
    /// refused, pointing to its lead department.
    case notInForce(first: ItemVersion, withdrawnFrom: LocalDate? = nil)
    /// The addressed department has no part in the item: refused, pointing to its lead department.
    case notCompetent(item: ItemVersion, department: String)
    /// The clerk's window does not serve the item's lead department (nor is the comprehensive window
    /// of an item delegated to the centre); `participant` when it serves a participant of a joint item.
    case wrongWindow(item: ItemVersion, participant: Bool)
    /// The version in force, to check the materials against.
    case admissible(ItemVersion)

    /// The admission of an application for `versions` (oldest first) addressed to `department`
    /// (nil: the lead), on `today`, at a window of `windowKind` serving `windowDepartments`.
    static func decide(
        versions: [ItemVersion], department: String?, today: LocalDate, windowKind: WindowKind, windowDepartments: [String]
    ) -> Admission {
        guard let first = versions.first else { return .unknownItem }
        guard let current = IntakeStore.inForce(versions, on: today) else {
            return .notInForce(first: first, withdrawnFrom: IntakeStore.withdrawal(versions, on: today))
        }
        let addressed = department ?? current.leadDepartmentId
        guard current.departmentIds.contains(addressed) else { return .notCompetent(item: current, department: addressed) }
        // The lead's seal goes on the acceptance notice, and a seal is applied only at a window
        // serving its department (Art 30): a joint item is accepted by its lead or at the
        // comprehensive window, never at a participant's window, where its notice could not be sealed.
        let serves = (windowKind == .comprehensive && current.delegatedToCentre) || windowDepartments.contains(current.leadDepartmentId)
        guard serves else {
            return .wrongWindow(item: current, participant: !Set(windowDepartments).isDisjoint(with: current.participantDepartmentIds))
        }
        return .admissible(current)
    }
}
