import Foundation

/// `intake.application.accepted` v1: the front desk accepted an application (受理, Art 35).
///
/// Published on `hall.intake.events`, key = case id. The coordinator routes committed and joint
/// items to their departments from it; appraisal counts it. Dates are hall dates (Asia/Shanghai)
/// as `YYYY-MM-DD`; limits are working days. The applicant's identity number is not in the event.
public struct ApplicationAccepted: EventPayload, Hashable {
    public static let eventType = "intake.application.accepted"
    public static let eventVersion = 1

    /// The receipt code the applicant follows the case with.
    public var receiptCode: String
    /// The acceptance notice number, unique and sequential per year (`YYYY-NNNNNN`).
    public var noticeNumber: String
    /// Catalogue item code and the version the case is handled under.
    public var itemCode: String
    public var itemVersion: Int
    public var itemName: String
    /// `immediate`, `committed` or `joint`.
    public var kind: ItemKind
    public var leadDepartmentId: String
    public var participantDepartmentIds: [String]
    /// When the application was accepted (UTC instant).
    public var acceptedAt: Date
    /// Promised limit counted in working days from the day after acceptance (hall date).
    public var dueDate: HallDate
    /// True when the due date reaches a year whose official calendar is not known yet.
    public var dueDateProvisional: Bool
    public var promisedLimitDays: Int
    public var legalLimitDays: Int
    /// Time categories not counted in the limit (Art 34).
    public var notCounted: [NotCountedCategory]
    /// `window` or `online`.
    public var channel: ApplicationChannel
    /// Whether the case is on the green channel (Art 40): departments handle it first.
    public var greenChannel: Bool
    /// The centre's approval of the green channel (absent when not on it, and in events written
    /// before this member existed); present only with `greenChannel` true.
    public var greenChannelApproval: GreenChannelApproval?
    /// `person` or `organisation`, and the applicant's name.
    public var applicantKind: ApplicantKind
    public var applicantName: String
    /// Secondary materials promised for later under tolerated-gap acceptance.
    public var promisedMaterials: [PromisedMaterialRef]
    /// The clerk and window that accepted it.
    public var clerkId: String
    public var windowId: String?
    /// The materials the applicant presented, for the departments' task summary (absent in events
    /// written before this member existed).
    public var materials: [PresentedMaterialRef]?
    /// "One thing, one go" (一件事一次办, Art 4(5)): the bundle of applications accepted together that
    /// this case belongs to, and how many cases the bundle has. Both present or both absent.
    public var bundleId: String?
    public var bundleSize: Int?
    /// The HMAC-SHA256 of the applicant's identity number under the hall's applicant key (64
    /// lower-case hex digits): lets the appraisal service check that a rating comes from the
    /// applicant, without any event carrying the number. Absent in events written before it existed.
    public var applicantCheck: String?

    /// A material the applicant presented: catalogue material id and name, `original` or `copy`, copies.
    public struct PresentedMaterialRef: Codable, Sendable, Hashable {
        public var materialId: String
        public var name: String
        public var form: PresentedForm
        public var copies: Int
        public init(materialId: String, name: String, form: PresentedForm, copies: Int) {
            self.materialId = materialId
            self.name = name
            self.form = form
            self.copies = copies
        }

        enum CodingKeys: String, CodingKey { case materialId, name, form, copies }

