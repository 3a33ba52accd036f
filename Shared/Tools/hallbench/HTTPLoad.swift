import AsyncHTTPClient
import Foundation
import NIOCore

/// Closed-loop HTTP load from concurrent keep-alive clients, for the benchmarks of the executables.
extension HallBench {
    struct LoadResult: Sendable {
        var latencies: [Double] = []  // ms, every answered request
        var statuses: [UInt: Int] = [:]
        var failures = 0
        var seconds = 0.0
        /// The answers' bodies with their request's index, when asked for.
        var bodies: [(Int, String)] = []

        var percentiles: (Double, Double, Double) {
            let sorted = latencies.sorted()
            guard !sorted.isEmpty else { return (0, 0, 0) }
            return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))], sorted.last!)
        }
    }

    /// `count` requests from `clients` concurrent clients, each sending its next request when
    /// the previous answer's body has been read (closed loop, keep-alive connections).
    static func load(
        _ client: HTTPClient, clients: Int, count: Int, keepBodies: Bool = false, request: @escaping @Sendable (Int) -> HTTPClientRequest
    ) async throws -> LoadResult {
        let clients = max(1, clients)
        let start = ContinuousClock.now
        var total = LoadResult()
        try await withThrowingTaskGroup(of: LoadResult.self) { group in
            for worker in 0..<clients {
                group.addTask {
                    var result = LoadResult()
                    result.latencies.reserveCapacity(count / clients + 1)
                    var index = worker
                    while index < count {
                        let sent = ContinuousClock.now
                        do {
                            let (status, body) = try await send(client, request(index))
                            if keepBodies { result.bodies.append((index, body)) }
                            let elapsed = ContinuousClock.now - sent
                            result.latencies.append(
                                Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                            result.statuses[status, default: 0] += 1
                        } catch {
                            result.failures += 1
                        }
                        index += clients
                    }
                    return result
                }
            }
            for try await part in group {
                total.latencies += part.latencies
                total.failures += part.failures
                total.statuses.merge(part.statuses, uniquingKeysWith: +)
                total.bodies += part.bodies
            }
        }
        let elapsed = ContinuousClock.now - start
        total.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return total
    }

    static func send(_ client: HTTPClient, _ request: HTTPClientRequest) async throws -> (UInt, String) {
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body))
    }

    static func post(_ url: String, token: String, _ json: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        return request
    }
}
