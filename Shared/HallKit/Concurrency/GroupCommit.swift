import Synchronization

/// Gathers requests that arrive while earlier ones are being written, so that one transaction
/// writes many of them (group commit). Intake stores concurrent acceptances with it, the seal
/// service concurrent sealings; intake also reads concurrent case look-ups with it, one statement
/// for a group.
///
/// No timer and no background task. Jobs go to lanes (a caller's choice: e.g. one lane per group
/// of seals, or one lane for everything); each lane writes at most `batchesPerLane` batches at
/// once. A job that finds its lane below that leads a batch at once (alone at low load, so it waits
/// for nothing); otherwise it queues. A leader that has written its batch hands the lead to the
/// oldest job queued in its lane, which writes everything queued there by then (at most
/// `maxBatch`). Under load the batches grow with the queue; the work of each caller stays bounded
/// (its own batch, plus at most one more it leads).
///
/// `flush` answers every job of a batch; it must not throw for the batch as a whole (a failure of
/// one job is that job's answer). A queued job is never abandoned: it is answered with its batch,
/// except that when the leader's task was cancelled, the jobs its batch failed are queued again
/// (their failure may be the leader's cancellation, not their own) and written by their own callers.
public final class GroupCommit<Job: Sendable, Answer: Sendable>: Sendable {
    private enum Turn: Sendable {
        /// Lead the next batch (its own job first).
        case lead
        /// Its job was written (or failed) in another caller's batch.
        case answered(Result<Answer, any Error>)
    }

    private struct Waiter: Sendable {
        var job: Job
        var continuation: CheckedContinuation<Turn, Never>
    }

    private struct Lane: Sendable {
        var queue: [Waiter] = []
        var inFlight = 0
    }

    private let lanes: Mutex<[Lane]>
    /// The number of lanes.
    public let laneCount: Int
    /// Batches one lane writes at the same time (each holds one database connection).
    public let batchesPerLane: Int
    /// Jobs in one batch at most.
    public let maxBatch: Int

    /// Creates a group commit of `lanes` lanes, each writing at most `batchesPerLane` batches of at
    /// most `maxBatch` jobs at once.
    public init(lanes: Int = 1, batchesPerLane: Int = 1, maxBatch: Int) {
        precondition(lanes >= 1 && batchesPerLane >= 1 && maxBatch >= 1)
        self.laneCount = lanes
        self.batchesPerLane = batchesPerLane
        self.maxBatch = maxBatch
        self.lanes = Mutex(Array(repeating: Lane(), count: lanes))
    }

    /// How many jobs wait in `lane` behind the batches being written.
    public func queued(inLane lane: Int) -> Int {
        lanes.withLock { $0[lane].queue.count }
    }

    /// Writes `job` in a batch with whatever else is queued in its lane and returns its own answer.
    ///
    /// - Parameter lane: in `0..<laneCount`.
    /// - Throws: the failure `flush` answered for this job.
    public func submit(_ job: Job, lane: Int = 0, flush: @Sendable ([Job]) async -> [Result<Answer, any Error>]) async throws -> Answer {
        precondition(lane >= 0 && lane < laneCount, "lane \(lane) of \(laneCount)")
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let leads = lanes.withLock { lanes in
                guard lanes[lane].inFlight < batchesPerLane else {
                    lanes[lane].queue.append(Waiter(job: job, continuation: continuation))
                    return false
                }
                lanes[lane].inFlight += 1
                return true
            }
            if leads { continuation.resume(returning: .lead) }
        }
        switch turn {
        case .answered(let result):
            return try result.get()
        case .lead:
            return try await lead(job, lane: lane, flush: flush).get()
        }
    }

    /// Writes `own` and the jobs queued in `lane`, answers the queued ones, then hands the lead on
    /// (or gives up its slot) and returns its own answer.
    private func lead(_ own: Job, lane: Int, flush: @Sendable ([Job]) async -> [Result<Answer, any Error>]) async -> Result<Answer, any Error> {
        let followers = lanes.withLock { lanes in
            let taken = Array(lanes[lane].queue.prefix(maxBatch - 1))
            lanes[lane].queue.removeFirst(taken.count)
            return taken
        }
        let answers = await flush([own] + followers.map(\.job))
        precondition(answers.count == followers.count + 1, "a batch answers every job")
        let cancelled = Task.isCancelled
        var requeued: [Waiter] = []
        for (waiter, answer) in zip(followers, answers.dropFirst()) {
            if cancelled, case .failure = answer {
                requeued.append(waiter)
            } else {
                waiter.continuation.resume(returning: .answered(answer))
            }
        }
        let next = lanes.withLock { lanes -> Waiter? in
            lanes[lane].queue.insert(contentsOf: requeued, at: 0)
            guard !lanes[lane].queue.isEmpty else {
                lanes[lane].inFlight -= 1
                return nil
            }
            return lanes[lane].queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return answers[0]
    }
}
