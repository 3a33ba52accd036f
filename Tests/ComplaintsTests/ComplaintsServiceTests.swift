import Foundation
import HallContracts
import HallKafka
import HallKit
import HallTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import complaints

@Suite("complaints: routes over a repository in memory")
struct ComplaintsRouteTests {
    @Test("GET /v1/targets answers the repository's windows and departments, to anyone")
    func targets() async throws {
        let stored = ComplaintTargets(
            windows: [DirectoryWindow(windowId: "w-01", name: "综合窗口一", kind: "comprehensive", departmentIds: ["d-market", "d-tax"])],
            departments: [DirectoryDepartment(departmentId: "d-market", name: "市场监督管理局", centre: false)])
        let router = Router(context: HallRequestContext.self)
        router.addRoutes(ComplaintTargetsController(repository: MemoryComplaintsRepository(stored: stored)).routes)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/v1/targets", method: .get) { response in
                #expect(response.status == .ok)
                let answered = try JSONDecoder().decode(ComplaintTargets.self, from: response.body)
                #expect(answered == stored)
            }
        }
    }
}

@Suite("complaints against the real database and broker", .enabled(if: TestEnvironment.isAvailable))
struct ComplaintsServiceTests {
    @Test("the service learns the directory from intake's events: active windows and departments are offered, a closed window is not")
    func directoryFromEvents() async throws {
        try await withComplaintsService { client, publish in
            let market = DepartmentChanged(departmentId: "d-market", name: "市场监督管理局", active: true, chiefRepresentative: nil, substitute: nil)
            let open = WindowChanged(windowId: "w-01", name: "综合窗口一", kind: .comprehensive, departmentIds: ["d-market"], active: true)
            let closed = WindowChanged(windowId: "w-02", name: "综合窗口二", kind: .comprehensive, departmentIds: ["d-market"], active: false)
            try await publish([
                ("d-market", try intake(market)), ("w-01", try intake(open)), ("w-02", try intake(closed)),
            ])
            var targets = ComplaintTargets(windows: [], departments: [])
            try await eventually("the directory applied") {
                targets = try await client.execute(uri: "/v1/targets", method: .get) { try JSONDecoder().decode(ComplaintTargets.self, from: $0.body) }
                return !targets.windows.isEmpty && !targets.departments.isEmpty
            }
            #expect(targets.windows.map(\.windowId) == ["w-01"], "the closed window is not offered")
            #expect(targets.departments == [DirectoryDepartment(departmentId: "d-market", name: "市场监督管理局", centre: false)])
        }
    }
}

/// Runs the complaints service in process on the test stack (its own schema and topic namespace),
/// and gives the body a client and a way to publish intake's directory events to it (each with
/// its Kafka key, the entity id).
func withComplaintsService(
    _ body: @escaping @Sendable (any TestClientProtocol, _ publish: @Sendable ([(key: String, event: EventEnvelope)]) async throws -> Void) async throws -> Void
) async throws {
    HallMetrics.bootstrap()
    try await TestDatabase.with(migrate: false) { database in
        let schema = TestEnvironment.uniqueName("complaints")
        let environment = EnvironmentReader([
            "HALL_DATABASE_URL": try requireValue(TestEnvironment.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL"),
            "HALL_DATABASE_SCHEMA": schema,
            "HALL_KAFKA_BROKERS": try requireValue(TestEnvironment.kafkaBrokers, "HALL_KAFKA_BROKERS").joined(separator: ","),
            "HALL_JWT_SECRET": String(repeating: "s", count: 32),
            "HALL_HTTP_PORT": "0",
            "HALL_KAFKA_PARTITIONS": "1",
            "HALL_KAFKA_NAMESPACE": schema,
        ])
        let configuration = try ServiceConfiguration(serviceName: "complaints", defaultPort: 0, environment: environment)
        let app = try await HallServiceMain.makeApplication(
            ComplaintsService.definition(try ComplaintsSettings(environment: environment)), configuration: configuration, logger: TestEnvironment.logger())
        let producer = try TestKafka.stack().producer()
        let topic = "\(schema).\(Topic.intakeEvents.rawValue)"
        try await app.test(.live) { client in
            try await eventually("complaints ready") { try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok } }
            try await body(client) { events in
                let messages = try events.map { KafkaProducerMessage(topic: topic, key: Array($0.key.utf8), value: try $0.event.encoded()) }
                for result in await producer.send(messages) { _ = try result.get() }
            }
        }
        await producer.close()
        try await database.client.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: TestEnvironment.logger())
    }
}

/// Retries `condition` until it holds (at most `timeout`), recording an issue when it never does.
func eventually(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(try await condition()) {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for: \(what)")
            return
        }
        try await Task.sleep(for: .milliseconds(200))
    }
}

/// An intake event with `payload`.
func intake<P: EventPayload>(_ payload: P, at occurredAt: Date = Date()) throws -> EventEnvelope {
    try EventEnvelope(payload: payload, occurredAt: occurredAt, producer: ServiceName.intake.rawValue, caseId: nil)
}
