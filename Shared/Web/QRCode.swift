// QRCode.swift — a self-contained QR code encoder (ISO/IEC 18004:2015).
// Byte mode only, error correction level M, versions 1–40, automatic mask choice.
// No dependencies; all tables are immutable `static let`s, so the type is `Sendable`.

/// A QR code (ISO/IEC 18004) of some bytes: byte mode, error correction level M, the smallest version 1–40 that holds them, the mask with the lowest penalty.
public struct QRCode: Sendable {
    /// Modules per side: `17 + 4 × version`.
    public let size: Int
    /// Module colours, each row as `wordsPerRow` words: module x of row y is bit x % 64 of word `y * wordsPerRow + x / 64`; 1 = dark.
    private let rows: [UInt64]
    private var wordsPerRow: Int { (size + 63) / 64 }

    /// Thrown when the data does not fit a version 40-M symbol (2331 bytes).
    public struct TooLong: Error, Sendable { public let bytes: Int }

    /// Encodes the UTF-8 bytes of `text`.
    public init(text: String) throws {
        try self.init(bytes: Array(text.utf8))
    }

    /// Encodes `bytes` in byte mode at level M, in the smallest version that holds them.
    public init(bytes: [UInt8]) throws {
        guard let version = (1...40).first(where: {
            QRCode.bitsNeeded(byteCount: bytes.count, version: $0) <= QRCode.dataCodewordCount(version: $0) * 8
        }) else { throw TooLong(bytes: bytes.count) }

        let data = QRCode.dataCodewords(bytes, version: version)
        let codewords = QRCode.interleavedWithErrorCorrection(data, version: version)
        size = 17 + 4 * version
        rows = version <= RowLayout.maxVersion
            ? RowLayout.all[version - 1].symbol(codewords)
            : Grid.symbolByModules(version: version, codewords: codewords).packedRows()
    }

    /// The colour of the module at column `x`, row `y` (origin top-left); `true` = dark.
    /// Coordinates outside the symbol are light (they belong to the quiet zone).
    public func module(x: Int, y: Int) -> Bool {
        guard (0..<size).contains(x), (0..<size).contains(y) else { return false }
        return rows[y * wordsPerRow + x >> 6] >> (x & 63) & 1 == 1
    }

    /// The first module at or after column `x` of row `y` that is dark (or light, `dark` false); nil when there is none.
    private func next(dark: Bool, row y: Int, from x: Int) -> Int? {
        let first = y * wordsPerRow, flip: UInt64 = dark ? 0 : ~0
        var word = x >> 6
        var bits = (rows[first + word] ^ flip) & (~0 << (x & 63))
        while bits == 0 {
            word += 1
            guard word < wordsPerRow else { return nil }
            bits = rows[first + word] ^ flip
        }
        let found = word << 6 | bits.trailingZeroBitCount
        return found < size ? found : nil   // past the edge a light row's complement is set
    }

