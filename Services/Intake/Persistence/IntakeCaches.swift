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

/// The number sequences (acceptance and correction notices, per year) this process has made sure exist.
final class NoticeSequences: Sendable {
    private let names = Mutex<Set<String>>([])
    func isKnown(_ name: String) -> Bool { names.withLock { $0.contains(name) } }
    func remember(_ name: String) { _ = names.withLock { $0.insert(name) } }
}

/// Who may act at which window today, as last read from the directory (2 s): the acceptance path
/// checks every clerk without a round trip each time.
final class PostingCache: Sendable {
    private let entries = Mutex<[String: ContinuousClock.Instant]>([:])

    func isPosted(_ staffId: String, _ windowId: String, on day: String) -> Bool {
        guard let expires = entries.withLock({ $0["\(staffId)|\(windowId)|\(day)"] }) else { return false }
        return expires > .now
    }

    func remember(_ staffId: String, _ windowId: String, on day: String) {
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll(keepingCapacity: true) }
            entries["\(staffId)|\(windowId)|\(day)"] = .now + .seconds(2)
        }
    }
}
