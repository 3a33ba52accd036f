import Foundation

/// The kinds of document an approval seal is applied to (Art 30, 35, 37; ALL Art 32).
public enum SealDocumentKind: String, ContractEnum {
    /// Acceptance notice (受理通知书), issued at the window when an application is accepted.
    case acceptanceNotice = "acceptance-notice"
    /// Refusal-to-accept notice (不予受理通知书), naming the reason and the competent authority.
    case refusalNotice = "refusal-notice"
    /// Approval decision (准予许可决定), including an immediate item decided at the window.
    case approvalDecision = "approval-decision"
    /// Denial decision (不予许可决定), with the reasons.
    case denialDecision = "denial-decision"

    /// Whether the document is a decision (approval or denial) rather than a notice.
    public var isDecision: Bool { self == .approvalDecision || self == .denialDecision }
}

/// Why the seal service refused to seal a document. Stable codes; new ones may be added.
public enum SealRefusalReason: String, ContractEnum {
    /// `documentHash` is not 64 hexadecimal digits (a SHA-256 digest).
    case malformedDocumentHash = "malformed-document-hash"
    /// The department has never had an approval seal registered.
    case noSeal = "no-seal"
    /// The department's seal was revoked and no successor is active.
    case sealRevoked = "seal-revoked"
    /// The department's active seal is outside its validity period (not yet valid or expired).
    case sealExpired = "seal-expired"
    /// The person asking is neither the seal's custodian (the department's chief representative or
    /// the substitute on a filed notice, within its days) nor authorised for this document kind, or
    /// is not an active (and, for authorised staff, qualified) member of staff.
    case notAuthorised = "not-authorised"
    /// The document belongs to another department than the one the caller acts for.
    case departmentMismatch = "department-mismatch"
    /// The window is unknown, closed, a discipline window, or does not serve the document's department (Art 30).
    case windowNotHallWindow = "window-not-hall-window"
}

/// `seal.document.requested` v1: asks the seal service to apply a department's approval seal to a document.
///
/// Sent by intake (acceptance and refusal notices, immediate decisions) and coordinator (approval and
/// denial decisions) to `hall.seal.requests`. Key: ``caseId`` (also the envelope's `caseId`). The
/// answer is `seal.document.sealed` or `seal.document.refused` on `hall.seal.events`, with this
/// request's envelope id as its `causationId`. Idempotent: the same document (kind, hash, case,
/// department) is sealed at most once, a repeat gets the first imprint again. The hash is checked by
/// the seal service, not by the schema: a malformed one is refused with `malformed-document-hash`.
/// Schema: `schemas/seal.document.requested.v1.schema.json`.
public struct SealDocumentRequested: EventPayload, Hashable {
    /// `seal.document.requested`.
    public static let eventType = "seal.document.requested"
    /// Version 1.
    public static let eventVersion = 1

    /// What the document is.
    public var documentKind: SealDocumentKind
    /// SHA-256 of the document's bytes, 64 hexadecimal digits (lower case preferred; upper case is read as lower case).
    public var documentHash: String
    /// The case the document belongs to, non-empty.
    public var caseId: String
    /// The department whose decision or notice it is (and whose seal is applied), non-empty.
    public var departmentId: String
    /// Staff id of the person who applies the seal (custodian or authorised staff), non-empty.
    public var requestedBy: String
    /// The hall window where the seal is applied (Art 30), non-empty.
    public var windowId: String

    /// Creates the payload. The caller must pass non-empty strings.
    public init(documentKind: SealDocumentKind, documentHash: String, caseId: String, departmentId: String, requestedBy: String, windowId: String) {
        self.documentKind = documentKind
        self.documentHash = documentHash
        self.caseId = caseId
        self.departmentId = departmentId
        self.requestedBy = requestedBy
        self.windowId = windowId
    }

    enum CodingKeys: String, CodingKey { case documentKind, documentHash, caseId, departmentId, requestedBy, windowId }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        documentKind = try container.decode(SealDocumentKind.self, forKey: .documentKind)
        documentHash = try container.decode(String.self, forKey: .documentHash)
        caseId = try container.decode(String.self, forKey: .caseId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        requestedBy = try container.decode(String.self, forKey: .requestedBy)
        windowId = try container.decode(String.self, forKey: .windowId)
        let members: [(CodingKeys, String)] = [
            (.documentHash, documentHash), (.caseId, caseId), (.departmentId, departmentId), (.requestedBy, requestedBy), (.windowId, windowId),
        ]
        for (key, value) in members where value.isEmpty || value.count > 200 {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must be 1 to 200 characters")
        }
    }
}

