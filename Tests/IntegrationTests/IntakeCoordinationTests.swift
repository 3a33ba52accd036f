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

@testable import intake

/// Bundles ("one thing, one go"), supplements and completion by the coordinator, over HTTP with
/// the real database and broker. The coordinator is simulated by publishing its events to the
/// test's `<namespace>.hall.coordinator.events`.
extension IntakeAPITests {
    var idNumber: String { residentId("11010519491231002") }

    /// A joint item: lead d-market, participant d-tax, promised 10 working days.
    func seedJoint(_ client: any TestClientProtocol, _ tokens: Tokens) async throws {
        let (status, _) = try await post(client, "/v1/items", token: tokens.admin, """
            {"code":"JNT-001","name":"餐饮店开业一件事","kind":"joint","leadDepartmentId":"d-market","participantDepartmentIds":["d-tax"],
             "legalLimitDays":20,"promisedLimitDays":10,"materials":[
               {"id":"application-form","name":"开业申请表","form":"original","copies":1,"requirement":"required","toleratedGap":false},
               {"id":"site-plan","name":"场所平面图","form":"copy","copies":1,"requirement":"required","toleratedGap":false}],
             "delegatedToCentre":true,"toleratedGapAllowed":false,"effectiveFrom":"2026-01-01","approvalReference":"县审改办〔2025〕9号"}
            """)
        #expect(status == .created)
    }

    var jointMaterials: String {
        """
        {"materialId":"application-form","form":"original","copies":1,"legalForm":true},
        {"materialId":"site-plan","form":"copy","copies":1,"legalForm":true}
        """
    }

    func bundleJSON(key: String, _ members: [String]) -> String {
        """
        {"applicant":{"kind":"person","name":"张三","idNumber":"\(idNumber)","contact":"13800000000"},
         "channel":"window","idempotencyKey":"\(key)","applications":[\(members.joined(separator: ","))]}
        """
    }

    func member(_ itemCode: String, _ materials: String, extra: String = "") -> String {
        #"{"itemCode":"\#(itemCode)","materials":[\#(materials)]\#(extra)}"#
    }

    /// Publishes an event as the coordinator would, on the test's coordinator topic; returns its id.
    @discardableResult
    func publishCoordinatorEvent<P: EventPayload>(
        _ payload: P, caseId: String?, key: String, namespace: String, id: UUID = UUID()
    ) async throws -> UUID {
        let producer = try LocalKafka.stack().producer()
        let envelope = try EventEnvelope(payload: payload, id: id, producer: "coordinator", caseId: caseId)
        _ = try await producer.sendSigned(
            KafkaProducerMessage(topic: "\(namespace).\(Topic.coordinatorEvents.rawValue)", key: key, value: try envelope.encoded()))
        await producer.close()
        return id
    }

    /// Publishes events as the coordinator would, as one batch of records on one partition in order
    /// (so that intake's consumer reads them together); returns their ids.
    func publishCoordinatorEvents<P: EventPayload>(_ events: [(payload: P, caseId: String)], namespace: String) async throws -> [UUID] {
        let producer = try LocalKafka.stack().producer()
        let envelopes = try events.map { try EventEnvelope(payload: $0.payload, producer: "coordinator", caseId: $0.caseId) }
        let results = await producer.sendSigned(
            try envelopes.map { KafkaProducerMessage(topic: "\(namespace).\(Topic.coordinatorEvents.rawValue)", key: "one-partition", value: try $0.encoded()) })
        await producer.close()
        for result in results { _ = try result.get() }
        return envelopes.map(\.id)
    }

    /// Waits until intake's consumer has applied (or dead-lettered) the event.
    func waitApplied(_ id: UUID, _ database: ScratchDatabase) async throws {
        try await eventually("event \(id) applied by intake", timeout: .seconds(60)) {
            try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox WHERE event_id = '\(id)'") == 1
        }
    }

    func outboxCount(_ database: ScratchDatabase, _ type: String, where condition: String = "true") async throws -> Int {
        try await database.count(
            "SELECT count(*)::bigint FROM \(database.schema).outbox WHERE event_type = '\(type)' AND \(condition)")
    }

    func completed(_ receipt: String, onTime: Bool = true, outcome: CaseOutcome = .approved, bundleId: String? = nil, at: Date = Date()) -> CaseCompleted {
        CaseCompleted(
            receiptCode: receipt, itemCode: "MKT-001", leadDepartmentId: "d-market", departmentIds: ["d-market"], outcome: outcome,
            acceptedAt: Date(), completedAt: at, dueDate: HallDate("2026-12-31")!, onTime: onTime, imprintIds: [UUID().uuidString.lowercased()],
            suspendedWorkingDays: 0, extensionWorkingDays: 0, bundleId: bundleId)
    }

