import Foundation
import HallContracts
import Hummingbird

/// The services' JSON answers: sorted keys, RFC 3339 dates, and every UUID in lower case, as the
/// events write them — a client that joins an HTTP answer's `caseId` or `imprintId` with an event's
/// finds the same text. (Foundation writes `UUID` in upper case and has no setting for it.)
public struct HallResponseEncoder: ResponseEncoder {
    /// The encoder.
    public init() {}

    /// The JSON of `value`, as an answer carries it.
    public func encode(_ value: some Encodable) throws -> [UInt8] {
        var bytes = [UInt8](try EventEnvelope.encoder().encode(value))
        Self.lowercaseUUIDs(&bytes)
        return bytes
    }

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let bytes = try encode(value)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(bytes.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Lower-cases every JSON string that is exactly a UUID (`"XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX"`).
    static func lowercaseUUIDs(_ bytes: inout [UInt8]) {
        let quote = UInt8(ascii: "\""), dash = UInt8(ascii: "-")
        var index = 0
        while index + 37 < bytes.count {
            guard bytes[index] == quote, bytes[index + 37] == quote else {
                index += 1
                continue
            }
            var isUUID = true, hasUpper = false
            for offset in 1...36 {
                let byte = bytes[index + offset]
                if offset == 9 || offset == 14 || offset == 19 || offset == 24 {
                    if byte != dash { isUUID = false; break }
                } else if (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte) {
                    hasUpper = true
                } else if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) && !(UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) {
                    isUUID = false
                    break
                }
            }
            if isUUID {
                if hasUpper {
                    for offset in 1...36 where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(bytes[index + offset]) { bytes[index + offset] += 32 }
                }
                index += 38
            } else {
                index += 1
            }
        }
    }
}
