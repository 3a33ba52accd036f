import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import HallServiceHarness
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import appraisal

@Suite("appraisal: figures over a repository in memory")
struct FiguresRouteTests {
    static let secret = String(repeating: "f", count: 40)
    static let row = FigureRow(
        period: HallDate("2026-03-01")!, key: "窗口, \"一\"", accepted: 2, refused: 1, correctionNotified: 1, completed: 2, completedOnTime: 1,
        onTimeRate: 0.5, handlingDaysMean: 5.5, handlingDaysP90: 6.7, complaintsSubstantiated: 1, sanctions: 0)

    static func app() async throws -> some ApplicationProtocol {
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: await TokenAuthority(secret: secret)))
        AppraisalService.addRoutes(to: router, repository: try MemoryAppraisalRepository(rows: [.window: [.month: [row]]]))
        return Application(router: router)
    }

    static func headers(_ subject: String, _ roles: [Role]) async throws -> HTTPFields {
        let token = try await TokenAuthority(secret: secret).issue(HallClaims(subject: subject, roles: roles, department: nil, ttl: 600))
        return [.authorization: "Bearer \(token)"]
    }

    @Test("the OpenAPI document lists exactly the routes the service serves")
    func openAPIMatchesRoutes() throws {
        let router = Router(context: HallRequestContext.self)
        AppraisalService.addRoutes(to: router, repository: try MemoryAppraisalRepository())
        #expect(servedRoutes(router) == documentedRoutes(AppraisalOpenAPI.document))
    }

    @Test("the centre reads the figures as JSON or as CSV to download; others may not; a bad query names its parameter")
    func figures() async throws {
        let admin = try await Self.headers("admin-sun", [.centreAdmin])
        try await (try await Self.app()).test(.router) { client in
            let uri = "/v1/figures?by=window&period=month&from=2026-03-01&to=2026-03-31"
            try await client.execute(uri: uri, method: .get, headers: admin) { response in
                #expect(response.status == .ok)
                let rows = try JSONDecoder().decode([FigureRow].self, from: response.body)
                #expect(rows == [Self.row])
            }
            try await client.execute(uri: uri + "&format=csv", method: .get, headers: admin) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true)
                #expect(response.headers[.contentDisposition]?.contains("figures-window-month-2026-03-01-2026-03-31.csv") == true)
                let lines = String(buffer: response.body).components(separatedBy: "\r\n")
                #expect(lines.first == FigureRow.csvHeader)
                #expect(lines[1] == #"2026-03-01,"窗口, ""一""",2,1,1,2,1,0.5000,5.5000,6.7000,1,0,0,0,0,0,0,0,0,0,,"#)
            }
            try await client.execute(uri: uri, method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: uri, method: .get, headers: try await Self.headers("s-li", [.clerk])) { #expect($0.status == .forbidden) }
            for (query, field) in [
                ("by=room&from=2026-03-01&to=2026-03-31", "by"), ("by=staff&period=week&from=2026-03-01&to=2026-03-31", "period"),
                ("by=staff&from=2026-02-30&to=2026-03-31", "from"), ("by=staff&from=2026-03-31&to=2026-03-01", "to"),
                ("by=staff&from=2000-01-01&to=2026-03-01", "to"), ("by=staff&from=2026-03-01&to=2026-03-31&format=xml", "format"),
            ] {
                try await client.execute(uri: "/v1/figures?\(query)", method: .get, headers: admin) { response in
                    #expect(response.status == .badRequest, "\(query)")
                    #expect((try? JSONValue.parse(Array(response.body.readableBytesView)))?["field"]?.stringValue == field, "\(query)")
                }
            }
        }
    }

    @Test("handling time: working days from acceptance to the last seal on the official calendar, less the days the clock stood still")
    func handlingTime() throws {
        let calendar = try WorkingCalendar.bundled()
        // Accepted Friday 13 February 2026, sealed Wednesday 25 February: 14 Feb (an adjusted working Saturday), 24 and 25 Feb.
        let accepted = try #require(LocalDate(iso: "2026-02-13")).startInstant.addingTimeInterval(9 * 3_600)
        let sealed = try #require(LocalDate(iso: "2026-02-25")).startInstant.addingTimeInterval(16 * 3_600)
        #expect(HandlingTime.workingDays(acceptedAt: accepted, completedAt: sealed, suspended: 0, calendar: calendar) == 3)
        #expect(HandlingTime.workingDays(acceptedAt: accepted, completedAt: sealed, suspended: 1, calendar: calendar) == 2)
        #expect(HandlingTime.workingDays(acceptedAt: accepted, completedAt: accepted, suspended: 2, calendar: calendar) == 0)
    }
}