        /// Decodes and checks the value; throws `DecodingError` naming the offending member.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            materialId = try container.decodeNonEmptyString(forKey: .materialId)
            name = try container.decodeNonEmptyString(forKey: .name)
            form = try container.decode(PresentedForm.self, forKey: .form)
            copies = try container.decodeInt(atLeast: 1, forKey: .copies)
        }
    }

    /// A promised material and the hall date it is due.
    public struct PromisedMaterialRef: Codable, Sendable, Hashable {
        public var materialId: String
        public var dueBy: HallDate
        public init(materialId: String, dueBy: HallDate) {
            self.materialId = materialId
            self.dueBy = dueBy
        }

        enum CodingKeys: String, CodingKey { case materialId, dueBy }

        /// Decodes and checks the value; throws `DecodingError` naming the offending member.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            materialId = try container.decodeNonEmptyString(forKey: .materialId)
            dueBy = try container.decode(HallDate.self, forKey: .dueBy)
        }
    }

    public init(
        receiptCode: String, noticeNumber: String, itemCode: String, itemVersion: Int, itemName: String, kind: ItemKind,
        leadDepartmentId: String, participantDepartmentIds: [String], acceptedAt: Date, dueDate: HallDate, dueDateProvisional: Bool,
        promisedLimitDays: Int, legalLimitDays: Int, notCounted: [NotCountedCategory], channel: ApplicationChannel, greenChannel: Bool, applicantKind: ApplicantKind,
        applicantName: String, promisedMaterials: [PromisedMaterialRef], clerkId: String, windowId: String?,
        materials: [PresentedMaterialRef]? = nil, bundleId: String? = nil, bundleSize: Int? = nil,
        greenChannelApproval: GreenChannelApproval? = nil, applicantCheck: String? = nil
    ) {
        self.applicantCheck = applicantCheck
        self.receiptCode = receiptCode
        self.noticeNumber = noticeNumber
        self.itemCode = itemCode
        self.itemVersion = itemVersion
        self.itemName = itemName
        self.kind = kind
        self.leadDepartmentId = leadDepartmentId
        self.participantDepartmentIds = participantDepartmentIds
        self.acceptedAt = acceptedAt
        self.dueDate = dueDate
        self.dueDateProvisional = dueDateProvisional
        self.promisedLimitDays = promisedLimitDays
        self.legalLimitDays = legalLimitDays
        self.notCounted = notCounted
        self.channel = channel
        self.greenChannel = greenChannel
        self.applicantKind = applicantKind
        self.applicantName = applicantName
        self.promisedMaterials = promisedMaterials
        self.clerkId = clerkId
        self.windowId = windowId
        self.materials = materials
        self.bundleId = bundleId
        self.bundleSize = bundleSize
        self.greenChannelApproval = greenChannelApproval
    }

    enum CodingKeys: String, CodingKey {
        case receiptCode, noticeNumber, itemCode, itemVersion, itemName, kind, leadDepartmentId, participantDepartmentIds
        case acceptedAt, dueDate, dueDateProvisional, promisedLimitDays, legalLimitDays, notCounted, channel, greenChannel
        case applicantKind, applicantName, promisedMaterials, clerkId, windowId, materials, bundleId, bundleSize, greenChannelApproval
        case applicantCheck
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try container.decodeNonEmptyString(forKey: .receiptCode)
        noticeNumber = try container.decodeString(forKey: .noticeNumber, expected: "a notice number YYYY-NNNNNN", IntakeValues.isNoticeNumber)
        itemCode = try container.decodeString(forKey: .itemCode, expected: "an item code (2–32 of A–Z, 0–9, '-')", IntakeValues.isItemCode)
        itemVersion = try container.decodeInt(atLeast: 1, forKey: .itemVersion)
        itemName = try container.decodeNonEmptyString(forKey: .itemName)
        kind = try container.decode(ItemKind.self, forKey: .kind)
        leadDepartmentId = try container.decodeNonEmptyString(forKey: .leadDepartmentId)
        participantDepartmentIds = try container.decodeDistinctStrings(forKey: .participantDepartmentIds, expected: "a department id") { !$0.isEmpty }
        acceptedAt = try container.decode(Date.self, forKey: .acceptedAt)
        dueDate = try container.decode(HallDate.self, forKey: .dueDate)
        dueDateProvisional = try container.decode(Bool.self, forKey: .dueDateProvisional)
        promisedLimitDays = try container.decodeInt(atLeast: 0, forKey: .promisedLimitDays)
        legalLimitDays = try container.decodeInt(atLeast: 0, forKey: .legalLimitDays)
        notCounted = try container.decodeDistinct(NotCountedCategory.self, forKey: .notCounted)
        channel = try container.decode(ApplicationChannel.self, forKey: .channel)
        greenChannel = try container.decode(Bool.self, forKey: .greenChannel)
        greenChannelApproval = try container.decodeIfPresent(GreenChannelApproval.self, forKey: .greenChannelApproval)
        if greenChannelApproval != nil && !greenChannel {
            throw DecodingError.dataCorruptedError(
                forKey: .greenChannelApproval, in: container, debugDescription: "a green-channel approval needs greenChannel true")
        }
        applicantKind = try container.decode(ApplicantKind.self, forKey: .applicantKind)
        applicantName = try container.decodeNonEmptyString(forKey: .applicantName)
        promisedMaterials = try container.decode([PromisedMaterialRef].self, forKey: .promisedMaterials)
        clerkId = try container.decodeNonEmptyString(forKey: .clerkId)
        windowId = try container.decodeNonEmptyStringIfPresent(forKey: .windowId)
        materials = try container.decodeIfPresent([PresentedMaterialRef].self, forKey: .materials)
        bundleId = try container.decodeNonEmptyStringIfPresent(forKey: .bundleId)
        bundleSize = try container.decodeIfPresent(Int.self, forKey: .bundleSize)
        if (bundleId == nil) != (bundleSize == nil) {
            throw DecodingError.dataCorruptedError(forKey: .bundleSize, in: container, debugDescription: "bundleId and bundleSize go together")
        }
        if let bundleSize, bundleSize < 1 {
            throw DecodingError.dataCorruptedError(forKey: .bundleSize, in: container, debugDescription: "expected an integer ≥ 1")
        }
        guard promisedLimitDays <= legalLimitDays else {
            throw DecodingError.dataCorruptedError(forKey: .promisedLimitDays, in: container, debugDescription: "must not exceed legalLimitDays")
        }
        applicantCheck = try container.decodeIfPresent(String.self, forKey: .applicantCheck)
        if let applicantCheck, applicantCheck.count != 64 || !applicantCheck.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            throw DecodingError.dataCorruptedError(forKey: .applicantCheck, in: container, debugDescription: "expected 64 lower-case hex digits")
        }
    }
}

