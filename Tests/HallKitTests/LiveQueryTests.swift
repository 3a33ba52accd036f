import Foundation
import Testing

/// Every query of the services and the shared kit goes through HallKit's `run`/`select`, which
/// give up on a connection that closed; postgres-nio's own `query` can wait forever on one (see
/// `Shared/HallKit/Database/LiveQuery.swift`).
@Suite("Queries go through the closed-connection guard")
struct LiveQueryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("no source under Services/ or Shared/ calls postgres-nio's query or withTransaction directly")
    func noDirectQueries() throws {
        let pattern = try Regex(#"\.(query|withTransaction)\s*\("#)
        var offenders: [String] = []
        var scanned = 0
        for folder in ["Services", "Shared"] {
            let enumerator = FileManager.default.enumerator(at: Self.root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                guard url.pathExtension == "swift", url.lastPathComponent != "LiveQuery.swift" else { continue }
                scanned += 1
                let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                for (number, line) in lines.enumerated() where line.contains(pattern) && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                    offenders.append("\(url.path.dropFirst(Self.root.path.count + 1)):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(scanned > 100, "the sources were found")
        #expect(offenders.isEmpty, "use run/select/transaction from HallKit: \(offenders.joined(separator: "\n"))")
    }
}
