import Crypto
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

/// Encoded guide answers by item, version (a published version never changes), each with its
/// entity tag: the first 16 hex digits of the body's SHA-256, quoted.
final class EncodedGuides: Sendable {
    struct Entry: Sendable {
        var body: ByteBuffer
        var eTag: String
    }

    private let entries = Mutex<[String: Entry]>([:])

    func entry(for item: ItemVersion, encode: (ItemVersion) throws -> ByteBuffer) rethrows -> Entry {
        let key = "\(item.code)#\(item.version)"
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let body = try encode(item)
        let digest = SHA256.hash(data: Data(body.readableBytesView)).prefix(8).hexDigits
        let entry = Entry(body: body, eTag: "\"\(digest)\"")
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[key] = entry
        }
        return entry
    }

    /// Whether an `If-None-Match` field value names `eTag` (or is `*`); weak tags compare by
    /// their opaque part, as RFC 9110 §13.1.2 asks for this field.
    static func matches(_ ifNoneMatch: String, eTag: String) -> Bool {
        ifNoneMatch.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == eTag
        }
    }
}