/// `intake.application.completed` v1: an immediate item's case is complete — its decision, made at
/// the window, is sealed (the sealing time is the legal completion time). Committed and joint cases
/// complete with `coordinator.case.completed`; this is the same fact for the cases the coordinator
/// never sees, so that they can be rated and counted.
///
/// Published on `hall.intake.events`, key = case id.
public struct ApplicationCompleted: EventPayload, Hashable {
    public static let eventType = "intake.application.completed"
    public static let eventVersion = 1

    public var receiptCode: String
    public var itemCode: String
    /// The item's lead department (whose seal is on the decision).
    public var leadDepartmentId: String
    /// `approved` or `denied`.
    public var outcome: CaseOutcome
    public var acceptedAt: Date
    /// The sealing time of the decision.
    public var completedAt: Date
    public var dueDate: HallDate
    /// The sealing day (Asia/Shanghai) is not after the due date.
    public var onTime: Bool
    /// The clerk who decided at the window, and the window.
    public var clerkId: String
    public var windowId: String?

    public init(
        receiptCode: String, itemCode: String, leadDepartmentId: String, outcome: CaseOutcome, acceptedAt: Date, completedAt: Date, dueDate: HallDate,
        onTime: Bool, clerkId: String, windowId: String?
    ) {
        self.receiptCode = receiptCode
        self.itemCode = itemCode
        self.leadDepartmentId = leadDepartmentId
        self.outcome = outcome
        self.acceptedAt = acceptedAt
        self.completedAt = completedAt
        self.dueDate = dueDate
        self.onTime = onTime
        self.clerkId = clerkId
        self.windowId = windowId
    }

    enum CodingKeys: String, CodingKey {
        case receiptCode, itemCode, leadDepartmentId, outcome, acceptedAt, completedAt, dueDate, onTime, clerkId, windowId
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try container.decodeNonEmptyString(forKey: .receiptCode)
        itemCode = try container.decodeString(forKey: .itemCode, expected: "an item code (2–32 of A–Z, 0–9, '-')", IntakeValues.isItemCode)
        leadDepartmentId = try container.decodeNonEmptyString(forKey: .leadDepartmentId)
        outcome = try container.decode(CaseOutcome.self, forKey: .outcome)
        acceptedAt = try container.decode(Date.self, forKey: .acceptedAt)
        completedAt = try container.decode(Date.self, forKey: .completedAt)
        dueDate = try container.decode(HallDate.self, forKey: .dueDate)
        onTime = try container.decode(Bool.self, forKey: .onTime)
        clerkId = try container.decodeNonEmptyString(forKey: .clerkId)
        windowId = try container.decodeNonEmptyStringIfPresent(forKey: .windowId)
        if completedAt < acceptedAt {
            throw DecodingError.dataCorruptedError(forKey: .completedAt, in: container, debugDescription: "is not before acceptedAt")
        }
    }
}

