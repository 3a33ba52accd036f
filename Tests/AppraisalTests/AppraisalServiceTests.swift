import Foundation
import HallContracts
import HallKafka
import HallKit
import HallServiceHarness
import HallLocalStack
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
        router.addRoutes(RatedWindowsController(repository: try MemoryAppraisalRepository(stored: stored)).routes)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/v1/windows", method: .get) { response in
                #expect(response.status == .ok)
                let answered = try JSONDecoder().decode(RatedWindows.self, from: response.body)
                #expect(answered == stored)
            }
        }
    }
}

@Suite("appraisal against the real database and broker", .enabled(if: LocalStack.isAvailable))
struct AppraisalServiceTests {
    @Test("the service learns the windows from intake's events; a later change (closed) removes one, an older event arriving late does not bring it back")
    func windowsFromEvents() async throws {
        try await ServiceHarness.run(.appraisal, definition: { AppraisalService.definition(try AppraisalSettings(environment: $0)) }) { service in
            let client = service.client
            let window = WindowChanged(windowId: "w-07", name: "不动产窗口", kind: .department, departmentIds: ["d-land"], active: true)
            let other = WindowChanged(windowId: "w-08", name: "税务窗口", kind: .department, departmentIds: ["d-tax"], active: true)
            try await service.publish(.intakeEvents, [("w-07", try intakeEvent(window)), ("w-08", try intakeEvent(other))])
            func listed() async throws -> [String] {
                try await client.execute(uri: "/v1/windows", method: .get) { try JSONDecoder().decode(RatedWindows.self, from: $0.body) }.windows.map(\.windowId)
            }
            try await ServiceHarness.eventually("both windows listed") { try await listed() == ["w-07", "w-08"] }
            // The window closes; then an older event of it (open) arrives late.
            let closedAt = Date()
            var closed = window
            closed.active = false
            try await service.publish(.intakeEvents, [("w-07", try intakeEvent(closed, at: closedAt)), ("w-07", try intakeEvent(window, at: closedAt.addingTimeInterval(-60)))])
            try await ServiceHarness.eventually("the closed window leaves the list") { try await listed() == ["w-08"] }
            try await Task.sleep(for: .seconds(3))
            #expect(try await listed() == ["w-08"])
        }
    }
}

