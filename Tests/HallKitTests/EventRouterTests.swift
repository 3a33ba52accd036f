import HallContracts
import HallKit
import Testing

struct SampleEvent: EventPayload {
    static let eventType = "sample.thing.happened"
    static let eventVersion = 2
    var value: Int
}

@Suite("Event routing decisions")
struct EventRouterTests {
    @Test("registered events are handled; other versions unsupported; catalogue events ignored; the rest unknown")
    func acceptance() {
        var router = EventRouter()
        router.on(SampleEvent.self) { _, _, _ in }
        #expect(router.acceptance(type: "sample.thing.happened", version: 2) == .handle)
        #expect(router.acceptance(type: "sample.thing.happened", version: 3) == .unsupportedVersion)
        #expect(router.acceptance(type: OutboxRepublished.eventType, version: OutboxRepublished.eventVersion) == .ignore)
        #expect(router.acceptance(type: OutboxRepublished.eventType, version: 99) == .unsupportedVersion)
        #expect(router.acceptance(type: "nobody.knows.this", version: 1) == .unknownType)
    }
}
