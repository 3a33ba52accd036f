import Crypto
import Foundation

/// Proves that someone knows a case's applicant without any event carrying the identity number:
/// intake publishes, with an accepted case, the HMAC-SHA256 of the applicant's identity number under
/// a key only intake and appraisal hold; appraisal checks a rater's number against it.
///
/// The key is `HALL_APPLICANT_KEY` (≥ 32 characters) — only the two services need it; a development
/// hall (HS256 tokens) without it derives one with HKDF-SHA256 from `HALL_JWT_SECRET` (info
/// "servicehall applicant check v1"). A reader of the events who lacks the key
/// cannot test guesses of the number (an identity number has too little entropy for a bare hash).
public struct ApplicantCheck: Sendable {
    private let key: SymmetricKey

    /// The check under `HALL_APPLICANT_KEY`, or derived from the hall's token secret.
    public init(applicantKey: String?, jwtSecret: String) throws {
        if let applicantKey {
            guard applicantKey.utf8.count >= 32 else {
                throw ConfigurationError(key: "HALL_APPLICANT_KEY", problem: "must be at least 32 characters long")
            }
            key = SymmetricKey(data: Data(applicantKey.utf8))
        } else {
            key = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: Data(jwtSecret.utf8)), info: Data("servicehall applicant check v1".utf8), outputByteCount: 32)
        }
    }

    /// The check of the environment: `HALL_APPLICANT_KEY` (empty counts as unset), else one derived
    /// from a development hall's `HALL_JWT_SECRET`; a hall whose tokens come from its identity
    /// provider must set the key.
    public init(environment: EnvironmentReader) throws {
        let key = environment.raw("HALL_APPLICANT_KEY").flatMap { $0.isEmpty ? nil : $0 }
        let secret = environment.raw("HALL_JWT_SECRET") ?? ""
        guard key != nil || secret.utf8.count >= 32 else {
            throw ConfigurationError(key: "HALL_APPLICANT_KEY", problem: "is not set (at least 32 characters, the same for intake and appraisal)")
        }
        try self.init(applicantKey: key, jwtSecret: secret)
    }

    /// The check of an identity number (letters upper-cased, spaces trimmed): 64 lower-case hex digits.
    public func digest(idNumber: String) -> String {
        let normalized = idNumber.trimmingCharacters(in: .whitespaces).uppercased()
        return HMAC<SHA256>.authenticationCode(for: Data(normalized.utf8), using: key).hexDigits
    }

    /// Whether `idNumber` is the one `digest` was made of (compared in constant time).
    public func matches(_ digest: String, idNumber: String) -> Bool {
        let expected = Array(self.digest(idNumber: idNumber).utf8)
        let given = Array(digest.lowercased().utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
