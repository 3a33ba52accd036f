import Foundation
import HallCalendar

/// The published item guides, read side: what the public guide and calendar controllers need.
///
/// Intake's repository is split by resource group so that each controller names only what it
/// uses and the memory repository can implement a group in full: this protocol is the catalogue
/// read side. The service runs it on ``IntakeStore`` (Postgres); route tests run
/// ``MemoryGuideRepository``.
protocol GuideRepository: Sendable {
    /// Every version of an item, oldest first, as stored now.
    func itemVersions(of code: String) async throws -> [ItemVersion]
    /// Every version of an item, oldest first; may be a few seconds stale (the public guide).
    func recentItemVersions(of code: String) async throws -> [ItemVersion]
    /// The items in force on `date` whose code or name contains `text` (all when nil), by code.
    func itemsInForce(matching text: String?, on date: LocalDate) async throws -> [ItemVersion]
}

extension IntakeStore: GuideRepository {
    func itemVersions(of code: String) async throws -> [ItemVersion] {
        try await versions(of: code, on: nil)
    }

    func recentItemVersions(of code: String) async throws -> [ItemVersion] {
        try await items.versions(of: code) { try await versions(of: code, on: nil) }
    }

    func itemsInForce(matching text: String?, on date: LocalDate) async throws -> [ItemVersion] {
        try await search(text, on: date)
    }
}

/// The catalogue in memory, for the route tests: the published versions it is given or publishes,
/// under the same rules as the store (active departments, each version after the one in force).
actor MemoryGuideRepository: CatalogueRepository {
    private var versions: [ItemVersion]
    private let activeDepartments: Set<String>

    init(versions: [ItemVersion] = [], activeDepartments: Set<String> = []) {
        self.versions = versions
        self.activeDepartments = activeDepartments
    }

    func itemVersions(of code: String) -> [ItemVersion] {
        versions.filter { $0.code == code }.sorted { $0.version < $1.version }
    }

    func recentItemVersions(of code: String) -> [ItemVersion] {
        itemVersions(of: code)
    }

    func itemsInForce(matching text: String?, on date: LocalDate) -> [ItemVersion] {
        let codes = Set(versions.map(\.code)).sorted()
        let inForce = codes.compactMap { code in IntakeStore.inForce(versions.filter { $0.code == code }, on: date) }
        guard let text, !text.isEmpty else { return Array(inForce.prefix(200)) }
        return Array(inForce.filter { $0.code.localizedCaseInsensitiveContains(text) || $0.name.localizedCaseInsensitiveContains(text) }.prefix(200))
    }

    func publishItem(_ submission: ItemSubmission, approvedBy: String) throws -> ItemVersion {
        let submission = try submission.validated()
        let latest = itemVersions(of: submission.code).last.map { ($0.version, $0.effectiveFrom) }
        let item = try submission.publication(after: latest, activeDepartments: activeDepartments)
        versions.append(item)
        return item
    }
}