    /// An SVG drawing of the code with a 4-module quiet zone, one <path> of the dark modules, viewBox in modules, `shape-rendering="crispEdges"`, and an accessible <title> given as `title` (XML-escaped).
    ///
    /// Each horizontal run of dark modules is a line one module wide along the middle of its row:
    /// `M4 4.5h7` starts a row, `m2 0h1` moves on past the light modules to the next run. Written
    /// as bytes into the string's own storage: a string interpolation per run, and then an array's
    /// append per byte, were most of the cost of a code. Drawn as filled rectangles
    /// (`M4,4h7v1h-7z`), the path took two and a half times the bytes.
    public func svg(title: String) -> String {
        let quiet = 4, side = size + 2 * quiet
        // At most one run per two modules of a row, each at most "M999 999.5h999".
        let runs = String(unsafeUninitializedCapacity: size * (size / 2 + 1) * 14) { out in
            var at = 0
            @inline(__always) func put(_ byte: UInt8) {
                out[at] = byte
                at += 1
            }
            @inline(__always) func put(_ value: Int) {   // 0 ≤ value < 1000
                if value >= 100 { put(UInt8(ascii: "0") + UInt8(value / 100)) }
                if value >= 10 { put(UInt8(ascii: "0") + UInt8(value / 10 % 10)) }
                put(UInt8(ascii: "0") + UInt8(value % 10))
            }
            for y in 0..<size {
                var end: Int?   // where the row's last run ended
                while let start = next(dark: true, row: y, from: end ?? 0) {
                    if let end {
                        put(UInt8(ascii: "m")); put(start - end); put(UInt8(ascii: " ")); put(UInt8(ascii: "0"))
                    } else {
                        put(UInt8(ascii: "M")); put(start + quiet); put(UInt8(ascii: " ")); put(y + quiet)
                        put(UInt8(ascii: ".")); put(UInt8(ascii: "5"))
                    }
                    let stop = next(dark: false, row: y, from: start) ?? size
                    put(UInt8(ascii: "h")); put(stop - start)
                    end = stop
                }
            }
            return at
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" \
            shape-rendering="crispEdges" role="img">\
            <title>\(QRCode.xmlEscaped(title))</title>\
            <rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path fill="none" stroke="#000" stroke-width="1" d="\(runs)"/></svg>
            """
    }

    static func xmlEscaped(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return s }   // & < > " '
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}

// MARK: - Capacity tables (level M)

extension QRCode {
    /// Error-correction codewords per block at level M, indexed by version (index 0 unused).
    static let eccPerBlock: [Int] = [0,
        10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
        26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28]
    /// Number of error-correction blocks at level M, indexed by version (index 0 unused).
    static let blockCount: [Int] = [0,
        1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
        17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49]

    /// All codewords (data + EC) a version holds: the modules left after function patterns, ÷ 8.
    static func totalCodewordCount(version v: Int) -> Int {
        var modules = (16 * v + 128) * v + 64
        if v >= 2 {
            let align = v / 7 + 2
            modules -= (25 * align - 10) * align - 55   // alignment patterns, less timing overlap
            if v >= 7 { modules -= 36 }                  // two version-information blocks
        }
        return modules / 8
    }

    static func dataCodewordCount(version v: Int) -> Int {
        totalCodewordCount(version: v) - eccPerBlock[v] * blockCount[v]
    }

    /// Mode indicator + character count + payload, in bits.
    static func bitsNeeded(byteCount: Int, version v: Int) -> Int {
        4 + (v <= 9 ? 8 : 16) + 8 * byteCount
    }

    /// Centre coordinates of alignment patterns (same list for rows and columns).
    static func alignmentPositions(version v: Int) -> [Int] {
        guard v >= 2 else { return [] }
        let count = v / 7 + 2
        let step = (v * 8 + count * 3 + 5) / (count * 4 - 4) * 2
        var positions = [6]
        for i in 0..<(count - 1) { positions.insert(4 * v + 10 - i * step, at: 1) }
        return positions
    }
}

// MARK: - Data codewords and Reed–Solomon

extension QRCode {
    /// Byte-mode segment, terminator, byte alignment, then 0xEC/0x11 padding to the data capacity.
    static func dataCodewords(_ bytes: [UInt8], version v: Int) -> [UInt8] {
        let capacity = dataCodewordCount(version: v)
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        var pending: UInt64 = 0, pendingBits = 0   // the low `pendingBits` bits are not yet written
        func append(_ value: Int, _ count: Int) {   // count ≤ 16
            pending = pending << count | UInt64(value)
            pendingBits += count
            while pendingBits >= 8 {
                pendingBits -= 8
                out.append(UInt8(truncatingIfNeeded: pending >> pendingBits))
            }
        }
        append(0b0100, 4)                              // byte mode
        append(bytes.count, v <= 9 ? 8 : 16)           // character count
        for b in bytes { append(Int(b), 8) }
        let written = out.count * 8 + pendingBits
        append(0, min(4, capacity * 8 - written))      // terminator
        if pendingBits > 0 { append(0, 8 - pendingBits) }   // pad to a byte boundary
        var pad: UInt8 = 0xEC
        while out.count < capacity { out.append(pad); pad ^= 0xEC ^ 0x11 }
        return out
    }

    /// Splits data into blocks, appends each block's EC codewords, and interleaves the result.
    static func interleavedWithErrorCorrection(_ data: [UInt8], version v: Int) -> [UInt8] {
        let blocks = blockCount[v], eccLen = eccPerBlock[v]
        let shortDataLen = data.count / blocks
        let longBlocks = data.count % blocks             // the last `longBlocks` blocks hold one more
        let divisor = generatorLogs[eccLen]
        var dataBlocks: [[UInt8]] = [], eccBlocks: [[UInt8]] = []
        var offset = 0
        for i in 0..<blocks {
            let len = shortDataLen + (i >= blocks - longBlocks ? 1 : 0)
            let block = data[offset..<offset + len]
            offset += len
            dataBlocks.append(Array(block))
            eccBlocks.append(reedSolomonRemainder(block, divisor: divisor))
        }
        var out: [UInt8] = []
        for i in 0...shortDataLen { for block in dataBlocks where i < block.count { out.append(block[i]) } }
        for i in 0..<eccLen { for block in eccBlocks { out.append(block[i]) } }
        return out
    }

    /// GF(256) antilog and log tables for the field polynomial x⁸+x⁴+x³+x²+1 (0x11D).
    /// The antilog table is written twice over, so a product's two logs index it without `% 255`.
    static let gf: (exp: [UInt8], log: [Int]) = {
        var exp = [UInt8](repeating: 0, count: 510), log = [Int](repeating: 0, count: 256)
        var x = 1
        for i in 0..<255 {
            exp[i] = UInt8(x); exp[i + 255] = UInt8(x); log[x] = i
            x <<= 1
            if x & 0x100 != 0 { x ^= 0x11D }
        }
        return (exp, log)
    }()

    static func gfMultiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        guard a != 0, b != 0 else { return 0 }
        return gf.exp[gf.log[Int(a)] + gf.log[Int(b)]]
    }

    /// The logs of each generator's coefficients (−1 for a zero), by degree: the divisors of ``reedSolomonRemainder(_:divisor:)``.
    static let generatorLogs: [[Int]] = (0...eccPerBlock.max()!).map { degree in
        degree == 0 ? [] : reedSolomonGenerator(degree: degree).map { $0 == 0 ? -1 : gf.log[Int($0)] }
    }

    /// Coefficients (highest power first, leading 1 omitted) of ∏ (x − αⁱ), i = 0 ..< degree.
    static func reedSolomonGenerator(degree: Int) -> [UInt8] {
        var poly = [UInt8](repeating: 0, count: degree)
        poly[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                poly[j] = gfMultiply(poly[j], root)
                if j + 1 < degree { poly[j] ^= poly[j + 1] }
            }
            root = gfMultiply(root, 2)
        }
        return poly
    }

    /// The remainder of data(x)·x^degree ÷ generator(x): the block's EC codewords; `divisor` is the generator's logs (``generatorLogs``).
    static func reedSolomonRemainder(_ data: ArraySlice<UInt8>, divisor divisorLogs: [Int]) -> [UInt8] {
        let (exp, log) = gf
        var rem = [UInt8](repeating: 0, count: divisorLogs.count)
        for byte in data {
            let factor = byte ^ rem[0]
            for i in 0..<(rem.count - 1) { rem[i] = rem[i + 1] }
            rem[rem.count - 1] = 0
            guard factor != 0 else { continue }
            let factorLog = log[Int(factor)]
            for i in rem.indices where divisorLogs[i] >= 0 { rem[i] ^= exp[divisorLogs[i] + factorLog] }
        }
        return rem
    }
}

// MARK: - The module grid

/// A symbol under construction: module colours plus which modules are function patterns.
struct Grid: Sendable {
    let version: Int
    let size: Int
    var dark: [Bool]
    var isFunction: [Bool]

    init(version: Int) {
        self.version = version
        size = 17 + 4 * version
        dark = Array(repeating: false, count: size * size)
        isFunction = dark
    }

    mutating func setFunction(_ x: Int, _ y: Int, _ isDark: Bool) {
        dark[y * size + x] = isDark
        isFunction[y * size + x] = true
    }

    /// Timing patterns, finders with separators, alignment patterns, reserved format and version areas.
    mutating func drawFunctionPatterns() {
        for i in 0..<size {
            setFunction(6, i, i % 2 == 0)
            setFunction(i, 6, i % 2 == 0)
        }
        for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 where (0..<size).contains(cx + dx) && (0..<size).contains(cy + dy) {
                    let ring = max(abs(dx), abs(dy))     // 4 = separator, 2 = light ring
                    setFunction(cx + dx, cy + dy, ring != 2 && ring != 4)
                }
            }
        }
        let centres = QRCode.alignmentPositions(version: version)
        let last = centres.count - 1
        for (i, cx) in centres.enumerated() {
            for (j, cy) in centres.enumerated() {
                if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                for dy in -2...2 {
                    for dx in -2...2 { setFunction(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) }
                }
            }
        }
        drawFormatBits(mask: 0)   // reserves the area (and sets the dark module); redrawn per mask
        drawVersionBits()
    }

    /// 15 format bits — level M (00) and the mask, BCH(15,5), XOR 0x5412 — in both copies.
    mutating func drawFormatBits(mask: Int) {
        Grid.formatModules(mask: mask, size: size) { x, y, dark in setFunction(x, y, dark) }
    }

    /// Each module of the format information for `mask` (both copies and the dark module).
    static func formatModules(mask: Int, size: Int, _ set: (_ x: Int, _ y: Int, _ dark: Bool) -> Void) {
        let data = (0b00 << 3) | mask
        var rem = data
        for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
        let bits = ((data << 10) | rem) ^ 0x5412
        func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
        for i in 0...5 { set(8, i, bit(i)) }
        set(8, 7, bit(6))
        set(8, 8, bit(7))
        set(7, 8, bit(8))
        for i in 9..<15 { set(14 - i, 8, bit(i)) }
        for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
        for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
        set(8, size - 8, true)   // the dark module
    }

    /// 18 version bits — version, BCH(18,6) — in both 6×3 blocks, for versions 7 and up.
    mutating func drawVersionBits() {
        guard version >= 7 else { return }
        var rem = version
        for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
        let bits = (version << 12) | rem
        for i in 0..<18 {
            let isDark = (bits >> i) & 1 == 1
            let a = size - 11 + i % 3, b = i / 3
            setFunction(a, b, isDark)
            setFunction(b, a, isDark)
        }
    }

    /// Where each codeword bit goes (`y * size + x`), in order: the two-column zigzag from the
    /// bottom-right corner, skipping function modules and the vertical timing column. The modules
    /// left over are remainder bits and stay light.
    func dataPlaces() -> [Int] {
        let bits = QRCode.totalCodewordCount(version: version) * 8
        var places: [Int] = []
        places.reserveCapacity(bits)
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            let upward = (right + 1) & 2 == 0
            for step in 0..<size {
                let y = upward ? size - 1 - step : step
                for x in stride(from: right, through: right - 1, by: -1) where !isFunction[y * size + x] {
                    places.append(y * size + x)
                }
            }
            right -= 2
        }
        return Array(places.prefix(bits))
    }

    mutating func placeCodewords(_ codewords: [UInt8]) {
        for (bitIndex, place) in dataPlaces().prefix(codewords.count * 8).enumerated() {
            dark[place] = (codewords[bitIndex >> 3] >> (7 - (bitIndex & 7))) & 1 == 1
        }
    }

    /// The symbol of `codewords` for any version: placed, then masked with the first of the eight
    /// masks with the lowest penalty, each scored module by module with its format information
    /// drawn (as ZXing's encoder does).
    static func symbolByModules(version: Int, codewords: [UInt8]) -> Grid {
        var base = Grid(version: version)
        base.drawFunctionPatterns()
        base.placeCodewords(codewords)
        let mask = base.bestMaskByModules()
        base.applyMask(mask)
        base.drawFormatBits(mask: mask)
        return base
    }

    /// The modules' colours as ``QRCode``'s rows of words: module x of row y at bit x % 64 of word `y * words + x / 64`.
    func packedRows() -> [UInt64] { Grid.packed(dark, size: size) }

    /// `cells` (a grid's colours or its function modules) as rows of words, module x of a row at bit x % 64 of its word x / 64.
    static func packed(_ cells: [Bool], size: Int) -> [UInt64] {
        let words = (size + 63) / 64
        var rows = [UInt64](repeating: 0, count: size * words)
        for y in 0..<size {
            for x in 0..<size where cells[y * size + x] { rows[y * words + x >> 6] |= 1 << (x & 63) }
        }
        return rows
    }

    /// Whether mask pattern `mask` (0–7) flips the module at column `x`, row `y`.
    static func flips(_ mask: Int, x: Int, y: Int) -> Bool {
        switch mask {
        case 0: (x + y) % 2 == 0
        case 1: y % 2 == 0
        case 2: x % 3 == 0
        case 3: (x + y) % 3 == 0
        case 4: (x / 3 + y / 2) % 2 == 0
        case 5: x * y % 2 + x * y % 3 == 0
        case 6: (x * y % 2 + x * y % 3) % 2 == 0
        default: ((x + y) % 2 + x * y % 3) % 2 == 0
        }
    }

    /// XORs the data modules with mask pattern `mask` (0–7).
    mutating func applyMask(_ mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y * size + x] && Grid.flips(mask, x: x, y: y) { dark[y * size + x].toggle() }
        }
    }

    /// The standard's four penalty rules: runs, 2×2 blocks, finder-like patterns, dark balance.
    /// The first mask with the lowest penalty, each candidate masked and scored module by module.
    func bestMaskByModules() -> Int {
        var best = 0, bestPenalty = Int.max
        for mask in 0..<8 {
            var candidate = self
            candidate.applyMask(mask)
            candidate.drawFormatBits(mask: mask)
            let penalty = candidate.modulePenalty()
            if penalty < bestPenalty { (best, bestPenalty) = (mask, penalty) }
        }
        return best
    }

    /// The penalty of the grid as it stands, counted on its rows and columns as bits (up to version 9).
    func wordPenalty() -> Int {
        Grid.wordPenalty(rows: packedRows(), size: size)
    }

    /// The penalty of a symbol of `size` ≤ 56 modules a side given as its rows, module x at bit x.
    static func wordPenalty(rows: [UInt64], size: Int) -> Int {
        let columns = transposed(rows[...])
        return rows.withUnsafeBufferPointer { rows in
            columns.withUnsafeBufferPointer { wordPenalty(rows: rows, columns: $0, size: size) }
        }
    }

    /// The same, given also the symbol's columns as bits (column x at `columns[x]`, module y at bit y).
    static func wordPenalty(rows: UnsafeBufferPointer<UInt64>, columns: UnsafeBufferPointer<UInt64>, size: Int) -> Int {
        var total = 0
        for y in 0..<size { total += linePenalty(rows[y], count: size) &+ linePenalty(columns[y], count: size) }
        let pairs: UInt64 = (1 << (size - 1)) - 1   // bit x: modules x and x + 1 of a row
        var darkCount = rows[size - 1].nonzeroBitCount
        for y in 0..<(size - 1) {
            let a = rows[y], b = rows[y + 1]
            total += 3 * (~(a ^ (a >> 1)) & ~(b ^ (b >> 1)) & ~(a ^ b) & pairs).nonzeroBitCount   // rule 2
            darkCount += a.nonzeroBitCount
        }
        return total + 10 * (abs(darkCount * 20 - size * size * 10) / (size * size))   // rule 4
    }

    /// Transposes a 64 × 64 matrix of bits in place (row y's bit x becomes row x's bit y): the
    /// blocks above and below the diagonal swapped, halving their size six times.
    static func transpose(_ rows: UnsafeMutableBufferPointer<UInt64>) {
        var width = 32
        var low: UInt64 = 0x0000_0000_FFFF_FFFF   // the right-hand columns of each block pair
        while width != 0 {
            var k = 0
            while k < 64 {
                let t = (rows[k] >> width ^ rows[k + width]) & low
                rows[k] ^= t << width
                rows[k + width] ^= t
                k = (k + width + 1) & ~width
            }
            width >>= 1
            low ^= low << width
        }
    }

    /// The columns of `rows` (at most 64), as many as there are rows.
    static func transposed(_ rows: ArraySlice<UInt64>) -> [UInt64] {
        var square = Array(rows) + Array(repeating: 0, count: 64 - rows.count)
        square.withUnsafeMutableBufferPointer { transpose($0) }
        return Array(square.prefix(rows.count))
    }

    /// Rules 1 and 3 for one row or column of `count` ≤ 56 modules, module i at bit i.
    static func linePenalty(_ line: UInt64, count: Int) -> Int {
        // Rule 1: a run of L ≥ 5 is L − 4 places where five modules are alike, plus 2 where it starts.
        let alike = ~(line ^ (line >> 1)) & ((1 << (count - 1)) - 1)   // bit i: module i is module i + 1's colour
        let five = alike & (alike >> 1) & (alike >> 2) & (alike >> 3)  // bit i: modules i … i + 4 alike
        let starts = five & ~(alike << 1)
        var total = five.nonzeroBitCount + 2 * starts.nonzeroBitCount
        // Rule 3: dark, light, dark × 3, light, dark at padded position k, with four light before or after.
        let padded = line << 4
        let pattern = padded & ~(padded >> 1) & (padded >> 2) & (padded >> 3) & (padded >> 4) & ~(padded >> 5) & (padded >> 6)
        let light = ~padded & ~(padded >> 1) & ~(padded >> 2) & ~(padded >> 3)   // bit j: positions j … j + 3 light
        total += 40 * (pattern & ((light << 4) | (light >> 7))).nonzeroBitCount
        return total
    }

    /// The penalty of a symbol of any version, module by module.
    func modulePenalty() -> Int {
        dark.withUnsafeBufferPointer { dark in
            dark.withMemoryRebound(to: UInt8.self) { cells in   // a Bool is one byte, 0 or 1
                var total = 0
                for i in 0..<size {
                    total += Grid.linePenalty(cells, from: i * size, step: 1, count: size)   // row i
                    total += Grid.linePenalty(cells, from: i, step: size, count: size)       // column i
                }
                // Rule 2, eight 2×2 blocks at a time: each byte of `differ` is 0 or 1, 0 where a block is all alike.
                let bytes = UnsafeRawBufferPointer(cells)
                for y in 0..<(size - 1) {
                    let row = y * size, next = row + size
                    var x = 0
                    while x + 8 <= size - 1 {
                        let a = bytes.loadUnaligned(fromByteOffset: row + x, as: UInt64.self)
                        let differ = (a ^ bytes.loadUnaligned(fromByteOffset: row + x + 1, as: UInt64.self))
                            | (a ^ bytes.loadUnaligned(fromByteOffset: next + x, as: UInt64.self))
                            | (a ^ bytes.loadUnaligned(fromByteOffset: next + x + 1, as: UInt64.self))
                        total += 3 * (8 - differ.nonzeroBitCount)
                        x += 8
                    }
                    while x < size - 1 {
                        let c = cells[row + x]
                        let differ = (c ^ cells[row + x + 1]) | (c ^ cells[next + x]) | (c ^ cells[next + x + 1])
                        total += differ == 0 ? 3 : 0
                        x += 1
                    }
                }
                var darkCount = 0, offset = 0
                while offset + 8 <= cells.count {
                    darkCount += bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).nonzeroBitCount
                    offset += 8
                }
                while offset < cells.count { darkCount += Int(cells[offset]); offset += 1 }
                total += 10 * (abs(darkCount * 20 - cells.count * 10) / cells.count)   // per full 5% off 50%
                return total
            }
        }
    }

    /// Rule 1 (runs of ≥ 5: 3 + excess) and rule 3 (1:1:3:1:1 preceded or followed by 4 light: 40)
    /// for one row or column (`count` modules from `from`, `step` apart); modules beyond the edge
    /// count as light. One pass that reads the modules as bits of a number, without a branch on a
    /// module's colour (each such branch guessed wrong half the time on a code's random-looking
    /// data, and that was most of the mask choice):
    /// - rule 1: a run of L ≥ 5 is L − 4 places where the last five modules are alike, plus 2 where
    ///   the sixth before differs (the run's start);
    /// - rule 3: the last 15 modules of the line padded with four light ones at each edge are the
    ///   pattern's 7 with the 4 before and the 4 after it.
    static func linePenalty(_ cells: UnsafeBufferPointer<UInt8>, from: Int, step: Int, count: Int) -> Int {
        var total = 0, index = from
        var window: UInt32 = 0, last6: UInt32 = 0
        for j in 0..<(count + 8) {
            var bit: UInt32 = 0
            if j >= 4 && j < count + 4 {
                bit = UInt32(cells[index])
                index += step
                let i = j - 4
                last6 = (last6 << 1 | bit) & 0x3F
                if i >= 4 {
                    let fiveAlike = ((last6 &+ 1) & 0x1F) <= 1          // 00000 or 11111
                    let sixAlike = i >= 5 && ((last6 &+ 1) & 0x3F) <= 1  // 000000 or 111111
                    total &+= (fiveAlike ? 1 : 0) &+ (fiveAlike && !sixAlike ? 2 : 0)
                }
            }
            window = (window << 1 | bit) & 0x7FFF
            // The pattern starting at line position j − 10, with the 4 modules before and after it.
            if j >= 14, (window >> 4) & 0x7F == 0b1011101, (window >> 11) == 0 || window & 0xF == 0 {
                total += 40
            }
        }
        return total
    }
}

// MARK: - Symbols up to version 9, a row at a time

/// What every symbol of one version up to 9 (53 modules a side) shares, worked out once: its
/// function patterns with each mask's format information, the modules each mask flips, and where
/// each codeword bit goes. A symbol is then its bits placed in rows of one word, and each mask one
/// XOR a row, with every penalty rule a few operations a line (``Grid/wordPenalty(rows:size:)``).
/// It is the symbol the module-by-module encoder gives (``Grid/symbolByModules(version:codewords:)``).
struct RowLayout: Sendable {
    /// The highest version whose rows, padded with four light modules at each end, fit a word.
    static let maxVersion = 9
    static let all = (1...maxVersion).map(RowLayout.init(version:))

    let size: Int
    /// Function patterns with mask m's format information: row y at `m * size + y`.
    let functions: [UInt64]
    /// The data modules mask m flips: row y at `m * size + y`.
    let flips: [UInt64]
    /// The same two by columns: column x at `m * size + x`, module y at bit y. Placing, flipping and
    /// drawing commute with transposing, so a candidate's columns need only the placed data's.
    let functionColumns: [UInt64], flipColumns: [UInt64]
    /// Where codeword bit i goes: `y << 6 | x`.
    let places: [UInt16]

    init(version: Int) {
        var grid = Grid(version: version)
        grid.drawFunctionPatterns()
        let size = grid.size
        self.size = size
        let data = Grid.packed(grid.isFunction, size: size).map { ~$0 & ((1 << size) - 1) }
        functions = (0..<8).flatMap { mask in
            var masked = grid
            masked.drawFormatBits(mask: mask)
            return masked.packedRows()
        }
        flips = (0..<8).flatMap { mask in (0..<size).map { y in RowLayout.maskPatterns[mask * 12 + y % 12] & data[y] } }
        func columns(_ rows: [UInt64]) -> [UInt64] {
            (0..<8).flatMap { mask in Grid.transposed(rows[mask * size..<(mask + 1) * size]) }
        }
        functionColumns = columns(functions)
        flipColumns = columns(flips)
        places = grid.dataPlaces().map { UInt16(($0 / size) << 6 | $0 % size) }
    }

    /// Each mask's modules to flip in rows y mod 12 (every pattern repeats every 12 rows), module x at bit x.
    static let maskPatterns: [UInt64] = (0..<8).flatMap { mask in
        (0..<12).map { y in (0..<64).reduce(UInt64(0)) { row, x in Grid.flips(mask, x: x, y: y) ? row | 1 << x : row } }
    }

    /// The symbol of `codewords` (all the version holds): its rows, module x at bit x.
    func symbol(_ codewords: [UInt8]) -> [UInt64] {
        var placed = [UInt64](repeating: 0, count: size)
        for (bitIndex, place) in places.enumerated() {
            let bit = UInt64(codewords[bitIndex >> 3] >> (7 - bitIndex & 7) & 1)
            placed[Int(place >> 6)] |= bit << (place & 63)
        }
        let placedColumns = Grid.transposed(placed[...])
        var best = 0, bestPenalty = Int.max
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * size) { candidate in
            let rows = UnsafeMutableBufferPointer(rebasing: candidate[..<size])
            let columns = UnsafeMutableBufferPointer(rebasing: candidate[size...])
            for mask in 0..<8 {
                for i in 0..<size {
                    rows[i] = placed[i] ^ flips[mask * size + i] | functions[mask * size + i]
                    columns[i] = placedColumns[i] ^ flipColumns[mask * size + i] | functionColumns[mask * size + i]
                }
                let penalty = Grid.wordPenalty(rows: UnsafeBufferPointer(rows), columns: UnsafeBufferPointer(columns), size: size)
                if penalty < bestPenalty { (best, bestPenalty) = (mask, penalty) }
            }
        }
        return (0..<size).map { y in placed[y] ^ flips[best * size + y] | functions[best * size + y] }
    }
}