/// `intake.application.refused` v1: the front desk refused to accept (不予受理, Art 35, 37),
/// with the specific reason and the competent authority the applicant should go to.
///
/// Published on `hall.intake.events`, key = case id.
public struct ApplicationRefused: EventPayload, Hashable {
    public static let eventType = "intake.application.refused"
    public static let eventVersion = 1

    public var receiptCode: String
    /// The item code the applicant asked for (may be unknown to the catalogue).
    public var itemCode: String
    /// `unknown-item`, `not-in-force` or `not-competent`.
    public var reasonCode: RefusalReason
    /// The specific reason, in words for the refusal notice.
    public var reason: String
    /// Where the applicant should go instead.
    public var competentAuthority: String
    public var refusedAt: Date
    public var clerkId: String
    public var windowId: String?

    public init(
        receiptCode: String, itemCode: String, reasonCode: RefusalReason, reason: String, competentAuthority: String, refusedAt: Date,
        clerkId: String, windowId: String?
    ) {
        self.receiptCode = receiptCode
        self.itemCode = itemCode
        self.reasonCode = reasonCode
        self.reason = reason
        self.competentAuthority = competentAuthority
        self.refusedAt = refusedAt
        self.clerkId = clerkId
        self.windowId = windowId
    }

    enum CodingKeys: String, CodingKey {
        case receiptCode, itemCode, reasonCode, reason, competentAuthority, refusedAt, clerkId, windowId
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try container.decodeNonEmptyString(forKey: .receiptCode)
        itemCode = try container.decodeNonEmptyString(forKey: .itemCode)
        reasonCode = try container.decode(RefusalReason.self, forKey: .reasonCode)
        reason = try container.decodeNonEmptyString(forKey: .reason)
        competentAuthority = try container.decodeNonEmptyString(forKey: .competentAuthority)
        refusedAt = try container.decode(Date.self, forKey: .refusedAt)
        clerkId = try container.decodeNonEmptyString(forKey: .clerkId)
        windowId = try container.decodeNonEmptyStringIfPresent(forKey: .windowId)
    }
}

/// `intake.application.correction-notified` v1: every missing or defective material was told to
/// the applicant at once (一次性告知, Art 36); the applicant returns with the same receipt code.
///
/// Published on `hall.intake.events`, key = case id.
public struct ApplicationCorrectionNotified: EventPayload, Hashable {
    public static let eventType = "intake.application.correction-notified"
    public static let eventVersion = 1

    public var receiptCode: String
    public var itemCode: String
    public var itemVersion: Int
    /// Each material to bring or fix: `problem` is `missing`, `wrong-form`, `too-few-copies` or
    /// `not-in-legal-form`; `needed` says what is needed.
    public var corrections: [Item]
    public var notifiedAt: Date
    public var clerkId: String

    /// One correction.
    public struct Item: Codable, Sendable, Hashable {
        public var materialId: String
        public var problem: MaterialProblem
        public var needed: String
        public init(materialId: String, problem: MaterialProblem, needed: String) {
            self.materialId = materialId
            self.problem = problem
            self.needed = needed
        }

        enum CodingKeys: String, CodingKey { case materialId, problem, needed }

