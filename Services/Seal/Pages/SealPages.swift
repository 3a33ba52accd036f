import Foundation
import HallContracts
import HallImprints
import HallKit
import HallWeb
import Hummingbird

/// The seal's public page: the verification a printed notice's QR code opens
/// (`/verify?documentHash=`, or `/verify?imprintId=`). It says whether the document is sealed, by
/// which department's seal, when (the legal completion time, Art 31), whether the seal's register
/// is intact up to it, and — for a decision — whether it was sealed by the case's due date.
struct SealPages<Repository: SealRepository> {
    let web: WebPages
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/verify") { request, _ in
            try await web.publicPage {
                let query = request.uri.queryParameters
                if let text = query.get("documentHash"), !text.isEmpty {
                    guard let bytes = Hex.digest(text) else {
                        throw HallError.invalid("documentHash", "须为 64 位十六进制数字（文书的 SHA-256 摘要）")
                    }
                    let results = try await repository.verifyDocument(hash: Hex.encode(bytes))
                    return page(VerifyPage(hash: Hex.encode(bytes), imprints: results.map(ImprintView.init)))
                }
                if let text = query.get("imprintId"), !text.isEmpty {
                    guard let id = UUID(uuidString: text) else { throw HallError.invalid("imprintId", "须为印章记录编号（UUID）") }
                    let result = try await repository.verifyImprint(id: id)
                    return page(VerifyPage(hash: result.map { Hex.encode($0.imprint.documentHash) } ?? "", imprints: result.map { [ImprintView($0)] } ?? []))
                }
                return web.renderer.render("verify", title: "印章验证", page: VerifyPage(hash: "", imprints: [], asked: false))
            }
        }
        return routes
    }

    func page(_ view: VerifyPage) -> Response {
        web.renderer.render("verify", title: "印章验证", page: view, status: view.found ? .ok : .notFound, caching: .publicFor(seconds: 10))
    }
}

/// (Mustache reads stored properties only: every flag the template asks is stored.)
struct VerifyPage {
    var hash: String
    var imprints: [ImprintView]
    var found: Bool
    var valid: Bool
    var invalid: Bool
    var notFound: Bool

    init(hash: String, imprints: [ImprintView], asked: Bool = true) {
        self.hash = hash
        self.imprints = imprints
        found = !imprints.isEmpty
        valid = found && imprints.allSatisfy(\.valid)
        invalid = found && !valid
        notFound = asked && !found
    }
}

struct ImprintView {
    var valid: Bool
    var sealName: String
    var sealCode: String
    var department: String
    var document: String
    var serial: Int
    var sealedAt: String
    var problem: String?
    var receiptCode: String?
    var dueDate: String?
    var dueDateFinal: Bool
    var onTime: Bool
    var late: Bool
    var imprintId: String

    init(_ result: ImprintVerification) {
        let view = VerificationView(result)
        valid = view.valid
        sealName = view.seal.name
        sealCode = view.seal.code
        department = view.departmentId
        document = Words.document(view.imprint.documentKind.rawValue)
        serial = view.imprint.serial
        sealedAt = Words.time(view.sealedAt, seconds: true)
        problem = view.problem.map {
            ["imprint-invalid": "印章签名不符：文书或印章记录被改动过"][$0] ?? "印章登记簿在第 \(view.firstBrokenSerial ?? 0) 号处不连续或被改动（\($0)）"
        }
        receiptCode = view.case?.receiptCode
        dueDate = view.case?.dueDate.description
        dueDateFinal = view.case?.dueDateFinal ?? false
        onTime = view.case?.onTime == true
        late = view.case?.onTime == false
        imprintId = view.imprint.imprintId.uuidString.lowercased()
    }
}
