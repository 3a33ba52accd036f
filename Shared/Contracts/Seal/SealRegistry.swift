import Foundation

/// Staff allowed to apply a seal besides its custodian, and for which document kinds.
public struct SealAuthorisation: Codable, Sendable, Hashable {
    /// The staff member's id, non-empty.
    public var staffId: String
    /// The document kinds they may seal, at least one, no repeats.
    public var documentKinds: [SealDocumentKind]

    /// Creates the value.
    public init(staffId: String, documentKinds: [SealDocumentKind]) {
        self.staffId = staffId
        self.documentKinds = documentKinds
    }

    enum CodingKeys: String, CodingKey { case staffId, documentKinds }

    /// Decodes and checks the value; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        staffId = try container.decode(String.self, forKey: .staffId)
        documentKinds = try container.decode([SealDocumentKind].self, forKey: .documentKinds)
        guard !staffId.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .staffId, in: container, debugDescription: "must not be empty") }
        guard !documentKinds.isEmpty, Set(documentKinds).count == documentKinds.count else {
            throw DecodingError.dataCorruptedError(forKey: .documentKinds, in: container, debugDescription: "at least one kind, no repeats")
        }
    }
}

/// `seal.seal.registered` v1: a department's approval seal was registered, with its public key.
///
/// Sent by seal on `hall.seal.events` when a centre administrator registers a seal (or a successor
/// on revocation). Key: ``sealId``. The public key of every seal ever issued is published this way
/// and stays valid for verifying that seal's imprints after revocation. Never carries the private key.
/// Schema: `schemas/seal.seal.registered.v1.schema.json`.
public struct SealRegistered: EventPayload, Hashable {
    /// `seal.seal.registered`.
    public static let eventType = "seal.seal.registered"
    /// Version 1.
    public static let eventVersion = 1

    /// The seal's id (lower-case UUID).
    public var sealId: UUID
    /// The department the seal belongs to.
    public var departmentId: String
    /// The seal's name, e.g. "敖汉旗市场监督管理局行政审批专用章".
    public var name: String
    /// The seal's code (unique among all seals ever issued).
    public var code: String
    /// Staff id of the custodian: the department's chief representative at registration (Art 32).
    public var custodianStaffId: String
    /// Staff allowed to apply the seal besides the custodian, per document kind.
    public var authorisations: [SealAuthorisation]
    /// Start of validity (UTC, milliseconds), inclusive.
    public var validFrom: Date
    /// End of validity (UTC, milliseconds), exclusive; after ``validFrom``.
    public var validUntil: Date
    /// The Ed25519 public key, 32 bytes in standard base64.
    public var publicKey: String
    /// Always `Ed25519`.
    public var keyAlgorithm: String
    /// The revoked seal this one replaces; `null` for a department's first seal.
    public var predecessorSealId: UUID?
    /// Who registered it (the centre administrator's id).
    public var registeredBy: String
    /// When it was registered (UTC, milliseconds).
    public var registeredAt: Date

    /// Creates the payload.
    public init(
        sealId: UUID, departmentId: String, name: String, code: String, custodianStaffId: String, authorisations: [SealAuthorisation],
        validFrom: Date, validUntil: Date, publicKey: String, keyAlgorithm: String = "Ed25519", predecessorSealId: UUID?, registeredBy: String,
        registeredAt: Date
    ) {
        self.sealId = sealId
        self.departmentId = departmentId
        self.name = name
        self.code = code
        self.custodianStaffId = custodianStaffId
        self.authorisations = authorisations
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.publicKey = publicKey
        self.keyAlgorithm = keyAlgorithm
        self.predecessorSealId = predecessorSealId
        self.registeredBy = registeredBy
        self.registeredAt = registeredAt
    }

