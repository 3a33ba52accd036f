import Foundation
import Synchronization

/// Seals concurrent callers' requests together (group commit), without a timer and without a task
/// of its own.
///
/// Departments are spread over a fixed number of lanes (a department always in the same lane). A
/// caller whose lane has no sealing under way leads at once: it seals its own request and every
/// request queued in its lane in the meantime (up to `maxBatch`) in one transaction, answers each
/// queued caller with its own outcome, and hands the lead to the next caller that queued while it
/// worked. So a lone request is sealed without waiting; under load each lane seals a batch at a
/// time (one seal's requests take its lock one after the other anyway), at most `lanes`
/// transactions run at once, and a batch's seal locks are taken in department order
/// (``SealStore/readForSealing(_:hashes:on:logger:)``).
///
/// If sealing a batch throws, each of its requests is sealed again alone, so one request's failure
/// is its own. Each caller gets the outcome of its own request, after the transaction holding it
/// committed.
final class SealingBatcher: Sendable {
    /// Seals requests in one transaction: one outcome per request, in order.
    typealias Seal = @Sendable ([SealingRequest]) async throws -> [SealingOutcome]

    /// What a queued caller is told when it is resumed.
    private enum Turn: Sendable {
        /// Lead the next batch (its own request first).
        case lead
        /// Its request was sealed or refused (or failed) in another caller's batch.
        case done(Result<SealingOutcome, any Error>)
    }

    private struct Waiter: Sendable {
        var request: SealingRequest
        var continuation: CheckedContinuation<Turn, Never>
    }

    /// Per lane with a sealing under way: the callers queued behind it; nil: idle.
    private let lanes: Mutex<[[Waiter]?]>
    /// The number of lanes: the most sealing transactions at once.
    let laneCount: Int
    /// The most requests sealed in one transaction.
    let maxBatch: Int

    /// Creates a batcher of `lanes` lanes sealing at most `maxBatch` requests in one transaction.
    init(lanes: Int = 8, maxBatch: Int = 256) {
        precondition(lanes >= 1 && maxBatch >= 1)
        self.laneCount = lanes
        self.maxBatch = maxBatch
        self.lanes = Mutex(Array(repeating: nil, count: lanes))
    }

    /// The lane of a department (FNV-1a of its id, so the same in every run).
    func lane(for department: String) -> Int {
        var hash: UInt32 = 0x811c_9dc5
        for byte in department.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return Int(hash % UInt32(laneCount))
    }

    /// How many callers wait behind the sealing under way in `department`'s lane (0 when idle).
    func queued(for department: String) -> Int {
        let lane = self.lane(for: department)
        return lanes.withLock { $0[lane]?.count ?? 0 }
    }

    /// Seals `request` with others of its lane queued at the same time, through `seal`.
    ///
    /// - Throws: what sealing the request alone threw.
    func apply(_ request: SealingRequest, seal: Seal) async throws -> SealingOutcome {
        let lane = self.lane(for: request.departmentId)
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let leads = lanes.withLock { lanes -> Bool in
                if lanes[lane] == nil {
                    lanes[lane] = []
                    return true
                }
                lanes[lane]!.append(Waiter(request: request, continuation: continuation))
                return false
            }
            if leads { continuation.resume(returning: .lead) }
        }
        switch turn {
        case .done(let result): return try result.get()
        case .lead: return try await lead(request, lane: lane, seal: seal)
        }
    }

    private func lead(_ own: SealingRequest, lane: Int, seal: Seal) async throws -> SealingOutcome {
        let followers = lanes.withLock { lanes -> [Waiter] in
            let queue = lanes[lane] ?? []
            let taken = Array(queue.prefix(maxBatch - 1))
            lanes[lane] = Array(queue.dropFirst(taken.count))
            return taken
        }
        let results = await sealTogether([own] + followers.map(\.request), seal: seal)
        // When this caller's task was cancelled, the followers its batch failed are sealed again in their own tasks.
        let cancelled = Task.isCancelled
        var requeued: [Waiter] = []
        for (waiter, result) in zip(followers, results.dropFirst()) {
            if cancelled, case .failure = result {
                requeued.append(waiter)
            } else {
                waiter.continuation.resume(returning: .done(result))
            }
        }
        handOn(lane, requeueing: requeued)
        return try results[0].get()
    }

    /// Gives the lead to the first queued caller, or marks the lane idle.
    private func handOn(_ lane: Int, requeueing: [Waiter]) {
        let next = lanes.withLock { lanes -> Waiter? in
            var queue = requeueing + (lanes[lane] ?? [])
            guard !queue.isEmpty else {
                lanes[lane] = nil
                return nil
            }
            let first = queue.removeFirst()
            lanes[lane] = queue
            return first
        }
        next?.continuation.resume(returning: .lead)
    }

    private func sealTogether(_ requests: [SealingRequest], seal: Seal) async -> [Result<SealingOutcome, any Error>] {
        do {
            let outcomes = try await seal(requests)
            precondition(outcomes.count == requests.count, "one outcome per request")
            return outcomes.map { .success($0) }
        } catch where requests.count > 1 {
            var results: [Result<SealingOutcome, any Error>] = []
            for request in requests {
                do {
                    results.append(.success(try await seal([request])[0]))
                } catch {
                    results.append(.failure(error))
                }
            }
            return results
        } catch {
            return [.failure(error)]
        }
    }
}
