import Foundation

// The hall directory (departments, windows, staff) as intake publishes it on `hall.intake.events`.
// Kafka key: the entity's id (departmentId, windowId, staffId). Each event carries the entity's
// whole current state, so a consumer keeps a projection by upserting it; when two events about one
// entity arrive out of order, the one with the later envelope `occurredAt` wins.

/// A calendar date `YYYY-MM-DD` in the hall's time zone (Asia/Shanghai), as written in directory events.
enum DirectoryDate {
    /// Whether `text` is a valid date written `YYYY-MM-DD` (month 01–12, day valid for the month).
    static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            text.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), day >= 1
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }
}

/// A person named in a department's record: a staff id and the person's name.
public struct DirectoryPerson: Codable, Sendable, Hashable {
    /// The staff member's id in the directory, non-empty.
    public var staffId: String
    /// The staff member's name as registered, non-empty.
    public var name: String

    /// Creates the value; both members must be non-empty.
    public init(staffId: String, name: String) {
        self.staffId = staffId
        self.name = name
    }

    enum CodingKeys: String, CodingKey { case staffId, name }

    /// Decodes and checks the value; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        staffId = try container.decode(String.self, forKey: .staffId)
        name = try container.decode(String.self, forKey: .name)
        guard !staffId.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .staffId, in: container, debugDescription: "must not be empty") }
        guard !name.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .name, in: container, debugDescription: "must not be empty") }
    }
}

/// A temporary substitute for a department's chief representative (Art 27): who, on which filed
/// written notice, and for which days.
public struct DirectorySubstitute: Codable, Sendable, Hashable {
    /// The substitute's staff id, non-empty.
    public var staffId: String
    /// The substitute's name, non-empty.
    public var name: String
    /// Reference of the written notice filed with the centre (Art 27), non-empty.
    public var noticeReference: String
    /// First day of the substitution, `YYYY-MM-DD`, Asia/Shanghai, inclusive.
    public var from: String
    /// Last day of the substitution, `YYYY-MM-DD`, Asia/Shanghai, inclusive; not before ``from``.
    public var to: String

    /// Creates the value. The caller must pass non-empty strings and valid dates with `from ≤ to`.
    public init(staffId: String, name: String, noticeReference: String, from: String, to: String) {
        self.staffId = staffId
        self.name = name
        self.noticeReference = noticeReference
        self.from = from
        self.to = to
    }

    enum CodingKeys: String, CodingKey { case staffId, name, noticeReference, from, to }

    /// Decodes and checks the value; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        staffId = try container.decode(String.self, forKey: .staffId)
        name = try container.decode(String.self, forKey: .name)
        noticeReference = try container.decode(String.self, forKey: .noticeReference)
        from = try container.decode(String.self, forKey: .from)
        to = try container.decode(String.self, forKey: .to)
        for (key, value) in [(CodingKeys.staffId, staffId), (.name, name), (.noticeReference, noticeReference)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
        guard DirectoryDate.isValid(from) else {
            throw DecodingError.dataCorruptedError(forKey: .from, in: container, debugDescription: "expected a date YYYY-MM-DD")
        }
        guard DirectoryDate.isValid(to) else {
            throw DecodingError.dataCorruptedError(forKey: .to, in: container, debugDescription: "expected a date YYYY-MM-DD")
        }
        guard from <= to else {
            throw DecodingError.dataCorruptedError(forKey: .to, in: container, debugDescription: "must not be before from")
        }
    }
}

/// The leader in charge of a department's windows and staff in the hall (主管领导, Art 22), who
/// approves an extension of its cases' limit (ALL Art 42 ¶1). For the hall centre's entry, the
/// people's government's leader in charge of government services (分管政务服务的领导), who approves
/// the extension of a case several departments handle jointly (ALL Art 42 ¶2).
public struct DepartmentHead: Codable, Sendable, Hashable {
    /// The person's id in the hall directory, non-empty: what an extension's `approvedBy` names.
    public var personId: String
    /// The person's name, non-empty.
    public var name: String
    /// The person's office, non-empty (e.g. 副局长).
    public var title: String

