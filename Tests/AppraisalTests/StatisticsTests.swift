import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallLocalStack
import HallServiceHarness
import Hummingbird
import HummingbirdTesting
import Testing

@testable import appraisal

@Suite("appraisal: the centre's statistics over a repository in memory")
struct StatisticsRouteTests {
    static let statistics = Statistics(
        from: HallDate("2026-03-01")!, to: HallDate("2026-03-31")!, channels: [.init(channel: "window", accepted: 3)],
        timeliness: .init(completed: 2, completedOnTime: 1, onTimeRate: 0.5, handlingDaysMean: 5.5, handlingDaysP90: 6.7),
        overdueNow: .init(count: 1, cases: [.init(receiptCode: "RC-9", itemCode: "MKT-001", departmentId: "d-market", windowId: nil,
                                                  dueDate: HallDate("2026-03-10")!, workingDaysOverdue: 4)]),
        hotItems: [.init(itemCode: "MKT-001", name: "个体工商户登记, 变更", accepted: 2)],
        slowestSteps: [.init(departmentId: "d-market", opinions: 2, hoursMean: 30, hoursP90: 45)],
        trends: [.init(month: HallDate("2026-03-01")!, accepted: 3, completed: 2, badRatings: 1, complaintsSubstantiated: 1)])

    @Test("the centre reads the statistics as JSON, or one section as a CSV file; a CSV without a section, or a bad range, names the parameter")
    func statistics() async throws {
        let router = Router(context: HallRequestContext.self)
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: await RatingKit.authority()))
        AppraisalService.addRoutes(to: router, repository: try MemoryAppraisalRepository(statistics: Self.statistics))
        let admin = try await RatingKit.headers("admin-sun", [.centreAdmin])
        try await Application(router: router).test(.router) { client in
            let uri = "/v1/statistics?from=2026-03-01&to=2026-03-31"
            let answered = try await client.execute(uri: uri, method: .get, headers: admin) { try JSONDecoder().decode(Statistics.self, from: $0.body) }
            #expect(answered == Self.statistics)
            try await client.execute(uri: uri + "&format=csv&section=hot-items", method: .get, headers: admin) {
                #expect(String(buffer: $0.body) == "itemCode,name,accepted,withdrawnFrom\r\nMKT-001,\"个体工商户登记, 变更\",2,\r\n")
                #expect($0.headers[.contentDisposition]?.contains("statistics-hot-items-2026-03-01-2026-03-31.csv") == true)
            }
            try await client.execute(uri: uri + "&format=csv&section=overdue", method: .get, headers: admin) {
                #expect(String(buffer: $0.body).components(separatedBy: "\r\n")[1] == "RC-9,MKT-001,d-market,,2026-03-10,4")
            }
            for (query, field) in [(uri + "&format=csv", "section"), ("/v1/statistics?from=2026-03-31&to=2026-03-01", "to"), ("/v1/statistics?to=2026-03-01", "from")] {
                try await client.execute(uri: query, method: .get, headers: admin) {
                    #expect($0.status == .badRequest && RatingKit.json($0)["field"]?.stringValue == field, "\(query)")
                }
            }
            try await client.execute(uri: uri, method: .get, headers: try await RatingKit.headers("o-ma", [.departmentOfficer], department: "d-market")) {
                #expect($0.status == .forbidden)
            }
        }
    }
}

