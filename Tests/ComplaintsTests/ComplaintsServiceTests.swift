import Foundation
import HallContracts
import HallKafka
import HallKit
import HallServiceHarness
import HallLocalStack
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

@Suite("complaints against the real database and broker", .enabled(if: LocalStack.isAvailable))
struct ComplaintsServiceTests {
    @Test("the service learns the directory from intake's events: active windows and departments are offered, a closed window is not")
    func directoryFromEvents() async throws {
        try await ServiceHarness.run(.complaints, definition: { ComplaintsService.definition(try ComplaintsSettings(environment: $0)) }) { service in
            let client = service.client
            let market = DepartmentChanged(departmentId: "d-market", name: "市场监督管理局", active: true, chiefRepresentative: nil, substitute: nil)
            let open = WindowChanged(windowId: "w-01", name: "综合窗口一", kind: .comprehensive, departmentIds: ["d-market"], active: true)
            let closed = WindowChanged(windowId: "w-02", name: "综合窗口二", kind: .comprehensive, departmentIds: ["d-market"], active: false)
            try await service.publish(.intakeEvents, [
                ("d-market", try intakeEvent(market)), ("w-01", try intakeEvent(open)), ("w-02", try intakeEvent(closed)),
            ])
            var targets = ComplaintTargets(windows: [], departments: [])
            try await ServiceHarness.eventually("the directory applied") {
                targets = try await client.execute(uri: "/v1/targets", method: .get) { try JSONDecoder().decode(ComplaintTargets.self, from: $0.body) }
                return !targets.windows.isEmpty && !targets.departments.isEmpty
            }
            #expect(targets.windows.map(\.windowId) == ["w-01"], "the closed window is not offered")
            #expect(targets.departments == [DirectoryDepartment(departmentId: "d-market", name: "市场监督管理局", centre: false)])
        }
    }
}