    @Test("a joint item is accepted at its lead department's window (or the comprehensive one), not at a participant's, where its acceptance notice could never be sealed: 403 naming the rule, nothing stored")
    func jointItemNotAtParticipantWindow() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            try await seedJoint(client, tokens)
            // clerk-2 works at w-tax, the window of d-tax: a participant of JNT-001, not its lead.
            let (status, problem) = try await post(
                client, "/v1/applications", token: tokens.otherClerk, application(key: "j-tax", materials: jointMaterials, itemCode: "JNT-001"))
            #expect(status == .forbidden)
            #expect(problem["detail"]?.stringValue?.contains("lead department d-market") == true, "\(problem)")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications") == 0)
            #expect(try await outboxCount(database, "seal.document.requested") == 0, "no notice sent to a seal that would refuse it")
            // The same application at the comprehensive window is accepted.
            let (accepted, body) = try await post(
                client, "/v1/applications", token: tokens.clerk, application(key: "j-01", materials: jointMaterials, itemCode: "JNT-001"))
            #expect(accepted == .created && body["outcome"] == "accepted", "\(body)")
        }
    }

    @Test("a bundle is accepted together: each case its own notice number and due date, every accepted event with the bundle and the materials presented; a repeated key gives the same answer")
    func bundleAccepted() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            try await seedJoint(client, tokens)
            let body = bundleJSON(key: "bundle-1", [member("MKT-001", allMaterials), member("JNT-001", jointMaterials)])
            let (status, answer) = try await post(client, "/v1/bundles", token: tokens.clerk, body)
            #expect(status == .created)
            #expect(answer["outcome"] == "accepted")
            #expect(answer["bundleSize"] == .int(2))
            let bundleId = try #require(answer["bundleId"]?.stringValue)
            let first = try #require(answer["applications"]?[0]?["application"])
            let second = try #require(answer["applications"]?[1]?["application"])
            #expect(first["outcome"] == "accepted")
            #expect(second["outcome"] == "accepted")
            #expect(first["noticeNumber"] != second["noticeNumber"])
            #expect(first["receiptCode"] != second["receiptCode"])
            #expect(first["acceptedAt"] == second["acceptedAt"], "accepted together")
            let calendar = try WorkingCalendar.bundled()
            #expect(first["dueDate"] == .string(calendar.dueDate(acceptedAt: Date(), workingDays: 5).date.description))
            #expect(second["dueDate"] == .string(calendar.dueDate(acceptedAt: Date(), workingDays: 10).date.description))

            // Each case has its accepted event with the bundle, and the materials presented
            // (MKT-001: the identity card's original and copy are two lines).
            let acceptedEvents = try await database.outboxPayloads(ApplicationAccepted.self)
            #expect(acceptedEvents.filter { $0.bundleId == bundleId && $0.bundleSize == 2 }.count == 2)
            #expect(acceptedEvents.filter { $0.itemCode == "MKT-001" && $0.materials?.count == 4 }.count == 1)
            #expect(try await outboxCount(database, "seal.document.requested") == 2, "an acceptance notice per case")

            let (_, repeated) = try await post(client, "/v1/bundles", token: tokens.clerk, body)
            #expect(repeated == answer)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications") == 2, "no second bundle")

            // The applicant follows the bundle with its id and their identity number.
            let (found, tracked) = try await get(client, "/v1/bundles/\(bundleId)?idNumber=\(idNumber)")
            #expect(found == .ok)
            #expect(tracked["status"] == "in-progress")
            #expect(tracked["cases"]?[1]?["departments"]?[1]?["departmentId"] == "d-tax")
            #expect(tracked["cases"]?[1]?["departments"]?[1]?["status"] == "in-progress")
            #expect(try await get(client, "/v1/bundles/\(bundleId)?idNumber=\(residentId("11010519800101001"))").0 == .notFound)

            // An immediate item is decided on the spot: it cannot join a bundle.
            #expect(try await post(client, "/v1/items", token: tokens.admin, """
                {"code":"IMM-001","name":"补办","kind":"immediate","leadDepartmentId":"d-market","legalLimitDays":0,"promisedLimitDays":0,
                 "materials":[{"id":"application-form","name":"补办申请书","form":"original","copies":1,"requirement":"required","toleratedGap":false}],
                 "delegatedToCentre":true,"toleratedGapAllowed":false,"effectiveFrom":"2026-01-01","approvalReference":"县审改办〔2025〕9号"}
                """).0 == .created)
            let immediate = #"{"materialId":"application-form","form":"original","copies":1,"legalForm":true}"#
            let (bad, problem) = try await post(
                client, "/v1/bundles", token: tokens.clerk, bundleJSON(key: "bundle-2", [member("MKT-001", allMaterials), member("IMM-001", immediate)]))
            #expect(bad == .badRequest)
            #expect(problem["field"] == "applications[1].itemCode")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications") == 2, "nothing half-stored")
        }
    }

    @Test("a bundle needing corrections: one notice lists every correction of every application, nothing is accepted until the last correction is in; a refusal of one application refuses the bundle")
    func bundleCorrectionsAndRefusal() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            try await seedJoint(client, tokens)
            let mktPartial = """
                {"materialId":"application-form","form":"original","copies":1,"legalForm":true},
                {"materialId":"identity-card","form":"original-and-copy","copies":1,"legalForm":true}
                """
            let jointPartial = #"{"materialId":"application-form","form":"original","copies":1,"legalForm":false}"#
            let (status, notice) = try await post(
                client, "/v1/bundles", token: tokens.clerk, bundleJSON(key: "c-1", [member("MKT-001", mktPartial), member("JNT-001", jointPartial)]))
            #expect(status == .ok)
            #expect(notice["outcome"] == "correction-required")
            let bundleId = try #require(notice["bundleId"]?.stringValue)
            // One notice: the premises proof of the first, the form and the site plan of the second.
            let corrections = try #require(notice["corrections"]?.arrayValue)
            #expect(corrections.map { $0["position"] } == [.int(0), .int(1), .int(1)])
            #expect(corrections.map { $0["materialId"] } == ["premises-proof", "application-form", "site-plan"])
            #expect(corrections[1]["problem"] == "not-in-legal-form")
            #expect(try await outboxCount(database, "intake.application.accepted") == 0, "nothing accepted")
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).applications WHERE notice_number IS NOT NULL") == 0)
            let tracked = try await get(client, "/v1/bundles/\(bundleId)?idNumber=\(idNumber)").1
            #expect(tracked["status"] == "awaiting-correction")
            #expect(tracked["corrections"]?.arrayValue?.count == 3)

            // The first application corrected: complete, but held for the other.
            let mktReceipt = try #require(corrections[0]["receiptCode"]?.stringValue)
            let jointReceipt = try #require(corrections[1]["receiptCode"]?.stringValue)
            let (_, held) = try await post(
                client, "/v1/applications/\(mktReceipt)/resubmission", token: tokens.clerk, "{\"materials\":[\(allMaterials)]}")
            #expect(held["outcome"] == "held")
            #expect(held["noticeNumber"] == nil)
            #expect(try await outboxCount(database, "intake.application.accepted") == 0, "still nothing accepted")
            #expect(try await get(client, "/v1/cases/\(mktReceipt)?idNumber=\(idNumber)").1["status"] == "held")

            // The last correction in: both accepted together, each with the bundle.
            let (_, accepted) = try await post(
                client, "/v1/applications/\(jointReceipt)/resubmission", token: tokens.clerk, "{\"materials\":[\(jointMaterials)]}")
            #expect(accepted["outcome"] == "accepted")
            #expect(try await get(client, "/v1/cases/\(mktReceipt)?idNumber=\(idNumber)").1["status"] == "accepted")
            let acceptedEvents = try await database.outboxPayloads(ApplicationAccepted.self)
            #expect(acceptedEvents.filter { $0.bundleId == bundleId }.count == 2)
            // The first application's event lists what was brought on return too.
            #expect(acceptedEvents.filter { $0.itemCode == "MKT-001" && ($0.materials ?? []).contains { $0.materialId == "premises-proof" } }.count == 1)
            #expect(try await get(client, "/v1/bundles/\(bundleId)?idNumber=\(idNumber)").1["status"] == "in-progress")

            // A refusal of one application refuses the whole bundle, saying which.
            let (_, refused) = try await post(
                client, "/v1/bundles", token: tokens.clerk,
                bundleJSON(key: "r-1", [member("JNT-001", jointMaterials), member("MKT-001", allMaterials, extra: #","departmentId":"d-tax""#)]))
            #expect(refused["outcome"] == "refused")
            #expect(refused["refusal"]?["position"] == .int(1))
            #expect(refused["refusal"]?["reasonCode"] == "not-competent")
            #expect(refused["refusal"]?["reason"]?.stringValue?.contains("application 2 of the bundle (item MKT-001)") == true)
            #expect(refused["applications"]?[0]?["outcome"] == "not-accepted")
            #expect(try await outboxCount(database, "intake.application.accepted") == 2, "nothing more accepted")
            #expect(try await outboxCount(database, "intake.application.refused") == 1)
        }
    }

    @Test("supplements: what a department asks for is shown to the applicant and the clerk; the clerk records it and intake.application.supplemented is published; repeated events change nothing")
    func supplements() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let (_, accepted) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "s-1", materials: allMaterials))
            let receipt = try #require(accepted["receiptCode"]?.stringValue)
            let caseId = try #require(accepted["caseId"]?.stringValue).lowercased()
            let (_, other) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "s-2", materials: allMaterials))
            let otherReceipt = try #require(other["receiptCode"]?.stringValue)

            // Nothing asked for yet: the clerk cannot record a supplement.
            var (status, problem) = try await post(
                client, "/v1/applications/\(receipt)/supplements", token: tokens.clerk, #"{"materials":["site-photos"]}"#)
            #expect(status == .conflict)
            #expect(problem["type"]?.stringValue?.hasSuffix("/conflict") == true)

            let request = SupplementRequested(
                receiptCode: receipt, departmentId: "d-market", taskId: UUID().uuidString.lowercased(),
                supplements: [
                    .init(material: "site-photos", needed: "经营场所照片两张"), .init(material: "lease", needed: "租赁合同原件"),
                ], requestedAt: Date())
            let id = try await publishCoordinatorEvent(request, caseId: caseId, key: caseId, namespace: database.schema)
            // The same event delivered twice, and the same request re-published under a new id.
            try await publishCoordinatorEvent(request, caseId: caseId, key: caseId, namespace: database.schema, id: id)
            let again = try await publishCoordinatorEvent(request, caseId: caseId, key: caseId, namespace: database.schema)
            try await waitApplied(id, database)
            try await waitApplied(again, database)
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).supplement_requests") == 2)

            let (_, tracked) = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)")
            #expect(tracked["status"] == "awaiting-supplement")
            #expect(tracked["awaiting"]?.arrayValue?.contains("经营场所照片两张 (asked by d-market)") == true)
            #expect(tracked["departments"]?[0]?["status"] == "awaiting-supplement")
            let (clerkView, seen) = try await client.execute(
                uri: "/v1/applications/\(receipt)", method: .get, headers: [.authorization: "Bearer \(tokens.clerk)"]
            ) { ($0.status, (try? JSONValue.parse(Array($0.body.readableBytesView))) ?? .null) }
            #expect(clerkView == .ok)
            #expect(seen["supplements"]?.arrayValue?.count == 2)
            // A clerk at another department's window does not read the case (nor the applicant's details in it).
            let (otherView, refusal) = try await client.execute(
                uri: "/v1/applications/\(receipt)", method: .get, headers: [.authorization: "Bearer \(tokens.otherClerk)"]
            ) { ($0.status, (try? JSONValue.parse(Array($0.body.readableBytesView))) ?? .null) }
            #expect(otherView == .forbidden && refusal["field"] == "window", "\(refusal)")

            // Something not asked for is refused naming it; a case that awaits nothing is refused.
            (status, problem) = try await post(
                client, "/v1/applications/\(receipt)/supplements", token: tokens.clerk, #"{"materials":["site-photos","bank-statement"]}"#)
            #expect(status == .badRequest)
            #expect(problem["field"] == "materials[1]")
            #expect(try await post(
                client, "/v1/applications/\(otherReceipt)/supplements", token: tokens.clerk, #"{"materials":["lease"]}"#).0 == .conflict)

            // Part of it: recorded, still awaiting the rest, nothing told to the coordinator yet.
            let (partialStatus, partial) = try await post(
                client, "/v1/applications/\(receipt)/supplements", token: tokens.clerk, #"{"materials":["site-photos"]}"#)
            #expect(partialStatus == .ok)
            #expect(partial["status"] == "awaiting-supplement")
            #expect(partial["awaiting"]?.arrayValue?.count == 1)
            #expect(try await outboxCount(database, "intake.application.supplemented") == 0)
            // The rest: the coordinator is told, with everything brought.
            let (_, done) = try await post(client, "/v1/applications/\(receipt)/supplements", token: tokens.clerk, #"{"materials":["lease"]}"#)
            #expect(done["status"] == "accepted")
            #expect(done["supplements"]?[1]?["suppliedAt"] != nil)
            #expect(try await database.outboxPayloads(ApplicationSupplemented.self, key: caseId).filter { $0.materials == ["lease", "site-photos"] }.count == 1)
            #expect(try await post(
                client, "/v1/applications/\(receipt)/supplements", token: tokens.clerk, #"{"materials":["lease"]}"#).0 == .conflict,
                "nothing awaited any more")

            // Published to the broker on intake's events topic, keyed by the case.
            let records = try await LocalKafka.stack().readAll("\(database.schema).\(Topic.intakeEvents.rawValue)", atLeast: 1, timeout: .seconds(30))
            let published = try records.map { try EventEnvelope.decode(from: $0.value) }.filter { $0.type == ApplicationSupplemented.eventType }
            #expect(published.count == 1)
            #expect(try published.first?.payload(as: ApplicationSupplemented.self).receiptCode == receipt)
            try await expectGroupedAsAlone(database, receipt: receipt, idNumber: idNumber)
        }
    }

    @Test("a committed case is ready when the coordinator completes it, not when one decision is sealed; the applicant sees outcome, completion time and on-time; a repeat changes nothing")
    func completion() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let (_, accepted) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "k-1", materials: allMaterials))
            let receipt = try #require(accepted["receiptCode"]?.stringValue)
            let caseId = try #require(accepted["caseId"]?.stringValue).lowercased()

            // One department's decision sealed: not ready yet (the coordinator completes the case).
            _ = try await publishSealedDecision(
                caseId: caseId, department: "d-market", hash: String(repeating: "b", count: 64), namespace: database.schema, database: database)
            #expect(try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1["status"] == "accepted")
            #expect(try await post(client, "/v1/applications/\(receipt)/handover", token: tokens.clerk, "{}").0 == .conflict)

            // The coordinator extends the case: the applicant's due date follows, with the reason.
            let dueBefore = try #require(accepted["dueDate"]?.stringValue)
            let dueAfter = try WorkingCalendar.bundled().addingWorkingDays(5, after: LocalDate(iso: dueBefore)!).value.hallDate
            let extended = ClockChanged(
                receiptCode: receipt, sequence: 2, change: .extended, category: nil, dueDateBefore: HallDate(dueBefore)!, dueDateAfter: dueAfter, workingDays: 5,
                reason: "需现场核查", reference: nil, approvedBy: "王局长", departmentId: "d-market", actorId: "chief-1", changedAt: Date())
            let extendedId = try await publishCoordinatorEvent(extended, caseId: caseId, key: caseId, namespace: database.schema)
            try await waitApplied(extendedId, database)
            try await publishCoordinatorEvent(extended, caseId: caseId, key: caseId, namespace: database.schema, id: extendedId)  // redelivered
            let moved = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1
            #expect(moved["dueDate"] == .string(dueAfter.description))
            #expect(moved["dueDateChanges"]?.arrayValue?.count == 1)
            #expect(moved["dueDateChanges"]?[0]?["reason"]?.stringValue?.contains("需现场核查") == true)

            let completedAt = Date()
            try await waitApplied(
                try await publishCoordinatorEvent(
                    completed(receipt, onTime: true, at: completedAt), caseId: caseId, key: caseId, namespace: database.schema), database)
            var tracked = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1
            #expect(tracked["status"] == "ready")
            #expect(tracked["completion"]?["outcome"] == "approved")
            #expect(tracked["completion"]?["onTime"] == .bool(true))
            #expect(sameInstant(tracked["completion"]?["completedAt"], completedAt))

            // A repeat (re-published, another completion time and flag) changes nothing.
            try await waitApplied(
                try await publishCoordinatorEvent(
                    completed(receipt, onTime: false, at: completedAt.addingTimeInterval(3600)), caseId: caseId, key: caseId,
                    namespace: database.schema), database)
            tracked = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1
            #expect(tracked["completion"]?["onTime"] == .bool(true))
            #expect(sameInstant(tracked["completion"]?["completedAt"], completedAt))
            #expect(try await post(client, "/v1/applications/\(receipt)/handover", token: tokens.clerk, "{}").1["status"] == "issued")
        }
    }

    @Test("decisions and completions of several cases read together: each case shows its own decision and completion, a repeated completion changes nothing, and nothing is dead-lettered")
    func decidedAndCompletedTogether() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            var cases: [(receipt: String, caseId: String)] = []
            for index in 1...3 {
                let (status, accepted) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "k-together-\(index)", materials: allMaterials))
                #expect(status == .created, "\(accepted)")
                cases.append((try #require(accepted["receiptCode"]?.stringValue), try #require(accepted["caseId"]?.stringValue).lowercased()))
            }
            let decidedAt = Date()
            let decided = try await publishCoordinatorEvents(
                cases.enumerated().map { index, item in
                    (CaseDecided(
                        receiptCode: item.receipt, outcome: index == 1 ? .denied : .approved, reasons: [],
                        documents: [
                            .init(
                                departmentId: "d-market", documentKind: index == 1 ? .denialDecision : .approvalDecision,
                                documentHash: String(repeating: "\(index + 1)", count: 64), requestedBy: "chief-1", windowId: "w-01",
                                decisionNumber: "敖市监许〔2026〕\(20 + index)号")
                        ],
                        decidedAt: decidedAt, dueDate: HallDate("2026-12-31")!), item.caseId)
                }, namespace: database.schema)
            for id in decided { try await waitApplied(id, database) }
            let completedAt = Date()
            // The second case's completion twice (a repeat with another time and flag), the others once.
            let completions = try await publishCoordinatorEvents(
                [
                    (completed(cases[0].receipt, at: completedAt), cases[0].caseId),
                    (completed(cases[1].receipt, outcome: .denied, at: completedAt), cases[1].caseId),
                    (completed(cases[1].receipt, onTime: false, outcome: .denied, at: completedAt.addingTimeInterval(3600)), cases[1].caseId),
                    (completed(cases[2].receipt, at: completedAt), cases[2].caseId),
                ], namespace: database.schema)
            for id in completions { try await waitApplied(id, database) }
            #expect(try await database.count("SELECT count(*)::bigint FROM \(database.schema).inbox WHERE status <> 'applied'") == 0, "nothing dead-lettered")
            for (index, item) in cases.enumerated() {
                let tracked = try await get(client, "/v1/cases/\(item.receipt)?idNumber=\(idNumber)").1
                #expect(tracked["status"] == "ready", "\(tracked)")
                #expect(tracked["completion"]?["outcome"] == .string(index == 1 ? "denied" : "approved"))
                #expect(tracked["completion"]?["onTime"] == .bool(true), "the first completion stands")
                #expect(sameInstant(tracked["completion"]?["completedAt"], completedAt))
                let documents = tracked["documents"]?.arrayValue?.filter { $0["kind"] == .string(index == 1 ? "denial-decision" : "approval-decision") } ?? []
                #expect(documents.count == 1 && documents.first?["number"] == .string("敖市监许〔2026〕\(20 + index)号"), "\(tracked)")
            }
        }
    }

    @Test("a clock change or completion on the coordinator's topic not signed by the coordinator is dead-lettered as untrusted-producer and changes nothing; the coordinator's own one applies")
    func forgedCoordinatorEvents() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let (_, accepted) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "k-forged", materials: allMaterials))
            let receipt = try #require(accepted["receiptCode"]?.stringValue)
            let caseId = try #require(accepted["caseId"]?.stringValue).lowercased()
            let dueBefore = try #require(accepted["dueDate"]?.stringValue)
            let moved = try WorkingCalendar.bundled().addingWorkingDays(30, after: LocalDate(iso: dueBefore)!).value.hallDate
            let extension30 = ClockChanged(
                receiptCode: receipt, sequence: 2, change: .extended, category: nil, dueDateBefore: HallDate(dueBefore)!, dueDateAfter: moved,
                workingDays: 30, reason: "伪造", reference: nil, approvedBy: "无", departmentId: "d-market", actorId: "x", changedAt: Date())
            // Unsigned; signed by a key of its own that claims to be the coordinator; signed by intake's
            // real key (an insider holding intake may not write the coordinator's topic); a completion
            // signed by a department system.
            let topic = "\(database.schema).\(Topic.coordinatorEvents.rawValue)"
            let impostor = RecordSigner(identity: ServiceName.coordinator.rawValue, key: .init())
            var forged: [(UUID, KafkaProducerMessage)] = []
            for signer in [nil, impostor, HallSigners.signer(.intake), HallSigners.departmentSystem("d-market-system")] as [RecordSigner?] {
                let payload: any EventPayload = signer?.identity == "d-market-system" ? completed(receipt) : extension30
                let envelope = try EventEnvelope(payload: payload, producer: "coordinator", caseId: caseId)
                let unsigned = KafkaProducerMessage(topic: topic, key: Array(caseId.utf8), value: try envelope.encoded())
                forged.append((envelope.id, signer.map { $0.signed(unsigned) } ?? unsigned))
            }
            let producer = try LocalKafka.stack().producer()
            for (_, message) in forged { _ = try await producer.send(message) }
            await producer.close()
            for (id, _) in forged {
                try await waitApplied(id, database)
                let reason = try await database.client.query(
                    "SELECT status || ': ' || coalesce(reason, '') FROM \(unescaped: database.schema).inbox WHERE event_id = \(id)", logger: LocalStack.logger()
                ).decode(String.self).collectAll().first
                #expect(reason?.hasPrefix("dead_lettered: the record") == true, "got \(reason ?? "nothing")")
            }
            var tracked = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1
            #expect(tracked["dueDate"] == .string(dueBefore))
            #expect(tracked["status"] == "accepted")
            #expect(tracked["dueDateChanges"]?.arrayValue?.isEmpty ?? true)

            // The same change signed by the coordinator applies.
            try await waitApplied(try await publishCoordinatorEvent(extension30, caseId: caseId, key: caseId, namespace: database.schema), database)
            tracked = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1
            #expect(tracked["dueDate"] == .string(moved.description))
        }
    }

    /// Publishes `seal.document.sealed` of a decision as the seal service would; returns the imprint id.
    func publishSealedDecision(
        caseId: String, department: String, hash: String, namespace: String, database: ScratchDatabase
    ) async throws -> UUID {
        let seal = TestSeal(departmentId: department)
        let sealed = try seal.sealed(.approvalDecision, documentHash: hash, caseId: caseId, requestedBy: "chief-\(department)")
        let (registration, id) = (UUID(), UUID())
        let producer = try LocalKafka.stack().producer()
        _ = try await producer.sendSigned(KafkaProducerMessage(
            topic: "\(namespace).\(Topic.sealEvents.rawValue)", key: seal.sealId.uuidString.lowercased(),
            value: try EventEnvelope(payload: seal.registered, id: registration, producer: "seal", caseId: nil).encoded()))
        _ = try await producer.sendSigned(KafkaProducerMessage(
            topic: "\(namespace).\(Topic.sealEvents.rawValue)", key: caseId,
            value: try EventEnvelope(payload: sealed, id: id, producer: "seal", caseId: caseId).encoded()))
        await producer.close()
        try await waitApplied(registration, database)
        try await waitApplied(id, database)
        return sealed.imprintId
    }

    @Test("every department's decision of a joint case is shown to the applicant and published with its own seal, whether the seal or the coordinator's announcement comes first; a sealed decision the coordinator never announced is not shown")
    func jointDecisionsEachWithItsSeal() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            try await seedJoint(client, tokens)
            let body = application(key: "k-joint-decisions", materials: jointMaterials, itemCode: "JNT-001")
            let (status, accepted) = try await post(client, "/v1/applications", token: tokens.clerk, body)
            #expect(status == .created, "\(accepted)")
            let receipt = try #require(accepted["receiptCode"]?.stringValue)
            let caseId = try #require(accepted["caseId"]?.stringValue).lowercased()
            let marketHash = String(repeating: "c", count: 64), taxHash = String(repeating: "d", count: 64)

            // The participant's seal comes back before the coordinator's announcement; a forged one too.
            let taxImprint = try await publishSealedDecision(caseId: caseId, department: "d-tax", hash: taxHash, namespace: database.schema, database: database)
            _ = try await publishSealedDecision(
                caseId: caseId, department: "d-market", hash: String(repeating: "e", count: 64), namespace: database.schema, database: database)
            let decided = CaseDecided(
                receiptCode: receipt, outcome: .approved, reasons: [],
                documents: [
                    .init(
                        departmentId: "d-market", documentKind: .approvalDecision, documentHash: marketHash, requestedBy: "chief-1", windowId: "w-01",
                        decisionNumber: "敖市监许〔2026〕15号"),
                    .init(
                        departmentId: "d-tax", documentKind: .approvalDecision, documentHash: taxHash, requestedBy: "chief-2", windowId: "w-01",
                        decisionNumber: "敖税许〔2026〕3号"),
                ],
                decidedAt: Date(), dueDate: HallDate("2026-12-31")!)
            let decidedId = try await publishCoordinatorEvent(decided, caseId: caseId, key: caseId, namespace: database.schema)
            try await waitApplied(decidedId, database)
            try await publishCoordinatorEvent(decided, caseId: caseId, key: caseId, namespace: database.schema, id: decidedId)  // redelivered

            func decisions() async throws -> [String: JSONValue] {
                let tracked = try await get(client, "/v1/cases/\(receipt)?idNumber=\(idNumber)").1
                let documents = tracked["documents"]?.arrayValue?.filter { $0["kind"] == "approval-decision" } ?? []
                #expect(documents.count == 2, "one decision per department, the forged one not among them: \(tracked)")
                return Dictionary(documents.map { ($0["departmentId"]?.stringValue ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            }
            var shown = try await decisions()
            #expect(shown["d-tax"]?["sealed"] == true && shown["d-tax"]?["imprintId"]?.stringValue?.lowercased() == taxImprint.uuidString.lowercased())
            #expect(shown["d-market"]?["sealed"] == false, "the forged hash did not seal the lead's decision")

            // The lead's own decision sealed afterwards.
            let marketImprint = try await publishSealedDecision(
                caseId: caseId, department: "d-market", hash: marketHash, namespace: database.schema, database: database)
            shown = try await decisions()
            #expect(shown["d-market"]?["sealed"] == true && shown["d-market"]?["imprintId"]?.stringValue?.lowercased() == marketImprint.uuidString.lowercased())

            // The public list: one row per department, each with its own imprint.
            let published = try await get(client, "/v1/decisions?itemCode=JNT-001").1["decisions"]?.arrayValue ?? []
            let rows = Set(published.compactMap { row -> String? in
                guard let department = row["departmentId"]?.stringValue, let imprint = row["imprintId"]?.stringValue else { return nil }
                return "\(department) \(imprint.lowercased())"
            })
            #expect(rows == ["d-market \(marketImprint.uuidString.lowercased())", "d-tax \(taxImprint.uuidString.lowercased())"], "\(published)")
            // Art 38: each with its decision number (文号), in the list and in tracking.
            let numbers = Dictionary(published.map { ($0["departmentId"]?.stringValue ?? "", $0["decisionNumber"]?.stringValue ?? "") }, uniquingKeysWith: { a, _ in a })
            #expect(numbers == ["d-market": "敖市监许〔2026〕15号", "d-tax": "敖税许〔2026〕3号"], "\(published)")
            #expect(shown["d-tax"]?["number"] == "敖税许〔2026〕3号")

            // A page at a time, newest first, each row once; searched by department and sealing date.
            let first = try await get(client, "/v1/decisions?itemCode=JNT-001&limit=1").1
            let next = try #require(first["next"]?.stringValue, "\(first)")
            let second = try await get(client, "/v1/decisions?itemCode=JNT-001&limit=1&after=\(next)").1
            #expect(second["next"] == nil)
            let paged = [first, second].compactMap { $0["decisions"]?[0]?["departmentId"]?.stringValue }
            #expect(Set(paged) == ["d-market", "d-tax"] && paged.count == 2, "\(first) \(second)")
            let tax = try await get(client, "/v1/decisions?itemCode=JNT-001&departmentId=d-tax").1["decisions"]?.arrayValue ?? []
            #expect(tax.count == 1 && tax.first?["imprintId"]?.stringValue?.lowercased() == taxImprint.uuidString.lowercased())
            let today = LocalDate.inHall(Date())
            #expect(try await get(client, "/v1/decisions?itemCode=JNT-001&from=\(today)&to=\(today)").1["decisions"]?.arrayValue?.count == 2)
            #expect(try await get(client, "/v1/decisions?itemCode=JNT-001&from=\(today.adding(days: 1))").1["decisions"]?.arrayValue?.isEmpty == true)
            #expect(try await get(client, "/v1/decisions?itemCode=JNT-001&to=\(today.adding(days: -1))").1["decisions"]?.arrayValue?.isEmpty == true)
            for (query, field) in [("limit=0", "limit"), ("limit=101", "limit"), ("after=page-2", "after"), ("from=\(today)&to=\(today.adding(days: -1))", "to"),
                                   ("from=2026-13-01", "from")] {
                let (status, problem) = try await get(client, "/v1/decisions?\(query)")
                #expect(status == .badRequest && problem["field"] == .string(field), "\(query): \(problem)")
            }
            try await expectGroupedAsAlone(database, receipt: receipt, idNumber: idNumber)
        }
    }

    @Test("a bundle's cases are handed out together: a completed case waits until the coordinator completes the bundle; repeated events change nothing")
    func bundleReadyTogether() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            try await seedJoint(client, tokens)
            let (_, answer) = try await post(
                client, "/v1/bundles", token: tokens.clerk, bundleJSON(key: "t-1", [member("MKT-001", allMaterials), member("JNT-001", jointMaterials)]))
            let bundleId = try #require(answer["bundleId"]?.stringValue)
            let cases = try (0..<2).map { index in
                let application = try #require(answer["applications"]?[index]?["application"])
                return (receipt: try #require(application["receiptCode"]?.stringValue), caseId: try #require(application["caseId"]?.stringValue).lowercased())
            }
            func status(_ index: Int) async throws -> String? {
                try await get(client, "/v1/cases/\(cases[index].receipt)?idNumber=\(idNumber)").1["status"]?.stringValue
            }

            // The first case completed: decided and sealed, but not ready without the other.
            try await waitApplied(
                try await publishCoordinatorEvent(
                    completed(cases[0].receipt, bundleId: bundleId), caseId: cases[0].caseId, key: cases[0].caseId, namespace: database.schema), database)
            #expect(try await status(0) == "completed")
            #expect(try await post(client, "/v1/applications/\(cases[0].receipt)/handover", token: tokens.clerk, "{}").0 == .conflict)
            #expect(try await get(client, "/v1/bundles/\(bundleId)?idNumber=\(idNumber)").1["status"] == "in-progress")

            // The bundle completes before the second case's own completion arrives (another partition):
            // the first is ready now, the second as soon as its completion is applied.
            let bundleCompleted = BundleCompleted(
                bundleId: bundleId,
                cases: cases.map { .init(caseId: $0.caseId, receiptCode: $0.receipt, outcome: .approved) }, completedAt: Date())
            let bundleEvent = try await publishCoordinatorEvent(bundleCompleted, caseId: nil, key: bundleId, namespace: database.schema)
            try await waitApplied(bundleEvent, database)
            #expect(try await status(0) == "ready")
            #expect(try await status(1) == "accepted")
            #expect(try await get(client, "/v1/bundles/\(bundleId)?idNumber=\(idNumber)").1["status"] == "in-progress")
            try await waitApplied(
                try await publishCoordinatorEvent(
                    completed(cases[1].receipt, bundleId: bundleId), caseId: cases[1].caseId, key: cases[1].caseId, namespace: database.schema), database)
            #expect(try await status(1) == "ready")
            let tracked = try await get(client, "/v1/bundles/\(bundleId)?idNumber=\(idNumber)").1
            #expect(tracked["status"] == "ready")
            #expect(tracked["completedAt"] != nil)

            // Repeats: the same bundle event again, and a re-published one, change nothing.
            try await publishCoordinatorEvent(bundleCompleted, caseId: nil, key: bundleId, namespace: database.schema, id: bundleEvent)
            try await waitApplied(try await publishCoordinatorEvent(bundleCompleted, caseId: nil, key: bundleId, namespace: database.schema), database)
            // Handed out together (a bundle's case alone is refused).
            #expect(try await post(client, "/v1/applications/\(cases[0].receipt)/handover", token: tokens.clerk, "{}").0 == .conflict)
            #expect(try await post(client, "/v1/bundles/\(bundleId)/handover", token: tokens.clerk, "{}").1["status"] == "issued")
            #expect(try await status(0) == "issued")
            #expect(try await status(1) == "issued")
            #expect(try await get(client, "/v1/bundles/\(bundleId)?idNumber=\(idNumber)").1["status"] == "issued")
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).inbox WHERE status = 'dead_lettered'") == 0)
        }
    }
}

/// Whether a JSON time is `date` (to the millisecond the contracts carry).
func sameInstant(_ value: JSONValue?, _ date: Date) -> Bool {
    guard let text = value?.stringValue, let parsed = RFC3339Timestamp.date(from: text) else { return false }
    return abs(parsed.timeIntervalSince(date)) < 0.002
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case .array(let values) = self { values } else { nil }
    }
}

/// One public view of a case: the words and the timeline the applicant follows.
extension IntakeAPITests {
    @Test("tracking tells the whole story in the hall's public words: accepted, suspended with its reason, each department's opinion and countersignature, resumed, completed, ready, handed over — oldest first, each event once")
    func publicTimeline() async throws {
        try await withIntake { client, tokens, database in
            try await seed(client, tokens)
            let (_, accepted) = try await post(client, "/v1/applications", token: tokens.clerk, application(key: "t-1", materials: allMaterials))
            let receipt = try #require(accepted["receiptCode"]?.stringValue)
            let caseId = try #require(accepted["caseId"]?.stringValue).lowercased()
            let track = "/v1/cases/\(receipt)?idNumber=\(idNumber)"
            let due = try #require(accepted["dueDate"]?.stringValue)
            let start = Date()
            func clock(_ change: ClockChange, sequence: Int, after: String, at: Date) -> ClockChanged {
                ClockChanged(
                    receiptCode: receipt, sequence: sequence, change: change, category: change == .extended ? nil : "inspection", dueDateBefore: HallDate(due)!,
                    dueDateAfter: HallDate(after)!, workingDays: 0, reason: "现场核查", reference: change == .suspended ? "核查通知 1 号" : nil, approvedBy: nil,
                    departmentId: "d-market", actorId: "chief-1", changedAt: at)
            }
            let suspended = try await publishCoordinatorEvent(
                clock(.suspended, sequence: 2, after: due, at: start.addingTimeInterval(1)), caseId: caseId, key: caseId, namespace: database.schema)
            try await waitApplied(suspended, database)
            var tracked = try await get(client, track).1
            #expect(tracked["status"] == "suspended", "\(tracked)")

            let opinion = try await publishCoordinatorEvent(
                TaskOpinionRecorded(
                    taskId: UUID().uuidString.lowercased(), departmentId: "d-market", opinion: .approve, reasons: [], supplements: [], officerId: "officer-1",
                    channel: .http, recordedAt: start.addingTimeInterval(2)), caseId: caseId, key: caseId, namespace: database.schema)
            let countersigned = try await publishCoordinatorEvent(
                TaskCountersigned(
                    taskId: UUID().uuidString.lowercased(), departmentId: "d-market", opinion: .approve, staffId: "chief-1", capacity: .chiefRepresentative,
                    noticeReference: nil, countersignedAt: start.addingTimeInterval(3)), caseId: caseId, key: caseId, namespace: database.schema)
            let resumed = try await publishCoordinatorEvent(
                clock(.resumed, sequence: 3, after: due, at: start.addingTimeInterval(4)), caseId: caseId, key: caseId, namespace: database.schema)
            for id in [opinion, countersigned, resumed] { try await waitApplied(id, database) }
            try await publishCoordinatorEvent(
                TaskCountersigned(
                    taskId: UUID().uuidString.lowercased(), departmentId: "d-market", opinion: .approve, staffId: "chief-1", capacity: .chiefRepresentative,
                    noticeReference: nil, countersignedAt: start.addingTimeInterval(3)), caseId: caseId, key: caseId, namespace: database.schema, id: countersigned)
            tracked = try await get(client, track).1
            #expect(tracked["status"] == "accepted" && tracked["departments"]?[0]?["status"] == "opinion-given", "\(tracked)")

            try await waitApplied(
                try await publishCoordinatorEvent(
                    completed(receipt, at: start.addingTimeInterval(5)), caseId: caseId, key: caseId, namespace: database.schema), database)
            #expect(try await post(client, "/v1/applications/\(receipt)/handover", token: tokens.clerk, "{}").0 == .ok)
            tracked = try await get(client, track).1
            let events = tracked["timeline"]?.arrayValue?.compactMap { $0["event"]?.stringValue } ?? []
            #expect(events == ["accepted", "suspended", "opinion-given", "countersigned", "resumed", "completed", "ready", "handed-over"], "\(events)")
            let suspension = tracked["timeline"]?.arrayValue?.first { $0["event"] == "suspended" }
            #expect(suspension?["departmentId"] == "d-market" && suspension?["detail"]?.stringValue?.contains("现场核查 (inspection)") == true)
            #expect(tracked["timeline"]?.arrayValue?.first { $0["event"] == "opinion-given" }?["detail"] == "approve")
            let text = "\(tracked)"
            #expect(!text.contains("officer-1") && !text.contains("chief-1"), "no staff names in the applicant's view")
            try await expectGroupedAsAlone(database, receipt: receipt, idNumber: idNumber)
        }
    }
}
