@testable import HallKit
import NIOCore
import Testing

@Suite("PostgreSQL binary arrays read in place")
struct PostgresBinaryArrayTests {
    /// An array as `array_send` writes it: one dimension, then each element's length and bytes.
    func array(_ elements: [[UInt8]?], type: UInt32 = 25, prefix: Int = 0) -> ByteBuffer {
        var buffer = ByteBuffer(repeating: 0xAA, count: prefix)
        buffer.moveReaderIndex(forwardBy: prefix)
        buffer.writeInteger(Int32(elements.isEmpty ? 0 : 1))
        buffer.writeInteger(Int32(elements.contains { $0 == nil } ? 1 : 0))
        buffer.writeInteger(type)
        if !elements.isEmpty {
            buffer.writeInteger(Int32(elements.count))
            buffer.writeInteger(Int32(1))
        }
        for element in elements {
            if let element {
                buffer.writeInteger(Int32(element.count))
                buffer.writeBytes(element)
            } else {
                buffer.writeInteger(Int32(-1))
            }
        }
        return buffer
    }

    @Test("text elements are found where they are, NULLs are nil, even when the buffer does not start at zero")
    func textElements() throws {
        let buffer = array([Array("hall".utf8), nil, [], Array("事项".utf8)], prefix: 5)
        let spans = try PostgresBinaryArray.elements(buffer, count: 4)
        let texts = spans.map { span in
            span.map { String(decoding: buffer.readableBytesView.dropFirst($0.offset).prefix($0.count), as: UTF8.self) }
        }
        #expect(texts == ["hall", nil, "", "事项"])
    }

    @Test("an empty array has no elements; int8 arrays give their numbers")
    func emptyAndIntegers() throws {
        #expect(try PostgresBinaryArray.elements(array([]), count: 0).isEmpty)
        var numbers = [[UInt8]]()
        for value in [Int64(1), -2, Int64.max] {
            var element = ByteBuffer()
            element.writeInteger(value)
            numbers.append(Array(element.readableBytesView))
        }
        #expect(try PostgresBinaryArray.int64s(array(numbers, type: 20), count: 3) == [1, -2, Int64.max])
    }

    @Test("a wrong element count, a cut-off element or a NULL number is refused")
    func malformed() {
        #expect(throws: HallError.self) { try PostgresBinaryArray.elements(array([[1], [2]]), count: 3) }
        var cut = array([[1, 2, 3, 4]])
        cut.moveWriterIndex(to: cut.writerIndex - 2)
        #expect(throws: HallError.self) { try PostgresBinaryArray.elements(cut, count: 1) }
        #expect(throws: HallError.self) { try PostgresBinaryArray.int64s(array([nil], type: 20), count: 1) }
    }
}
