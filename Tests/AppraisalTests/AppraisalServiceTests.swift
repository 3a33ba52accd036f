import Foundation
import HallContracts
import HallKafka
import HallKit
import HallTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import appraisal

@Suite("appraisal: routes over a repository in memory")
struct AppraisalRouteTests {
    @Test("GET /v1/windows answers the repository's windows, to anyone")
    func windows() async throws {
        let stored = RatedWindows(windows: [DirectoryWindow(windowId: "w-01", name: "综合窗口一", kind: "comprehensive", departmentIds: ["d-market"])])
        let router = Router(context: HallRequestContext.self)
        router.addRoutes(RatedWindowsController(repository: MemoryAppraisalRepository(stored: stored)).routes)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/v1/windows", method: .get) { response in
                #expect(response.status == .ok)
                let answered = try JSONDecoder().decode(RatedWindows.self, from: response.body)
                #expect(answered == stored)
            }
        }
    }
}

@Suite("appraisal against the real database and broker", .enabled(if: TestEnvironment.isAvailable))
struct AppraisalServiceTests {
    @Test("the service learns the windows from intake's events; a later change (closed) removes one, an older event arriving late does not bring it back")
    func windowsFromEvents() async throws {
        try await withAppraisalService { client, publish in
            let window = WindowChanged(windowId: "w-07", name: "不动产窗口", kind: .department, departmentIds: ["d-land"], active: true)
            let other = WindowChanged(windowId: "w-08", name: "税务窗口", kind: .department, departmentIds: ["d-tax"], active: true)
            try await publish([("w-07", try intake(window)), ("w-08", try intake(other))])
            func listed() async throws -> [String] {
                try await client.execute(uri: "/v1/windows", method: .get) { try JSONDecoder().decode(RatedWindows.self, from: $0.body) }.windows.map(\.windowId)
            }
            try await eventually("both windows listed") { try await listed() == ["w-07", "w-08"] }
            // The window closes; then an older event of it (open) arrives late.
            let closedAt = Date()
            var closed = window
            closed.active = false
            try await publish([("w-07", try intake(closed, at: closedAt)), ("w-07", try intake(window, at: closedAt.addingTimeInterval(-60)))])
            try await eventually("the closed window leaves the list") { try await listed() == ["w-08"] }
            try await Task.sleep(for: .seconds(3))
            #expect(try await listed() == ["w-08"])
        }
    }
}

/// Runs the appraisal service in process on the test stack (its own schema and topic namespace),
/// and gives the body a client and a way to publish intake's directory events to it (each with
/// its Kafka key, the entity id).
func withAppraisalService(
    _ body: @escaping @Sendable (any TestClientProtocol, _ publish: @Sendable ([(key: String, event: EventEnvelope)]) async throws -> Void) async throws -> Void
) async throws {
    HallMetrics.bootstrap()
    try await TestDatabase.with(migrate: false) { database in
        let schema = TestEnvironment.uniqueName("appraisal")
        let environment = EnvironmentReader([
            "HALL_DATABASE_URL": try requireValue(TestEnvironment.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL"),
            "HALL_DATABASE_SCHEMA": schema,
            "HALL_KAFKA_BROKERS": try requireValue(TestEnvironment.kafkaBrokers, "HALL_KAFKA_BROKERS").joined(separator: ","),
            "HALL_JWT_SECRET": String(repeating: "s", count: 32),
            "HALL_HTTP_PORT": "0",
            "HALL_KAFKA_PARTITIONS": "1",
            "HALL_KAFKA_NAMESPACE": schema,
        ])
        let configuration = try ServiceConfiguration(serviceName: "appraisal", defaultPort: 0, environment: environment)
        let app = try await HallServiceMain.makeApplication(
            AppraisalService.definition(try AppraisalSettings(environment: environment)), configuration: configuration, logger: TestEnvironment.logger())
        let producer = try TestKafka.stack().producer()
        let topic = "\(schema).\(Topic.intakeEvents.rawValue)"
        try await app.test(.live) { client in
            try await eventually("appraisal ready") { try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok } }
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
