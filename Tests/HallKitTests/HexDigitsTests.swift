import Crypto
import Foundation
import HallKit
import Testing

/// A digest printed on a notice or compared by a verifier is the same lower-case hexadecimal that
/// `sha256sum` and every other tool prints.
@Suite("Hexadecimal digits of a digest")
struct HexDigitsTests {
    @Test("SHA-256 of a text reads as sha256sum prints it; a prefix gives two digits a byte")
    func digestAsToolsPrintIt() {
        let digest = SHA256.hash(data: Data("受理通知书 abc".utf8))
        #expect(digest.hexDigits == digest.map { String(format: "%02x", $0) }.joined())
        #expect(SHA256.hash(data: Data("abc".utf8)).hexDigits == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect([UInt8]([0x00, 0x0f, 0xf0, 0xff]).hexDigits == "000ff0ff")
        #expect(SHA256.hash(data: Data()).prefix(3).hexDigits == "e3b0c4")
        #expect([UInt8]().hexDigits == "")
    }
}