    /// Creates the value; every member must be non-empty.
    public init(personId: String, name: String, title: String) {
        self.personId = personId
        self.name = name
        self.title = title
    }

    enum CodingKeys: String, CodingKey { case personId, name, title }

    /// Decodes and checks the value; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        personId = try c.decodeNonEmptyString(forKey: .personId)
        name = try c.decodeNonEmptyString(forKey: .name)
        title = try c.decodeNonEmptyString(forKey: .title)
    }
}

/// `intake.directory.department-changed` v1: a department's current record in the hall directory.
///
/// Sent by intake on `hall.intake.events` whenever a department, its chief representative or its
/// temporary substitute changes (and when a department is created). Key: ``departmentId``. The
/// event carries the whole record; the one with the later envelope `occurredAt` wins.
/// Schema: `schemas/intake.directory.department-changed.v1.schema.json`.
public struct DepartmentChanged: EventPayload, Hashable {
    /// `intake.directory.department-changed`.
    public static let eventType = "intake.directory.department-changed"
    /// Version 1.
    public static let eventVersion = 1

    /// The department's id, non-empty (e.g. `d-market`).
    public var departmentId: String
    /// The department's name, non-empty.
    public var name: String
    /// Whether the department is stationed in the hall now.
    public var active: Bool
    /// The department's chief representative (首席代表), who holds its approval seal (Art 32); `null` when none is appointed.
    public var chiefRepresentative: DirectoryPerson?
    /// The temporary substitute for the chief representative on a filed written notice (Art 27); `null` when none.
    public var substitute: DirectorySubstitute?
    /// Whether this entry is the hall centre (政务中心) itself, at most one in the directory: it
    /// approves green channels, provides agents and seals refusals of items unknown to the hall
    /// (Art 35, 37, 40). False when absent (events written before this member existed).
    public var centre: Bool
    /// The leader in charge (主管领导, Art 22) who approves extensions; `null` when none is recorded
    /// (absent in events written before this member existed).
    public var head: DepartmentHead?
    /// The department's document code (文号代字, e.g. 县市监许), with which its decisions are numbered
    /// `<code>〔<year>〕<n>号`; `null` when none is recorded (the department id is used then).
    public var documentCode: String?

    /// Creates the payload. The caller must pass non-empty ids and names.
    public init(
        departmentId: String, name: String, active: Bool, chiefRepresentative: DirectoryPerson?, substitute: DirectorySubstitute?, centre: Bool = false,
        head: DepartmentHead? = nil, documentCode: String? = nil
    ) {
        self.departmentId = departmentId
        self.name = name
        self.active = active
        self.chiefRepresentative = chiefRepresentative
        self.substitute = substitute
        self.centre = centre
        self.head = head
        self.documentCode = documentCode
    }

    enum CodingKeys: String, CodingKey { case departmentId, name, active, chiefRepresentative, substitute, centre, head, documentCode }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    /// `chiefRepresentative` and `substitute` must be present, as an object or `null`; `centre` may be absent (false).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        name = try container.decode(String.self, forKey: .name)
        active = try container.decode(Bool.self, forKey: .active)
        guard container.contains(.chiefRepresentative) else {
            throw DecodingError.keyNotFound(CodingKeys.chiefRepresentative, .init(codingPath: container.codingPath, debugDescription: "required (null when none)"))
        }
        guard container.contains(.substitute) else {
            throw DecodingError.keyNotFound(CodingKeys.substitute, .init(codingPath: container.codingPath, debugDescription: "required (null when none)"))
        }
        chiefRepresentative = try container.decodeIfPresent(DirectoryPerson.self, forKey: .chiefRepresentative)
        substitute = try container.decodeIfPresent(DirectorySubstitute.self, forKey: .substitute)
        centre = try container.decodeIfPresent(Bool.self, forKey: .centre) ?? false
        head = try container.decodeIfPresent(DepartmentHead.self, forKey: .head)
        documentCode = try container.decodeNonEmptyStringIfPresent(forKey: .documentCode)
        guard !departmentId.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .departmentId, in: container, debugDescription: "must not be empty") }
        guard !name.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .name, in: container, debugDescription: "must not be empty") }
    }

    /// Encodes every member; absent people are written as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(name, forKey: .name)
        try container.encode(active, forKey: .active)
        try container.encode(chiefRepresentative, forKey: .chiefRepresentative)
        try container.encode(substitute, forKey: .substitute)
        try container.encode(centre, forKey: .centre)
        try container.encode(head, forKey: .head)
        try container.encode(documentCode, forKey: .documentCode)
    }
}

