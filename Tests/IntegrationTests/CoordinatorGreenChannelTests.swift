import Foundation
import HallCalendar
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import coordinator

@Suite("Coordinator: green-channel cases go first (Art 40)", .enabled(if: stackAvailable))
struct CoordinatorGreenChannelTests {
    @Test("a green-channel case's tasks are assigned as priority with the centre's approval and listed first; a green channel granted later moves the case up")
    func greenChannelFirst() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let approval = GreenChannelApproval(
                reason: .majorInvestment, reference: "旗政务服务中心〔2026〕3号", approvedBy: "centre-li", approvedAt: Date())
            // Due soonest first in the ordinary order: R-N (10 working days), R-G (15), R-L (19).
            let normal = try await hall.accept("R-N", participants: [], days: 10)
            let green = try await hall.accept("R-G", participants: ["d-fire"], days: 15, greenChannel: approval)
            let later = try await hall.accept("R-L", participants: [], days: 19)

            let greenTasks = try await hall.payloads(TaskAssigned.self, caseId: green)
            #expect(greenTasks.count == 2)
            #expect(greenTasks.allSatisfy { $0.priority && $0.greenChannelApproval?.reference == "旗政务服务中心〔2026〕3号" },
                "every department of the case sees it as priority, with the approval's reference")
            let normalTasks = try await hall.payloads(TaskAssigned.self, caseId: normal)
            #expect(normalTasks.count == 1 && !normalTasks[0].priority && normalTasks[0].greenChannelApproval == nil)

            let buildOfficer = try await hall.token("o-build", [.departmentOfficer], department: "d-build")
            try await hall.app().test(.router) { client in
                func queue() async throws -> [String] {
                    let (status, tasks) = try await call(client, .get, "/v1/tasks?state=open", token: buildOfficer)
                    #expect(status == .ok)
                    return tasks.arrayValue?.compactMap { $0["receiptCode"]?.stringValue } ?? []
                }
                #expect(try await queue() == ["R-G", "R-N", "R-L"], "the green-channel case first, then by sub-deadline")
                let (_, tasks) = try await call(client, .get, "/v1/tasks?state=open", token: buildOfficer)
                #expect(tasks[0]?["priority"] == .bool(true) && tasks[1]?["priority"] == .bool(false))

                // The centre approves the green channel for R-L after acceptance: it moves up.
                let granted = ApplicationGreenChannelGranted(
                    receiptCode: "R-L", itemCode: "JOINT-001",
                    approval: GreenChannelApproval(reason: .specialMatter, reference: "旗政务服务中心〔2026〕4号", approvedBy: "centre-li", approvedAt: Date()),
                    recordedBy: "admin-zhao")
                try await hall.send(granted, key: later, caseId: later)
                // A grant for a case the coordinator never routed (not accepted yet) changes nothing.
                try await hall.send(granted, key: "unrouted", caseId: UUID().uuidString.lowercased())
                try await eventually("R-L is on the green channel") {
                    try await hall.database.count(
                        "SELECT count(*)::bigint FROM \(hall.database.schema).cases WHERE case_id = '\(later)' AND priority AND green_channel->>'reference' = '旗政务服务中心〔2026〕4号'") == 1
                }
                #expect(try await queue() == ["R-G", "R-L", "R-N"])
                #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).cases WHERE priority") == 2)
            }
        }
    }

    @Test("a green channel granted after routing reaches department systems on Kafka: one coordinator.case.priority-changed with the approval and each open task; a redelivered grant publishes nothing, and a completed case is not changed")
    func laterGrantPublished() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let grantedCase = try await hall.accept("R-P", participants: ["d-fire", "d-env"])
            let done = try await hall.accept("R-D", participants: [])
            let buildChief = try await hall.token("s-build-chief", [.chiefRepresentative], department: "d-build")
            let envChief = try await hall.token("s-env-chief", [.chiefRepresentative], department: "d-env")
            try await hall.app().test(.router) { client in
                // R-P: the environment has countersigned its part already; building and fire still work on theirs.
                let envTask = try await hall.taskId(grantedCase, "d-env")
                #expect(try await call(client, .post, "/v1/tasks/\(envTask)/opinion", token: envChief, #"{"opinion":"approve"}"#).1["state"] == "countersigned")
                // R-D: approved, sealed, completed.
                let doneTask = try await hall.taskId(done, "d-build")
                #expect(try await call(client, .post, "/v1/tasks/\(doneTask)/opinion", token: buildChief, #"{"opinion":"approve"}"#).0 == .created)
            }
            let request = try #require(try await hall.payloads(SealDocumentRequested.self).first { $0.caseId == done })
            let seal = TestSeal(departmentId: "d-build")
            try await hall.send(seal.registered, producer: "seal", key: seal.sealId.uuidString.lowercased(), caseId: nil)
            try await hall.send(
                try seal.sealed(.approvalDecision, documentHash: request.documentHash, caseId: done, requestedBy: "s-build-chief"), producer: "seal",
                key: done, caseId: done)
            try await eventually("R-D is completed") { try await !hall.payloads(CaseCompleted.self, caseId: done).isEmpty }

            let approval = GreenChannelApproval(reason: .majorInvestment, reference: "旗政务服务中心〔2026〕9号", approvedBy: "centre-li", approvedAt: Date())
            let grant = try await hall.send(
                ApplicationGreenChannelGranted(receiptCode: "R-P", itemCode: "JOINT-001", approval: approval, recordedBy: "admin-zhao"),
                key: grantedCase, caseId: grantedCase)
            try await hall.resend(grant, key: grantedCase)
            try await hall.send(
                ApplicationGreenChannelGranted(receiptCode: "R-D", itemCode: "JOINT-001", approval: approval, recordedBy: "admin-zhao"), key: done,
                caseId: done)
            // A marker after each on the same key (so the same partition): once both are projected,
            // the redelivery and the completed case's grant have been applied too.
            for (marker, key) in [("s-marker-p", grantedCase), ("s-marker-d", done)] {
                try await hall.send(
                    StaffChanged(staffId: marker, name: "marker", departmentId: "d-build", windowId: nil, qualified: false, active: false), key: key)
            }
            try await eventually("the grants are applied") {
                try await hall.database.count(
                    "SELECT count(*)::bigint FROM \(hall.database.schema).staff WHERE staff_id IN ('s-marker-p', 's-marker-d')") == 2
            }
            #expect(try await hall.database.count(
                "SELECT count(*)::bigint FROM \(hall.database.schema).cases WHERE case_id = '\(done)' AND NOT priority AND green_channel IS NULL") == 1,
                "a completed case is not changed")

            // What a department system reads from the coordinator's topic: the outbox relayed to the real broker.
            let namespace = LocalStack.uniqueName("ns").replacingOccurrences(of: "_", with: "-")
            let eventsTopic = "\(namespace).\(Topic.coordinatorEvents.rawValue)"
            let topics = try await hall.database.client.query(
                "SELECT DISTINCT topic FROM \(unescaped: hall.database.schema).outbox", logger: LocalStack.logger()
            ).decode(String.self).collectAll()
            try await hall.kafka.createTopics(topics.map { "\(namespace).\($0)" })
            var relayConfiguration = OutboxRelayConfiguration()
            relayConfiguration.topicNamespace = namespace
            let relay = OutboxRelay(
                client: hall.database.client, schema: hall.database.schema, producer: hall.producer, configuration: relayConfiguration,
                logger: LocalStack.logger())
            let published = try await hall.database.count(
                "SELECT count(*)::bigint FROM \(hall.database.schema).outbox WHERE topic = '\(Topic.coordinatorEvents.rawValue)'")
            while try await hall.database.pendingOutbox() > 0 { try await relay.relayOnce() }
            let records = try await hall.kafka.readAll(eventsTopic, atLeast: published)
            let changes = try records.map { (key: $0.key.map { String(decoding: $0, as: UTF8.self) }, envelope: try EventEnvelope.decode(from: $0.value)) }
                .filter { $0.envelope.type == CasePriorityChanged.eventType }
            #expect(changes.count == 1, "one event for the one grant that changed a case")
            let (key, change) = try #require(changes.first)
            #expect(key == grantedCase && change.caseId == grantedCase && change.causationId == grant.id, "keyed by the case, caused by the grant")
            let payload = try change.payload(as: CasePriorityChanged.self)
            #expect(payload.priority && payload.receiptCode == "R-P" && payload.leadDepartmentId == "d-build")
            #expect(payload.greenChannelApproval?.reference == "旗政务服务中心〔2026〕9号" && payload.grantedBy == "admin-zhao")
            let expected: [(String, TaskRole)] = [("d-build", .lead), ("d-fire", .participant)]
            #expect(payload.openTasks.map(\.departmentId) == expected.map(\.0) && payload.openTasks.map(\.role) == expected.map(\.1),
                "the tasks still to be done, not the environment's countersigned one")
            #expect(Set(payload.openTasks.map(\.taskId)) == Set([try await hall.taskId(grantedCase, "d-build"), try await hall.taskId(grantedCase, "d-fire")]))
        }
    }

    @Test("the coordinator's department projection records which entry is the hall centre")
    func centreProjected() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.send(
                DepartmentChanged(departmentId: "d-centre", name: "旗政务服务中心", active: true, chiefRepresentative: nil, substitute: nil, centre: true),
                key: "d-centre")
            try await hall.send(
                DepartmentChanged(departmentId: "d-build", name: "住建局", active: true, chiefRepresentative: nil, substitute: nil), key: "d-build")
            try await eventually("both departments are projected") {
                try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).departments") == 2
            }
            #expect(try await hall.database.count(
                "SELECT count(*)::bigint FROM \(hall.database.schema).departments WHERE centre AND department_id = 'd-centre'") == 1)
            #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).departments WHERE centre") == 1)
        }
    }
}
