import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKit

/// ``SealRepository`` in memory, for route tests without servers: the same rules (``SealPolicy``)
/// and the same signed, chained register (``Imprint``, ``ChainVerifier``) as the PostgreSQL
/// repository; the directory is given at creation, and nothing is published.
actor MemorySealRepository: SealRepository {
    private let departments: [String: DepartmentRecord]
    private let windows: [String: WindowRecord]
    private let staff: [String: StaffRecord]
    private let clock: @Sendable () -> Date
    private var records: [UUID: SealRecord] = [:]
    private var keys: [UUID: Curve25519.Signing.PrivateKey] = [:]
    /// Each seal's register, in serial order.
    private var registers: [UUID: [Imprint]] = [:]

    init(departments: [DepartmentRecord], windows: [WindowRecord], staff: [StaffRecord], clock: @escaping @Sendable () -> Date = { Date() }) {
        self.departments = Dictionary(uniqueKeysWithValues: departments.map { ($0.departmentId, $0) })
        self.windows = Dictionary(uniqueKeysWithValues: windows.map { ($0.windowId, $0) })
        self.staff = Dictionary(uniqueKeysWithValues: staff.map { ($0.staffId, $0) })
        self.clock = clock
    }

    func registerSeal(_ registration: SealRegistration, by admin: String) throws -> SealRecord {
        try register(registration, predecessor: nil, by: admin)
    }

    private func register(_ registration: SealRegistration, predecessor: UUID?, by admin: String) throws -> SealRecord {
        if let problem = SealPolicy.registrationProblem(registration, department: departments[registration.departmentId]) {
            throw HallError.invalid(problem.field, problem.rule, words: problem.words)
        }
        guard !records.values.contains(where: { ($0.departmentId == registration.departmentId && $0.status == .active) || $0.code == registration.code }) else {
            throw HallError(
                .conflict, "department \(registration.departmentId) already has an active seal, or code \(registration.code) is taken", field: "code",
                words: "部门 \(registration.departmentId) 已有在用的印章，或编码 \(registration.code) 已被占用")
        }
        let key = Curve25519.Signing.PrivateKey()
        let record = SealRecord(
            sealId: UUID.random(), departmentId: registration.departmentId, name: registration.name, code: registration.code,
            custodianStaffId: registration.custodianStaffId, authorisations: registration.authorisations, validFrom: registration.validFrom,
            validUntil: registration.validUntil, publicKey: Array(key.publicKey.rawRepresentation), status: .active, predecessorSealId: predecessor,
            successorSealId: nil, registeredBy: admin, registeredAt: clock(), revokedBy: nil, revokedAt: nil, revocationReason: nil, lastSerial: 0,
            lastHash: Imprint.genesisHash)
        records[record.sealId] = record
        keys[record.sealId] = key
        return record
    }

    func revokeSeal(id: UUID, reason: String, by admin: String, successor: SealRegistration?) throws -> (SealRecord, SealRecord?) {
        guard var seal = records[id] else { throw HallError(.notFound, "no seal \(id)", words: "没有编号为 \(id) 的印章") }
        guard seal.status == .active else { throw HallError(.conflict, "seal \(seal.code) is already revoked", words: "印章 \(seal.code) 已作废") }
        if let successor, successor.departmentId != seal.departmentId {
            throw HallError.invalid("successor.departmentId", "must be the revoked seal's department", words: "须与作废的印章属于同一部门")
        }
        seal.status = .revoked
        seal.revokedBy = admin
        seal.revokedAt = clock()
        seal.revocationReason = reason
        records[id] = seal
        let next = try successor.map { try register($0, predecessor: id, by: admin) }
        seal.successorSealId = next?.sealId
        records[id] = seal
        return (seal, next)
    }

    func replaceAuthorisations(sealId: UUID, authorisations: [SealAuthorisation], by admin: String) throws -> SealRecord {
        guard var seal = records[sealId] else { throw HallError(.notFound, "no seal \(sealId)", words: "没有编号为 \(sealId) 的印章") }
        guard seal.status == .active else {
            throw HallError(.conflict, "seal \(seal.code) is revoked; its authorisations can no longer change", words: "印章 \(seal.code) 已作废，用印授权不能再更改")
        }
        seal.authorisations = authorisations
        records[sealId] = seal
        return seal
    }

    func seals(departmentId: String?) -> [SealRecord] {
        records.values.filter { departmentId == nil || $0.departmentId == departmentId }
            .sorted { ($0.departmentId, $0.registeredAt) < ($1.departmentId, $1.registeredAt) }
    }

    func seal(id: UUID) -> SealRecord? { records[id] }

    /// The directory is fixed at creation: the log holds the state at registration only.
    func custody(of seals: [SealRecord]) -> [UUID: SealCustody] {
        let day = SealPolicy.hallDay(clock())
        var custody: [UUID: SealCustody] = [:]
        for seal in seals {
            let department = departments[seal.departmentId]
            let entry = SealCustody.Entry(
                changedAt: seal.registeredAt, chiefRepresentativeId: department?.chiefRepresentative,
                substitute: department?.substitute.map(Custodian.init(substitute:)))
            custody[seal.sealId] = SealCustody(current: seal.status == .active ? department?.keeper(on: day) : nil, log: [entry])
        }
        return custody
    }

    func apply(_ request: SealingRequest) throws -> SealingOutcome {
        if let refusal = SealPolicy.precheck(request) { return .refused(refusal) }
        guard let hash = Hex.digest(request.documentHash) else {
            return .refused(
                SealRefusal(
                    .malformedDocumentHash, "documentHash must be the document's SHA-256 as 64 hexadecimal digits",
                    words: "文书摘要须为文书的 SHA-256 摘要（64 位十六进制数字）"))
        }
        let sealed = registers.values.joined()
        if let existing = sealed.first(where: {
            $0.documentKind == request.documentKind && $0.documentHash == hash && $0.caseId == request.caseId && $0.departmentId == request.departmentId
        }) {
            return .sealed(existing, repeated: true)
        }
        let ofDepartment = records.values.filter { $0.departmentId == request.departmentId }
        let facts = SealingFacts(
            activeSeal: ofDepartment.first { $0.status == .active }, everHadSeal: !ofDepartment.isEmpty,
            department: departments[request.departmentId], window: windows[request.windowId], requester: staff[request.requestedBy])
        let now = clock()
        switch SealPolicy.decide(request, facts: facts, now: now) {
        case .failure(let refusal):
            return .refused(refusal)
        case .success(var seal):
            guard let key = keys[seal.sealId] else {
                throw HallError(.internalError, "no signing key for seal \(seal.sealId)", words: "印章 \(seal.sealId) 没有签名密钥")
            }
            let imprint = try Imprint.next(for: request, documentHash: hash, on: seal, at: now, signedWith: key)
            registers[seal.sealId, default: []].append(imprint)
            seal.lastSerial = imprint.serial
            seal.lastHash = imprint.imprintHash
            records[seal.sealId] = seal
            return .sealed(imprint, repeated: false)
        }
    }

    func verifyImprint(id: UUID) -> ImprintVerification? {
        registers.values.joined().first { $0.imprintId == id }.flatMap(verify)
    }

    func verifyDocument(hash: String) -> [ImprintVerification] {
        guard let bytes = Hex.digest(hash) else { return [] }
        return registers.values.joined().filter { $0.documentHash == bytes }.sorted { ($0.sealId.uuidString, $0.serial) < ($1.sealId.uuidString, $1.serial) }
            .compactMap(verify)
    }

    private func verify(_ imprint: Imprint) -> ImprintVerification? {
        guard let seal = records[imprint.sealId], let key = try? Curve25519.Signing.PublicKey(rawRepresentation: seal.publicKey) else { return nil }
        let chain = ChainVerifier(publicKey: key).verify(registers[seal.sealId] ?? [], through: imprint.serial)
        return ImprintVerification(imprint: imprint, seal: seal, signatureValid: imprint.check(publicKey: key) == .valid, chain: chain)
    }

    func verifyRegister(sealId: UUID) -> ChainVerifier.Report? {
        guard let seal = records[sealId], let key = try? Curve25519.Signing.PublicKey(rawRepresentation: seal.publicKey) else { return nil }
        return ChainVerifier(publicKey: key).verify(registers[sealId] ?? [], expectedLast: (seal.lastSerial, seal.lastHash))
    }
}
