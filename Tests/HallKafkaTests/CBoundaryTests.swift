import Foundation
import Testing

/// librdkafka is reached from one folder only (`Shared/HallKafka/RDKafka/`), so the public Kafka
/// API can never show a C type and every C call can be reviewed in one place.
@Suite("The C boundary")
struct CBoundaryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("only the sources in Shared/HallKafka/RDKafka import CRdKafka or call rd_kafka_*")
    func onlyRDKafkaTouchesC() throws {
        let boundary = Self.root.appendingPathComponent("Shared/HallKafka/RDKafka").path + "/"
        var offenders: [String] = []
        var inside = 0
        for folder in ["Services", "Shared", "Tests"] {
            let enumerator = FileManager.default.enumerator(at: Self.root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                guard url.pathExtension == "swift", url.path != URL(fileURLWithPath: #filePath).path else { continue }
                let text = try String(contentsOf: url, encoding: .utf8)
                let touchesC = text.contains("import CRdKafka") || text.contains("rd_kafka_")
                if url.path.hasPrefix(boundary) {
                    inside += touchesC ? 1 : 0
                } else if touchesC {
                    offenders.append(String(url.path.dropFirst(Self.root.path.count + 1)))
                }
            }
        }
        #expect(inside >= 5, "the C-facing sources were found")
        #expect(offenders.isEmpty, "C calls outside RDKafka/: \(offenders.joined(separator: ", "))")
    }
}