    enum CodingKeys: String, CodingKey {
        case sealId, departmentId, name, code, custodianStaffId, authorisations, validFrom, validUntil, publicKey, keyAlgorithm
        case predecessorSealId, registeredBy, registeredAt
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sealId = try container.decode(UUID.self, forKey: .sealId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        name = try container.decode(String.self, forKey: .name)
        code = try container.decode(String.self, forKey: .code)
        custodianStaffId = try container.decode(String.self, forKey: .custodianStaffId)
        authorisations = try container.decode([SealAuthorisation].self, forKey: .authorisations)
        validFrom = try container.decode(Date.self, forKey: .validFrom)
        validUntil = try container.decode(Date.self, forKey: .validUntil)
        publicKey = try container.decode(String.self, forKey: .publicKey)
        keyAlgorithm = try container.decode(String.self, forKey: .keyAlgorithm)
        guard container.contains(.predecessorSealId) else {
            throw DecodingError.keyNotFound(CodingKeys.predecessorSealId, .init(codingPath: container.codingPath, debugDescription: "required (null when none)"))
        }
        predecessorSealId = try container.decodeIfPresent(UUID.self, forKey: .predecessorSealId)
        registeredBy = try container.decode(String.self, forKey: .registeredBy)
        registeredAt = try container.decode(Date.self, forKey: .registeredAt)
        for (key, value) in [(CodingKeys.departmentId, departmentId), (.name, name), (.code, code), (.custodianStaffId, custodianStaffId), (.registeredBy, registeredBy)]
        where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
        guard validUntil > validFrom else { throw DecodingError.dataCorruptedError(forKey: .validUntil, in: container, debugDescription: "must be after validFrom") }
        guard Data(base64Encoded: publicKey)?.count == 32 else {
            throw DecodingError.dataCorruptedError(forKey: .publicKey, in: container, debugDescription: "expected 32 bytes in standard base64")
        }
        guard keyAlgorithm == "Ed25519" else { throw DecodingError.dataCorruptedError(forKey: .keyAlgorithm, in: container, debugDescription: "expected Ed25519") }
    }

    /// Encodes every member; a missing predecessor is written as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sealId.uuidString.lowercased(), forKey: .sealId)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(name, forKey: .name)
        try container.encode(code, forKey: .code)
        try container.encode(custodianStaffId, forKey: .custodianStaffId)
        try container.encode(authorisations, forKey: .authorisations)
        try container.encode(validFrom, forKey: .validFrom)
        try container.encode(validUntil, forKey: .validUntil)
        try container.encode(publicKey, forKey: .publicKey)
        try container.encode(keyAlgorithm, forKey: .keyAlgorithm)
        try container.encode(predecessorSealId?.uuidString.lowercased(), forKey: .predecessorSealId)
        try container.encode(registeredBy, forKey: .registeredBy)
        try container.encode(registeredAt, forKey: .registeredAt)
    }
}

/// `seal.seal.revoked` v1: a department's approval seal was revoked, with who, why and its successor.
///
/// Sent by seal on `hall.seal.events`. Key: ``sealId``. The seal's imprints stay verifiable with
/// its published public key; it seals nothing more.
/// Schema: `schemas/seal.seal.revoked.v1.schema.json`.
public struct SealRevoked: EventPayload, Hashable {
    /// `seal.seal.revoked`.
    public static let eventType = "seal.seal.revoked"
    /// Version 1.
    public static let eventVersion = 1

    /// The revoked seal.
    public var sealId: UUID
    /// Its department.
    public var departmentId: String
    /// Why it was revoked, non-empty.
    public var reason: String
    /// Who revoked it (the centre administrator's id), non-empty.
    public var revokedBy: String
    /// When (UTC, milliseconds).
    public var revokedAt: Date
    /// The seal registered in its place in the same act; `null` when none (yet).
    public var successorSealId: UUID?

    /// Creates the payload.
    public init(sealId: UUID, departmentId: String, reason: String, revokedBy: String, revokedAt: Date, successorSealId: UUID?) {
        self.sealId = sealId
        self.departmentId = departmentId
        self.reason = reason
        self.revokedBy = revokedBy
        self.revokedAt = revokedAt
        self.successorSealId = successorSealId
    }

