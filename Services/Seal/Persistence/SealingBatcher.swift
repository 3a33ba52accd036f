import Foundation
import HallKit

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
/// committed. The queueing is HallKit's ``GroupCommit`` (one batch at a time per lane).
final class SealingBatcher: Sendable {
    /// Seals requests in one transaction: one outcome per request, in order.
    typealias Seal = @Sendable ([SealingRequest]) async throws -> [SealingOutcome]

    private let group: GroupCommit<SealingRequest, SealingOutcome>
    /// The number of lanes: the most sealing transactions at once.
    var laneCount: Int { group.laneCount }
    /// The most requests sealed in one transaction.
    var maxBatch: Int { group.maxBatch }

    /// Creates a batcher of `lanes` lanes sealing at most `maxBatch` requests in one transaction.
    init(lanes: Int = 8, maxBatch: Int = 256) {
        self.group = GroupCommit(lanes: lanes, batchesPerLane: 1, maxBatch: maxBatch)
    }

    /// The lane of a department (FNV-1a of its id, so the same in every run).
    func lane(for department: String) -> Int {
        var hash: UInt32 = 0x811c_9dc5
        for byte in department.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return Int(hash % UInt32(laneCount))
    }

    /// How many callers wait behind the sealing under way in `department`'s lane (0 when idle).
    func queued(for department: String) -> Int {
        group.queued(inLane: lane(for: department))
    }

    /// Seals `request` with others of its lane queued at the same time, through `seal`.
    ///
    /// - Throws: what sealing the request alone threw.
    func apply(_ request: SealingRequest, seal: @escaping Seal) async throws -> SealingOutcome {
        try await group.submit(request, lane: lane(for: request.departmentId)) { requests in
            await Self.sealTogether(requests, seal: seal)
        }
    }

    /// One outcome per request: the batch in one transaction, or, if that throws, each alone.
    private static func sealTogether(_ requests: [SealingRequest], seal: Seal) async -> [Result<SealingOutcome, any Error>] {
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