/// The events of a small month at the hall, built from the golden fixtures, and the figures they
/// must give.
enum HallMonth {
    static func fixture(_ name: String) throws -> EventEnvelope {
        let url = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "ContractsTests/Fixtures/\(name).v1.json")
        return try EventEnvelope.decode(from: Array(try Data(contentsOf: url)))
    }

    /// A fixture's event with `changes` to its data, a new id, and the case it is about.
    static func event(_ name: String, caseId: String? = nil, at: Date? = nil, _ changes: [String: JSONValue]) throws -> EventEnvelope {
        let base = try fixture(name)
        var data = base.data.objectValue ?? [:]
        for (key, value) in changes { data[key] = value }
        return EventEnvelope(type: base.type, version: base.version, occurredAt: at ?? Date(), producer: base.producer, caseId: caseId, data: .object(data))
    }

    static func at(_ text: String) -> JSONValue { .string(text) }

    /// By topic, each event with its key.
    static func events() throws -> [Topic: [(key: String, event: EventEnvelope)]] {
        func accepted(_ caseId: String, _ receipt: String, _ item: String, _ department: String, _ clerk: String, _ window: String, _ at: String) throws
            -> (String, EventEnvelope)
        {
            (caseId, try event("intake.application.accepted", caseId: caseId, [
                "receiptCode": .string(receipt), "itemCode": .string(item), "leadDepartmentId": .string(department), "participantDepartmentIds": [],
                "clerkId": .string(clerk), "windowId": .string(window), "acceptedAt": .string(at),
            ]))
        }
        func completed(_ caseId: String, _ receipt: String, _ item: String, _ department: String, _ accepted: String, _ completed: String,
                       onTime: Bool, suspended: Int) throws -> (String, EventEnvelope) {
            (caseId, try event("coordinator.case.completed", caseId: caseId, [
                "receiptCode": .string(receipt), "itemCode": .string(item), "leadDepartmentId": .string(department), "departmentIds": [.string(department)],
                "acceptedAt": at(accepted), "completedAt": at(completed), "onTime": .bool(onTime), "suspendedWorkingDays": .int(Int64(suspended)),
                "extensionWorkingDays": 0, "bundleId": .null,
            ]))
        }
        func concluded(_ complaint: String, _ kind: String, _ target: String, _ finding: String, _ at: String) throws -> (String, EventEnvelope) {
            (complaint, try event("complaints.complaint.progressed", [
                "complaintId": .string(complaint), "step": "conclude", "status": "concluded", "finding": .string(finding),
                "targetKind": .string(kind), "targetId": .string(target), "at": .string(at),
            ]))
        }
        let liComplaint = "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"
        return [
            .intakeEvents: [
                ("s-li", try event("intake.directory.staff-changed", ["staffId": "s-li", "departmentId": "d-market", "windowId": "w-01", "active": true])),
                ("MKT-001", try event("intake.catalogue.item-published", ["itemCode": "MKT-001", "leadDepartmentId": "d-market"])),
                try accepted("c-1", "RC-1", "MKT-001", "d-market", "s-li", "w-01", "2026-03-02T02:00:00.000Z"),
                try accepted("c-2", "RC-2", "MKT-001", "d-market", "s-li", "w-01", "2026-03-02T03:00:00.000Z"),
                try accepted("c-3", "RC-3", "TAX-002", "d-tax", "s-wang", "w-02", "2026-03-03T02:00:00.000Z"),
                ("r-1", try event("intake.application.refused", [
                    "receiptCode": "RC-4", "itemCode": "MKT-001", "reasonCode": "not-in-force", "clerkId": "s-wang", "windowId": "w-02",
                    "refusedAt": at("2026-03-02T05:00:00.000Z"),
                ])),
                ("n-1", try event("intake.application.correction-notified", [
                    "receiptCode": "RC-5", "itemCode": "MKT-001", "clerkId": "s-li", "notifiedAt": at("2026-03-02T06:00:00.000Z"),
                ])),
            ],
            .coordinatorEvents: [
                // Monday 2 → Friday 6 March: 4 working days, on time.
                try completed("c-1", "RC-1", "MKT-001", "d-market", "2026-03-02T02:00:00.000Z", "2026-03-06T08:00:00.000Z", onTime: true, suspended: 0),
                // Monday 2 → Friday 13 March: 9 working days, 2 of them suspended; late.
                try completed("c-2", "RC-2", "MKT-001", "d-market", "2026-03-02T03:00:00.000Z", "2026-03-13T08:00:00.000Z", onTime: false, suspended: 2),
                try completed("c-3", "RC-3", "TAX-002", "d-tax", "2026-03-03T02:00:00.000Z", "2026-03-04T08:00:00.000Z", onTime: true, suspended: 0),
            ],
            .complaintsEvents: [
                // 李娜: one complaint substantiated then cleared on review (not counted), one partly substantiated.
                try concluded(liComplaint, "staff", "s-li", "substantiated", "2026-03-10T02:00:00.000Z"),
                try concluded(liComplaint, "staff", "s-li", "unsubstantiated", "2026-03-20T02:00:00.000Z"),
                try concluded("2f3a4b5c-6d7e-4f80-9a1b-2c3d4e5f6a7b", "staff", "s-li", "partly-substantiated", "2026-03-11T02:00:00.000Z"),
                try concluded("3a4b5c6d-7e8f-4091-8b2c-3d4e5f6a7b8c", "window", "w-02", "substantiated", "2026-03-12T02:00:00.000Z"),
                ("s-1", try event("complaints.sanction.decided", [
                    "sanctionId": "9c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e", "kind": "efficiency-warning", "subjectKind": "staff", "subjectId": "s-li",
                    "departmentId": "d-market", "decidedAt": at("2026-03-12T02:00:00.000Z"),
                ])),
            ],
        ]
    }

    static func row(
        _ key: String, accepted: Int = 0, refused: Int = 0, corrections: Int = 0, completed: Int = 0, onTime: Int = 0, mean: Double? = nil,
        p90: Double? = nil, complaints: Int = 0, sanctions: Int = 0
    ) -> FigureRow {
        FigureRow(
            period: HallDate("2026-03-01")!, key: key, accepted: accepted, refused: refused, correctionNotified: corrections, completed: completed,
            completedOnTime: onTime, onTimeRate: completed > 0 ? Double(onTime) / Double(completed) : nil, handlingDaysMean: mean, handlingDaysP90: p90,
            complaintsSubstantiated: complaints, sanctions: sanctions)
    }

    /// The month's figures, counted by hand.
    static let expected: [FigureDimension: [FigureRow]] = [
        .staff: [
            row("s-li", accepted: 2, corrections: 1, completed: 2, onTime: 1, mean: 5.5, p90: 6.7, complaints: 1, sanctions: 1),
            row("s-wang", accepted: 1, refused: 1, completed: 1, onTime: 1, mean: 1, p90: 1),
        ],
        .window: [
            row("w-01", accepted: 2, corrections: 1, completed: 2, onTime: 1, mean: 5.5, p90: 6.7),
            row("w-02", accepted: 1, refused: 1, completed: 1, onTime: 1, mean: 1, p90: 1, complaints: 1),
        ],
        .department: [
            row("d-market", accepted: 2, refused: 1, corrections: 1, completed: 2, onTime: 1, mean: 5.5, p90: 6.7, sanctions: 1),
            row("d-tax", accepted: 1, completed: 1, onTime: 1, mean: 1, p90: 1),
        ],
        .item: [
            row("MKT-001", accepted: 2, refused: 1, corrections: 1, completed: 2, onTime: 1, mean: 5.5, p90: 6.7),
            row("TAX-002", accepted: 1, completed: 1, onTime: 1, mean: 1, p90: 1),
        ],
    ]
}

