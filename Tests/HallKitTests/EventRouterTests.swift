import HallContracts
@testable import HallKit
import Foundation
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

@Suite("JSON log lines")
struct JSONLogTests {
    @Test("timestamps are RFC 3339 UTC with milliseconds")
    func timestamp() {
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 0.5)) == "1970-01-01T00:00:00.500Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 1_798_761_599.999)) == "2026-12-31T23:59:59.999Z")
    }
}
