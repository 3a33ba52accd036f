import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKit
import Testing

@testable import seal

@Suite("Sealing rules (Art 29–32)")
struct PolicyTests {
    static let now = Date(timeIntervalSince1970: 1_767_601_800)  // 2026-01-05T08:30:00Z = 16:30 in the hall
    static let hash = String(repeating: "ab", count: 32)

    static func seal(validUntil: Date = now.addingTimeInterval(86_400)) -> SealRecord {
        SealRecord(
            sealId: UUID(), departmentId: "d-market", name: "市场监管局行政审批专用章", code: "SC-1", custodianStaffId: "s-zhang",
            authorisations: [SealAuthorisation(staffId: "s-wang", documentKinds: [.acceptanceNotice, .refusalNotice])],
            validFrom: now.addingTimeInterval(-86_400), validUntil: validUntil, publicKey: [], status: .active, predecessorSealId: nil,
            successorSealId: nil, registeredBy: "admin", registeredAt: now, revokedBy: nil, revokedAt: nil, revocationReason: nil, lastSerial: 0,
            lastHash: Imprint.genesisHash)
    }

    static func facts(
        seal: SealRecord? = seal(), everHadSeal: Bool = true, substitute: DirectorySubstitute? = nil,
        window: WindowRecord? = WindowRecord(windowId: "w-07", kind: .comprehensive, departmentIds: [], active: true),
        requester: StaffRecord? = StaffRecord(staffId: "s-zhang", departmentId: "d-market", qualified: true, active: true)
    ) -> SealingFacts {
        SealingFacts(
            activeSeal: seal, everHadSeal: everHadSeal,
            department: DepartmentRecord(departmentId: "d-market", name: "市场监管局", active: true, chiefRepresentative: "s-zhang", substitute: substitute),
            window: window, requester: requester)
    }

    static func request(_ kind: SealDocumentKind = .approvalDecision, by staff: String = "s-zhang", hash: String = hash, caller: String? = nil) -> SealingRequest {
        SealingRequest(documentKind: kind, documentHash: hash, caseId: "C-1", departmentId: "d-market", requestedBy: staff, windowId: "w-07", callerDepartment: caller)
    }

    func reason(_ request: SealingRequest, _ facts: SealingFacts, now: Date = PolicyTests.now) -> SealRefusalReason? {
        switch SealPolicy.decide(request, facts: facts, now: now) {
        case .success: nil
        case .failure(let refusal): refusal.reason
        }
    }

    @Test("the custodian seals any kind; an authorised clerk only the kinds granted")
    func custodianAndClerk() {
        #expect(reason(Self.request(), Self.facts()) == nil)
        let clerk = StaffRecord(staffId: "s-wang", departmentId: "d-centre", qualified: true, active: true, windowId: "w-07")
        #expect(reason(Self.request(.acceptanceNotice, by: "s-wang"), Self.facts(requester: clerk)) == nil)
        // An authorised clerk applies the seal at their own window only (Art 30).
        let elsewhere = StaffRecord(staffId: "s-wang", departmentId: "d-centre", qualified: true, active: true, windowId: "w-02")
        #expect(reason(Self.request(.acceptanceNotice, by: "s-wang"), Self.facts(requester: elsewhere)) == .notAuthorised)
        let noWindow = StaffRecord(staffId: "s-wang", departmentId: "d-centre", qualified: true, active: true)
        #expect(reason(Self.request(.acceptanceNotice, by: "s-wang"), Self.facts(requester: noWindow)) == .notAuthorised)
        #expect(reason(Self.request(.approvalDecision, by: "s-wang"), Self.facts(requester: clerk)) == .departmentMismatch)
        let unqualified = StaffRecord(staffId: "s-wang", departmentId: "d-centre", qualified: false, active: true, windowId: "w-07")
        #expect(reason(Self.request(.acceptanceNotice, by: "s-wang"), Self.facts(requester: unqualified)) == .notAuthorised)
        let colleague = StaffRecord(staffId: "s-zhou", departmentId: "d-market", qualified: true, active: true)
        #expect(reason(Self.request(by: "s-zhou"), Self.facts(requester: colleague)) == .notAuthorised)
        let gone = StaffRecord(staffId: "s-zhang", departmentId: "d-market", qualified: true, active: false)
        #expect(reason(Self.request(), Self.facts(requester: gone)) == .notAuthorised)
        #expect(reason(Self.request(), Self.facts(requester: nil)) == .notAuthorised)
    }

