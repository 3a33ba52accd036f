import Crypto
import Foundation
import HallImprints

/// Encrypts and decrypts seal private keys at rest with the master key (`HALL_SEAL_MASTER_KEY`).
///
/// AES-256-GCM; the seal id is the additional authenticated data, so a ciphertext copied to another
/// seal's row does not decrypt. Stored form: nonce (12) ‖ ciphertext (32) ‖ tag (16). The master key
/// never leaves this type: it has no description that prints it.
public struct KeyVault: Sendable, CustomStringConvertible {
    private let masterKey: SymmetricKey

    /// A short fingerprint of the master key (first 8 bytes of SHA-256 of "hall.seal.master" ‖ key, hex),
    /// stored with each key so that a service started with another master key says so plainly.
    public let fingerprint: String

    /// Creates the vault from the 32 raw bytes of the master key.
    public init(masterKey: [UInt8]) {
        precondition(masterKey.count == 32, "the master key is 32 bytes")
        self.masterKey = SymmetricKey(data: masterKey)
        self.fingerprint = Hex.encode(SHA256.hash(data: Array("hall.seal.master".utf8) + masterKey).prefix(8))
    }

    public var description: String { "KeyVault(fingerprint: \(fingerprint))" }

    /// Encrypts a private key for the seal `sealId`.
    public func encrypt(_ key: Curve25519.Signing.PrivateKey, sealId: UUID) throws -> [UInt8] {
        let box = try AES.GCM.seal(key.rawRepresentation, using: masterKey, authenticating: Array(sealId.uuidString.lowercased().utf8))
        guard let combined = box.combined else { throw KeyVaultError.cannotEncrypt }
        return Array(combined)
    }

    /// Decrypts the private key of `sealId`.
    ///
    /// - Throws: ``KeyVaultError/wrongMasterKey`` when the ciphertext does not authenticate (another
    ///   master key, or the row was altered or copied from another seal).
    public func decrypt(_ sealed: [UInt8], sealId: UUID) throws -> Curve25519.Signing.PrivateKey {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let raw = try AES.GCM.open(box, using: masterKey, authenticating: Array(sealId.uuidString.lowercased().utf8))
            return try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        } catch {
            throw KeyVaultError.wrongMasterKey
        }
    }
}

/// Why a key could not be encrypted or decrypted.
public enum KeyVaultError: Error, Sendable {
    case cannotEncrypt
    case wrongMasterKey
}
