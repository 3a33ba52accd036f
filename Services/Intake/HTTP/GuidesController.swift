import Foundation
import HallCalendar
import HallContracts
import HallKit
import Hummingbird

/// The public item guides: `GET /v1/items`, `GET /v1/items/:code` (ETag, 304) and
/// `GET /v1/items/:code/form` (a download).
struct GuidesController<Repository: GuideRepository> {
    let repository: Repository
    let encodedGuides = EncodedGuides()

    var routes: RouteCollection<HallRequestContext> {
        let routes = RouteCollection(context: HallRequestContext.self)
        routes.get("/v1/items") { request, _ -> ItemList in
            let today = LocalDate.inHall(Date())
            let query = request.uri.queryParameters.get("q")
            return ItemList(items: try await repository.itemsInForce(matching: query, on: today).map(GuideSummary.init))
        }
        routes.get("/v1/items/:code") { request, context -> Response in
            let code = try context.parameters.require("code")
            let date = try request.uri.queryParameters.get("on").map(parseDate(field: "on")) ?? LocalDate.inHall(Date())
            let versions = try await repository.recentItemVersions(of: code)
            guard let item = IntakeStore.inForce(versions, on: date) else {
                if let withdrawn = IntakeStore.withdrawal(versions, on: date) {
                    throw HallError(
                        .notFound, "item \(code) is withdrawn from the catalogue from \(withdrawn)", field: "code",
                        words: "事项 \(code) 自 \(withdrawn) 起已从事项目录中撤出")
                }
                throw HallError(.notFound, "no item \(code) in force on \(date)", field: "code", words: "未找到 \(date) 施行的事项 \(code)")
            }
            // A published version never changes: its JSON is encoded once.
            let guide = try encodedGuides.entry(for: item) { ByteBuffer(bytes: try context.responseEncoder.encode($0)) }
            var headers = HTTPFields()
            headers[.cacheControl] = "public, max-age=5"
            headers[.eTag] = guide.eTag
            // A front end that holds this version already is told so, without the body.
            if let ifNoneMatch = request.headers[.ifNoneMatch], EncodedGuides.matches(ifNoneMatch, eTag: guide.eTag) {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: guide.body))
        }
        routes.get("/v1/items/:code/form") { _, context -> Response in
            let code = try context.parameters.require("code")
            guard let item = IntakeStore.inForce(try await repository.itemVersions(of: code), on: LocalDate.inHall(Date())) else {
                throw HallError(.notFound, "no item \(code) in force", field: "code", words: "未找到现行有效的事项 \(code)")
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(item.code)-v\(item.version)-form.txt\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: item.formTemplate)))
        }
        return routes
    }
}

struct ItemList: ResponseCodable { var items: [GuideSummary] }

/// A line of the public item list.
struct GuideSummary: ResponseCodable {
    var code: String
    var name: String
    var kind: ItemKind
    var leadDepartmentId: String
    var promisedLimitDays: Int
    var legalLimitDays: Int
    var free: Bool
    var version: Int

    init(_ item: ItemVersion) {
        code = item.code
        name = item.name
        kind = item.kind
        leadDepartmentId = item.leadDepartmentId
        promisedLimitDays = item.promisedLimitDays
        legalLimitDays = item.legalLimitDays
        free = item.fee.isFree
        version = item.version
    }
}
