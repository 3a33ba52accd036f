import Foundation
import HallContracts
import Testing

@Suite("Random UUIDs")
struct UUIDRandomTests {
    @Test("random UUIDs are version 4, RFC 9562 variant, and do not repeat")
    func versionAndVariant() {
        let ids = (0..<10_000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let text = id.uuidString
            #expect(Array(text)[14] == "4")
            #expect("89AB".contains(Array(text)[19]))
        }
    }
}
