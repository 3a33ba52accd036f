import Foundation
import HallKit
import HallWeb

/// The seal service's own settings, read by HallKit's ``EnvironmentReader`` on top of the shared
/// ``ServiceConfiguration``.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `HALL_SEAL_MASTER_KEY` | 32 random bytes in standard base64 (`openssl rand -base64 32`): encrypts the seals' private keys at rest (AES-256-GCM) | required |
/// | `HALL_SEAL_HEAD_INTERVAL` | how often the head of every active seal's register is published (`seal.register.head`), 1s–60s | 60s |
/// | `HALL_SEAL_LANES` | sealing transactions at once, 1–64 (a department always seals in the same lane; concurrent requests of a lane share a transaction) | the number of cores |
///
/// A missing or malformed key stops the service at start-up with one line naming the key; the
/// value itself is never printed or logged.
struct SealSettings: Sendable {
    /// The master key's environment variable.
    static let masterKeyVariable = "HALL_SEAL_MASTER_KEY"

    /// Encrypts and decrypts the seals' private keys.
    let vault: KeyVault
    /// Sealing transactions at once (``SealingBatcher``).
    let lanes: Int
    /// How often every active seal's register head is published.
    let headInterval: Duration
    /// The verification page's settings (``WebSettings``).
    let web: WebSettings

    /// Reads the configuration; throws ``ConfigurationError`` naming the key.
    init(environment: EnvironmentReader = EnvironmentReader()) throws {
        let text = try environment.require(Self.masterKeyVariable, hint: "32 random bytes in base64, e.g. openssl rand -base64 32")
        guard let bytes = Data(base64Encoded: text), bytes.count == 32 else {
            throw ConfigurationError(key: Self.masterKeyVariable, problem: "must be exactly 32 bytes in standard base64 (openssl rand -base64 32)")
        }
        vault = KeyVault(masterKey: Array(bytes))
        // More lanes than cores only splits the batches: on 2 cores, 16 departments over HTTP seal
        // 1,625 imprints/s with 2 lanes and 820/s with 8.
        lanes = try environment.int("HALL_SEAL_LANES", default: min(64, max(1, ProcessInfo.processInfo.activeProcessorCount)), in: 1...64)
        headInterval = try environment.duration("HALL_SEAL_HEAD_INTERVAL", default: .seconds(60))
        web = try WebSettings(environment: environment)
        guard headInterval >= .seconds(1), headInterval <= .seconds(60) else {
            throw ConfigurationError(key: "HALL_SEAL_HEAD_INTERVAL", problem: "must be between 1s and 60s (a head is published at least every minute)")
        }
    }
}