/// `seal.document.sealed` v1: a document was sealed; carries its imprint (public fields only).
///
/// Sent by seal on `hall.seal.events`. Key: ``caseId``. ``sealedAt`` is the legal completion time
/// of the case (Art 31). A repeated request produces no second event with another imprint: the
/// imprint of a document never changes. Verify an imprint with the seal's public key (from
/// `seal.seal.registered` or `GET /v1/seals/{sealId}`): recompute ``imprintHash`` over the canonical
/// encoding `servicehall.seal.imprint.v1` (documented in the seal service's README section and in
/// the schema), check it, then check ``signature`` with Ed25519 over the 32 bytes of the hash.
/// Schema: `schemas/seal.document.sealed.v1.schema.json`.
public struct DocumentSealed: EventPayload, Hashable {
    /// `seal.document.sealed`.
    public static let eventType = "seal.document.sealed"
    /// Version 1.
    public static let eventVersion = 1

    /// The imprint's id (lower-case UUID).
    public var imprintId: UUID
    /// The seal applied (lower-case UUID).
    public var sealId: UUID
    /// The seal's department.
    public var departmentId: String
    /// Position of the imprint in the seal's register: 1, 2, 3… without gaps.
    public var serial: Int
    /// When the seal was applied, by the seal service's clock (UTC, milliseconds): the legal completion time (Art 31).
    public var sealedAt: Date
    /// What the document is.
    public var documentKind: SealDocumentKind
    /// SHA-256 of the document, 64 lower-case hexadecimal digits.
    public var documentHash: String
    /// The case.
    public var caseId: String
    /// Staff id of the person who applied the seal.
    public var requestedBy: String
    /// The window where it was applied.
    public var windowId: String
    /// ``imprintHash`` of the previous imprint of the same seal; 64 zeros for serial 1.
    public var previousImprintHash: String
    /// SHA-256 over the canonical encoding of this imprint, 64 lower-case hexadecimal digits.
    public var imprintHash: String
    /// Ed25519 signature of the 32 bytes of ``imprintHash`` with the seal's private key, standard base64 (64 bytes).
    public var signature: String
    /// Always `Ed25519`.
    public var algorithm: String
    /// Always `servicehall.seal.imprint.v1`: the canonical encoding ``imprintHash`` is computed over.
    public var canonicalization: String

    /// Creates the payload from an imprint's public fields.
    public init(
        imprintId: UUID, sealId: UUID, departmentId: String, serial: Int, sealedAt: Date, documentKind: SealDocumentKind, documentHash: String,
        caseId: String, requestedBy: String, windowId: String, previousImprintHash: String, imprintHash: String, signature: String,
        algorithm: String = "Ed25519", canonicalization: String = "servicehall.seal.imprint.v1"
    ) {
        self.imprintId = imprintId
        self.sealId = sealId
        self.departmentId = departmentId
        self.serial = serial
        self.sealedAt = sealedAt
        self.documentKind = documentKind
        self.documentHash = documentHash
        self.caseId = caseId
        self.requestedBy = requestedBy
        self.windowId = windowId
        self.previousImprintHash = previousImprintHash
        self.imprintHash = imprintHash
        self.signature = signature
        self.algorithm = algorithm
        self.canonicalization = canonicalization
    }