/// The kind of a hall window.
public enum WindowKind: String, ContractEnum {
    /// A comprehensive (front-desk) window serving many departments (综合窗口).
    case comprehensive
    /// A window of one or more departments.
    case department
    /// The discipline inspection complaints window (Art 44); it handles no approvals.
    case discipline
}

/// `intake.directory.window-changed` v1: a hall window's current record.
///
/// Sent by intake on `hall.intake.events` when a window is opened, changed or closed. Key:
/// ``windowId``. The one with the later envelope `occurredAt` wins.
/// Schema: `schemas/intake.directory.window-changed.v1.schema.json`.
public struct WindowChanged: EventPayload, Hashable {
    /// `intake.directory.window-changed`.
    public static let eventType = "intake.directory.window-changed"
    /// Version 1.
    public static let eventVersion = 1

    /// The window's id, non-empty (e.g. `w-07`).
    public var windowId: String
    /// The window's name or number as shown in the hall, non-empty.
    public var name: String
    /// What kind of window it is.
    public var kind: WindowKind
    /// The departments the window serves (may be empty for a discipline window); ids, each non-empty.
    public var departmentIds: [String]
    /// Whether the window is open in the hall now.
    public var active: Bool

    /// Creates the payload. The caller must pass non-empty ids and name.
    public init(windowId: String, name: String, kind: WindowKind, departmentIds: [String], active: Bool) {
        self.windowId = windowId
        self.name = name
        self.kind = kind
        self.departmentIds = departmentIds
        self.active = active
    }

    enum CodingKeys: String, CodingKey { case windowId, name, kind, departmentIds, active }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        windowId = try container.decode(String.self, forKey: .windowId)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(WindowKind.self, forKey: .kind)
        departmentIds = try container.decode([String].self, forKey: .departmentIds)
        active = try container.decode(Bool.self, forKey: .active)
        guard !windowId.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .windowId, in: container, debugDescription: "must not be empty") }
        guard !name.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .name, in: container, debugDescription: "must not be empty") }
        guard !departmentIds.contains(where: \.isEmpty) else {
            throw DecodingError.dataCorruptedError(forKey: .departmentIds, in: container, debugDescription: "ids must not be empty")
        }
    }
}

/// `intake.directory.staff-changed` v1: a staff member's current record.
///
/// Sent by intake on `hall.intake.events` when a staff member joins, moves window (rotation filed
/// with the centre, Art 20), gains or loses the qualification (Art 19), or leaves. Key: ``staffId``.
/// The one with the later envelope `occurredAt` wins.
/// Schema: `schemas/intake.directory.staff-changed.v1.schema.json`.
public struct StaffChanged: EventPayload, Hashable {
    /// `intake.directory.staff-changed`.
    public static let eventType = "intake.directory.staff-changed"
    /// Version 1.
    public static let eventVersion = 1

    /// The staff member's id, non-empty.
    public var staffId: String
    /// The staff member's name, non-empty.
    public var name: String
    /// The department the staff member belongs to (for centre staff, the centre's id), non-empty.
    public var departmentId: String
    /// The window the staff member works at; `null` for back-office staff.
    public var windowId: String?
    /// Whether the staff member holds the qualification for window work (Art 19).
    public var qualified: Bool
    /// Whether the staff member is on duty in the hall now.
    public var active: Bool

    /// Creates the payload. The caller must pass non-empty ids and name.
    public init(staffId: String, name: String, departmentId: String, windowId: String?, qualified: Bool, active: Bool) {
        self.staffId = staffId
        self.name = name
        self.departmentId = departmentId
        self.windowId = windowId
        self.qualified = qualified
        self.active = active
    }

