import Foundation
import HallCalendar
import HallContracts
import HallKafka
import HallKit
import HallServiceHarness
import HallLocalStack
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import intake
@testable import seal

/// The hall centre at the front desk: green channel and full-process agency (Art 40), refusals of
/// items unknown to the hall under the centre's seal (Art 35, 37), and bundle hand-over.
extension IntakeAPITests {
    /// The hall centre d-centre with its chief centre-chief, the approver centre-li and the agents
    /// agent-wu and agent-zhou (none at a window).
    func seedCentre(_ client: any TestClientProtocol, _ tokens: Tokens) async throws {
        #expect(try await post(client, "/v1/departments", token: tokens.admin, #"{"id":"d-centre","name":"旗政务服务中心","centre":true}"#).0 == .ok)
        for (id, name) in [("centre-chief", "赵主任"), ("centre-li", "李科长"), ("agent-wu", "吴代办"), ("agent-zhou", "周代办")] {
            #expect(try await post(
                client, "/v1/staff", token: tokens.admin, #"{"id":"\#(id)","name":"\#(name)","departmentId":"d-centre","qualified":true}"#).0 == .ok)
        }
        #expect(try await post(
            client, "/v1/departments", token: tokens.admin,
            #"{"id":"d-centre","name":"旗政务服务中心","centre":true,"chiefRepresentativeId":"centre-chief"}"#).0 == .ok)
    }

    func clerkView(_ client: any TestClientProtocol, _ token: String, _ receipt: String) async throws -> JSONValue {
        try await client.execute(uri: "/v1/applications/\(receipt)", method: .get, headers: [.authorization: "Bearer \(token)"]) {
            (try? JSONValue.parse(Array($0.body.readableBytesView))) ?? .null
        }
    }