    enum CodingKeys: String, CodingKey {
        case imprintId, sealId, departmentId, serial, sealedAt, documentKind, documentHash, caseId, requestedBy, windowId
        case previousImprintHash, imprintHash, signature, algorithm, canonicalization
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        imprintId = try container.decode(UUID.self, forKey: .imprintId)
        sealId = try container.decode(UUID.self, forKey: .sealId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        serial = try container.decode(Int.self, forKey: .serial)
        sealedAt = try container.decode(Date.self, forKey: .sealedAt)
        documentKind = try container.decode(SealDocumentKind.self, forKey: .documentKind)
        documentHash = try container.decode(String.self, forKey: .documentHash)
        caseId = try container.decode(String.self, forKey: .caseId)
        requestedBy = try container.decode(String.self, forKey: .requestedBy)
        windowId = try container.decode(String.self, forKey: .windowId)
        previousImprintHash = try container.decode(String.self, forKey: .previousImprintHash)
        imprintHash = try container.decode(String.self, forKey: .imprintHash)
        signature = try container.decode(String.self, forKey: .signature)
        algorithm = try container.decode(String.self, forKey: .algorithm)
        canonicalization = try container.decode(String.self, forKey: .canonicalization)
        guard serial >= 1 else { throw DecodingError.dataCorruptedError(forKey: .serial, in: container, debugDescription: "expected an integer ≥ 1") }
        for (key, value) in [(CodingKeys.documentHash, documentHash), (.previousImprintHash, previousImprintHash), (.imprintHash, imprintHash)]
        where !SealHex.isDigest(value) {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected 64 lower-case hexadecimal digits")
        }
        guard Data(base64Encoded: signature)?.count == 64 else {
            throw DecodingError.dataCorruptedError(forKey: .signature, in: container, debugDescription: "expected 64 bytes in standard base64")
        }
        guard algorithm == "Ed25519" else { throw DecodingError.dataCorruptedError(forKey: .algorithm, in: container, debugDescription: "expected Ed25519") }
        guard canonicalization == "servicehall.seal.imprint.v1" else {
            throw DecodingError.dataCorruptedError(forKey: .canonicalization, in: container, debugDescription: "expected servicehall.seal.imprint.v1")
        }
        for (key, value) in [(CodingKeys.departmentId, departmentId), (.caseId, caseId), (.requestedBy, requestedBy), (.windowId, windowId)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
    }

    /// Encodes every member, UUIDs in lower case.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(imprintId.uuidString.lowercased(), forKey: .imprintId)
        try container.encode(sealId.uuidString.lowercased(), forKey: .sealId)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(serial, forKey: .serial)
        try container.encode(sealedAt, forKey: .sealedAt)
        try container.encode(documentKind, forKey: .documentKind)
        try container.encode(documentHash, forKey: .documentHash)
        try container.encode(caseId, forKey: .caseId)
        try container.encode(requestedBy, forKey: .requestedBy)
        try container.encode(windowId, forKey: .windowId)
        try container.encode(previousImprintHash, forKey: .previousImprintHash)
        try container.encode(imprintHash, forKey: .imprintHash)
        try container.encode(signature, forKey: .signature)
        try container.encode(algorithm, forKey: .algorithm)
        try container.encode(canonicalization, forKey: .canonicalization)
    }
}

/// `seal.document.refused` v1: the seal service refused to seal a document, with the reason.
///
/// Sent by seal on `hall.seal.events`, for requests over Kafka and over HTTP alike. Key: ``caseId``.
/// Nothing was sealed; the requester may fix the cause and ask again.
/// Schema: `schemas/seal.document.refused.v1.schema.json`.
public struct DocumentRefused: EventPayload, Hashable {
    /// `seal.document.refused`.
    public static let eventType = "seal.document.refused"
    /// Version 1.
    public static let eventVersion = 1

    /// The document kind asked for.
    public var documentKind: SealDocumentKind
    /// The document hash as given in the request (may be malformed when ``reason`` says so).
    public var documentHash: String
    /// The case.
    public var caseId: String
    /// The document's department as given in the request.
    public var departmentId: String
    /// Staff id of the person who asked.
    public var requestedBy: String
    /// The window given in the request.
    public var windowId: String
    /// Why it was refused.
    public var reason: SealRefusalReason
    /// An explanation for people (never secrets), non-empty.
    public var detail: String
    /// When it was refused (UTC, milliseconds).
    public var refusedAt: Date

    /// Creates the payload.
    public init(
        documentKind: SealDocumentKind, documentHash: String, caseId: String, departmentId: String, requestedBy: String, windowId: String,
        reason: SealRefusalReason, detail: String, refusedAt: Date
    ) {
        self.documentKind = documentKind
        self.documentHash = documentHash
        self.caseId = caseId
        self.departmentId = departmentId
        self.requestedBy = requestedBy
        self.windowId = windowId
        self.reason = reason
        self.detail = detail
        self.refusedAt = refusedAt
    }

    enum CodingKeys: String, CodingKey { case documentKind, documentHash, caseId, departmentId, requestedBy, windowId, reason, detail, refusedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        documentKind = try container.decode(SealDocumentKind.self, forKey: .documentKind)
        documentHash = try container.decode(String.self, forKey: .documentHash)
        caseId = try container.decode(String.self, forKey: .caseId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        requestedBy = try container.decode(String.self, forKey: .requestedBy)
        windowId = try container.decode(String.self, forKey: .windowId)
        reason = try container.decode(SealRefusalReason.self, forKey: .reason)
        detail = try container.decode(String.self, forKey: .detail)
        refusedAt = try container.decode(Date.self, forKey: .refusedAt)
        guard !detail.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .detail, in: container, debugDescription: "must not be empty") }
        guard !caseId.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .caseId, in: container, debugDescription: "must not be empty") }
    }
}

/// Checks for hexadecimal digests.
public enum SealHex {
    /// Whether `text` is exactly 64 lower-case hexadecimal digits.
    public static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}
