import Foundation
import HallContracts
import HallKit
import Synchronization
import Testing

@testable import seal

@Suite("Concurrent sealing requests of one department share a transaction", .timeLimit(.minutes(1)))
struct SealingBatcherTests {
    static func request(_ caseId: String, department: String = "d-market") -> SealingRequest {
        SealingRequest(
            documentKind: .approvalDecision, documentHash: String(repeating: "ab", count: 32), caseId: caseId, departmentId: department,
            requestedBy: "s-zhang", windowId: "w-07")
    }

    /// An outcome naming the request it answers, so each caller can check it got its own.
    static func outcome(_ request: SealingRequest) -> SealingOutcome {
        .refused(SealRefusal(.notAuthorised, request.caseId))
    }

    /// Records the batches it is given; the first one waits until `holdUntilQueued` callers queue behind it.
    final class Sealer: Sendable {
        let batches = Mutex<[[String]]>([])
        let failWhenBatched: String?

        init(failWhenBatched: String? = nil) { self.failWhenBatched = failWhenBatched }

        func seal(_ requests: [SealingRequest], batcher: SealingBatcher, holdUntilQueued: Int) async throws -> [SealingOutcome] {
            let first = batches.withLock { batches in
                batches.append(requests.map(\.caseId))
                return batches.count == 1
            }
            if first {
                while batcher.queued(for: "d-market") < holdUntilQueued { try await Task.sleep(for: .milliseconds(1)) }
            }
            if let failWhenBatched, requests.contains(where: { $0.caseId == failWhenBatched }) {
                throw HallError(.internalError, "cannot seal \(failWhenBatched)")
            }
            return requests.map(SealingBatcherTests.outcome)
        }
    }

    @Test("callers arriving while a sealing is under way are sealed together in the next transaction, each answered with its own outcome")
    func batches() async throws {
        let batcher = SealingBatcher()
        let sealer = Sealer()
        let first = Task { try await batcher.apply(Self.request("C-0")) { try await sealer.seal($0, batcher: batcher, holdUntilQueued: 9) } }
        while sealer.batches.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(1)) }
        let outcomes = try await withThrowingTaskGroup(of: (String, SealingOutcome).self) { group in
            for n in 1...9 {
                group.addTask {
                    let request = Self.request("C-\(n)")
                    return (request.caseId, try await batcher.apply(request) { try await sealer.seal($0, batcher: batcher, holdUntilQueued: 9) })
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(try await first.value == Self.outcome(Self.request("C-0")))
        #expect(outcomes.count == 9 && outcomes.allSatisfy { $0.value == Self.outcome(Self.request($0.key)) })
        let batches = sealer.batches.withLock { $0 }
        #expect(batches.count == 2 && batches[0] == ["C-0"] && Set(batches[1]) == Set((1...9).map { "C-\($0)" }))
        #expect(batcher.queued(for: "d-market") == 0)
    }

    @Test("when a shared transaction fails, each request is sealed again alone: only the failing caller gets the error")
    func failureIsolated() async throws {
        let batcher = SealingBatcher()
        let sealer = Sealer(failWhenBatched: "C-poison")
        let first = Task { try await batcher.apply(Self.request("C-0")) { try await sealer.seal($0, batcher: batcher, holdUntilQueued: 4) } }
        while sealer.batches.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(1)) }
        let results = await withTaskGroup(of: (String, Result<SealingOutcome, any Error>).self) { group in
            for caseId in ["C-1", "C-poison", "C-2", "C-3"] {
                group.addTask {
                    do {
                        return (caseId, .success(try await batcher.apply(Self.request(caseId)) { try await sealer.seal($0, batcher: batcher, holdUntilQueued: 4) }))
                    } catch {
                        return (caseId, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        _ = try await first.value
        for caseId in ["C-1", "C-2", "C-3"] { #expect((try? results[caseId]?.get()) == Self.outcome(Self.request(caseId))) }
        #expect(throws: HallError.self) { try results["C-poison"]!.get() }
        // The shared batch, then each of its four requests alone.
        #expect(sealer.batches.withLock { $0.count } == 6)
    }

    @Test("departments of other lanes do not wait: a lone request of another lane's department is sealed while one is held")
    func lanesIndependent() async throws {
        let batcher = SealingBatcher()
        let sealer = Sealer()
        let other = try #require((0..<100).map { "d-\($0)" }.first { batcher.lane(for: $0) != batcher.lane(for: "d-market") })
        // Held until one caller queues behind it; the other department's request must not be that caller.
        let held = Task { try await batcher.apply(Self.request("C-0")) { try await sealer.seal($0, batcher: batcher, holdUntilQueued: 1) } }
        while sealer.batches.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(1)) }
        let alone = try await batcher.apply(Self.request("C-other", department: other)) { requests in requests.map(Self.outcome) }
        #expect(alone == Self.outcome(Self.request("C-other", department: other)))
        let release = try await batcher.apply(Self.request("C-1")) { try await sealer.seal($0, batcher: batcher, holdUntilQueued: 1) }
        #expect(release == Self.outcome(Self.request("C-1")))
        #expect(try await held.value == Self.outcome(Self.request("C-0")))
    }
}
