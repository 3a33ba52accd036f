@testable import HallKit
import Testing

/// The relay's wake-up: a commit that appended to the outbox wakes the idle relay at once instead
/// of its next poll.
@Suite("Wake-ups")
struct WakeupTests {
    @Test("a wait returns at the notification, long before its time is up")
    func notifiedEarly() async {
        let wakeup = Wakeup()
        let started = ContinuousClock.now
        // The bounds are far apart so that a machine busy with other tests (seconds of starvation
        // have been seen) cannot blur a wake-up into a time-out.
        async let waited: Void = wakeup.wait(upTo: .seconds(300))
        try? await Task.sleep(for: .milliseconds(50))
        wakeup.notify()
        await waited
        #expect(ContinuousClock.now - started < .seconds(100))
    }

    @Test("a notification with nobody waiting is kept for the next wait, once")
    func pending() async {
        let wakeup = Wakeup()
        wakeup.notify()
        let started = ContinuousClock.now
        await wakeup.wait(upTo: .seconds(300))
        #expect(ContinuousClock.now - started < .seconds(100), "the pending notification ends the wait at once")
        let second = ContinuousClock.now
        await wakeup.wait(upTo: .milliseconds(200))
        #expect(ContinuousClock.now - second >= .milliseconds(150), "only once: the next wait runs its time")
    }

    @Test("without a notification a wait ends when its time is up, and cancellation ends it too")
    func timeout() async {
        let wakeup = Wakeup()
        let started = ContinuousClock.now
        await wakeup.wait(upTo: .milliseconds(100))
        #expect(ContinuousClock.now - started >= .milliseconds(90))
        let task = Task { await wakeup.wait(upTo: .seconds(300)) }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        let cancelled = ContinuousClock.now
        await task.value
        #expect(ContinuousClock.now - cancelled < .seconds(100))
    }

    @Test("a transaction's appends wake the relay of their schema when it commits, not before")
    func wakesOnCommit() async throws {
        let hooks = TransactionHooks()
        let schema = "wake_\(UInt32.random(in: 0...UInt32.max))"
        TransactionHooks.$current.withValue(hooks) { OutboxWakeups.appended(schema: schema) }
        let wakeup = OutboxWakeups.wakeup(for: schema)
        let before = ContinuousClock.now
        await wakeup.wait(upTo: .milliseconds(100))
        #expect(ContinuousClock.now - before >= .milliseconds(90), "nothing before the commit")
        hooks.committed()
        let after = ContinuousClock.now
        await wakeup.wait(upTo: .seconds(300))
        #expect(ContinuousClock.now - after < .seconds(100))
    }
}
