import NIOCore

/// Reads PostgreSQL's binary array format (what `array_send` writes, and what postgres-nio
/// receives for an array column) without decoding element by element: where each element's
/// bytes are, or the elements of an `int8` array.
///
/// The format: `ndim`, a has-nulls flag and the element type (three big-endian `int32`s), then
/// `ndim` pairs of (length, lower bound), then each element as its `int32` length (-1 for NULL)
/// followed by its bytes.
enum PostgresBinaryArray {
    /// Where an element's bytes are, relative to the buffer's reader index.
    struct Span: Equatable {
        var offset: Int
        var count: Int
    }

    /// The elements of a one-dimensional array of `count` elements (nil for NULL).
    ///
    /// - Throws: when the bytes are not such an array.
    static func elements(_ buffer: ByteBuffer, count: Int) throws -> [Span?] {
        var reader = buffer
        let start = reader.readerIndex
        try readHeader(&reader, count: count)
        var spans: [Span?] = []
        spans.reserveCapacity(count)
        for _ in 0..<count {
            guard let length = reader.readInteger(as: Int32.self) else { throw malformed("element length") }
            if length < 0 {
                spans.append(nil)
                continue
            }
            let offset = reader.readerIndex - start
            guard reader.readableBytes >= Int(length) else { throw malformed("element bytes") }
            reader.moveReaderIndex(forwardBy: Int(length))
            spans.append(Span(offset: offset, count: Int(length)))
        }
        return spans
    }

    /// The elements of a one-dimensional `int8` array of `count` elements without NULLs.
    static func int64s(_ buffer: ByteBuffer, count: Int) throws -> [Int64] {
        var reader = buffer
        try readHeader(&reader, count: count)
        var values: [Int64] = []
        values.reserveCapacity(count)
        for _ in 0..<count {
            guard reader.readInteger(as: Int32.self) == 8, let value = reader.readInteger(as: Int64.self) else {
                throw malformed("int8 element")
            }
            values.append(value)
        }
        return values
    }

    private static func readHeader(_ reader: inout ByteBuffer, count: Int) throws {
        guard let dimensions = reader.readInteger(as: Int32.self), reader.readInteger(as: Int32.self) != nil,
            reader.readInteger(as: UInt32.self) != nil
        else { throw malformed("header") }
        if dimensions == 0, count == 0 { return }
        guard dimensions == 1, let length = reader.readInteger(as: Int32.self), reader.readInteger(as: Int32.self) != nil,
            Int(length) == count
        else { throw malformed("dimensions (expected one of \(count) elements)") }
    }

    private static func malformed(_ part: String) -> HallError {
        HallError(.internalError, "binary array from PostgreSQL: bad \(part)", words: "PostgreSQL 返回的二进制数组有误：\(part)")
    }
}
