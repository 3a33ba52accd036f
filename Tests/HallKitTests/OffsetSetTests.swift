@testable import HallKit
import Testing

/// The offsets a topic keeper knows were handed out in a partition: an offset handed out a second
/// time means the partition started again (the broker lost it).
@Suite("Offsets handed out in a partition")
struct OffsetSetTests {
    /// Inserts each run in order; returns which of them repeated an offset already in the set.
    static func repeats(_ runs: [ClosedRange<Int64>], into set: inout OffsetSet) -> [Bool] {
        runs.map { set.insert($0) }
    }

    @Test("runs noted in any order, interleaved with another producer's, are never taken for offsets given twice")
    func outOfOrderIsNotARepeat() {
        var set = OffsetSet()
        #expect(Self.repeats([10...19, 0...9, 25...30, 21...21], into: &set) == [false, false, false, false])
        #expect(set.runs == [0...19, 21...21, 25...30])
        #expect(Self.repeats([20...20, 22...24], into: &set) == [false, false])
        #expect(set.runs == [0...30])
    }

    @Test("an offset handed out a second time is seen, also inside a run or across two")
    func repeatIsSeen() {
        var set = OffsetSet()
        #expect(Self.repeats([0...99, 200...299, 0...2, 50...50, 150...250, 300...310], into: &set) == [false, false, true, true, true, false])
    }

    @Test("past the limit the lowest runs merge: an old gap counts as handed out, the newest runs stay exact")
    func bounded() {
        var set = OffsetSet()
        let runs = (0..<Int64(OffsetSet.limit + 10)).map { ($0 * 10)...($0 * 10 + 4) }
        #expect(!Self.repeats(runs, into: &set).contains(true))
        #expect(set.runs.count == OffsetSet.limit)
        let last = Int64(OffsetSet.limit + 9) * 10
        #expect(Self.repeats([5...5, (last - 5)...(last - 5)], into: &set) == [true, false], "the oldest gap was merged; recent gaps are exact")
    }
}
