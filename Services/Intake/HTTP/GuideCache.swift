import Foundation
import NIOCore
import HallCalendar
import Synchronization

/// Caches item versions for the public guide endpoints. A version never changes once published
/// and a new version only takes effect from its (usually future) date, so an entry may live a few
/// seconds: with several intake instances, a newly published version is seen within `ttl`.
final class GuideCache: Sendable {
    private let entries = Mutex<[String: (expires: ContinuousClock.Instant, versions: [ItemVersion])]>([:])
    private let ttl: Duration

    init(ttl: Duration = .seconds(5)) {
        self.ttl = ttl
    }

    /// The versions of `code`, from the cache or from `load`.
    func versions(of code: String, load: () async throws -> [ItemVersion]) async throws -> [ItemVersion] {
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[code] }), hit.expires > now { return hit.versions }
        let versions = try await load()
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[code] = (now + ttl, versions)
        }
        return versions
    }

    /// Forgets an item (this instance published a new version of it).
    func invalidate(_ code: String) {
        _ = entries.withLock { $0.removeValue(forKey: code) }
    }
}

/// Encoded guide answers by item, version (a published version never changes).
final class EncodedGuides: Sendable {
    private let entries = Mutex<[String: ByteBuffer]>([:])

    func body(for item: ItemVersion, encode: (ItemVersion) throws -> ByteBuffer) rethrows -> ByteBuffer {
        let key = "\(item.code)#\(item.version)"
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let body = try encode(item)
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[key] = body
        }
        return body
    }
}

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
