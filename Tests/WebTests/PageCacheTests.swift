import HallWeb
import Synchronization
import Testing

/// A page kept for a moment is made once however many readers ask for it at the same time: a busy
/// page expiring must not be rendered again by all its readers together.
@Suite("Pages kept for a moment")
struct PageCacheTests {
    final class Count: Sendable {
        let value = Mutex(0)
        func next() -> Int { value.withLock { $0 += 1; return $0 } }
    }
    struct Broken: Error {}

    /// The pages `readers` readers asking for `key` at once got (a making takes 200 ms, so that
    /// they arrive while it is made), and how many times it was made.
    func askedAtOnce(_ cache: PageCache<String>, _ key: String, readers: Int) async throws -> (pages: [String], made: Int) {
        let made = Count()
        let pages = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<readers {
                group.addTask {
                    try await cache.value(key) {
                        let n = made.next()
                        try await Task.sleep(for: .milliseconds(200))
                        return "page \(n)"
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        return (pages, made.value.withLock { $0 })
    }

    @Test("64 readers at once: one makes the page, all get it; a failure is shared, and the next reader tries again")
    func madeOnceForReadersAtOnce() async throws {
        let cache = PageCache<String>(ttl: .seconds(60))
        let (pages, made) = try await askedAtOnce(cache, "R-1", readers: 64)
        #expect(made == 1)
        #expect(pages == Array(repeating: "page 1", count: 64))
        #expect(cache.cached("R-1") == "page 1")

        let tries = Count()
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    do {
                        _ = try await cache.value("R-2") {
                            _ = tries.next()
                            try await Task.sleep(for: .milliseconds(200))
                            throw Broken()
                        }
                        return false
                    } catch { return error is Broken }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 16)
        #expect(tries.value.withLock { $0 } == 1)
        #expect(cache.cached("R-2") == nil)
        #expect(try await cache.value("R-2") { "made again" } == "made again")
    }

    @Test("a page older than its time to live is made again")
    func staleIsMadeAgain() async throws {
        let cache = PageCache<String>(ttl: .milliseconds(50))
        #expect(try await cache.value("k") { "first" } == "first")
        #expect(try await cache.value("k") { "second" } == "first")
        try await Task.sleep(for: .milliseconds(80))
        #expect(try await cache.value("k") { "second" } == "second")
    }

    @Test("with two uses, a page asked for once is not kept; asked again within its time, it is kept and shown to the next")
    func keptFromTheSecondAsk() async throws {
        let cache = PageCache<String>(ttl: .seconds(60), minUses: 2)
        #expect(try await cache.value("R-1") { "first" } == "first")
        #expect(cache.cached("R-1") == nil)
        #expect(try await cache.value("R-1") { "second" } == "second")
        #expect(cache.cached("R-1") == "second")
        #expect(try await cache.value("R-1") { "third" } == "second")
        // Another key asked for once still is not kept.
        #expect(try await cache.value("R-2") { "other" } == "other")
        #expect(cache.cached("R-2") == nil)
    }

    @Test("with two uses, readers asking at once count: the page they shared is kept")
    func readersAtOnceCount() async throws {
        let cache = PageCache<String>(ttl: .seconds(60), minUses: 2)
        let (pages, made) = try await askedAtOnce(cache, "R-1", readers: 8)
        #expect(made == 1)
        #expect(pages == Array(repeating: "page 1", count: 8))
        #expect(cache.cached("R-1") == "page 1")
    }

    @Test("with two uses, a first ask older than the time to live does not count")
    func usesExpire() async throws {
        let cache = PageCache<String>(ttl: .milliseconds(50), minUses: 2)
        #expect(try await cache.value("k") { "first" } == "first")
        try await Task.sleep(for: .milliseconds(80))
        #expect(try await cache.value("k") { "second" } == "second")
        #expect(cache.cached("k") == nil)
        #expect(try await cache.value("k") { "third" } == "third")
        #expect(cache.cached("k") == "third")
    }
}