    enum CodingKeys: String, CodingKey { case sealId, departmentId, reason, revokedBy, revokedAt, successorSealId }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sealId = try container.decode(UUID.self, forKey: .sealId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        reason = try container.decode(String.self, forKey: .reason)
        revokedBy = try container.decode(String.self, forKey: .revokedBy)
        revokedAt = try container.decode(Date.self, forKey: .revokedAt)
        guard container.contains(.successorSealId) else {
            throw DecodingError.keyNotFound(CodingKeys.successorSealId, .init(codingPath: container.codingPath, debugDescription: "required (null when none)"))
        }
        successorSealId = try container.decodeIfPresent(UUID.self, forKey: .successorSealId)
        for (key, value) in [(CodingKeys.departmentId, departmentId), (.reason, reason), (.revokedBy, revokedBy)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
    }

    /// Encodes every member; a missing successor is written as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sealId.uuidString.lowercased(), forKey: .sealId)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(reason, forKey: .reason)
        try container.encode(revokedBy, forKey: .revokedBy)
        try container.encode(revokedAt, forKey: .revokedAt)
        try container.encode(successorSealId?.uuidString.lowercased(), forKey: .successorSealId)
    }
}

/// `seal.seal.authorisations-changed` v1: a centre administrator replaced the list of staff allowed
/// to apply a seal besides its custodian, and for which document kinds.
///
/// Sent by seal on `hall.seal.events`. Key: ``sealId``. The list replaces the previous one as a
/// whole (an empty list leaves the seal to its custodian alone); sealing requests decided after the
/// change use it. Only an active seal's list can change. The change is also kept in the seal
/// service's audit table with who and when.
/// Schema: `schemas/seal.seal.authorisations-changed.v1.schema.json`.
public struct SealAuthorisationsChanged: EventPayload, Hashable {
    /// `seal.seal.authorisations-changed`.
    public static let eventType = "seal.seal.authorisations-changed"
    /// Version 1.
    public static let eventVersion = 1

    /// The seal (lower-case UUID).
    public var sealId: UUID
    /// Its department.
    public var departmentId: String
    /// The new list: staff allowed to apply the seal besides the custodian, per document kind; each
    /// staff id at most once.
    public var authorisations: [SealAuthorisation]
    /// The list it replaced.
    public var previousAuthorisations: [SealAuthorisation]
    /// Who changed it (the centre administrator's id), non-empty.
    public var changedBy: String
    /// When (UTC, milliseconds).
    public var changedAt: Date

    /// Creates the payload.
    public init(
        sealId: UUID, departmentId: String, authorisations: [SealAuthorisation], previousAuthorisations: [SealAuthorisation], changedBy: String,
        changedAt: Date
    ) {
        self.sealId = sealId
        self.departmentId = departmentId
        self.authorisations = authorisations
        self.previousAuthorisations = previousAuthorisations
        self.changedBy = changedBy
        self.changedAt = changedAt
    }

    enum CodingKeys: String, CodingKey { case sealId, departmentId, authorisations, previousAuthorisations, changedBy, changedAt }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sealId = try container.decode(UUID.self, forKey: .sealId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        authorisations = try container.decode([SealAuthorisation].self, forKey: .authorisations)
        previousAuthorisations = try container.decode([SealAuthorisation].self, forKey: .previousAuthorisations)
        changedBy = try container.decode(String.self, forKey: .changedBy)
        changedAt = try container.decode(Date.self, forKey: .changedAt)
        for (key, value) in [(CodingKeys.departmentId, departmentId), (.changedBy, changedBy)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
        guard Set(authorisations.map(\.staffId)).count == authorisations.count else {
            throw DecodingError.dataCorruptedError(forKey: .authorisations, in: container, debugDescription: "each staff id at most once")
        }
    }

    /// Encodes every member.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sealId.uuidString.lowercased(), forKey: .sealId)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(authorisations, forKey: .authorisations)
        try container.encode(previousAuthorisations, forKey: .previousAuthorisations)
        try container.encode(changedBy, forKey: .changedBy)
        try container.encode(changedAt, forKey: .changedAt)
    }
}

/// Why a register head was published.
public enum RegisterHeadOccasion: String, ContractEnum {
    /// The seal was registered: its register is empty (serial 0, the genesis hash).
    case registered
    /// The seal was revoked: its register's last entry, for good.
    case revoked
    /// The periodic publication (at least once a minute for every active seal).
    case periodic
}

