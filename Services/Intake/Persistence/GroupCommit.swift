import Synchronization

/// Gathers requests that arrive while earlier ones are being written, so that one transaction
/// writes many of them (group commit).
///
/// No timer and no background task: a request that finds fewer than `maxInFlight` batches being
/// written leads a batch at once (alone at low load, so it waits for nothing); otherwise it queues.
/// A leader that has written its batch hands the lead to the oldest queued request, which writes
/// everything queued by then (at most `maxBatch`). Under load the batches grow with the queue; the
/// work of each request stays bounded (its own batch, plus at most one more it leads).
///
/// `flush` answers every job of a batch; it must not throw for the batch as a whole (a failure of
/// one job is that job's answer). Cancellation does not abandon a queued job: it is answered with
/// its batch.
final class GroupCommit<Job: Sendable, Answer: Sendable>: Sendable {
    private enum Role: Sendable {
        case answered(Result<Answer, any Error>)
        case lead
    }

    private struct Waiter: Sendable {
        var job: Job
        var continuation: CheckedContinuation<Role, Never>
    }

    private struct State: Sendable {
        var queue: [Waiter] = []
        var inFlight = 0
    }

    private let state = Mutex(State())
    private let maxInFlight: Int
    private let maxBatch: Int

    /// - Parameters:
    ///   - maxInFlight: batches written at the same time (each holds one database connection).
    ///   - maxBatch: jobs in one batch at most.
    init(maxInFlight: Int = 2, maxBatch: Int = 64) {
        precondition(maxInFlight >= 1 && maxBatch >= 1)
        self.maxInFlight = maxInFlight
        self.maxBatch = maxBatch
    }

    /// Writes `job` in a batch with whatever else is queued and returns its own answer.
    func submit(_ job: Job, flush: @Sendable ([Job]) async -> [Result<Answer, any Error>]) async throws -> Answer {
        let role = await withCheckedContinuation { (continuation: CheckedContinuation<Role, Never>) in
            let leads = state.withLock { state in
                guard state.inFlight < maxInFlight else {
                    state.queue.append(Waiter(job: job, continuation: continuation))
                    return false
                }
                state.inFlight += 1
                return true
            }
            if leads { continuation.resume(returning: .lead) }
        }
        switch role {
        case .answered(let result):
            return try result.get()
        case .lead:
            return try await lead(job, flush: flush).get()
        }
    }

    /// Writes `own` and the queued jobs, answers the queued ones, then hands the lead on (or gives
    /// up its slot) and returns its own answer.
    private func lead(_ own: Job, flush: @Sendable ([Job]) async -> [Result<Answer, any Error>]) async -> Result<Answer, any Error> {
        let waiters = state.withLock { state in
            let taken = Array(state.queue.prefix(maxBatch - 1))
            state.queue.removeFirst(taken.count)
            return taken
        }
        let answers = await flush([own] + waiters.map(\.job))
        precondition(answers.count == waiters.count + 1, "a batch answers every job")
        for (waiter, answer) in zip(waiters, answers.dropFirst()) {
            waiter.continuation.resume(returning: .answered(answer))
        }
        let next = state.withLock { state -> Waiter? in
            guard !state.queue.isEmpty else {
                state.inFlight -= 1
                return nil
            }
            return state.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        return answers[0]
    }
}
