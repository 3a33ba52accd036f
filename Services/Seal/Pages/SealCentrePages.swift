import Foundation
import HallContracts
import HallImprints
import HallKit
import HallWeb
import Hummingbird

/// The centre's page of the seals (Art 31, 32): `/centre/seals`, every department's approval
/// seal with its code, validity, status, the last serial of its register, who keeps it today (the
/// chief representative, or the substitute under a filed notice), the custody log and the staff
/// authorised to apply it, for which documents. `POST /centre/seals/{id}/verify-register` re-reads
/// the seal's whole register (chain and signatures) and says whether it is intact, as
/// `POST /v1/seals/{id}/verify-register` does. The centre administrator and the operator.
struct SealCentrePages<Repository: SealRepository> {
    let web: WebPages
    let repository: Repository
    static var readers: Set<Role> { [.centreAdmin, .operator] }

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/centre/seals") { request, context in
            try await web.staff(request, context, roles: Self.readers) { _, viewer, _ in
                let seals = try await repository.seals(departmentId: nil)
                let custody = try await repository.custody(of: seals)
                let page = SealsPage(seals: seals.sorted { ($0.departmentId, $0.registeredAt) < ($1.departmentId, $1.registeredAt) }.map { SealsPage.Seal($0, custody: custody[$0.sealId]) })
                return web.renderer.render("centre-seals", title: "印章与授权", page: page, viewer: viewer)
            }
        }
        routes.post("/centre/seals/:id/verify-register") { request, context in
            try await web.staff(request, context, roles: Self.readers) { context, viewer, _ in
                guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)), let seal = try await repository.seal(id: id),
                    let report = try await repository.verifyRegister(sealId: id)
                else { throw HallError(.notFound, "没有这枚印章", field: "id") }
                let page = RegisterCheckPage(
                    seal: "\(seal.name)（\(seal.code)）", intact: report.intact, checked: report.checked,
                    broken: report.firstBrokenSerial.map { "第 \($0) 号起：\(report.problem.map { "\($0)" } ?? "")" })
                return web.renderer.render("centre-register", title: "印章登记簿核验", page: page, viewer: viewer)
            }
        }
        return routes
    }
}

struct SealsPage {
    struct Seal {
        var id: String
        var name: String
        var code: String
        var department: String
        var status: String
        var valid: String
        var lastSerial: Int64
        var keeper: String?
        var authorised: [String]
        var custodyLog: [String]
        var revoked: String?

        init(_ seal: SealRecord, custody: SealCustody?) {
            id = seal.sealId.uuidString.lowercased()
            name = seal.name
            code = seal.code
            department = seal.departmentId
            status = seal.status == .active ? "在用" : "已作废"
            valid = "\(Words.time(seal.validFrom)) 至 \(Words.time(seal.validUntil))"
            lastSerial = seal.lastSerial
            keeper = custody?.current.map { keeper in
                keeper.capacity == .chiefRepresentative ? "首席代表 \(keeper.staffId)" : "代理人 \(keeper.staffId)\(keeper.noticeReference.map { "（备案 \($0)）" } ?? "")"
            }
            authorised = seal.authorisations.map { "\($0.staffId)：\($0.documentKinds.map { Words.document($0.rawValue) }.joined(separator: "、"))" }
            custodyLog = (custody?.log ?? []).map { entry in
                "\(Words.time(entry.changedAt)) 首席代表 \(entry.chiefRepresentativeId ?? "—")"
                    + (entry.substitute.map { "，代理人 \($0.staffId)\($0.noticeReference.map { "（备案 \($0)）" } ?? "")" } ?? "")
            }
            revoked = seal.revokedAt.map { "\(Words.time($0)) 由 \(seal.revokedBy ?? "—") 作废：\(seal.revocationReason ?? "")" }
        }
    }
    var seals: [Seal]
}

struct RegisterCheckPage {
    var seal: String
    var intact: Bool
    var checked: Int
    var broken: String?
}