@Suite("appraisal: figures counted once from the events, on the real database and broker", .enabled(if: LocalStack.isAvailable))
struct FiguresReplayTests {
    /// Every dimension's month figures and one staff member's days, as the centre reads them.
    static func read(_ client: some TestClientProtocol, _ token: String) async throws -> [String: [FigureRow]] {
        var read: [String: [FigureRow]] = [:]
        let queries = FigureDimension.allCases.map { ("\($0.rawValue)", "by=\($0.rawValue)&period=month&from=2026-03-01&to=2026-03-31") }
            + [("s-li days", "by=staff&period=day&from=2026-03-01&to=2026-03-31&key=s-li"), ("year", "by=department&period=year&from=2026-01-01&to=2026-12-31")]
        for (name, query) in queries {
            read[name] = try await client.execute(uri: "/v1/figures?\(query)", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                try JSONDecoder().decode([FigureRow].self, from: $0.body)
            }
        }
        return read
    }

    /// Runs a fresh appraisal schema, delivers `deliveries` topic by topic, and answers the figures once they have settled.
    static func figures(after deliveries: [(Topic, [(key: String, event: EventEnvelope)])]) async throws -> [String: [FigureRow]] {
        let result = Mutex<[String: [FigureRow]]>([:])
        try await ServiceHarness.run(.appraisal, definition: { AppraisalService.definition(try AppraisalSettings(environment: $0)) }) { service in
            for (topic, events) in deliveries { try await service.publish(topic, events) }
            let token = try await LocalStack.issuer().issue(
                HallClaims(subject: "admin-sun", roles: [.centreAdmin], department: nil, ttl: 600))
            var figures: [String: [FigureRow]] = [:]
            try await ServiceHarness.eventually("every event applied") {
                figures = try await read(service.client, token)
                // The last facts of each topic: the directory's window of 李娜's correction, a completion, the review.
                return figures["window"] == HallMonth.expected[.window] && figures["staff"]?.first?.completed == 2
                    && figures["staff"]?.first?.complaintsSubstantiated == 1
            }
            try await Task.sleep(for: .seconds(2))
            result.withLock { $0 = figures }
        }
        return result.withLock { $0 }
    }