        /// Decodes and checks the value; throws `DecodingError` naming the offending member.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            materialId = try container.decodeNonEmptyString(forKey: .materialId)
            problem = try container.decode(MaterialProblem.self, forKey: .problem)
            needed = try container.decodeNonEmptyString(forKey: .needed)
        }
    }

    public init(receiptCode: String, itemCode: String, itemVersion: Int, corrections: [Item], notifiedAt: Date, clerkId: String) {
        self.receiptCode = receiptCode
        self.itemCode = itemCode
        self.itemVersion = itemVersion
        self.corrections = corrections
        self.notifiedAt = notifiedAt
        self.clerkId = clerkId
    }

    enum CodingKeys: String, CodingKey {
        case receiptCode, itemCode, itemVersion, corrections, notifiedAt, clerkId
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        receiptCode = try container.decodeNonEmptyString(forKey: .receiptCode)
        itemCode = try container.decodeString(forKey: .itemCode, expected: "an item code (2–32 of A–Z, 0–9, '-')", IntakeValues.isItemCode)
        itemVersion = try container.decodeInt(atLeast: 1, forKey: .itemVersion)
        corrections = try container.decode([Item].self, forKey: .corrections)
        notifiedAt = try container.decode(Date.self, forKey: .notifiedAt)
        clerkId = try container.decodeNonEmptyString(forKey: .clerkId)
        guard !corrections.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .corrections, in: container, debugDescription: "must list at least one correction")
        }
    }
}

/// `intake.catalogue.item-published` v1: a new version of a service item takes effect on
/// `effectiveFrom` (Art 7). Published on `hall.intake.events`, key = the item code.
public struct CatalogueItemPublished: EventPayload, Hashable {
    public static let eventType = "intake.catalogue.item-published"
    public static let eventVersion = 1

    public var itemCode: String
    public var version: Int
    public var name: String
    /// `immediate`, `committed` or `joint`.
    public var kind: ItemKind
    public var leadDepartmentId: String
    public var participantDepartmentIds: [String]
    public var legalLimitDays: Int
    public var promisedLimitDays: Int
    public var notCounted: [NotCountedCategory]
    /// Fee in fen, or nil when free.
    public var feeCents: Int64?
    /// Hall date (YYYY-MM-DD) from which this version is in force.
    public var effectiveFrom: HallDate
    /// The approval of the change.
    public var approvalReference: String
    /// True when this version withdraws the item (Art 7): from `effectiveFrom` no version is in
    /// force and applications for it are refused as `not-in-force`. Absent otherwise.
    public var withdrawn: Bool?

    public init(
        itemCode: String, version: Int, name: String, kind: ItemKind, leadDepartmentId: String, participantDepartmentIds: [String],
        legalLimitDays: Int, promisedLimitDays: Int, notCounted: [NotCountedCategory], feeCents: Int64?, effectiveFrom: HallDate,
        approvalReference: String, withdrawn: Bool? = nil
    ) {
        self.itemCode = itemCode
        self.version = version
        self.name = name
        self.kind = kind
        self.leadDepartmentId = leadDepartmentId
        self.participantDepartmentIds = participantDepartmentIds
        self.legalLimitDays = legalLimitDays
        self.promisedLimitDays = promisedLimitDays
        self.notCounted = notCounted
        self.feeCents = feeCents
        self.effectiveFrom = effectiveFrom
        self.approvalReference = approvalReference
        self.withdrawn = withdrawn == true ? true : nil
    }

    enum CodingKeys: String, CodingKey {
        case itemCode, version, name, kind, leadDepartmentId, participantDepartmentIds, legalLimitDays, promisedLimitDays
        case notCounted, feeCents, effectiveFrom, approvalReference, withdrawn
    }

    /// Decodes and checks the payload; throws `DecodingError` naming the offending member.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        itemCode = try container.decodeString(forKey: .itemCode, expected: "an item code (2–32 of A–Z, 0–9, '-')", IntakeValues.isItemCode)
        version = try container.decodeInt(atLeast: 1, forKey: .version)
        name = try container.decodeNonEmptyString(forKey: .name)
        kind = try container.decode(ItemKind.self, forKey: .kind)
        leadDepartmentId = try container.decodeNonEmptyString(forKey: .leadDepartmentId)
        participantDepartmentIds = try container.decodeDistinctStrings(forKey: .participantDepartmentIds, expected: "a department id") { !$0.isEmpty }
        legalLimitDays = try container.decodeInt(atLeast: 0, forKey: .legalLimitDays)
        promisedLimitDays = try container.decodeInt(atLeast: 0, forKey: .promisedLimitDays)
        notCounted = try container.decodeDistinct(NotCountedCategory.self, forKey: .notCounted)
        feeCents = try container.decodeIfPresent(Int64.self, forKey: .feeCents)
        effectiveFrom = try container.decode(HallDate.self, forKey: .effectiveFrom)
        approvalReference = try container.decodeNonEmptyString(forKey: .approvalReference)
        withdrawn = try container.decodeIfPresent(Bool.self, forKey: .withdrawn) == true ? true : nil
        if let feeCents, feeCents <= 0 {
            throw DecodingError.dataCorruptedError(forKey: .feeCents, in: container, debugDescription: "expected an amount > 0 fen (omit it when free)")
        }
        guard promisedLimitDays <= legalLimitDays else {
            throw DecodingError.dataCorruptedError(forKey: .promisedLimitDays, in: container, debugDescription: "must not exceed legalLimitDays")
        }
    }
}

