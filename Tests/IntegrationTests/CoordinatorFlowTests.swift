import Foundation
import HallCalendar
import HallContracts
import HallKafka
import HallKit
import HallLocalStack
import HallServiceHarness
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import coordinator

@Suite("Coordinator: routing, parallel approval, the clock, seal results", .enabled(if: stackAvailable))
struct CoordinatorFlowTests {
    @Test("joint case: tasks per department, only one's own tasks, countersigning by chief or filed substitute, the clock's ledger, decisions sealed, completed on time")
    func jointCaseOverHTTP() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let caseId = try await hall.accept("R-JOINT-1")
            let assigned = try await hall.payloads(TaskAssigned.self, caseId: caseId)
            #expect(Set(assigned.map(\.departmentId)) == ["d-build", "d-fire", "d-env"])
            let lead = try #require(assigned.first { $0.role == .lead })
            let fire = try #require(assigned.first { $0.departmentId == "d-fire" })
            #expect(lead.subDeadline == lead.caseDueDate && fire.subDeadline < fire.caseDueDate, "participants finish a working day earlier")
            #expect(fire.materials.first?.name == "施工图设计文件" && fire.applicantName == "某建设有限公司")

            let fireOfficer = try await hall.token("o-fire", [.departmentOfficer], department: "d-fire")
            let envOfficer = try await hall.token("o-env", [.departmentOfficer], department: "d-env")
            let fireSubstitute = try await hall.token("s-fire-sub", [.chiefRepresentative], department: "d-fire")
            let fireImpostor = try await hall.token("o-fire-2", [.chiefRepresentative], department: "d-fire")
            let envChief = try await hall.token("s-env-chief", [.chiefRepresentative], department: "d-env")
            let buildOfficer = try await hall.token("o-build", [.departmentOfficer], department: "d-build")
            let buildChief = try await hall.token("s-build-chief", [.chiefRepresentative], department: "d-build")
            let admin = try await hall.token("admin", [.centreAdmin])

