import Foundation
import HallContracts
import HallImprints
import HallKit
import Hummingbird

/// Public verification of imprints: `GET /v1/imprints/{id}` (one imprint and the chain up to it)
/// and `GET /v1/verify?documentHash=` (every imprint of a document).
struct VerificationController<Repository: SealRepository> {
    let repository: Repository

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/imprints/:id") { _, context in
            guard let result = try await repository.verifyImprint(id: try uuidParameter(context)) else {
                throw HallError(.notFound, "no such imprint", words: "没有这条印章记录")
            }
            return try jsonResponse(VerificationView(result))
        }
        routes.get("/v1/verify") { request, _ in
            guard let text = request.uri.queryParameters.get("documentHash") else {
                throw HallError.invalid("documentHash", "is required", words: "必须填写")
            }
            guard let bytes = Hex.digest(text) else {
                throw HallError.invalid("documentHash", "must be 64 hexadecimal digits (SHA-256)", words: "须为 64 位十六进制数字（文书的 SHA-256 摘要）")
            }
            let results = try await repository.verifyDocument(hash: Hex.encode(bytes))
            return try jsonResponse(
                DocumentVerificationView(
                    documentHash: Hex.encode(bytes), found: !results.isEmpty, valid: !results.isEmpty && results.allSatisfy(\.valid),
                    imprints: results.map(VerificationView.init)))
        }
        return routes
    }
}