    @Test("the substitute holds the seal only on the days of the filed notice (Asia/Shanghai)")
    func substitute() {
        let li = StaffRecord(staffId: "s-li", departmentId: "d-market", qualified: true, active: true)
        let notice = DirectorySubstitute(staffId: "s-li", name: "李娜", noticeReference: "N-3", from: "2026-01-05", to: "2026-01-06")
        #expect(reason(Self.request(by: "s-li"), Self.facts(substitute: notice, requester: li)) == nil)
        // 2026-01-06T16:30Z is already 2026-01-07 00:30 in the hall.
        let longSeal = Self.seal(validUntil: Self.now.addingTimeInterval(30 * 86_400))
        #expect(reason(Self.request(by: "s-li"), Self.facts(seal: longSeal, substitute: notice, requester: li), now: Self.now.addingTimeInterval(32 * 3600)) == .notAuthorised)
        #expect(reason(Self.request(by: "s-li"), Self.facts(seal: longSeal, substitute: notice, requester: li), now: Self.now.addingTimeInterval(31 * 3600)) == nil)
        // 2026-01-04T17:00Z is 2026-01-05 01:00 in the hall: inside.
        #expect(reason(Self.request(by: "s-li"), Self.facts(substitute: notice, requester: li), now: Date(timeIntervalSince1970: 1_767_546_000)) == nil)
    }

    @Test("seal state: none, revoked, expired, not yet valid")
    func sealState() {
        #expect(reason(Self.request(), Self.facts(seal: nil, everHadSeal: false)) == .noSeal)
        #expect(reason(Self.request(), Self.facts(seal: nil, everHadSeal: true)) == .sealRevoked)
        #expect(reason(Self.request(), Self.facts(seal: Self.seal(validUntil: Self.now))) == .sealExpired)
        #expect(reason(Self.request(), Self.facts(), now: Self.now.addingTimeInterval(-2 * 86_400)) == .sealExpired)
    }

    @Test("windows: unknown, closed, discipline, or not serving the department are refused (Art 30)")
    func windows() {
        #expect(reason(Self.request(), Self.facts(window: nil)) == .windowNotHallWindow)
        #expect(reason(Self.request(), Self.facts(window: .init(windowId: "w-07", kind: .comprehensive, departmentIds: [], active: false))) == .windowNotHallWindow)
        #expect(reason(Self.request(), Self.facts(window: .init(windowId: "w-07", kind: .discipline, departmentIds: ["d-market"], active: true))) == .windowNotHallWindow)
        #expect(reason(Self.request(), Self.facts(window: .init(windowId: "w-07", kind: .department, departmentIds: ["d-tax"], active: true))) == .windowNotHallWindow)
        #expect(reason(Self.request(), Self.facts(window: .init(windowId: "w-07", kind: .department, departmentIds: ["d-market"], active: true))) == nil)
    }

    @Test("a malformed hash or another department's caller is refused before anything is looked up")
    func precheck() {
        #expect(reason(Self.request(hash: "abc"), Self.facts()) == .malformedDocumentHash)
        #expect(reason(Self.request(hash: String(repeating: "zz", count: 32)), Self.facts()) == .malformedDocumentHash)
        #expect(reason(Self.request(caller: "d-tax"), Self.facts()) == .departmentMismatch)
        #expect(reason(Self.request(hash: String(repeating: "AB", count: 32), caller: "d-market"), Self.facts()) == nil)
    }
}

@Suite("Master key and key vault")
struct KeyVaultTests {
    @Test("a missing or malformed master key stops start-up naming the key, never echoing the value")
    func configuration() throws {
        let missing = try #require(throws: ConfigurationError.self) { try SealSettings(environment: EnvironmentReader([:])) }
        #expect(missing.description.contains("HALL_SEAL_MASTER_KEY is not set"))
        let short = Data(repeating: 7, count: 16).base64EncodedString()
        let bad = try #require(throws: ConfigurationError.self) { try SealSettings(environment: EnvironmentReader(["HALL_SEAL_MASTER_KEY": short])) }
        #expect(bad.key == "HALL_SEAL_MASTER_KEY" && !bad.description.contains(short))
        #expect(throws: ConfigurationError.self) { try SealSettings(environment: EnvironmentReader(["HALL_SEAL_MASTER_KEY": "not base64!"])) }
        let good = Data(repeating: 9, count: 32).base64EncodedString()
        let configuration = try SealSettings(environment: EnvironmentReader(["HALL_SEAL_MASTER_KEY": good]))
        #expect(!"\(configuration.vault)".contains(good))
    }

    @Test("private keys round-trip under the master key, and fail under another key or for another seal")
    func vault() throws {
        let vault = KeyVault(masterKey: Array(repeating: 1, count: 32))
        let key = Curve25519SigningKey.make()
        let sealId = UUID()
        let sealed = try vault.encrypt(key, sealId: sealId)
        #expect(sealed.count == 12 + 32 + 16)
        #expect(try vault.decrypt(sealed, sealId: sealId).rawRepresentation == key.rawRepresentation)
        #expect(throws: KeyVaultError.self) { try KeyVault(masterKey: Array(repeating: 2, count: 32)).decrypt(sealed, sealId: sealId) }
        #expect(throws: KeyVaultError.self) { try vault.decrypt(sealed, sealId: UUID()) }
    }
}

enum Curve25519SigningKey {
    static func make() -> Curve25519.Signing.PrivateKey { Curve25519.Signing.PrivateKey() }
}