// MARK: - Checks shared by the application and catalogue payloads

/// The allowed values and formats of the intake application and catalogue payloads, as in their JSON Schemas.
enum IntakeValues {
    /// Whether `text` is a catalogue item code: 2–32 upper-case ASCII letters, digits or `-`, not starting with `-`.
    static func isItemCode(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (2...32).contains(bytes.count), bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { $0 == UInt8(ascii: "-") || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || isDigit($0) }
    }

    /// Whether `text` is an acceptance notice number `YYYY-NNNNNN`.
    static func isNoticeNumber(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 11, bytes[4] == UInt8(ascii: "-") else { return false }
        return bytes.enumerated().allSatisfy { $0.offset == 4 || isDigit($0.element) }
    }

    /// Whether `text` is a hall date written `YYYY-MM-DD` (month 01–12, day valid for the month).
    static func isHallDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes.enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7 || isDigit($0.element) })
        else { return false }
        let number = { (range: Range<Int>) in bytes[range].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } }
        let year = number(0..<4), month = number(5..<7), day = number(8..<10)
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}

/// The position of an element in an array member, for error paths such as `data.notCounted[1]`.
struct IntakeIndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

extension KeyedDecodingContainer {
    /// Decodes a string that must not be empty.
    func decodeNonEmptyString(forKey key: Key) throws -> String {
        let value = try decode(String.self, forKey: key)
        guard !value.isEmpty else { throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "must not be empty") }
        return value
    }

    /// Decodes an optional string that, when present, must not be empty.
    func decodeNonEmptyStringIfPresent(forKey key: Key) throws -> String? {
        guard let value = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard !value.isEmpty else { throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "must not be empty") }
        return value
    }

    /// Decodes a string that `isValid` accepts; `expected` describes the format for the error.
    func decodeString(forKey key: Key, expected: String, _ isValid: (String) -> Bool) throws -> String {
        let value = try decode(String.self, forKey: key)
        guard isValid(value) else { throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected \(expected)") }
        return value
    }

    /// Decodes an integer that must be at least `minimum`.
    func decodeInt(atLeast minimum: Int, forKey key: Key) throws -> Int {
        let value = try decode(Int.self, forKey: key)
        guard value >= minimum else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected an integer ≥ \(minimum)")
        }
        return value
    }

    /// Decodes an array of distinct values of a closed set.
    func decodeDistinct<Value: ContractEnum>(_ type: Value.Type, forKey key: Key) throws -> [Value] {
        let values = try decode([Value].self, forKey: key)
        var seen = Set<Value>()
        for (index, value) in values.enumerated() where !seen.insert(value).inserted {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath + [key, IntakeIndexKey(intValue: index)], debugDescription: "'\(value.rawValue)' appears twice"))
        }
        return values
    }

    /// Decodes an array of distinct strings, each one that `isValid` accepts; `expected` describes an element for the error.
    func decodeDistinctStrings(forKey key: Key, expected: String, _ isValid: (String) -> Bool) throws -> [String] {
        let values = try decode([String].self, forKey: key)
        var seen = Set<String>()
        for (index, value) in values.enumerated() {
            let problem = !isValid(value) ? "expected \(expected)" : !seen.insert(value).inserted ? "'\(value)' appears twice" : nil
            if let problem {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath + [key, IntakeIndexKey(intValue: index)], debugDescription: problem))
            }
        }
        return values
    }
}
