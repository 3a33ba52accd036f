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

    @Test("made a row at a time, every symbol of versions 1–9 is the one made module by module: same placement, mask, format information")
    func symbolAsRowsIsTheModulesOne() throws {
        var generator = SystemRandomNumberGenerator()
        var versions = Set<Int>()
        for length in stride(from: 1, through: 230, by: 3) {
            let bytes = (0..<length).map { _ in UInt8.random(in: 32...126, using: &generator) }
            guard let version = (1...9).first(where: {
                QRCode.bitsNeeded(byteCount: bytes.count, version: $0) <= QRCode.dataCodewordCount(version: $0) * 8
            }) else { continue }
            let codewords = QRCode.interleavedWithErrorCorrection(QRCode.dataCodewords(bytes, version: version), version: version)
            let byModules = Grid.symbolByModules(version: version, codewords: codewords)
            #expect(RowLayout.all[version - 1].symbol(codewords) == byModules.packedRows(), "\(length) bytes, version \(version)")
            versions.insert(version)
        }
        #expect(versions == Set(1...9))
    }
}