    var greenApproval: String { #""greenChannelApproval":{"reason":"major-investment","reference":"旗政务服务中心〔2026〕3号","approvedBy":"centre-li"}"# }

    @Test("green channel: refused without the centre's valid approval (naming the field); approved at submission or afterwards by a centre admin, carried to the coordinator and shown in tracking")
    func greenChannel() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            try await seedCentre(client, tokens)
            // One centre only.
            let (twice, twiceProblem) = try await post(client, "/v1/departments", token: tokens.admin, #"{"id":"d-tax","name":"县税务局","centre":true}"#)
            #expect(twice == .badRequest && twiceProblem["field"] == "centre")
            // Other services learn which directory entry is the centre.
            #expect(try await database.outboxPayloads(DepartmentChanged.self, key: "d-centre").filter(\.centre).count == 2)
            #expect(try await database.outboxPayloads(DepartmentChanged.self, key: "d-market").filter { !$0.centre }.count >= 1)

            // Refused with the field and the rule; nothing stored.
            var (status, problem) = try await post(
                client, "/v1/applications", token: tokens.clerk, application(key: "g-0", materials: allMaterials, extra: #","greenChannel":true"#))
            #expect(status == .badRequest && problem["field"] == "greenChannelApproval")
            #expect(problem["detail"]?.stringValue?.contains("Art 40") == true)
            (status, problem) = try await post(
                client, "/v1/applications", token: tokens.clerk,
                application(key: "g-0", materials: allMaterials, extra: "," + greenApproval.replacingOccurrences(of: "centre-li", with: "clerk-1")))
            #expect(status == .badRequest && problem["field"] == "greenChannelApproval.approvedBy", "the approver must be centre staff")
            (status, problem) = try await post(
                client, "/v1/applications", token: tokens.clerk,
                application(key: "g-0", materials: allMaterials, extra: "," + greenApproval.replacingOccurrences(of: "major-investment", with: "vip")))
            #expect(status == .badRequest && problem["field"] == "greenChannelApproval.reason")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications") == 0)

            // Approved at submission: the accepted event carries it for the departments.
            let (created, green) = try await post(
                client, "/v1/applications", token: tokens.clerk, application(key: "g-1", materials: allMaterials, extra: "," + greenApproval))
            #expect(created == .created && green["outcome"] == "accepted")
            let greenCase = try #require(green["caseId"]?.stringValue).lowercased()
            #expect(try await database.outboxPayloads(ApplicationAccepted.self, key: greenCase).filter {
                $0.greenChannel && $0.greenChannelApproval?.reference == "旗政务服务中心〔2026〕3号" && $0.greenChannelApproval?.approvedBy == "centre-li"
            }.count == 1)
            let tracked = try await get(client, "/v1/cases/\(try #require(green["receiptCode"]?.stringValue))?idNumber=\(idNumber)").1
            #expect(tracked["greenChannel"]?["reason"] == "major-investment" && tracked["greenChannel"]?["reference"] == "旗政务服务中心〔2026〕3号")
            #expect(tracked["greenChannel"]?["approvedBy"] == "centre-li" && tracked["greenChannel"]?["recordedBy"] == "clerk-1",
                "the record shows the approver and the clerk who entered the approval at submission")

            // Afterwards, by a centre admin only.
            let (_, plain) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "g-2", materials: allMaterials))
            let receipt = try #require(plain["receiptCode"]?.stringValue)
            let plainCase = try #require(plain["caseId"]?.stringValue).lowercased()
            #expect(try await database.outboxPayloads(ApplicationAccepted.self, key: plainCase).filter { !$0.greenChannel }.count == 1)
            let grant = #"{"reason":"special-matter","reference":"旗政务服务中心〔2026〕4号","approvedBy":"centre-li"}"#
            let path = "/v1/applications/\(receipt)/green-channel"
            #expect(try await post(client, path, token: tokens.clerk, grant).0 == .forbidden)
            (status, problem) = try await post(client, path, token: tokens.admin, grant.replacingOccurrences(of: "centre-li", with: "clerk-1"))
            #expect(status == .badRequest && problem["field"] == "approvedBy")
            (status, problem) = try await post(client, path, token: tokens.admin, #"{"reason":"special-matter","approvedBy":"centre-li"}"#)
            #expect(status == .badRequest && problem["field"] == "reference")
            #expect(try await post(client, "/v1/applications/RNOSUCHCODE/green-channel", token: tokens.admin, grant).0 == .notFound)
            let (granted, afterGrant) = try await post(client, path, token: tokens.admin, grant)
            #expect(granted == .ok && afterGrant["greenChannel"]?["reference"] == "旗政务服务中心〔2026〕4号")
            let clerkSees = try await clerkView(client, tokens.clerk, receipt)["greenChannel"]
            #expect(clerkSees?["reason"] == "special-matter" && clerkSees?["approvedBy"] == "centre-li" && clerkSees?["recordedBy"] == "admin-1")
            // The coordinator learns it from the outbox, written with the change.
            #expect(try await database.outboxPayloads(ApplicationGreenChannelGranted.self, key: plainCase).filter {
                $0.approval.reference == "旗政务服务中心〔2026〕4号" && $0.recordedBy == "admin-1"
            }.count == 1)
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).applications WHERE case_id = '\(plainCase)' AND green_channel") == 1)
            // The same approval again changes nothing; another one is refused.
            #expect(try await post(client, path, token: tokens.admin, grant).0 == .ok)
            #expect(try await outboxCount(database, "intake.application.green-channel-granted") == 1)
            (status, problem) = try await post(client, path, token: tokens.admin, grant.replacingOccurrences(of: "4号", with: "5号"))
            #expect(status == .conflict && problem["field"] == "reference")
            try await expectGroupedAsAlone(database, receipt: receipt, idNumber: idNumber)
        }
    }

    @Test("full-process agency: a centre admin assigns a centre agent with the entrustment, shown to applicant and clerk; the agent brings supplements and collects the result; reassignment is recorded")
    func agency() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            try await seedCentre(client, tokens)
            let (_, accepted) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "a-1", materials: allMaterials))
            let receipt = try #require(accepted["receiptCode"]?.stringValue)
            let caseId = try #require(accepted["caseId"]?.stringValue).lowercased()
            let path = "/v1/applications/\(receipt)/agent"

            // Only a centre admin, only the centre's staff, with the entrustment.
            let assign = #"{"agentId":"agent-wu","entrustmentReference":"委托书 2026-0012"}"#
            #expect(try await post(client, path, token: tokens.clerk, assign).0 == .forbidden)
            var (status, problem) = try await post(client, path, token: tokens.admin, #"{"agentId":"clerk-1","entrustmentReference":"委托书 2026-0012"}"#)
            #expect(status == .badRequest && problem["field"] == "agentId")
            (status, problem) = try await post(client, path, token: tokens.admin, #"{"agentId":"agent-wu"}"#)
            #expect(status == .badRequest && problem["field"] == "entrustmentReference")

            let (assigned, withAgent) = try await post(client, path, token: tokens.admin, assign)
            #expect(assigned == .ok)
            #expect(withAgent["agent"]?["agentId"] == "agent-wu" && withAgent["agent"]?["name"] == "吴代办")
            #expect(withAgent["agent"]?["entrustmentReference"] == "委托书 2026-0012")
            #expect(try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1["agent"]?["name"] == "吴代办", "the applicant sees the agent")
            #expect(try await post(client, path, token: tokens.admin, assign).0 == .ok)
            #expect(try await outboxCount(database, "intake.application.agent-assigned") == 1, "the same assignment again changes nothing")

            // Reassignment needs a reason and keeps the previous agent on record.
            (status, problem) = try await post(client, path, token: tokens.admin, #"{"agentId":"agent-zhou","entrustmentReference":"委托书 2026-0012"}"#)
            #expect(status == .badRequest && problem["field"] == "reason")
            let (reassigned, after) = try await post(
                client, path, token: tokens.admin, #"{"agentId":"agent-zhou","entrustmentReference":"委托书 2026-0012","reason":"吴代办休假"}"#)
            #expect(reassigned == .ok && after["agent"]?["agentId"] == "agent-zhou" && after["agent"]?["reason"] == "吴代办休假")
            #expect(after["previousAgents"]?[0]?["agentId"] == "agent-wu" && after["previousAgents"]?[0]?["endedAt"] != nil)
            #expect(try await clerkView(client, tokens.clerk, receipt)["agent"]?["agentId"] == "agent-zhou")
            #expect(try await database.outboxPayloads(ApplicationAgentAssigned.self, key: caseId).filter {
                $0.previousAgentId == "agent-wu" && $0.agentId == "agent-zhou"
            }.count == 1)

            // The agent brings what a department asked for.
            let request = SupplementRequested(
                receiptCode: receipt, departmentId: "d-market", taskId: UUID().uuidString.lowercased(),
                supplements: [.init(material: "lease", needed: "租赁合同原件")], requestedAt: Date())
            try await waitApplied(try await publishCoordinatorEvent(request, caseId: caseId, key: caseId, namespace: database.schema), database)
            let (supplied, brought) = try await post(
                client, "/v1/applications/\(receipt)/supplements", token: tokens.clerk, #"{"materials":["lease"],"broughtBy":"agent"}"#)
            #expect(supplied == .ok && brought["supplements"]?[0]?["broughtByAgent"] == "agent-zhou")

            // A case without an agent: the agent cannot act for it.
            let (_, other) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "a-2", materials: allMaterials))
            let otherReceipt = try #require(other["receiptCode"]?.stringValue)
            let otherCase = try #require(other["caseId"]?.stringValue).lowercased()
            try await waitApplied(
                try await publishCoordinatorEvent(completed(otherReceipt), caseId: otherCase, key: otherCase, namespace: database.schema), database)
            (status, problem) = try await post(client, "/v1/applications/\(otherReceipt)/handover", token: tokens.clerk, #"{"collectedBy":"agent"}"#)
            #expect(status == .conflict && problem["field"] == "collectedBy")
            #expect(try await get(client, "/v1/cases/\(otherReceipt)?idNumber=\(idNumber)").1["status"] == "ready", "nothing handed over")
            // An empty body is the applicant collecting (as before).
            let applicantCollects = try await client.execute(
                uri: "/v1/applications/\(otherReceipt)/handover", method: .post, headers: [.authorization: "Bearer \(tokens.clerk)"]
            ) { (try? JSONValue.parse(Array($0.body.readableBytesView))) ?? .null }
            #expect(applicantCollects["status"] == "issued" && applicantCollects["handover"]?["collectedBy"] == "applicant")

            // The agent collects the sealed result.
            try await waitApplied(try await publishCoordinatorEvent(completed(receipt), caseId: caseId, key: caseId, namespace: database.schema), database)
            let (handed, issued) = try await post(client, "/v1/applications/\(receipt)/handover", token: tokens.clerk, #"{"collectedBy":"agent"}"#)
            #expect(handed == .ok && issued["status"] == "issued")
            #expect(issued["handover"]?["collectedBy"] == "agent" && issued["handover"]?["agentId"] == "agent-zhou")
            // Nothing left for an agent to do.
            #expect(try await post(client, path, token: tokens.admin, assign).0 == .conflict)
            try await expectGroupedAsAlone(database, receipt: receipt, idNumber: idNumber)
        }
    }

    @Test("a bundle is handed over in one call only when every case is ready, naming those that are not; all cases recorded, idempotent, shown in the bundle's tracking")
    func bundleHandover() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            try await seedJoint(client, tokens)
            let (_, answer) = try await post(
                client, "/v1/bundles", token: tokens.clerk, bundleJSON(key: "h-1", [member("MKT-001", allMaterials), member("JNT-001", jointMaterials)]))
            let bundleId = try #require(answer["bundleId"]?.stringValue)
            let cases = try (0..<2).map { index in
                let application = try #require(answer["applications"]?[index]?["application"])
                return (receipt: try #require(application["receiptCode"]?.stringValue), caseId: try #require(application["caseId"]?.stringValue).lowercased())
            }
            let path = "/v1/bundles/\(bundleId)/handover"
            #expect(try await post(client, "/v1/bundles/BNOSUCHBUND/handover", token: tokens.clerk, "{}").0 == .notFound)
            #expect(try await post(client, path, token: tokens.admin, "{}").0 == .forbidden)

            var (status, problem) = try await post(client, path, token: tokens.clerk, "{}")
            #expect(status == .conflict && problem["type"]?.stringValue?.hasSuffix("/bundle-not-ready") == true && problem["field"] == "bundleId")
            #expect(problem["detail"]?.stringValue?.contains("\(cases[0].receipt) (accepted)") == true)
            #expect(problem["detail"]?.stringValue?.contains("\(cases[1].receipt) (accepted)") == true)

            // One case ready, the other not: nothing is handed over, the detail names only the other.
            try await waitApplied(
                try await publishCoordinatorEvent(
                    completed(cases[0].receipt, bundleId: bundleId), caseId: cases[0].caseId, key: cases[0].caseId, namespace: database.schema), database)
            try await waitApplied(
                try await publishCoordinatorEvent(
                    BundleCompleted(
                        bundleId: bundleId, cases: cases.map { .init(caseId: $0.caseId, receiptCode: $0.receipt, outcome: .approved) }, completedAt: Date()),
                    caseId: nil, key: bundleId, namespace: database.schema), database)
            (status, problem) = try await post(client, path, token: tokens.clerk, "{}")
            #expect(status == .conflict)
            #expect(problem["detail"]?.stringValue?.contains(cases[1].receipt) == true)
            #expect(problem["detail"]?.stringValue?.contains(cases[0].receipt) == false)
            #expect(try await get(client, "/v1/cases/\(cases[0].receipt)?idNumber=\(idNumber)").1["status"] == "ready", "all or nothing")
            // A bundle's case is not handed out alone.
            (status, problem) = try await post(client, "/v1/applications/\(cases[0].receipt)/handover", token: tokens.clerk, "{}")
            #expect(status == .conflict && problem["detail"]?.stringValue?.contains(path) == true)
            // The agent cannot collect cases that have none.
            try await waitApplied(
                try await publishCoordinatorEvent(
                    completed(cases[1].receipt, bundleId: bundleId), caseId: cases[1].caseId, key: cases[1].caseId, namespace: database.schema), database)
            (status, problem) = try await post(client, path, token: tokens.clerk, #"{"collectedBy":"agent"}"#)
            #expect(status == .conflict && problem["field"] == "collectedBy")

            // Every case ready: all handed over together, each recorded.
            let (handed, bundle) = try await post(client, path, token: tokens.clerk, "{}")
            #expect(handed == .ok && bundle["status"] == "issued")
            let handedOverAt = try #require(bundle["handedOverAt"]?.stringValue)
            #expect(bundle["cases"]?.arrayValue?.allSatisfy { $0["status"] == "issued" && $0["handover"]?["collectedBy"] == "applicant" } == true)
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).applications WHERE bundle_id = '\(bundleId)' AND status = 'issued' AND handed_over_by = 'clerk-1' AND handed_over_at IS NOT NULL") == 2)
            let tracked = try await get(client, "/v1/bundles/\(bundleId)?idNumber=\(idNumber)").1
            #expect(tracked["status"] == "issued" && tracked["handedOverAt"]?.stringValue == handedOverAt)
            // A repeat gives the same answer and changes nothing.
            let (again, repeated) = try await post(client, path, token: tokens.clerk, "{}")
            #expect(again == .ok && repeated["handedOverAt"]?.stringValue == handedOverAt)
        }
    }

    @Test("a bundle entrusted to the centre: one call makes the agent every case's agent (all or nothing, once each), and the agent collects the whole bundle")
    func bundleAgent() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            try await seedJoint(client, tokens)
            try await seedCentre(client, tokens)
            let (_, answer) = try await post(
                client, "/v1/bundles", token: tokens.clerk, bundleJSON(key: "ba-1", [member("MKT-001", allMaterials), member("JNT-001", jointMaterials)]))
            let bundleId = try #require(answer["bundleId"]?.stringValue)
            let cases = try (0..<2).map { index in
                let application = try #require(answer["applications"]?[index]?["application"])
                return (receipt: try #require(application["receiptCode"]?.stringValue), caseId: try #require(application["caseId"]?.stringValue).lowercased())
            }
            let path = "/v1/bundles/\(bundleId)/agent"
            let assign = #"{"agentId":"agent-wu","entrustmentReference":"委托书 2026-0031"}"#

            // Only a centre admin, only the centre's staff, an existing bundle.
            #expect(try await post(client, path, token: tokens.clerk, assign).0 == .forbidden)
            #expect(try await post(client, "/v1/bundles/BNOSUCHBUND/agent", token: tokens.admin, assign).0 == .notFound)
            var (status, problem) = try await post(client, path, token: tokens.admin, #"{"agentId":"clerk-1","entrustmentReference":"委托书 2026-0031"}"#)
            #expect(status == .badRequest && problem["field"] == "agentId")

            // All or nothing: the second case already has another agent, so without a reason nothing changes.
            let (single, _) = try await post(
                client, "/v1/applications/\(cases[1].receipt)/agent", token: tokens.admin, #"{"agentId":"agent-zhou","entrustmentReference":"委托书 2026-0030"}"#)
            #expect(single == .ok)
            (status, problem) = try await post(client, path, token: tokens.admin, assign)
            #expect(status == .badRequest && problem["field"] == "reason" && problem["detail"]?.stringValue?.contains(cases[1].receipt) == true)
            #expect(try await clerkView(client, tokens.clerk, cases[0].receipt)["agent"] == nil, "the first case was not given the agent either")
            #expect(try await outboxCount(database, "intake.application.agent-assigned") == 1)

            // With the reason: both cases, one event each, the previous agent kept on record.
            let (assigned, bundle) = try await post(
                client, path, token: tokens.admin, #"{"agentId":"agent-wu","entrustmentReference":"委托书 2026-0031","reason":"申请人委托中心代办整件事"}"#)
            #expect(assigned == .ok)
            #expect(bundle["cases"]?.arrayValue?.count == 2)
            #expect(bundle["cases"]?.arrayValue?.allSatisfy { $0["agent"]?["agentId"] == "agent-wu" } == true)
            for (receipt, caseId) in cases {
                #expect(try await clerkView(client, tokens.clerk, receipt)["agent"]?["name"] == "吴代办")
                #expect(try await database.outboxPayloads(ApplicationAgentAssigned.self, key: caseId).filter { $0.agentId == "agent-wu" }.count == 1)
            }
            #expect(try await clerkView(client, tokens.clerk, cases[1].receipt)["previousAgents"]?[0]?["agentId"] == "agent-zhou")
            // The same call again changes nothing.
            #expect(try await post(client, path, token: tokens.admin, assign).0 == .ok)
            #expect(try await outboxCount(database, "intake.application.agent-assigned") == 3)

            // The agent collects the whole bundle; afterwards there is nothing left for an agent.
            for (receipt, caseId) in cases {
                try await waitApplied(
                    try await publishCoordinatorEvent(completed(receipt, bundleId: bundleId), caseId: caseId, key: caseId, namespace: database.schema), database)
            }
            try await waitApplied(
                try await publishCoordinatorEvent(
                    BundleCompleted(
                        bundleId: bundleId, cases: cases.map { .init(caseId: $0.caseId, receiptCode: $0.receipt, outcome: .approved) }, completedAt: Date()),
                    caseId: nil, key: bundleId, namespace: database.schema), database)
            let (handed, issued) = try await post(client, "/v1/bundles/\(bundleId)/handover", token: tokens.clerk, #"{"collectedBy":"agent"}"#)
            #expect(handed == .ok)
            #expect(issued["cases"]?.arrayValue?.allSatisfy { $0["handover"]?["collectedBy"] == "agent" && $0["handover"]?["agentId"] == "agent-wu" } == true)
            (status, problem) = try await post(client, path, token: tokens.admin, assign)
            #expect(status == .conflict && problem["field"] == "bundleId")
        }
    }

    @Test("an unknown item is refused under the hall centre's seal: none without a centre in the directory; with one, the notice goes to the centre's seal")
    func unknownItemRefusalNeedsCentre() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let unknown = application(key: "u-1", materials: "", itemCode: "NOPE-9", extra: #","competentAuthority":"县公安局""#)
            let (status, problem) = try await post(client, "/v1/applications", token: tokens.clerk, unknown)
            #expect(status == .conflict && problem["field"] == "itemCode" && problem["detail"]?.stringValue?.contains("centre") == true)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications") == 0)

            try await seedCentre(client, tokens)
            let (_, refused) = try await post(client, "/v1/applications", token: tokens.clerk, unknown)
            #expect(refused["outcome"] == "refused" && refused["refusal"]?["reasonCode"] == "unknown-item")
            let caseId = try #require(refused["caseId"]?.stringValue).lowercased()
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).notices WHERE case_id = '\(caseId)' AND kind = 'refusal-notice' AND department_id = 'd-centre' AND sha256 = encode(sha256(convert_to(text, 'UTF8')), 'hex') AND text LIKE '%' || E'\\n' || 'refused-at: ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || 'T%'") == 1,
                "the refusal notice is dated (Art 37)")
            #expect(try await outboxCount(database, "seal.document.requested", where: "key = '\(caseId)' AND topic = 'hall.seal.requests'") == 1)
            #expect(try await database.outboxPayloads(SealDocumentRequested.self, key: caseId).filter {
                $0.departmentId == "d-centre" && $0.documentKind == .refusalNotice && $0.windowId == "w-01" && $0.requestedBy == "clerk-1"
            }.count == 1)
            let tracked = try await get(client, "/v1/cases/\(try #require(refused["receiptCode"]?.stringValue))?idNumber=\(idNumber)").1
            #expect(tracked["documents"]?[0]?["kind"] == "refusal-notice" && tracked["documents"]?[0]?["sealed"] == .bool(false))
        }
    }

    @Test("end to end with the real seal service: the refusal of an item unknown to the hall is sealed with the centre's seal and shown sealed in tracking; the imprint verifies")
    func unknownItemRefusalSealedEndToEnd() async throws {
        let namespace = LocalStack.uniqueName("centre")
        let tokens = try await Tokens()
        let shared = ["HALL_JWT_SECRET": Self.secret, "HALL_KAFKA_PARTITIONS": "2"]
        let masterKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try await ServiceHarness.run(
            .intake, extra: shared, namespace: namespace, definition: { IntakeService.definition(try IntakeSettings(environment: $0)) }
        ) { intake in
            try await ServiceHarness.run(
                .seal, extra: shared.merging(["HALL_SEAL_MASTER_KEY": masterKey]) { $1 }, namespace: namespace,
                definition: { SealService.definition(try SealSettings(environment: $0)) }
            ) { seal in
                let client = intake.client, sealClient = seal.client
                let intakeDatabase = intake.database, sealDatabase = seal.database
                let intakeSchema = intake.schema, sealSchema = seal.schema
                try await seed(client, tokens)
                try await seedCentre(client, tokens)
                // The seal service learns the directory from intake's events.
                try await eventually("the seal service knows the centre (as the centre), its chief, the clerk and the window", timeout: .seconds(90)) {
                    let centre = try await sealDatabase.count(
                        "SELECT count(*)::bigint FROM \(sealSchema).departments WHERE department_id = 'd-centre' AND chief_staff_id = 'centre-chief' AND centre")
                    let clerk = try await sealDatabase.count("SELECT count(*)::bigint FROM \(sealSchema).staff WHERE staff_id = 'clerk-1'")
                    let window = try await sealDatabase.count("SELECT count(*)::bigint FROM \(sealSchema).windows WHERE window_id = 'w-01'")
                    return centre == 1 && clerk == 1 && window == 1
                }
                // The centre's approval-specific seal, its chief the custodian; the front-desk clerk may apply it to refusal notices.
                let registration = """
                    {"departmentId":"d-centre","name":"旗政务服务中心行政审批专用章","code":"SC-CENTRE-1","custodianStaffId":"centre-chief",
                     "validFrom":"2026-01-01T00:00:00.000Z","validUntil":"2099-01-01T00:00:00.000Z",
                     "authorisations":[{"staffId":"clerk-1","documentKinds":["refusal-notice"]}]}
                    """
                #expect(try await post(sealClient, "/v1/seals", token: tokens.admin, registration).0 == .created)

                let (_, refused) = try await post(
                    client, "/v1/applications", token: tokens.clerk,
                    application(key: "e-1", materials: "", itemCode: "NOPE-9", extra: #","competentAuthority":"县公安局""#))
                #expect(refused["refusal"]?["reasonCode"] == "unknown-item")
                let receipt = try #require(refused["receiptCode"]?.stringValue)
                var document: JSONValue?
                try await eventually("the refusal notice is sealed", timeout: .seconds(90)) {
                    document = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1["documents"]?[0]
                    return document?["sealed"] == .bool(true)
                }
                #expect(document?["kind"] == "refusal-notice" && document?["departmentId"] == "d-centre")
                #expect(document?["sealRefusal"] == nil)
                let imprintId = try #require(document?["imprintId"]?.stringValue)
                // Anyone can verify it at the seal service: the centre's seal, on this very notice.
                let (verified, imprint) = try await get(sealClient, "/v1/imprints/\(imprintId.lowercased())")
                #expect(verified == .ok && imprint["valid"] == .bool(true) && imprint["departmentId"] == "d-centre")
                let hash = try #require(try await intakeDatabase.client.query(
                    "SELECT sha256 FROM \(unescaped: intakeSchema).notices WHERE kind = 'refusal-notice'", logger: LocalStack.logger()
                ).decode(String.self).collectAll().first)
                let (_, byHash) = try await get(sealClient, "/v1/verify?documentHash=\(hash)")
                #expect(byHash["found"] == .bool(true) && byHash["valid"] == .bool(true))
                #expect(try await intakeDatabase.count(
                    "SELECT count(*)::bigint FROM \(intakeSchema).notices WHERE imprint_id IS NOT NULL AND department_id = 'd-centre'") == 1)
            }
        }
    }
}
