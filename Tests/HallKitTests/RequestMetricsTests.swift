import HallKit
import Hummingbird
import HummingbirdTesting
import MetricsTestKit
import Testing

@Suite("HTTP metrics (router in process)")
struct RequestMetricsTests {
    @Test("each answer is counted and timed by route, method and status, a refusal also as an error; the page arrives whole")
    func countedAndTimed() async throws {
        let metrics = TestMetrics()
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(RequestMetricsMiddleware<HallRequestContext>(factory: metrics))
        let page = String(repeating: "办件查询 受理编号 ", count: 600)
        router.get("/cases/:code") { _, _ in page }
        router.get("/withdrawn") { _, _ -> String in throw HTTPError(.notFound, message: "目录中没有这个事项") }
        try await Application(router: router).test(.router) { client in
            for code in ["A1", "B2", "C3"] {
                try await client.execute(uri: "/cases/\(code)", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == page)
                }
            }
            try await client.execute(uri: "/withdrawn", method: .get) { response in #expect(response.status == .notFound) }
        }
        let found = [("http.route", "/cases/{code}"), ("http.request.method", "GET"), ("http.response.status_code", "200")]
        #expect(try metrics.expectCounter("hb.requests", found).totalValue == 3)
        let durations = try metrics.expectTimer("http.server.request.duration", found).values
        #expect(durations.count == 3 && durations.allSatisfy { $0 > 0 })
        let refused = [("http.route", "/withdrawn"), ("http.request.method", "GET")]
        #expect(try metrics.expectCounter("hb.requests", refused + [("http.response.status_code", "404")]).totalValue == 1)
        #expect(try metrics.expectCounter("hb.request.errors", refused + [("error.type", "404")]).totalValue == 1)
        #expect(metrics.counters(label: "hb.request.errors").filter { $0.totalValue > 0 }.count == 1, "only the refusal is an error")
        // Every request has ended: none is counted as active.
        #expect(try metrics.expectMeter("http.server.active_requests", [("http.request.method", "GET")]).lastValue == 0)
    }
}
