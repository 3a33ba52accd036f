import Foundation
import Synchronization

/// The outcome of sending a ``KafkaRecordBatch``: one result per record, in the batch's order.
public struct KafkaBatchDelivery: Sendable {
    let state: DeliveryState

    /// Number of records.
    public var count: Int { state.count }

    /// Number of records the broker acknowledged.
    public var deliveredCount: Int { state.count - state.failureCount }

    /// The error of record `index`, or nil when the broker acknowledged it.
    public func error(at index: Int) -> KafkaError? {
        precondition(index >= 0 && index < state.count, "no such record")
        return state.failure(at: index)
    }

    /// For each topic and partition written to, the offsets the broker gave records of this
    /// batch, as ascending runs of consecutive offsets (one run unless another producer's records
    /// came in between).
    public func offsetRuns() -> [String: [Int32: [ClosedRange<Int64>]]] {
        var byTopic: [Int32: [Int32: [Int64]]] = [:]
        // The failures are looked up (a lock each) only when there are some.
        let anyFailed = state.failureCount > 0
        for index in 0..<state.count where !anyFailed || state.failure(at: index) == nil {
            let slot = state.slots[index]
            byTopic[state.storage.records[index].topic, default: [:]][slot.partition, default: []].append(slot.offset)
        }
        return Dictionary(uniqueKeysWithValues: byTopic.map { topic, partitions in
            (state.storage.topics[Int(topic)], partitions.mapValues { offsets in
                var runs: [ClosedRange<Int64>] = []
                for offset in offsets.sorted() {
                    if let last = runs.last, offset <= last.upperBound + 1 {
                        runs[runs.count - 1] = last.lowerBound...max(last.upperBound, offset)
                    } else {
                        runs.append(offset...offset)
                    }
                }
                return runs
            })
        })
    }

    /// The delivery report (or error) of record `index`.
    public func result(at index: Int) -> Result<KafkaDeliveryReport, KafkaError> {
        if let error = error(at: index) { return .failure(error) }
        let slot = state.slots[index]
        let topic = state.storage.topics[Int(state.storage.records[index].topic)]
        return .success(KafkaDeliveryReport(topic: topic, partition: slot.partition, offset: slot.offset))
    }
}

/// Collects the delivery reports of one `send` call and resumes the caller when all are in.
///
/// Each record's librdkafka opaque points at its slot; the delivery report callback (on the poll
/// thread) writes the partition and offset there, or records the error, and counts down. The
/// count starts one above the record count: the sender holds that one until it waits, so the
/// last report always finds the continuation to resume. The sender keeps this object (and so
/// the batch's memory, which librdkafka reads in place) alive until then.
final class DeliveryState: @unchecked Sendable {
    struct Slot {
        var owner: Unmanaged<DeliveryState>
        var index: Int
        var partition: Int32 = -1
        var offset: Int64 = -1
    }

    let storage: KafkaRecordBatch.Storage
    let count: Int
    let slots: UnsafeMutablePointer<Slot>
    /// NUL-terminated copies of the batch's topic and header names.
    let topicNames: [UnsafeMutablePointer<CChar>]
    let headerNames: [UnsafeMutablePointer<CChar>]
    private let remaining: Atomic<Int>
    private let failures = Mutex<[Int: KafkaError]>([:])
    private let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)

    init(storage: KafkaRecordBatch.Storage) {
        self.storage = storage
        self.count = storage.records.count
        self.slots = UnsafeMutablePointer<Slot>.allocate(capacity: max(1, count))
        self.topicNames = storage.topics.map { strdup($0)! }
        self.headerNames = storage.headerNames.map { strdup($0)! }
        self.remaining = Atomic(count + 1)
        let owner = Unmanaged.passUnretained(self)
        for index in 0..<count { (slots + index).initialize(to: Slot(owner: owner, index: index)) }
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
        for name in topicNames { free(name) }
        for name in headerNames { free(name) }
    }

    /// Records a failure of record `index` and counts it as reported.
    func complete(index: Int, failure: KafkaError) {
        failures.withLock { $0[index] = failure }
        countDown()
    }

    /// Counts one report; the last one resumes the sender.
    func countDown() {
        guard remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        let continuation = waiter.withLock { waiter -> CheckedContinuation<Void, Never>? in
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume()
    }

    /// Returns once every record has its report.
    func allReported() async {
        await withCheckedContinuation { continuation in
            waiter.withLock { $0 = continuation }
            countDown()
        }
    }

    var failureCount: Int { failures.withLock { $0.count } }

    func failure(at index: Int) -> KafkaError? { failures.withLock { $0[index] } }

    func hasFatalFailure() -> Bool { failures.withLock { $0.values.contains { $0.isFatal } } }

    /// Whether every recorded failure satisfies `predicate`.
    func allFailures(_ predicate: (KafkaError) -> Bool) -> Bool { failures.withLock { $0.values.allSatisfy(predicate) } }

    func markFatalFailuresRetriable() {
        failures.withLock { failures in
            for (index, error) in failures where error.isFatal { failures[index]?.isRetriable = true }
        }
    }
}