@Suite("appraisal: the centre's statistics on the real database and broker", .enabled(if: LocalStack.isAvailable))
struct StatisticsServiceTests {
    @Test("volumes by channel, department and window, the cases overdue now after their clock changes, hot items, the slowest departments and the month's trend, from the events, as JSON and CSV")
    func statisticsFromEvents() async throws {
        try await ServiceHarness.run(.appraisal, definition: { AppraisalService.definition(try AppraisalSettings(environment: $0)) }) { service in
            func accepted(_ caseId: String, _ item: String, channel: String, due: String) throws -> (String, EventEnvelope) {
                (caseId, try HallMonth.event("intake.application.accepted", caseId: caseId, [
                    "receiptCode": .string("R-\(caseId)"), "itemCode": .string(item), "leadDepartmentId": "d-market", "participantDepartmentIds": [],
                    "clerkId": "s-li", "windowId": "w-01", "channel": .string(channel), "acceptedAt": "2026-03-02T02:00:00.000Z", "dueDate": .string(due),
                ]))
            }
            try await service.publish(.intakeEvents, [
                try accepted("c-1", "MKT-001", channel: "window", due: "2026-03-06"),
                try accepted("c-2", "MKT-001", channel: "online", due: "2026-03-06"),
                try accepted("c-3", "TAX-002", channel: "window", due: "2026-03-09"),
            ])
            // TAX-002 is withdrawn from 20 March (Art 7): its second version says so; MKT-001 stays offered.
            func published(_ item: String, version: Int, withdrawn: Bool) throws -> (String, EventEnvelope) {
                var data: [String: JSONValue] = [
                    "itemCode": .string(item), "version": .int(Int64(version)), "name": .string("事项 \(item)"), "kind": "committed",
                    "leadDepartmentId": "d-market", "participantDepartmentIds": [], "legalLimitDays": 20, "promisedLimitDays": 10, "notCounted": [],
                    "effectiveFrom": withdrawn ? "2026-03-20" : "2026-01-01", "approvalReference": "敖政发〔2026〕1号",
                ]
                if withdrawn { data["withdrawn"] = true }
                return (item, try EventEnvelope(type: CatalogueItemPublished.eventType, version: 1, producer: "intake", data: .object(data)))
            }
            try await service.publish(.intakeEvents, [
                try published("TAX-002", version: 1, withdrawn: false), try published("TAX-002", version: 2, withdrawn: true),
                try published("MKT-001", version: 1, withdrawn: false),
            ])
            try await service.publish(.coordinatorEvents, [
                // c-2's clock is extended past today; c-3 completes; c-1 stays overdue.
                ("c-2", try HallMonth.event("coordinator.case.clock-changed", caseId: "c-2", [
                    "receiptCode": "R-c-2", "sequence": 2, "dueDateBefore": "2026-03-06", "dueDateAfter": "2099-12-31",
                ])),
                // d-tax gives its opinion a day after its task was assigned; c-3 completes.
                ("c-3", try HallMonth.event(
                    "coordinator.task.assigned", caseId: "c-3", at: try #require(RFC3339Timestamp.date(from: "2026-03-02T03:00:00.000Z")),
                    ["taskId": "t-3", "departmentId": "d-tax"])),
                ("c-3", try HallMonth.event("coordinator.task.opinion-recorded", caseId: "c-3", [
                    "taskId": "t-3", "departmentId": "d-tax", "recordedAt": "2026-03-03T03:00:00.000Z",
                ])),
                ("c-3", try HallMonth.event("coordinator.case.completed", caseId: "c-3", [
                    "receiptCode": "R-c-3", "itemCode": "TAX-002", "leadDepartmentId": "d-market", "departmentIds": ["d-market"],
                    "acceptedAt": "2026-03-02T02:00:00.000Z", "completedAt": "2026-03-04T08:00:00.000Z", "onTime": true,
                    "suspendedWorkingDays": 0, "extensionWorkingDays": 0, "bundleId": .null,
                ])),
            ])
            let admin = try await RatingKit.headers("admin-sun", [.centreAdmin])
            var statistics: Statistics?
            try await ServiceHarness.eventually("the events applied") {
                statistics = try? await service.client.execute(uri: "/v1/statistics?from=2026-03-01&to=2026-03-31", method: .get, headers: admin) {
                    try JSONDecoder().decode(Statistics.self, from: $0.body)
                }
                return statistics?.channels.map(\.accepted).reduce(0, +) == 3 && statistics?.overdueNow.count == 1
                    && statistics?.slowestSteps.isEmpty == false && statistics?.timeliness.completed == 1
            }
            let answer = try #require(statistics)
            #expect(answer.channels.map(\.channel) == ["window", "online"] && answer.channels.map(\.accepted) == [2, 1])
            #expect(answer.departments == [.init(key: "d-market", accepted: 3, refused: 0, correctionNotified: 0, completed: 1, completedOnTime: 1)])
            #expect(answer.windows.map(\.key) == ["w-01"] && answer.windows.first?.accepted == 3)
            let csv = try await service.client.execute(
                uri: "/v1/statistics?from=2026-03-01&to=2026-03-31&format=csv&section=departments", method: .get, headers: admin) { String(buffer: $0.body) }
            #expect(csv == "key,accepted,refused,correctionNotified,completed,completedOnTime\r\nd-market,3,0,0,1,1\r\n")
            let timeliness = try await service.client.execute(
                uri: "/v1/statistics?from=2026-03-01&to=2026-03-31&format=csv&section=timeliness", method: .get, headers: admin) { String(buffer: $0.body) }
            #expect(timeliness.hasPrefix("completed,completedOnTime,onTimeRate,handlingDaysMean,handlingDaysP90\r\n1,1,1"), "\(timeliness)")
            #expect(answer.overdueNow.cases.map(\.receiptCode) == ["R-c-1"], "c-2's extension moved its due date; c-3 is complete")
            #expect(answer.overdueNow.cases.first?.dueDate.description == "2026-03-06" && (answer.overdueNow.cases.first?.workingDaysOverdue ?? 0) > 150)
            #expect(answer.hotItems.map(\.itemCode) == ["MKT-001", "TAX-002"] && answer.hotItems.first?.accepted == 2)
            #expect(answer.hotItems.map { $0.withdrawnFrom?.description } == [nil, "2026-03-20"], "TAX-002 is withdrawn from 20 March")
            #expect(answer.slowestSteps == [.init(departmentId: "d-tax", opinions: 1, hoursMean: 24, hoursP90: 24)])
            #expect(answer.timeliness.completed == 1 && answer.timeliness.completedOnTime == 1)
            #expect(answer.trends.map(\.accepted) == [3] && answer.trends.map(\.completed) == [1])
        }
    }
}
