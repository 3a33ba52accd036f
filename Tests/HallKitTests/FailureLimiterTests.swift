import HallKit
import Testing

@Suite("Failed attempts limited per client")
struct FailureLimiterTests {
    @Test("after the limit a client is refused with 429 saying when to come back; another client is not; the failures age out")
    func limit() throws {
        let limiter = FailureLimiter(limit: 3, window: .seconds(60))
        let start = ContinuousClock.now
        for second in 0..<3 {
            try limiter.check("10.0.0.1", now: start + .seconds(second))
            limiter.fail("10.0.0.1", now: start + .seconds(second))
        }
        let refused = try #require(throws: HallError.self) { try limiter.check("10.0.0.1", now: start + .seconds(10)) }
        #expect(refused.code == .tooManyRequests)
        #expect(refused.message.contains("try again in 51 s"), "\(refused.message)")
        try limiter.check("10.0.0.2", now: start + .seconds(10))
        try limiter.check("10.0.0.1", now: start + .seconds(61))
    }

    @Test("as a rate: 500 look-ups a minute, the 501st refused; as the first ones age out, as many new ones are allowed again, and no more")
    func slidingRate() throws {
        let limiter = FailureLimiter(limit: 500, window: .seconds(60), counting: "look-ups")
        let start = ContinuousClock.now
        for index in 0..<500 { try limiter.take("10.0.0.9", now: start + .milliseconds(index)) }
        let refused = try #require(throws: HallError.self) { try limiter.take("10.0.0.9", now: start + .seconds(1)) }
        #expect(refused.code == .tooManyRequests && refused.message.contains("look-ups"), "\(refused.message)")
        // 60.25 s after the start the first 251 (0…250 ms) have left the window.
        let later = start + .seconds(60) + .milliseconds(250)
        for _ in 0..<251 { try limiter.take("10.0.0.9", now: later) }
        #expect(throws: HallError.self) { try limiter.take("10.0.0.9", now: later) }
    }

    @Test("the clients it remembers are bounded: the stalest is forgotten first")
    func bounded() throws {
        let limiter = FailureLimiter(limit: 1, window: .seconds(600), maximumClients: 2)
        let start = ContinuousClock.now
        limiter.fail("a", now: start)
        limiter.fail("b", now: start + .seconds(1))
        limiter.fail("c", now: start + .seconds(2))
        try limiter.check("a", now: start + .seconds(3))
        #expect(throws: HallError.self) { try limiter.check("b", now: start + .seconds(3)) }
        #expect(throws: HallError.self) { try limiter.check("c", now: start + .seconds(3)) }
    }
}
