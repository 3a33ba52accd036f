import Testing

@testable import HallWeb

/// The mask of a QR code is chosen by the standard's penalty; for symbols up to version 9 it is
/// counted a row at a time as bits, and that count must be the module-by-module one exactly, or
/// the codes printed on the hall's notices would change with the machine's speed-ups.
@Suite("QR codes: the penalty that chooses the mask")
struct QRPenaltyTests {
    @Test("counted as bits, the penalty of any grid of versions 1–9 is the one counted module by module")
    func bitsAgreeWithModules() {
        var generator = SystemRandomNumberGenerator()
        for version in 1...9 {
            for round in 0..<200 {
                var grid = Grid(version: version)
                // Random grids, and grids with long runs and finder-like patterns (mostly one colour).
                let bias = [2, 8, 50][round % 3]
                for index in grid.dark.indices { grid.dark[index] = Int.random(in: 0..<100, using: &generator) < bias || round % 3 == 2 && Bool.random() }
                #expect(grid.wordPenalty() == grid.modulePenalty(), "version \(version)")
            }
            var symbol = Grid(version: version)
            symbol.drawFunctionPatterns()
            #expect(symbol.wordPenalty() == symbol.modulePenalty(), "finder patterns, version \(version)")
        }
    }
}