    @Test("the figures of a month, counted by hand, come out the same from a replay in reverse order with every event delivered twice")
    func replay() async throws {
        let events = try HallMonth.events()
        let inOrder: [(Topic, [(key: String, event: EventEnvelope)])] = [
            (.intakeEvents, events[.intakeEvents] ?? []), (.coordinatorEvents, events[.coordinatorEvents] ?? []),
            (.complaintsEvents, events[.complaintsEvents] ?? []),
        ]
        let first = try await Self.figures(after: inOrder)
        for dimension in FigureDimension.allCases {
            #expect(first[dimension.rawValue] == HallMonth.expected[dimension], "\(dimension)")
        }
        #expect(first["s-li days"]?.map(\.period.description) == ["2026-03-02", "2026-03-06", "2026-03-11", "2026-03-12", "2026-03-13"])
        #expect(first["s-li days"]?.first?.accepted == 2 && first["s-li days"]?.first?.correctionNotified == 1)
        #expect(first["year"]?.map(\.key) == ["d-market", "d-tax"] && first["year"]?.first?.period.description == "2026-01-01")

        // A replay into a fresh schema: topics in the other order, each reversed, every event twice.
        let replayed: [(Topic, [(key: String, event: EventEnvelope)])] = inOrder.reversed().map { topic, events in
            (topic, events.reversed().flatMap { [$0, $0] })
        }
        let second = try await Self.figures(after: replayed)
        #expect(second == first)
    }
}
