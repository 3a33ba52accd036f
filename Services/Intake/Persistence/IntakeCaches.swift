import Foundation
import Synchronization

/// Windows by id, for the acceptance path (2 s).
final class WindowCache: Sendable {
    private let entries = Mutex<[String: (expires: ContinuousClock.Instant, kind: String, departments: [String])]>([:])

    func get(_ id: String) -> (kind: String, departments: [String])? {
        guard let entry = entries.withLock({ $0[id] }), entry.expires > .now else { return nil }
        return (entry.kind, entry.departments)
    }

    func put(_ id: String, _ window: (kind: String, departments: [String])) {
        entries.withLock { $0[id] = (.now + .seconds(2), window.kind, window.departments) }
    }
}

/// The years whose notice-number sequence this process has made sure exists.
final class NoticeSequences: Sendable {
    private let years = Mutex<Set<Int>>([])
    func isKnown(_ year: Int) -> Bool { years.withLock { $0.contains(year) } }
    func remember(_ year: Int) { _ = years.withLock { $0.insert(year) } }
}