/// `seal.register.head` v1: where a seal's register (用印登记) ends, signed with the seal's key.
///
/// Sent by seal on `hall.seal.events` when a seal is registered or revoked and at least once a
/// minute for every active seal. Key: ``sealId``. Whoever keeps these (a department system, an
/// auditor, the public) can later prove the register was not cut short or rewritten: the imprint at
/// ``serial`` must still have ``imprintHash``, and the register must still reach that serial.
///
/// ``signature`` is Ed25519, by the seal's key (the one in its `seal.seal.registered`), over the
/// UTF-8 bytes of the text `servicehall.seal.register-head.v1`, the seal id (lower case), the serial
/// in decimal, the imprint hash and ``publishedAt`` as written in the event, joined by `\n`.
/// Schema: `schemas/seal.register.head.v1.schema.json`.
public struct SealRegisterHead: EventPayload, Hashable {
    /// `seal.register.head`.
    public static let eventType = "seal.register.head"
    /// Version 1.
    public static let eventVersion = 1

    /// The seal.
    public var sealId: UUID
    /// Its department.
    public var departmentId: String
    /// The last serial in the register, 0 for an empty one.
    public var serial: Int
    /// The imprint hash at ``serial`` (64 hexadecimal digits; 64 zeros for an empty register).
    public var imprintHash: String
    /// When the head was read (UTC, milliseconds).
    public var publishedAt: Date
    /// Why it was published.
    public var occasion: RegisterHeadOccasion
    /// Ed25519 signature by the seal's key, 64 bytes in standard base64.
    public var signature: String

    /// Creates the payload.
    public init(sealId: UUID, departmentId: String, serial: Int, imprintHash: String, publishedAt: Date, occasion: RegisterHeadOccasion, signature: String) {
        self.sealId = sealId
        self.departmentId = departmentId
        self.serial = serial
        self.imprintHash = imprintHash
        self.publishedAt = publishedAt
        self.occasion = occasion
        self.signature = signature
    }

    enum CodingKeys: String, CodingKey { case sealId, departmentId, serial, imprintHash, publishedAt, occasion, signature }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sealId = try container.decode(UUID.self, forKey: .sealId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        serial = try container.decode(Int.self, forKey: .serial)
        imprintHash = try container.decode(String.self, forKey: .imprintHash)
        publishedAt = try container.decode(Date.self, forKey: .publishedAt)
        occasion = try container.decode(RegisterHeadOccasion.self, forKey: .occasion)
        signature = try container.decode(String.self, forKey: .signature)
        guard !departmentId.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .departmentId, in: container, debugDescription: "must not be empty") }
        guard serial >= 0 else { throw DecodingError.dataCorruptedError(forKey: .serial, in: container, debugDescription: "must be 0 or more") }
        guard imprintHash.utf8.count == 64, imprintHash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw DecodingError.dataCorruptedError(forKey: .imprintHash, in: container, debugDescription: "expected 64 lower-case hexadecimal digits")
        }
        guard Data(base64Encoded: signature)?.count == 64 else {
            throw DecodingError.dataCorruptedError(forKey: .signature, in: container, debugDescription: "expected 64 bytes in standard base64")
        }
    }

    /// Encodes every member.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sealId.uuidString.lowercased(), forKey: .sealId)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(serial, forKey: .serial)
        try container.encode(imprintHash, forKey: .imprintHash)
        try container.encode(publishedAt, forKey: .publishedAt)
        try container.encode(occasion, forKey: .occasion)
        try container.encode(signature, forKey: .signature)
    }

    /// The bytes ``signature`` signs (see the type's description).
    public var signedBytes: [UInt8] {
        Self.signedBytes(sealId: sealId, serial: serial, imprintHash: imprintHash, publishedAt: publishedAt)
    }

    /// The bytes a head's signature signs.
    public static func signedBytes(sealId: UUID, serial: Int, imprintHash: String, publishedAt: Date) -> [UInt8] {
        Array(["servicehall.seal.register-head.v1", sealId.uuidString.lowercased(), String(serial), imprintHash, RFC3339Timestamp.string(from: publishedAt) ?? ""]
            .joined(separator: "\n").utf8)
    }
}