            try await hall.app().test(.router) { client in
                // A department sees and acts on its own tasks only; the refusal is recorded and published.
                let (_, fireTasks) = try await call(client, .get, "/v1/tasks?state=open", token: fireOfficer)
                #expect(fireTasks.arrayValue?.count == 1 && fireTasks[0]?["taskId"]?.stringValue == fire.taskId)
                let (status, problem) = try await call(client, .post, "/v1/tasks/\(fire.taskId)/opinion", token: envOfficer, #"{"opinion":"approve"}"#)
                #expect(status == .forbidden)
                #expect(problem["type"] == .string(ProblemDetails.typeBase + "coordinator/department-mismatch") && problem["field"] == "departmentId")
                #expect(try await call(client, .get, "/v1/tasks/\(fire.taskId)", token: envOfficer).0 == .forbidden)
                // A department claim on a token of a role that does not act for departments opens nothing.
                for role in [Role.clerk, .complaintsHandler, .disciplineInspector] {
                    let outsider = try await hall.token("s-outsider", [role], department: "d-fire")
                    let (listed, refusal) = try await call(client, .get, "/v1/tasks?state=open", token: outsider)
                    #expect(listed == .forbidden && refusal["field"] == "roles", "\(role)")
                    #expect(try await call(client, .get, "/v1/tasks/\(fire.taskId)", token: outsider).0 == .forbidden, "\(role)")
                }
                let rejected = try await hall.payloads(CommandRejected.self)
                #expect(rejected.count == 1 && rejected[0].reason == .departmentMismatch && rejected[0].departmentId == "d-env")
                // The refusal event names the request id the caller was answered with, and the task's case.
                #expect(rejected.first?.commandId == problem["requestId"]?.stringValue, "\(problem)")
                #expect(try await hall.outbox(CommandRejected.eventType).first?.caseId == caseId)
                let listedRejections = try await call(client, .get, "/v1/rejections", token: envOfficer).1
                #expect(listedRejections.arrayValue?.count == 1 && listedRejections[0]?["caseId"] == .string(caseId))

                // Opinion, then a duplicate, then countersigning.
                #expect(try await call(client, .post, "/v1/tasks/\(fire.taskId)/claim", token: fireOfficer).0 == .ok)
                #expect(try await call(client, .post, "/v1/tasks/\(fire.taskId)/opinion", token: fireOfficer, #"{"opinion":"deny"}"#).1["field"] == "reasons")
                #expect(try await call(client, .post, "/v1/tasks/\(fire.taskId)/opinion", token: fireOfficer, #"{"opinion":"approve"}"#).0 == .created)
                let duplicate = try await call(client, .post, "/v1/tasks/\(fire.taskId)/opinion", token: fireOfficer, #"{"opinion":"deny","reasons":["x"]}"#)
                #expect(duplicate.0 == .conflict && duplicate.1["type"] == .string(ProblemDetails.typeBase + "coordinator/duplicate-opinion"))
                #expect(try await call(client, .post, "/v1/tasks/\(fire.taskId)/countersign", token: fireOfficer).0 == .forbidden)
                #expect(try await call(client, .post, "/v1/tasks/\(fire.taskId)/countersign", token: fireImpostor).1["type"]
                    == .string(ProblemDetails.typeBase + "coordinator/not-countersigner"))
                let (signed, task) = try await call(client, .post, "/v1/tasks/\(fire.taskId)/countersign", token: fireSubstitute)
                #expect(signed == .ok && task["state"] == "countersigned" && task["countersignCapacity"] == "substitute")
                let countersigned = try await hall.payloads(TaskCountersigned.self, caseId: caseId)
                #expect(countersigned.first?.noticeReference == "消防〔2026〕12号")

                // The environment's chief representative gives and countersigns at once.
                let envTask = try await hall.taskId(caseId, "d-env")
                #expect(try await call(client, .post, "/v1/tasks/\(envTask)/opinion", token: envChief, #"{"opinion":"approve"}"#).1["state"] == "countersigned")

                // The clock: only the item's not-counted categories, one suspension at a time, resume, one lawful extension.
                let suspend = "/v1/cases/\(caseId)/suspensions"
                let testing = try await call(client, .post, suspend, token: buildOfficer, #"{"category":"testing","reason":"检测","noticeReference":"通知1"}"#)
                #expect(testing.0 == .unprocessableContent && testing.1["field"] == "category")
                #expect(try await call(client, .post, suspend, token: buildOfficer, #"{"category":"expert-review","reason":"专家评审","noticeReference":"建告〔2026〕3号"}"#).0 == .created)
                #expect(try await call(client, .post, suspend, token: buildOfficer, #"{"category":"expert-review","reason":"again","noticeReference":"n"}"#).0 == .conflict)
                #expect(try await call(client, .post, "/v1/cases/\(caseId)/resume", token: buildOfficer, #"{"reason":"评审结束"}"#).0 == .ok)
                let notSuspended = try await call(client, .post, "/v1/cases/\(caseId)/resume", token: buildOfficer, #"{"reason":"again"}"#)
                #expect(notSuspended.0 == .conflict && notSuspended.1["type"] == .string(ProblemDetails.typeBase + "coordinator/clock-state"))
                let extend = "/v1/cases/\(caseId)/extensions"
                #expect(try await call(client, .post, extend, token: fireOfficer, #"{"workingDays":5,"reason":"r","approvedBy":"d-fire-head"}"#).1["type"]
                    == .string(ProblemDetails.typeBase + "coordinator/not-permitted"))
                #expect(try await call(client, .post, extend, token: buildOfficer, #"{"workingDays":16,"reason":"r","approvedBy":"d-build-head"}"#).1["type"]
                    == .string(ProblemDetails.typeBase + "coordinator/extension-beyond-law"))
                // ALL Art 42 ¶2: a joint case's extension is approved by the people's government's leader in charge, recorded
                // as the hall centre's head; a name typed in, the lead department's own head or its chief representative are refused.
                for approver in ["王局长", "d-build-head", "s-build-chief"] {
                    let (status, problem) = try await call(
                        client, .post, extend, token: buildOfficer, #"{"workingDays":5,"reason":"现场核查","approvedBy":"\#(approver)"}"#)
                    #expect(status == .unprocessableContent && problem["field"] == "approvedBy", "\(approver): \(problem)")
                    #expect(problem["detail"]?.stringValue?.contains("p-county-leader") == true, "\(problem)")
                }
                let (extended, view) = try await call(client, .post, extend, token: buildOfficer, #"{"workingDays":5,"reason":"现场核查","approvedBy":"p-county-leader"}"#)
                #expect(extended == .created)
                let expectedDue = hall.calendar.addingWorkingDays(5, after: LocalDate(lead.caseDueDate)).value.description
                #expect(view["dueDate"] == .string(expectedDue))
                #expect(try await call(client, .post, extend, token: buildOfficer, #"{"workingDays":1,"reason":"r","approvedBy":"p-county-leader"}"#).0 == .unprocessableContent)
                let ledger = view["ledger"]?.arrayValue ?? []
                #expect(ledger.map { $0["change"]?.stringValue ?? "" } == ["initial", "suspended", "resumed", "extended"])
                #expect(ledger.map { $0["sequence"] } == [1, 2, 3, 4])
                let changes = try await hall.payloads(ClockChanged.self, caseId: caseId)
                #expect(changes.map(\.change) == [.suspended, .resumed, .extended] && changes.last?.approvedBy == "p-county-leader")

                // The applicant sees why the due date moved, without staff names.
                let notice = try #require(assigned.first?.noticeNumber)
                let (_, publicView) = try await call(client, .get, "/v1/public/cases/R-JOINT-1?noticeNumber=\(notice)")
                #expect(publicView["dueDate"] == .string(expectedDue) && publicView["dueDateHistory"]?.arrayValue?.count == 4)
                let publicText = String(decoding: try EventEnvelope.encoder().encode(publicView), as: UTF8.self)
                #expect(!(publicText.contains("o-build") || publicText.contains("s-fire-sub") || publicText.contains("s-build-chief")))
                #expect(try await call(client, .get, "/v1/public/cases/R-JOINT-1?noticeNumber=2026-999999").0 == .notFound)

                // Unknown tasks are refused as such.
                let unknown = try await call(client, .post, "/v1/tasks/\(UUID().uuidString)/opinion", token: fireOfficer, #"{"opinion":"approve"}"#)
                #expect(unknown.0 == .notFound && unknown.1["type"] == .string(ProblemDetails.typeBase + "coordinator/unknown-task"))

                // Joint review (会审, Art 28(5)): the hall centre convenes and minutes it; the lead's chief representative assists.
                let meeting = #"{"meetingAt":"2026-12-01T02:00:00.000Z","place":"三楼会商室","departmentIds":["d-fire","d-env"]}"#
                let (chiefConvenes, refusal) = try await call(client, .post, "/v1/cases/\(caseId)/reviews", token: buildChief, meeting)
                #expect(chiefConvenes == .forbidden && refusal["field"] == "roles", "the lead assists, the centre convenes: \(refusal)")
                let strangerMeeting = #"{"meetingAt":"2026-12-01T02:00:00.000Z","place":"三楼会商室","departmentIds":["d-tax"]}"#
                #expect(try await call(client, .post, "/v1/cases/\(caseId)/reviews", token: admin, strangerMeeting).1["field"] == "departmentIds")
                let (convened, review) = try await call(client, .post, "/v1/cases/\(caseId)/reviews", token: admin, meeting)
                #expect(convened == .created)
                let reviewId = try #require(review["reviewId"]?.stringValue)
                let stranger = #"{"summary":"s","positions":[{"departmentId":"d-tax","position":"approve","note":"n"}]}"#
                #expect(try await call(client, .post, "/v1/reviews/\(reviewId)/minutes", token: admin, stranger).1["field"] == "positions[0].departmentId")
                let minutes = #"{"summary":"同意并联审批","positions":[{"departmentId":"d-fire","position":"approve","note":"消防无异议"},{"departmentId":"d-env","position":"approve","note":"环保无异议"}]}"#
                #expect(try await call(client, .post, "/v1/reviews/\(reviewId)/minutes", token: buildChief, minutes).0 == .forbidden)
                #expect(try await call(client, .post, "/v1/reviews/\(reviewId)/minutes", token: admin, minutes).0 == .noContent)
                #expect(try await call(client, .post, "/v1/reviews/\(reviewId)/minutes", token: admin, minutes).0 == .conflict)
                let reviews = try await call(client, .get, "/v1/cases/\(caseId)", token: admin).1["reviews"]?.arrayValue ?? []
                #expect(reviews.count == 1 && reviews[0]["positions"]?.arrayValue?.count == 2 && reviews[0]["centreAttends"] == true)
                #expect(reviews[0]["assistedBy"] == "s-build-chief" && reviews[0]["convenedBy"] != "s-build-chief", "\(reviews)")
                #expect(try await hall.payloads(ReviewMinuted.self, caseId: caseId).first?.positions.map(\.departmentId) == ["d-fire", "d-env"])
                // Each department's conclusion stands on its own task.
                let fireTask = try await call(client, .get, "/v1/tasks/\(fire.taskId)", token: fireOfficer).1
                #expect(fireTask["reviewConclusions"]?[0]?["note"] == "消防无异议" && fireTask["reviewConclusions"]?[0]?["summary"] == "同意并联审批")
                #expect(try await call(client, .get, "/v1/tasks/\(lead.taskId)", token: buildChief).1["reviewConclusions"] == nil, "the lead was not called")

                // The lead approves: decided, three approval decisions go to the seal, each by its countersigner.
                #expect(try await call(client, .post, "/v1/tasks/\(lead.taskId)/opinion", token: buildChief, #"{"opinion":"approve"}"#).0 == .created)
                let decided = try #require(try await hall.payloads(CaseDecided.self, caseId: caseId).first)
                #expect(decided.outcome == .approved && decided.documents.count == 3)
                // Each department's decision carries its number (文号): its document code, or its id when the directory records none.
                let year = LocalDate.inHall(Date()).year
                #expect(Set(decided.documents.compactMap(\.decisionNumber)) == ["县住建许〔\(year)〕1号", "d-fire〔\(year)〕1号", "d-env〔\(year)〕1号"])
                let requests = try await hall.payloads(SealDocumentRequested.self, caseId: caseId)
                #expect(Set(requests.map(\.departmentId)) == ["d-build", "d-fire", "d-env"])
                #expect(requests.first { $0.departmentId == "d-fire" }?.requestedBy == "s-fire-sub" && requests.allSatisfy { $0.windowId == "w-01" })
                #expect(try await hall.outbox(SealDocumentRequested.eventType, caseId: caseId).count == 3)
                let late = try await call(client, .post, "/v1/cases/\(caseId)/suspensions", token: buildOfficer, #"{"category":"expert-review","reason":"x","noticeReference":"n"}"#)
                #expect(late.1["type"] == .string(ProblemDetails.typeBase + "coordinator/case-decided"))

                // Forged imprints of the right documents change nothing: one signed by a key the seal service never
                // registered (held, never applied), one naming a genuine seal of another department, one whose signature
                // is not its seal's (both refused, dead-lettered with the reason).
                let (seals, fireSeal, unregistered) = (
                    Dictionary(uniqueKeysWithValues: Set(requests.map(\.departmentId)).map { ($0, TestSeal(departmentId: $0)) }),
                    TestSeal(departmentId: "d-elsewhere"), TestSeal(departmentId: "d-build"))
                for seal in Array(seals.values) + [fireSeal] {
                    try await hall.send(seal.registered, producer: "seal", key: seal.sealId.uuidString.lowercased())
                }
                var forged: [EventEnvelope] = []
                for request in requests {
                    let held = try unregistered.sealed(request.documentKind, documentHash: request.documentHash, caseId: caseId, requestedBy: request.requestedBy)
                    var otherDepartment = try fireSeal.sealed(request.documentKind, documentHash: request.documentHash, caseId: caseId, requestedBy: "x")
                    otherDepartment.departmentId = request.departmentId
                    var badSignature = try #require(seals[request.departmentId]).sealed(
                        request.documentKind, documentHash: request.documentHash, caseId: caseId, requestedBy: request.requestedBy)
                    badSignature.signature = held.signature
                    for event in [held, otherDepartment, badSignature] {
                        forged.append(try await hall.send(event, producer: "seal", key: caseId, caseId: caseId))
                    }
                }
                try await eventually("the forged imprints are dealt with") {
                    try await hall.database.count(
                        "SELECT count(*)::bigint FROM \(hall.database.schema).inbox WHERE event_id IN (\(forged.map { "'\($0.id)'" }.joined(separator: ",")))")
                        == forged.count
                }
                #expect(try await hall.payloads(CaseCompleted.self, caseId: caseId).isEmpty, "no forged imprint completes the case")
                #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).held_imprints") == requests.count)

                // The seal service answers (twice for one document): completed once, at the last seal time, on time.
                let sealedAt = Date()
                for (index, request) in requests.enumerated() {
                    let sealed = try #require(seals[request.departmentId]).sealed(
                        request.documentKind, documentHash: request.documentHash, caseId: caseId, requestedBy: request.requestedBy,
                        windowId: request.windowId, serial: index + 1, at: sealedAt.addingTimeInterval(Double(index)))
                    try await hall.send(sealed, producer: "seal", key: caseId, caseId: caseId)
                    if index == 0 { try await hall.send(sealed, producer: "seal", key: caseId, caseId: caseId) }
                }
                try await eventually("the case is completed") { try await !hall.payloads(CaseCompleted.self, caseId: caseId).isEmpty }
                try await Task.sleep(for: .milliseconds(500))
                let completed = try await hall.payloads(CaseCompleted.self, caseId: caseId)
                #expect(completed.count == 1)
                #expect(completed.first?.onTime == true && completed.first?.extensionWorkingDays == 5 && completed.first?.imprintIds.count == 3)
                #expect(abs((completed.first?.completedAt.timeIntervalSince1970 ?? 0) - sealedAt.addingTimeInterval(2).timeIntervalSince1970) < 0.01)
                let (_, final) = try await call(client, .get, "/v1/cases/\(caseId)", token: admin)
                #expect(final["state"] == "completed" && final["onTime"] == true)
                #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).timers WHERE case_id = '\(caseId)'") == 0)
            }
        }
    }

    @Test("needs-supplement stops the clock until intake records the supplement; the task reopens; a denial lists every reason in the lead's decision")
    func supplementThenDenial() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let caseId = try await hall.accept("R-SUPP-1", participants: ["d-fire"])
            let fireTask = try await hall.taskId(caseId, "d-fire")
            let leadTask = try await hall.taskId(caseId, "d-build")
            let fireChief = try await hall.token("s-fire-chief", [.chiefRepresentative], department: "d-fire")
            let buildChief = try await hall.token("s-build-chief", [.chiefRepresentative], department: "d-build")
            try await hall.app().test(.router) { client in
                let body = #"{"opinion":"needs-supplement","supplements":[{"material":"消防设计说明","needed":"加盖设计单位公章的原件"}]}"#
                #expect(try await call(client, .post, "/v1/tasks/\(fireTask)/opinion", token: fireChief, body).0 == .created)
                let requested = try await hall.payloads(SupplementRequested.self, caseId: caseId)
                #expect(requested.count == 1 && requested[0].supplements.first?.needed == "加盖设计单位公章的原件")
                let (_, view) = try await call(client, .get, "/v1/cases/\(caseId)", token: buildChief)
                #expect(view["clockSuspended"] == true && view["awaitingSupplement"] == true && view["suspensionCategory"] == "supplement")
                // Only intake's record of the supplement restarts this clock.
                #expect(try await call(client, .post, "/v1/cases/\(caseId)/resume", token: buildChief, #"{"reason":"r"}"#).0 == .conflict)

                let supplemented = ApplicationSupplemented(receiptCode: "R-SUPP-1", materials: ["消防设计说明"], supplementedAt: Date(), clerkId: "clerk-1", windowId: "w-01")
                let event = try await hall.send(supplemented, key: caseId, caseId: caseId)
                _ = try await hall.producer.sendSigned(KafkaProducerMessage(topic: hall.topic, key: caseId, value: try event.encoded()))  // redelivered
                try await eventually("the task reopens") {
                    try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).tasks WHERE task_id = '\(fireTask)' AND state = 'open' AND round = 2") == 1
                }
                try await Task.sleep(for: .milliseconds(500))
                let changes = try await hall.payloads(ClockChanged.self, caseId: caseId)
                #expect(changes.map(\.change) == [.suspended, .resumed] && changes.allSatisfy { $0.category == "supplement" })
                let announcements = try await hall.payloads(TaskAssigned.self, caseId: caseId).filter { $0.taskId == fireTask }
                #expect(announcements.map(\.round) == [1, 2], "re-assigned once, as round 2: a system de-duplicating on (taskId, round) sees it")

                // Now fire denies, the lead approves: one denial decision of the lead with fire's reasons.
                #expect(try await call(client, .post, "/v1/tasks/\(fireTask)/opinion", token: fireChief, #"{"opinion":"deny","reasons":["疏散通道宽度不足","未设置消防车道"]}"#).0 == .created)
                #expect(try await call(client, .post, "/v1/tasks/\(leadTask)/opinion", token: buildChief, #"{"opinion":"approve"}"#).0 == .created)
                let decided = try #require(try await hall.payloads(CaseDecided.self, caseId: caseId).first)
                #expect(decided.outcome == .denied && decided.reasons.map(\.reason) == ["疏散通道宽度不足", "未设置消防车道"])
                #expect(decided.documents.count == 1 && decided.documents[0].departmentId == "d-build" && decided.documents[0].documentKind == .denialDecision)
                let (_, final) = try await call(client, .get, "/v1/cases/\(caseId)", token: buildChief)
                let text = final["decisions"]?[0]?["documentText"]?.stringValue ?? ""
                #expect(text.contains("疏散通道宽度不足") && text.contains("未设置消防车道"))
                // The denial is the lead's decision, numbered in its series, and the number is in the sealed text.
                let number = "县住建许〔\(LocalDate.inHall(Date()).year)〕1号"
                #expect(final["decisions"]?[0]?["decisionNumber"] == .string(number) && decided.documents[0].decisionNumber == number)
                #expect(text.contains("number: \(number)"))
                // A second decision on a decided case is refused.
                #expect(try await call(client, .post, "/v1/tasks/\(leadTask)/opinion", token: buildChief, #"{"opinion":"deny","reasons":["x"]}"#).1["type"]
                    == .string(ProblemDetails.typeBase + "coordinator/case-decided"))
            }
        }
    }

    @Test("department systems over Kafka: another department's opinion is refused with an event naming the command; a valid one is countersigned; a malformed one is dead-lettered")
    func kafkaCommands() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let caseId = try await hall.accept("R-KAFKA-1", participants: ["d-fire"])
            let fireTask = try await hall.taskId(caseId, "d-fire")
            try await hall.kafka.createTopics([hall.topic + ".dlq"], partitions: 1)
            let wrong = try await hall.send(
                OpinionSubmitted(taskId: fireTask, departmentId: "d-env", opinion: .approve, reasons: [], supplements: [], officerId: "sys-env", countersignedBy: nil),
                producer: "d-env-system", key: caseId, caseId: caseId)
            let good = try await hall.send(
                OpinionSubmitted(taskId: fireTask, departmentId: "d-fire", opinion: .approve, reasons: [], supplements: [], officerId: "sys-fire", countersignedBy: "s-fire-chief"),
                producer: "d-fire-system", key: caseId, caseId: caseId)
            let again = try await hall.send(
                OpinionSubmitted(taskId: fireTask, departmentId: "d-fire", opinion: .deny, reasons: ["x"], supplements: [], officerId: "sys-fire", countersignedBy: nil),
                producer: "d-fire-system", key: caseId, caseId: caseId)
            let extensionCommand = try await hall.send(
                ExtensionRequested(caseId: caseId, departmentId: "d-build", workingDays: 16, reason: "r", approvedBy: "d-build-head", requestedBy: "sys-build"),
                producer: "d-build-system", key: caseId, caseId: caseId)
            var malformed = try EventEnvelope(
                payload: CountersignSubmitted(taskId: fireTask, departmentId: "d-fire", staffId: "s-fire-chief"), producer: "d-fire-system", caseId: caseId)
            malformed.data = .object(["taskId": .string(fireTask), "departmentId": "d-fire"])
            _ = try await hall.producer.sendSigned(KafkaProducerMessage(topic: hall.topic, key: caseId, value: try malformed.encoded()))
            try await eventually("three refusals") { try await hall.payloads(CommandRejected.self).count == 3 }
            let rejections = try await hall.outbox(CommandRejected.eventType)
            let byCause = Dictionary(uniqueKeysWithValues: try rejections.map { ($0.causationId, try $0.payload(as: CommandRejected.self)) })
            #expect(byCause[wrong.id]?.reason == .departmentMismatch)
            #expect(byCause[again.id]?.reason == .duplicateOpinion)
            #expect(byCause[extensionCommand.id]?.reason == .extensionBeyondLaw)
            let signed = try await hall.payloads(TaskCountersigned.self, caseId: caseId)
            #expect(signed.count == 1 && signed[0].staffId == "s-fire-chief")
            #expect(try await hall.outbox(TaskOpinionRecorded.eventType, caseId: caseId).first?.causationId == good.id)
            #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).rejections") == 3)
            let dead = try await hall.kafka.readAll(hall.topic + ".dlq", atLeast: 1)
            #expect(dead.count == 1 && dead[0].headers.contains { $0.key == DeadLetterHeader.reason })
        }
    }

    @Test("a department system's commands read together: each valid opinion is carried out once and the refused one answered once, wherever it falls among them")
    func commandsTogether() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            var tasks: [(caseId: String, taskId: String)] = []
            for index in 1...6 {
                let caseId = try await hall.accept("R-TOGETHER-\(index)", participants: ["d-fire"])
                tasks.append((caseId, try await hall.taskId(caseId, "d-fire")))
            }
            let schema = hall.database.schema
            func timers(_ caseId: String, _ condition: String) async throws -> Int {
                try await hall.database.count("SELECT count(*)::bigint FROM \(schema).timers WHERE case_id = '\(caseId)' AND \(condition)")
            }
            let caseTimers = try await timers(tasks[0].caseId, "subject = 'case'")
            let taskTimers = try await timers(tasks[0].caseId, "subject = '\(tasks[0].taskId)'")
            #expect(caseTimers == 2 && taskTimers == 3, "warning and overdue; the task's also silent")
            // On one partition, one after the other: the fourth names a task of another department's.
            var sent: [EventEnvelope] = []
            for (index, task) in tasks.enumerated() {
                let department = index == 3 ? "d-env" : "d-fire"
                sent.append(
                    try await hall.send(
                        OpinionSubmitted(
                            taskId: task.taskId, departmentId: department, opinion: .approve, reasons: [], supplements: [], officerId: "sys-fire",
                            countersignedBy: department == "d-fire" ? "s-fire-chief" : nil),
                        producer: department + "-system", key: "one-partition"))
            }
            try await eventually("every command answered") {
                try await hall.database.count(
                    "SELECT count(*)::bigint FROM \(hall.database.schema).inbox WHERE event_id IN (\(sent.map { "'\($0.id)'" }.joined(separator: ",")))")
                    == sent.count
            }
            let rejections = try await hall.outbox(CommandRejected.eventType)
            #expect(rejections.map(\.causationId) == [sent[3].id])
            #expect(try rejections.first?.payload(as: CommandRejected.self).reason == .departmentMismatch)
            for (index, task) in tasks.enumerated() where index != 3 {
                let recorded = try await hall.outbox(TaskOpinionRecorded.eventType, caseId: task.caseId)
                #expect(recorded.map(\.causationId) == [sent[index].id], "case \(index + 1): its opinion recorded once, following its command")
                #expect(try await hall.payloads(TaskCountersigned.self, caseId: task.caseId).count == 1)
            }
            #expect(try await hall.outbox(TaskOpinionRecorded.eventType, caseId: tasks[3].caseId).isEmpty)
            #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(schema).tasks WHERE task_id = '\(tasks[3].taskId)' AND state = 'open'") == 1)
            #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(schema).inbox WHERE status <> 'applied'") == 0, "nothing dead-lettered")
            // A countersigned task's deadlines are watched no more; the case's and an open task's still are.
            for (index, task) in tasks.enumerated() {
                #expect(try await timers(task.caseId, "subject = 'case'") == caseTimers)
                #expect(try await timers(task.caseId, "subject = '\(task.taskId)'") == (index == 3 ? 3 : 0))
            }
            // The lead's opinion decides the first case: only the case's own deadline is watched until it completes.
            let chief = try await hall.token("s-build-chief", [.chiefRepresentative], department: "d-build")
            let decided = tasks[0].caseId
            let lead = try await hall.taskId(decided, "d-build")
            try await hall.app().test(.router) { client in
                let answer = try await call(client, .post, "/v1/tasks/\(lead)/opinion", token: chief, #"{"opinion":"approve"}"#)
                #expect(answer.0 == .created)
            }
            let (kept, others) = (try await timers(decided, "subject = 'case'"), try await timers(decided, "subject <> 'case'"))
            #expect(kept == caseTimers && others == 0)
        }
    }

    @Test("countersigned opinions read together on several cases, a joint case's two among them: each case decided once, after its last opinion, by its own rules; a batch with a refused countersigner falls back to one at a time")
    func opinionsTogether() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let approved = try await hall.accept("R-OT-1", participants: [])
            let joint = try await hall.accept("R-OT-2", participants: ["d-fire"])
            let denied = try await hall.accept("R-OT-3", participants: [])
            let schema = hall.database.schema
            func opinion(_ caseId: String, _ department: String, _ verdict: TaskOpinion, by signer: String) async throws -> (payload: OpinionSubmitted, producer: String) {
                let payload = OpinionSubmitted(
                    taskId: try await hall.taskId(caseId, department), departmentId: department, opinion: verdict,
                    reasons: verdict == .deny ? ["用地性质不符"] : [], supplements: [], officerId: "sys-\(department)", countersignedBy: signer)
                return (payload, department + "-system")
            }
            let sent = try await hall.sendTogether(
                [
                    try await opinion(joint, "d-fire", .approve, by: "s-fire-sub"),
                    try await opinion(approved, "d-build", .approve, by: "s-build-chief"),
                    try await opinion(denied, "d-build", .deny, by: "s-build-chief"),
                    try await opinion(joint, "d-build", .approve, by: "s-build-chief"),
                ], key: "one-partition")
            try await eventually("every case decided") { try await hall.payloads(CaseDecided.self).count == 3 }
            #expect(try await hall.payloads(CommandRejected.self).isEmpty)
            // Each case decided once, by its last opinion; each opinion recorded once, following its command.
            for (caseId, cause, outcome, documents) in [(approved, sent[1], CaseOutcome.approved, 1), (denied, sent[2], .denied, 1), (joint, sent[3], .approved, 2)] {
                let decided = try await hall.outbox(CaseDecided.eventType, caseId: caseId)
                #expect(decided.map(\.causationId) == [cause.id], "case \(caseId): decided once, by its last opinion")
                #expect(try decided.first?.payload(as: CaseDecided.self).outcome == outcome)
                #expect(try await hall.payloads(SealDocumentRequested.self, caseId: caseId).count == documents, "one decision per department to seal")
                #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(schema).timers WHERE case_id = '\(caseId)' AND subject <> 'case'") == 0)
            }
            for envelope in sent {
                let command = try envelope.payload(as: OpinionSubmitted.self)
                let recorded = try await hall.outbox(TaskOpinionRecorded.eventType).filter { try $0.payload(as: TaskOpinionRecorded.self).taskId == command.taskId }
                #expect(recorded.map(\.causationId) == [envelope.id])
            }
            let substitute = try await hall.payloads(TaskCountersigned.self, caseId: joint).first { $0.departmentId == "d-fire" }
            #expect(substitute?.capacity == .substitute && substitute?.noticeReference == "消防〔2026〕12号")
            #expect(try await hall.payloads(CaseDecided.self, caseId: denied).first?.reasons.map(\.reason) == ["用地性质不符"])
            // Read together, they were recorded together: at one moment.
            #expect(
                try await hall.database.count(
                    "SELECT count(DISTINCT opinion_at)::bigint FROM \(schema).tasks WHERE case_id IN ('\(approved)', '\(joint)', '\(denied)')") == 1)

            // One of a batch names a countersigner who is not the department's: the others are carried out, it is refused once.
            let next = try await hall.accept("R-OT-4", participants: [])
            let refused = try await hall.accept("R-OT-5", participants: [])
            let second = try await hall.sendTogether(
                [try await opinion(next, "d-build", .approve, by: "s-build-chief"), try await opinion(refused, "d-build", .approve, by: "s-env-chief")],
                key: "one-partition")
            try await eventually("the refusal answered") { try await !hall.payloads(CommandRejected.self).isEmpty }
            try await eventually("the other decided") { try await !hall.payloads(CaseDecided.self, caseId: next).isEmpty }
            let rejections = try await hall.outbox(CommandRejected.eventType)
            #expect(rejections.map(\.causationId) == [second[1].id])
            #expect(try rejections.first?.payload(as: CommandRejected.self).reason == .notCountersigner)
            #expect(try await hall.outbox(CaseDecided.eventType, caseId: next).map(\.causationId) == [second[0].id])
            #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(schema).tasks WHERE case_id = '\(refused)' AND state = 'open'") == 1)
        }
    }

    @Test("a department command is carried out only when its department's registered system signed it: another department's system, no signature, a key not registered, a withdrawn system are refused as unauthenticated")
    func signedCommands() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let caseId = try await hall.accept("R-SIGNED-1", participants: ["d-fire"])
            let fireTask = try await hall.taskId(caseId, "d-fire")
            let countersigned = OpinionSubmitted(
                taskId: fireTask, departmentId: "d-fire", opinion: .approve, reasons: [], supplements: [], officerId: "sys-fire",
                countersignedBy: "s-fire-chief")
            // Department env's own registered system, naming fire and fire's chief representative.
            let byAnother = try await hall.send(countersigned, producer: "d-env-system", key: caseId, caseId: caseId)
            // No signature at all.
            let unsignedEnvelope = try EventEnvelope(payload: countersigned, producer: "d-fire-system", caseId: caseId)
            _ = try await hall.producer.send(KafkaProducerMessage(topic: hall.topic, key: caseId, value: try unsignedEnvelope.encoded()))
            // Signed in fire's system's name with a key the centre never registered.
            let stranger = RecordSigner(identity: "d-fire-system", key: .init())
            let strangerEnvelope = try EventEnvelope(payload: countersigned, producer: "d-fire-system", caseId: caseId)
            _ = try await hall.producer.send(stranger.signed(KafkaProducerMessage(topic: hall.topic, key: caseId, value: try strangerEnvelope.encoded())))
            try await eventually("three refusals") { try await hall.payloads(CommandRejected.self).count == 3 }
            let refused = try await hall.payloads(CommandRejected.self)
            #expect(refused.allSatisfy { $0.reason == .unauthenticated && $0.departmentId == "d-fire" })
            #expect(Set(try await hall.outbox(CommandRejected.eventType).compactMap(\.causationId)) == [byAnother.id, unsignedEnvelope.id, strangerEnvelope.id])
            #expect(try await hall.payloads(TaskOpinionRecorded.self, caseId: caseId).isEmpty, "fire's task is untouched")
            #expect(try await hall.payloads(TaskCountersigned.self, caseId: caseId).isEmpty)

            // The centre withdraws fire's system: its own signature no longer counts.
            let fire = HallSigners.departmentSystem("d-fire-system")
            try await hall.send(
                DepartmentSystemChanged(systemId: fire.identity, departmentId: "d-fire", name: "d-fire 审批系统", publicKey: fire.publicKey, active: false),
                key: fire.identity)
            try await eventually("the withdrawal is projected") {
                try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).department_systems WHERE NOT active") == 1
            }
            let withdrawn = try await hall.send(countersigned, producer: "d-fire-system", key: caseId, caseId: caseId)
            try await eventually("a fourth refusal") { try await hall.payloads(CommandRejected.self).count == 4 }
            #expect(try await hall.outbox(CommandRejected.eventType).contains { $0.causationId == withdrawn.id })

            // Registered again: the same command, signed by fire's system, is carried out.
            try await hall.send(
                DepartmentSystemChanged(systemId: fire.identity, departmentId: "d-fire", name: "d-fire 审批系统", publicKey: fire.publicKey, active: true),
                key: fire.identity)
            try await eventually("the system is active again") {
                try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).department_systems WHERE NOT active") == 0
            }
            let good = try await hall.send(countersigned, producer: "d-fire-system", key: caseId, caseId: caseId)
            try await eventually("fire's task countersigned") { try await hall.payloads(TaskCountersigned.self, caseId: caseId).count == 1 }
            #expect(try await hall.outbox(TaskOpinionRecorded.eventType, caseId: caseId).first?.causationId == good.id)
            #expect(try await hall.payloads(CommandRejected.self).count == 4)
        }
    }

    @Test("durable timers: due warnings and escalations fire exactly once across two instances, future ones never early, not again after an extension; a task silent after its escalation goes to the centre")
    func timers() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            // Accepted six weeks ago with 10 working days: everything is overdue.
            let old = try await hall.accept("R-LATE-1", participants: ["d-fire"], acceptedAt: Date(timeIntervalSinceNow: -42 * 86_400), days: 10)
            let fresh = try await hall.accept("R-NEW-1", participants: ["d-fire"], days: 10)
            async let first = hall.store.fireDueTimers()
            async let second = hall.store.fireDueTimers()
            let fired = try await first + second
            #expect(fired == 5, "case warning + case overdue + the participant's warning + overdue + still silent")
            #expect(try await hall.store.fireDueTimers() == 0)
            let escalations = try await hall.payloads(DeadlineEscalated.self, caseId: old)
            #expect(Set(escalations.map(\.escalatedTo)) == [.centre, .leadDepartment])
            #expect(escalations.first { $0.escalatedTo == .leadDepartment }?.departmentId == "d-fire")
            // The participant's task: to the lead department first, then, still silent, to the centre.
            let taskEscalations = escalations.filter { $0.scope == .task }
            #expect(taskEscalations.map(\.escalatedTo) == [.leadDepartment, .centre] && Set(taskEscalations.map(\.taskId)).count == 1)
            #expect(try await hall.payloads(DeadlineWarningRaised.self, caseId: old).count == 2)
            #expect(try await hall.outbox(DeadlineWarningRaised.eventType, caseId: fresh).isEmpty)
            #expect(try await hall.outbox(DeadlineEscalated.eventType, caseId: fresh).isEmpty)
            #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).timers WHERE case_id = '\(fresh)' AND fire_at > now()") == 5)

            // Extending the late case plans its timers again, but what fired does not fire twice.
            let buildOfficer = try await hall.token("o-build", [.departmentOfficer], department: "d-build")
            try await hall.app().test(.router) { client in
                #expect(try await call(client, .post, "/v1/cases/\(old)/extensions", token: buildOfficer, #"{"workingDays":2,"reason":"r","approvedBy":"p-county-leader"}"#).0 == .created)
                let alerts = try await call(client, .get, "/v1/alerts", token: buildOfficer).1
                #expect(alerts.arrayValue?.count == 3, "the lead sees its own warning and escalation and the escalation about its participant, not the participant's own warning")
            }
            #expect(try await hall.store.fireDueTimers() == 0)
            #expect(try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).alerts") == 5)
        }
    }

    @Test("ALL Art 42: a joint case of 45 working days accepted 2026-09-01 is due 2026-11-09 across Mid-Autumn and National Day, extended by 15 to 2026-11-30 (counted by hand); a case one department handles by at most 10")
    func jointExtension() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            // 10:00 in the hall (Asia/Shanghai) on Tuesday 1 September 2026.
            let acceptedAt = try #require(RFC3339Timestamp.date(from: "2026-09-01T02:00:00.000Z"))
            let joint = try await hall.accept("R-J-45", acceptedAt: acceptedAt, days: 45)
            let single = try await hall.accept("R-S-20", participants: [], acceptedAt: acceptedAt, days: 20)
            // 45 working days after 1 Sep: 20 Sep (Sunday) is worked, 25 Sep and 1–7 Oct are not, 10 Oct (Saturday) is.
            #expect(try await hall.payloads(TaskAssigned.self, caseId: joint).first?.caseDueDate.description == "2026-11-09")
            let buildOfficer = try await hall.token("o-build", [.departmentOfficer], department: "d-build")
            try await hall.app().test(.router) { client in
                let jointExtend = "/v1/cases/\(joint)/extensions"
                let tooLong = try await call(client, .post, jointExtend, token: buildOfficer, #"{"workingDays":16,"reason":"r","approvedBy":"p-county-leader"}"#)
                #expect(tooLong.0 == .unprocessableContent && tooLong.1["field"] == "workingDays")
                // ¶2: the people's government's leader in charge approves, recorded as the hall centre's head; not the lead's own head.
                let lead = try await call(client, .post, jointExtend, token: buildOfficer, #"{"workingDays":15,"reason":"r","approvedBy":"d-build-head"}"#)
                #expect(lead.0 == .unprocessableContent && lead.1["field"] == "approvedBy" && lead.1["detail"]?.stringValue?.contains("p-county-leader") == true)
                let (extended, view) = try await call(
                    client, .post, jointExtend, token: buildOfficer, #"{"workingDays":15,"reason":"联合勘验未完成","approvedBy":"p-county-leader"}"#)
                #expect(extended == .created)
                // Then 10–13, 16–20, 23–27 and 30 November.
                #expect(view["dueDate"] == "2026-11-30")

                let singleExtend = "/v1/cases/\(single)/extensions"
                let (refused, problem) = try await call(client, .post, singleExtend, token: buildOfficer, #"{"workingDays":11,"reason":"r","approvedBy":"d-build-head"}"#)
                #expect(refused == .unprocessableContent && problem["field"] == "workingDays")
                #expect(problem["type"] == .string(ProblemDetails.typeBase + "coordinator/extension-beyond-law"))
                #expect(problem["detail"]?.stringValue?.contains("¶1") == true, "\(problem)")
                #expect(try await call(client, .post, singleExtend, token: buildOfficer, #"{"workingDays":10,"reason":"现场核查","approvedBy":"p-county-leader"}"#).0 == .unprocessableContent)
                #expect(try await call(client, .post, singleExtend, token: buildOfficer, #"{"workingDays":10,"reason":"现场核查","approvedBy":"d-build-head"}"#).0 == .created)
            }

            // A department whose head the directory does not record cannot extend: nobody can approve it.
            let headless = try await hall.accept("R-S-21", participants: [], acceptedAt: acceptedAt, days: 20)
            try await hall.send(
                DepartmentChanged(
                    departmentId: "d-build", name: "d-build", active: true, chiefRepresentative: DirectoryPerson(staffId: "s-build-chief", name: "首席"),
                    substitute: nil), key: "d-build")
            try await eventually("the head is gone") {
                try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).departments WHERE department_id = 'd-build' AND head_id IS NULL") == 1
            }
            try await hall.app().test(.router) { client in
                let (status, problem) = try await call(
                    client, .post, "/v1/cases/\(headless)/extensions", token: buildOfficer, #"{"workingDays":3,"reason":"r","approvedBy":"d-build-head"}"#)
                #expect(status == .unprocessableContent && problem["field"] == "approvedBy" && problem["detail"]?.stringValue?.contains("records no") == true)
            }
        }
    }

    @Test("one thing, one go: a bundle's decided case is sealed at once and completes on its own seal time; the bundle completes once with its last case")
    func bundle() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let first = try await hall.accept("R-B-1", participants: [], bundle: ("B-1", 2))
            let second = try await hall.accept("R-B-2", participants: [], bundle: ("B-1", 2))
            let chief = try await hall.token("s-build-chief", [.chiefRepresentative], department: "d-build")
            try await hall.app().test(.router) { client in
                let firstTask = try await hall.taskId(first, "d-build")
                #expect(try await call(client, .post, "/v1/tasks/\(firstTask)/opinion", token: chief, #"{"opinion":"approve"}"#).0 == .created)
                // Art 31: the decided case goes to the seal now, not when its sibling is decided.
                let firstRequests = try await hall.payloads(SealDocumentRequested.self)
                #expect(firstRequests.map(\.caseId) == [first])
                let seal = TestSeal(departmentId: "d-build")
                try await hall.send(seal.registered, producer: "seal", key: seal.sealId.uuidString.lowercased())
                func sealAll(_ requests: [SealDocumentRequested]) async throws {
                    for request in requests {
                        try await hall.send(
                            try seal.sealed(.approvalDecision, documentHash: request.documentHash, caseId: request.caseId, requestedBy: "s-build-chief"),
                            producer: "seal", key: request.caseId, caseId: request.caseId)
                    }
                }
                try await sealAll(firstRequests)
                try await eventually("the first case completes on its own seal time") { try await !hall.payloads(CaseCompleted.self, caseId: first).isEmpty }
                let firstCompleted = try await hall.payloads(CaseCompleted.self, caseId: first)
                #expect(firstCompleted.count == 1 && firstCompleted[0].onTime && firstCompleted[0].bundleId == "B-1")
                #expect(try await hall.payloads(BundleCompleted.self).isEmpty, "the bundle waits for its second case")
                let notice = try await hall.payloads(TaskAssigned.self, caseId: first)[0].noticeNumber
                #expect(try await call(client, .get, "/v1/public/bundles/B-1?receiptCode=R-B-1&noticeNumber=\(notice)").1["status"] == "accepted")
                let secondTask = try await hall.taskId(second, "d-build")
                #expect(try await call(client, .post, "/v1/tasks/\(secondTask)/opinion", token: chief, #"{"opinion":"approve"}"#).0 == .created)
                let requests = try await hall.payloads(SealDocumentRequested.self)
                #expect(requests.map(\.caseId) == [first, second], "the first case's decision is not asked for again")
                try await sealAll(requests.filter { $0.caseId == second })
                try await eventually("the bundle completes") { try await !hall.payloads(BundleCompleted.self).isEmpty }
                let completed = try await hall.payloads(BundleCompleted.self)
                #expect(completed.count == 1 && Set(completed[0].cases.map(\.receiptCode)) == ["R-B-1", "R-B-2"])
                // The department's decisions are numbered one after the other in the year, without gaps.
                let year = LocalDate.inHall(Date()).year
                let numbers = try await hall.payloads(CaseDecided.self).flatMap(\.documents).compactMap(\.decisionNumber)
                #expect(numbers.sorted() == ["县住建许〔\(year)〕1号", "县住建许〔\(year)〕2号"], "\(numbers)")
                let (_, bundle) = try await call(client, .get, "/v1/public/bundles/B-1?receiptCode=R-B-2&noticeNumber=\(try await hall.payloads(TaskAssigned.self, caseId: second)[0].noticeNumber)")
                #expect(bundle["status"] == "completed" && bundle["cases"]?.arrayValue?.count == 2)
            }
        }
    }

    @Test("decisions sealed and read together: each case completes once at its own seal time, a bundle once after both its cases; a forged imprint read with genuine ones is dead-lettered and the genuine ones still apply")
    func sealedTogether() async throws {
        try await CoordinatorHall.with { hall in
            try await hall.seedDirectory()
            let first = try await hall.accept("R-T-1", participants: [], bundle: ("B-T", 2))
            let second = try await hall.accept("R-T-2", participants: [], bundle: ("B-T", 2))
            let lone = try await hall.accept("R-T-3", participants: [])
            let late = try await hall.accept("R-T-4", participants: [])
            let chief = try await hall.token("s-build-chief", [.chiefRepresentative], department: "d-build")
            try await hall.app().test(.router) { client in
                for caseId in [first, second, lone, late] {
                    let task = try await hall.taskId(caseId, "d-build")
                    #expect(try await call(client, .post, "/v1/tasks/\(task)/opinion", token: chief, #"{"opinion":"approve"}"#).0 == .created)
                }
            }
            let requests = Dictionary(uniqueKeysWithValues: try await hall.payloads(SealDocumentRequested.self).map { ($0.caseId, $0) })
            let seal = TestSeal(departmentId: "d-build")
            try await hall.send(seal.registered, producer: "seal", key: seal.sealId.uuidString.lowercased())
            try await eventually("the seal is known") {
                try await hall.database.count("SELECT count(*)::bigint FROM \(hall.database.schema).seal_keys") == 1
            }
            // One partition, one after the other; the lone case's decision twice.
            let start = Date()
            var sent: [String: EventEnvelope] = [:]
            for (index, caseId) in [second, lone, first, lone].enumerated() {
                let request = try #require(requests[caseId])
                let sealed = try seal.sealed(
                    .approvalDecision, documentHash: request.documentHash, caseId: caseId, requestedBy: "s-build-chief", serial: index + 1,
                    at: start.addingTimeInterval(Double(index)))
                let envelope = try await hall.send(sealed, producer: "seal", key: "one-partition", caseId: caseId)
                if sent[caseId] == nil { sent[caseId] = envelope }
            }
            try await eventually("the bundle completes") { try await !hall.payloads(BundleCompleted.self).isEmpty }
            for (index, caseId) in [second, lone, first].enumerated() {
                let completed = try await hall.outbox(CaseCompleted.eventType, caseId: caseId)
                #expect(completed.count == 1 && completed.first?.causationId == sent[caseId]?.id, "case \(caseId): completed once, by its own imprint")
                let payload = try #require(try completed.first?.payload(as: CaseCompleted.self))
                #expect(abs(payload.completedAt.timeIntervalSince(start.addingTimeInterval(Double(index)))) < 0.01 && payload.onTime)
            }
            let bundles = try await hall.outbox(BundleCompleted.eventType)
            #expect(bundles.count == 1 && bundles.first?.causationId == sent[first]?.id)
            #expect(Set(try bundles.first?.payload(as: BundleCompleted.self).cases.map(\.receiptCode) ?? []) == ["R-T-1", "R-T-2"])

            // A forged imprint (another seal's signature) read with a genuine one.
            let lateRequest = try #require(requests[late])
            var forged = try seal.sealed(.approvalDecision, documentHash: lateRequest.documentHash, caseId: late, requestedBy: "s-build-chief", serial: 5)
            forged.signature = try TestSeal(departmentId: "d-build").sealed(
                .approvalDecision, documentHash: lateRequest.documentHash, caseId: late, requestedBy: "s-build-chief", serial: 5
            ).signature
            let forgedEnvelope = try await hall.send(forged, producer: "seal", key: "one-partition", caseId: late)
            let genuine = try await hall.send(
                try seal.sealed(.approvalDecision, documentHash: lateRequest.documentHash, caseId: late, requestedBy: "s-build-chief", serial: 6),
                producer: "seal", key: "one-partition", caseId: late)
            try await eventually("the late case completes") { try await !hall.payloads(CaseCompleted.self, caseId: late).isEmpty }
            #expect(try await hall.outbox(CaseCompleted.eventType, caseId: late).map(\.causationId) == [genuine.id])
            #expect(
                try await hall.database.count(
                    "SELECT count(*)::bigint FROM \(hall.database.schema).inbox WHERE status = 'dead_lettered' AND event_id = '\(forgedEnvelope.id)'") == 1)
        }
    }

    @Test("the OpenAPI document lists exactly the routes the service serves")
    func openAPIMatchesRoutes() async throws {
        let router = Router(context: HallRequestContext.self)
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", username: "x", password: nil, database: nil, tls: .disable))
        let store = CoordinatorStore(client: client, schema: "coordinator", clock: CaseClock(calendar: try WorkingCalendar.bundled()), logger: LocalStack.logger())
        CoordinatorService.addRoutes(to: router, repository: store)
        #expect(servedRoutes(router) == documentedRoutes(CoordinatorOpenAPI.document))
    }
}
