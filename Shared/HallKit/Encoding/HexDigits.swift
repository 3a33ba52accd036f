extension Sequence where Element == UInt8 {
    /// The bytes as lower-case hexadecimal digits, two a byte: how the hall writes a digest, a
    /// key id or a check value (without `String(format:)`, which costs a microsecond a byte).
    public var hexDigits: String {
        let digits: StaticString = "0123456789abcdef"
        var hex: [UInt8] = []
        hex.reserveCapacity(underestimatedCount * 2)
        digits.withUTF8Buffer { digits in
            for byte in self {
                hex.append(digits[Int(byte >> 4)])
                hex.append(digits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
