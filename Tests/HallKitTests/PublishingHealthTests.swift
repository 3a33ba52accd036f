import HallKit
import Testing

@Suite("Publishing health (what readiness says of the relay)")
struct PublishingHealthTests {
    @Test("failing passes count as failing only past the threshold, and any good pass — an empty one too — ends the spell")
    func failingAndRecovering() async throws {
        let health = PublishingHealth(schema: "test", failingAfter: .milliseconds(50))
        #expect(health.status.ok)
        health.failed("broker away")
        #expect(health.status.ok, "a blip is not a failure")
        try await Task.sleep(for: .milliseconds(80))
        health.failed("broker away")
        let failing = health.status
        #expect(!failing.ok && failing.lastError == "broker away" && failing.failingForSeconds != nil)
        // A service with nothing to publish (after the database came back) passes with no rows.
        health.delivered()
        let recovered = health.status
        #expect(recovered.ok && recovered.failingForSeconds == nil && recovered.lastError == nil)
    }
}
