import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Appends every JSON answer of a service to `<directory>/<service>.jsonl` (method, route template,
/// status, body), so that `deploy/check-contracts.py --responses` can check the answers the tests
/// received against the service's OpenAPI document. A test-run instrument (HALL_RECORD_RESPONSES);
/// a production service never records.
public struct ResponseRecorder<Context: RequestContext>: RouterMiddleware {
    private let service: String
    private let file: URL

    /// Records the answers of `service` into `directory` (created when missing).
    public init(service: String, directory: String) {
        self.service = service
        let folder = URL(fileURLWithPath: directory, isDirectory: true)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.file = folder.appendingPathComponent("\(service).jsonl")
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard let route = context.endpointPath, route.hasPrefix("/v1/"),
            let contentType = response.headers[.contentType], contentType.contains("json")
        else { return response }
        let method = request.method.rawValue
        let status = response.status.code
        let service = self.service
        let file = self.file
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            let collected = CollectedBody()
            try await body.write(CollectingWriter(collected: collected))
            let bytes = collected.bytes
            try await writer.write(ByteBuffer(bytes: bytes))
            try await writer.finish(nil)
            ResponseLog.append(
                file, service: service, method: method, route: route, status: status, contentType: contentType, body: bytes)
        }
        return response
    }
}

private final class CollectedBody: Sendable {
    private let state = Mutex<[UInt8]>([])
    func append(_ buffer: ByteBuffer) { state.withLock { $0 += buffer.readableBytesView } }
    var bytes: [UInt8] { state.withLock { $0 } }
}

private struct CollectingWriter: ResponseBodyWriter {
    let collected: CollectedBody
    mutating func write(_ buffer: ByteBuffer) async throws { collected.append(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

private enum ResponseLog {
    static let lock = Mutex(())

    static func append(_ file: URL, service: String, method: String, route: String, status: Int, contentType: String, body: [UInt8]) {
        let record: [String: Any] = [
            "service": service, "method": method, "route": route, "status": status, "contentType": contentType,
            "body": String(decoding: body, as: UTF8.self),
        ]
        guard var line = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        // One write(2) on a descriptor opened with O_APPEND: the kernel places each record at the
        // end whole, so the test runner and the executables it starts can record into one file.
        lock.withLock { _ in
            let descriptor = open(file.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { return }
            defer { close(descriptor) }
            _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        }
    }
}