    enum CodingKeys: String, CodingKey { case staffId, name, departmentId, windowId, qualified, active }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    /// `windowId` must be present, as a string or `null`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        staffId = try container.decode(String.self, forKey: .staffId)
        name = try container.decode(String.self, forKey: .name)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        guard container.contains(.windowId) else {
            throw DecodingError.keyNotFound(CodingKeys.windowId, .init(codingPath: container.codingPath, debugDescription: "required (null when none)"))
        }
        windowId = try container.decodeIfPresent(String.self, forKey: .windowId)
        qualified = try container.decode(Bool.self, forKey: .qualified)
        active = try container.decode(Bool.self, forKey: .active)
        for (key, value) in [(CodingKeys.staffId, staffId), (.name, name), (.departmentId, departmentId), (.windowId, windowId ?? "x")] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
    }

    /// Encodes every member; a missing window is written as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(staffId, forKey: .staffId)
        try container.encode(name, forKey: .name)
        try container.encode(departmentId, forKey: .departmentId)
        try container.encode(windowId, forKey: .windowId)
        try container.encode(qualified, forKey: .qualified)
        try container.encode(active, forKey: .active)
    }
}

/// `intake.directory.department-system-changed` v1: the centre registered a department's own
/// system (its back-office software sending commands over Kafka), changed its key, or withdrew it.
/// Key: ``systemId``. The one with the later envelope `occurredAt` wins.
///
/// The system signs every command it sends with the private key of ``publicKey``
/// (``RecordSignatureHeader``); the coordinator accepts a command only when the signature verifies
/// with the key of an active system of the department the command names.
/// Schema: `schemas/intake.directory.department-system-changed.v1.schema.json`.
public struct DepartmentSystemChanged: EventPayload, Hashable {
    /// `intake.directory.department-system-changed`.
    public static let eventType = "intake.directory.department-system-changed"
    /// Version 1.
    public static let eventVersion = 1

    /// The system's id, the `hall-signer` of its records: 1–200 characters of `a-z 0-9 . _ -`.
    public var systemId: String
    /// The department it acts for, non-empty.
    public var departmentId: String
    /// The system's name, non-empty.
    public var name: String
    /// Its Ed25519 public key, 32 bytes in standard base64.
    public var publicKey: String
    /// Always `Ed25519`.
    public var keyAlgorithm: String
    /// Whether its commands are accepted now (false once withdrawn).
    public var active: Bool

    /// Creates the payload.
    public init(systemId: String, departmentId: String, name: String, publicKey: String, keyAlgorithm: String = "Ed25519", active: Bool) {
        self.systemId = systemId
        self.departmentId = departmentId
        self.name = name
        self.publicKey = publicKey
        self.keyAlgorithm = keyAlgorithm
        self.active = active
    }

    enum CodingKeys: String, CodingKey { case systemId, departmentId, name, publicKey, keyAlgorithm, active }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        systemId = try container.decode(String.self, forKey: .systemId)
        departmentId = try container.decode(String.self, forKey: .departmentId)
        name = try container.decode(String.self, forKey: .name)
        publicKey = try container.decode(String.self, forKey: .publicKey)
        keyAlgorithm = try container.decode(String.self, forKey: .keyAlgorithm)
        active = try container.decode(Bool.self, forKey: .active)
        guard Self.isValidSystemId(systemId) else {
            throw DecodingError.dataCorruptedError(forKey: .systemId, in: container, debugDescription: "1–200 characters of a-z 0-9 . _ -")
        }
        for (key, value) in [(CodingKeys.departmentId, departmentId), (.name, name)] where value.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must not be empty")
        }
        guard Data(base64Encoded: publicKey)?.count == 32 else {
            throw DecodingError.dataCorruptedError(forKey: .publicKey, in: container, debugDescription: "an Ed25519 public key: 32 bytes in standard base64")
        }
        guard keyAlgorithm == "Ed25519" else {
            throw DecodingError.dataCorruptedError(forKey: .keyAlgorithm, in: container, debugDescription: "expected Ed25519")
        }
    }

    /// Whether `id` may name a department system: 1–200 characters of `a-z 0-9 . _ -`, and not
    /// the name of a hall service (a system never signs as one).
    public static func isValidSystemId(_ id: String) -> Bool {
        (1...200).contains(id.utf8.count) && ServiceName(rawValue: id) == nil
            && id.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}
