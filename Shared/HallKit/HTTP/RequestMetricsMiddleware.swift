import Dispatch
import HTTPTypes
import Hummingbird
import Metrics
import Synchronization

/// The HTTP metrics of Hummingbird's `MetricsMiddleware` — the same names and dimensions
/// (`hb.requests`, `hb.request.errors`, `http.server.request.duration`,
/// `http.server.active_requests`) — taken when the handler returns its response.
///
/// Hummingbird's middleware takes them after the body has been written, by wrapping every body in
/// a closure. A body held in one buffer (every answer of the hall: JSON, pages, CSV) then loses
/// Hummingbird's fast path, which writes the head, the body and the end as one batch: the head and
/// the body went out as two writes to the socket, two TCP segments, and three hand-overs to the
/// channel. Here the body is left as it is. The duration stops when the response is made, before it
/// is written; a body that streams would not be timed to its end (the hall has none).
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let metrics: RequestMetrics

    /// Records into `factory` (the process's metrics system unless a test gives its own).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.metrics = RequestMetrics(factory: factory)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let active = metrics.active(request.method)
        active.increment()
        defer { active.decrement() }
        do {
            let response = try await next(request, context)
            let endpoint = metrics.endpoint(context.endpointPath ?? "Unknown", request.method, response.status)
            endpoint.counter.increment()
            endpoint.timer.recordNanoseconds(DispatchTime.now().uptimeNanoseconds - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let endpoint = metrics.endpoint(context.endpointPath ?? "NotFound", request.method, status)
            endpoint.counter.increment()
            endpoint.errorCounter.increment()
            throw error
        }
    }
}

/// Each method's meter and each endpoint's counters and timer, made once (as Hummingbird's cache).
final class RequestMetrics: Sendable {
    struct Endpoint: Sendable {
        let counter: Counter
        let timer: Timer
        let errorCounter: Counter
    }

    private struct EndpointKey: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
    }

    private let factory: any MetricsFactory
    private let meters = Mutex<[HTTPRequest.Method: Meter]>([:])
    private let endpoints = Mutex<[EndpointKey: Endpoint]>([:])

    init(factory: any MetricsFactory) { self.factory = factory }

    func active(_ method: HTTPRequest.Method) -> Meter {
        meters.withLock { meters in
            if let meter = meters[method] { return meter }
            let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)], factory: factory)
            meters[method] = meter
            return meter
        }
    }

    func endpoint(_ route: String, _ method: HTTPRequest.Method, _ status: HTTPResponse.Status) -> Endpoint {
        let key = EndpointKey(route: route, method: method, status: status.code)
        return endpoints.withLock { endpoints in
            if let endpoint = endpoints[key] { return endpoint }
            let request = [("http.route", route), ("http.request.method", method.rawValue)]
            let endpoint = Endpoint(
                counter: Counter(label: "hb.requests", dimensions: request + [("http.response.status_code", String(status.code))], factory: factory),
                timer: Timer(
                    label: "http.server.request.duration", dimensions: request + [("http.response.status_code", String(status.code))],
                    preferredDisplayUnit: .seconds, factory: factory),
                errorCounter: Counter(label: "hb.request.errors", dimensions: request + [("error.type", String(status.code))], factory: factory))
            endpoints[key] = endpoint
            return endpoint
        }
    }
}
