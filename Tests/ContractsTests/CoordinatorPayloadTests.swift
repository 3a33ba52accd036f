import Foundation
import HallContracts
import Testing

/// The coordinator's events, the department commands, `intake.application.supplemented` and the
/// accepted event's materials and bundle: their golden fixtures decode to the expected values and
/// re-encode to the same bytes, and invalid data is refused naming the member.
@Suite("Coordinator events and department commands")
struct CoordinatorPayloadTests {
    static let caseId = "C-2026-000188"
    static let correlationId = UUID(uuidString: "b1e4d7a2-3c58-4f9e-a016-7d2c9e5b8f43")!
    static let fireTask = "5b7e2c14-8f3a-4d61-9e0b-7c2a4f8d1e63"

    /// Each fixture added with these payloads and its Swift payload type.
    static var fixtures: [String: any EventPayload.Type] {
        [
            "intake.application.accepted.v1.bundle.json": ApplicationAccepted.self,
            "intake.application.supplemented.v1.json": ApplicationSupplemented.self,
            "coordinator.task.assigned.v1.json": TaskAssigned.self,
            "coordinator.task.opinion-recorded.v1.json": TaskOpinionRecorded.self,
            "coordinator.task.countersigned.v1.json": TaskCountersigned.self,
            "coordinator.case.decided.v1.json": CaseDecided.self,
            "coordinator.case.supplement-requested.v1.json": SupplementRequested.self,
            "coordinator.case.clock-changed.v1.json": ClockChanged.self,
            "coordinator.deadline.warning-raised.v1.json": DeadlineWarningRaised.self,
            "coordinator.deadline.escalated.v1.json": DeadlineEscalated.self,
            "coordinator.case.completed.v1.json": CaseCompleted.self,
            "coordinator.bundle.completed.v1.json": BundleCompleted.self,
            "coordinator.case.priority-changed.v1.json": CasePriorityChanged.self,
            "coordinator.review.convened.v1.json": ReviewConvened.self,
            "coordinator.review.minuted.v1.json": ReviewMinuted.self,
            "coordinator.command.rejected.v1.json": CommandRejected.self,
            "department.task.opinion-submitted.v1.json": OpinionSubmitted.self,
            "department.task.countersigned.v1.json": CountersignSubmitted.self,
            "department.clock.suspension-requested.v1.json": SuspensionRequested.self,
            "department.clock.resume-requested.v1.json": ResumeRequested.self,
            "department.clock.extension-requested.v1.json": ExtensionRequested.self,
        ]
    }

    static let presented: [ApplicationAccepted.PresentedMaterialRef] = [
        .init(materialId: "business-licence", name: "营业执照", form: .copy, copies: 1),
        .init(materialId: "food-licence-application", name: "食品经营许可申请书", form: .original, copies: 1),
        .init(materialId: "premises-layout", name: "经营场所平面布局图", form: .original, copies: 2),
        .init(materialId: "fire-safety-commitment", name: "消防安全告知承诺书", form: .original, copies: 1),
    ]

    static let itemName = "开办餐饮店（食品经营许可、消防安全检查、排污登记联办）"

    static let acceptedInBundle = ApplicationAccepted(
        receiptCode: "RC-20260106-0015", noticeNumber: "2026-000061", itemCode: "RST-001", itemVersion: 1, itemName: itemName, kind: .joint,
        leadDepartmentId: "d-market", participantDepartmentIds: ["d-fire", "d-env"],
        acceptedAt: Contracts.date(2026, 1, 6, 1, 40, 12, millisecond: 345), dueDate: HallDate("2026-01-20")!, dueDateProvisional: false,
        promisedLimitDays: 10, legalLimitDays: 20, notCounted: [.inspection, .expertReview], channel: .window, greenChannel: false,
        applicantKind: .organisation, applicantName: "敖汉旗味之源餐饮有限公司", promisedMaterials: [], clerkId: "s-0107", windowId: "w-12",
        materials: presented, bundleId: "B-20260106-0007", bundleSize: 2
    )

    static let assigned = TaskAssigned(
        taskId: fireTask, departmentId: "d-fire", role: .participant, receiptCode: "RC-20260106-0015", noticeNumber: "2026-000061",
        itemCode: "RST-001", itemVersion: 1, itemName: itemName, kind: .joint, leadDepartmentId: "d-market",
        participantDepartmentIds: ["d-fire", "d-env"], applicantKind: .organisation, applicantName: "敖汉旗味之源餐饮有限公司",
        materials: presented, acceptedAt: Contracts.date(2026, 1, 6, 1, 40, 12, millisecond: 345), caseDueDate: HallDate("2026-01-20")!,
        subDeadline: HallDate("2026-01-15")!, dueDateProvisional: false, bundleId: "B-20260106-0007", priority: true,
        greenChannelApproval: GreenChannelApproval(
            reason: .majorInvestment, reference: "旗政务服务中心〔2026〕3号", approvedBy: "s-centre-li",
            approvedAt: Contracts.date(2026, 1, 5, 8, 0, 0, millisecond: 0)),
        round: 2
    )

    static let opinion = OpinionSubmitted(
        taskId: fireTask, departmentId: "d-fire", opinion: .needsSupplement, reasons: [],
        supplements: [SupplementItem(material: "fire-layout-plan", needed: "消防设施平面布置图原件 1 份，须加盖设计单位公章")],
        officerId: "s-fire-liu", countersignedBy: "s-fire-zhao"
    )

    static let extended = ClockChanged(
        receiptCode: "RC-20260106-0015", sequence: 6, change: .extended, category: nil, dueDateBefore: HallDate("2026-01-26")!, dueDateAfter: HallDate("2026-02-09")!,
        workingDays: 10, reason: "联合审批须三个部门分别现场核查，经局长批准延长十个工作日，已书面告知申请人", reference: nil,
        approvedBy: "s-market-head", departmentId: "d-market", actorId: "s-zhang", changedAt: Contracts.date(2026, 1, 15, 2, 30, 0, millisecond: 512)
    )

    static let rejected = CommandRejected(
        commandId: "c4fde0b5-a9cb-46cb-9349-a4f3cfce117c", commandType: CountersignSubmitted.eventType, departmentId: "d-fire", taskId: fireTask,
        reason: .notCountersigner, detail: "s-fire-liu 不是 d-fire 的首席代表，也不是当日有效书面通知中的临时代理人",
        rejectedAt: Contracts.date(2026, 1, 8, 6, 5, 12, millisecond: 877)
    )

    static let bundleCompleted = BundleCompleted(
        bundleId: "B-20260106-0007",
        cases: [
            .init(caseId: "C-2026-000187", receiptCode: "RC-20260106-0014", outcome: .approved),
            .init(caseId: caseId, receiptCode: "RC-20260106-0015", outcome: .approved),
        ],
        completedAt: Contracts.date(2026, 1, 19, 8, 2, 47, millisecond: 118)
    )

    static let priorityChanged = CasePriorityChanged(
        receiptCode: "RC-20260106-0015", itemCode: "RST-001", leadDepartmentId: "d-market", priority: true,
        greenChannelApproval: GreenChannelApproval(
            reason: .majorInvestment, reference: "旗政务服务中心〔2026〕3号", approvedBy: "s-centre-li",
            approvedAt: Contracts.date(2026, 1, 7, 1, 50, 0, millisecond: 0)),
        grantedBy: "s-centre-admin",
        openTasks: [
            .init(taskId: "2d4a6c8e-1b3f-4a5c-9e7d-0f2b4d6a8c11", departmentId: "d-market", role: .lead),
            .init(taskId: fireTask, departmentId: "d-fire", role: .participant),
        ],
        changedAt: Contracts.date(2026, 1, 7, 2, 15, 30, millisecond: 250)
    )

    /// Decodes `data` as `P` and wraps the typed payload in a new envelope with the same members.
    static func rewrapped<P: EventPayload>(_ envelope: EventEnvelope, as type: P.Type) throws -> EventEnvelope {
        try EventEnvelope(
            payload: envelope.payload(as: P.self), id: envelope.id, occurredAt: envelope.occurredAt, producer: envelope.producer,
            caseId: envelope.caseId, correlationId: envelope.correlationId, causationId: envelope.causationId
        )
    }

    @Test("each fixture decodes as its payload type and re-encodes to exactly the golden bytes", arguments: fixtures.keys.sorted())
    func typedRoundTrip(name: String) throws {
        let golden = try Contracts.fixture(name)
        let envelope = try EventEnvelope.decode(from: golden)
        let payloadType = try #require(Self.fixtures[name])
        #expect(envelope.type == payloadType.eventType && envelope.version == payloadType.eventVersion)
        let encoded = try Self.rewrapped(envelope, as: payloadType).encoded()
        #expect(String(decoding: encoded, as: UTF8.self) == String(decoding: Contracts.compact(golden), as: UTF8.self))
    }

    @Test("the fixtures decode to the values a department system acts on")
    func fixturesDecodeToExpectedValues() throws {
        func payload<P: EventPayload>(_ name: String, as type: P.Type) throws -> P {
            try EventEnvelope.decode(from: Contracts.fixture(name)).payload(as: P.self)
        }
        #expect(try payload("intake.application.accepted.v1.bundle.json", as: ApplicationAccepted.self) == Self.acceptedInBundle)
        #expect(try payload("coordinator.task.assigned.v1.json", as: TaskAssigned.self) == Self.assigned)
        #expect(try payload("department.task.opinion-submitted.v1.json", as: OpinionSubmitted.self) == Self.opinion)
        #expect(try payload("coordinator.case.clock-changed.v1.json", as: ClockChanged.self) == Self.extended)
        #expect(try payload("coordinator.command.rejected.v1.json", as: CommandRejected.self) == Self.rejected)
        #expect(try payload("coordinator.bundle.completed.v1.json", as: BundleCompleted.self) == Self.bundleCompleted)
        #expect(try payload("coordinator.case.priority-changed.v1.json", as: CasePriorityChanged.self) == Self.priorityChanged)
    }

    @Test("the values built in Swift encode to exactly the golden bytes")
    func swiftValuesEncodeToGoldenBytes() throws {
        func check<P: EventPayload>(_ payload: P, _ name: String) throws {
            let golden = try Contracts.fixture(name)
            let read = try EventEnvelope.decode(from: golden)
            let encoded = try EventEnvelope(
                payload: payload, id: read.id, occurredAt: read.occurredAt, producer: read.producer, caseId: read.caseId,
                correlationId: read.correlationId, causationId: read.causationId
            ).encoded()
            #expect(String(decoding: encoded, as: UTF8.self) == String(decoding: Contracts.compact(golden), as: UTF8.self), "\(name)")
        }
        try check(Self.acceptedInBundle, "intake.application.accepted.v1.bundle.json")
        try check(Self.assigned, "coordinator.task.assigned.v1.json")
        try check(Self.opinion, "department.task.opinion-submitted.v1.json")
        try check(Self.extended, "coordinator.case.clock-changed.v1.json")
        try check(Self.rejected, "coordinator.command.rejected.v1.json")
        try check(Self.bundleCompleted, "coordinator.bundle.completed.v1.json")
        try check(Self.priorityChanged, "coordinator.case.priority-changed.v1.json")
    }

    @Test("each fixture comes from the producer of its topic, keyed as the contracts say", arguments: fixtures.keys.sorted())
    func producersAndKeys(name: String) throws {
        let envelope = try EventEnvelope.decode(from: Contracts.fixture(name))
        let descriptor = try #require(EventCatalogue.descriptor(type: envelope.type, version: envelope.version))
        if descriptor.topics == [.coordinatorDepartmentCommands] {
            // Department systems write commands under their own registered name, never a hall service's.
            #expect(ServiceName(rawValue: envelope.producer) == nil, "\(envelope.producer)")
        } else if descriptor.topics == [.coordinatorEvents] {
            #expect(envelope.producer == ServiceName.coordinator.rawValue)
        } else if descriptor.topics == [.intakeEvents] {
            #expect(envelope.producer == ServiceName.intake.rawValue)
        } else {
            Issue.record("unexpected topics \(descriptor.topics) for \(name)")
        }
        if envelope.type == BundleCompleted.eventType {
            #expect(envelope.caseId == nil, "a bundle's events are keyed by the bundle id, not a case")
        } else {
            #expect(envelope.caseId == Self.caseId)
        }
    }

    @Test("the accepted fixture written before materials and bundle existed still decodes, and re-encodes without them")
    func acceptedWithoutNewMembers() throws {
        let envelope = try EventEnvelope.decode(from: Contracts.fixture("intake.application.accepted.v1.json"))
        let accepted = try envelope.payload(as: ApplicationAccepted.self)
        #expect(accepted.materials == nil && accepted.bundleId == nil && accepted.bundleSize == nil)
        #expect(accepted == IntakeApplicationPayloadTests.accepted)
        let data = try JSONValue.parse(EventEnvelope(payload: accepted, producer: "intake", caseId: envelope.caseId).encoded())["data"]?.objectValue
        let members = try #require(data.map { Set($0.keys) })
        #expect(members.isDisjoint(with: ["materials", "bundleId", "bundleSize"]))
    }

    @Test("the directory's department event says which entry is the hall centre; one written before `centre` existed is not the centre")
    func departmentCentre() throws {
        let envelope = try EventEnvelope.decode(from: Contracts.fixture("intake.directory.department-changed.v1.json"))
        var data = try #require(envelope.data.objectValue)
        #expect(try envelope.payload(as: DepartmentChanged.self).centre == false)
        data["centre"] = true
        let centre = EventEnvelope(type: envelope.type, version: 1, producer: "intake", data: .object(data))
        #expect(try centre.payload(as: DepartmentChanged.self).centre)
        data["centre"] = nil
        let older = EventEnvelope(type: envelope.type, version: 1, producer: "intake", data: .object(data))
        let department = try older.payload(as: DepartmentChanged.self)
        #expect(!department.centre && department.departmentId == "d-market")
    }

    @Test("the department event names the head who approves extensions and the code its decisions are numbered with; older events have neither")
    func departmentHead() throws {
        let envelope = try EventEnvelope.decode(from: Contracts.fixture("intake.directory.department-changed.v1.json"))
        let department = try envelope.payload(as: DepartmentChanged.self)
        #expect(department.head == DepartmentHead(personId: "p-market-head", name: "王建国", title: "副局长") && department.documentCode == "敖市监许")
        var data = try #require(envelope.data.objectValue)
        data["head"] = .object(["personId": "", "name": "王建国", "title": "副局长"])
        let empty = EventEnvelope(type: envelope.type, version: 1, producer: "intake", data: .object(data))
        #expect(throws: ContractError.self) { try empty.payload(as: DepartmentChanged.self) }
        data["head"] = nil
        data["documentCode"] = nil
        let older = try EventEnvelope(type: envelope.type, version: 1, producer: "intake", data: .object(data)).payload(as: DepartmentChanged.self)
        #expect(older.head == nil && older.documentCode == nil)
    }

    @Test("a department system may leave out an opinion's empty reasons and supplements")
    func opinionWithoutListsDecodes() throws {
        var data = try #require(try JSONValue.parse(Contracts.fixture("department.task.opinion-submitted.v1.json"))["data"]?.objectValue)
        data["reasons"] = nil
        data["supplements"] = nil
        data["opinion"] = "approve"
        data["countersignedBy"] = nil
        let envelope = EventEnvelope(type: OpinionSubmitted.eventType, version: 1, producer: "d-fire-system", data: .object(data))
        let opinion = try envelope.payload(as: OpinionSubmitted.self)
        #expect(opinion.opinion == .approve && opinion.reasons.isEmpty && opinion.supplements.isEmpty && opinion.countersignedBy == nil)
    }

    @Test("a suspension on the ledger omits the members only extensions have")
    func suspensionOmitsExtensionMembers() throws {
        let suspended = ClockChanged(
            receiptCode: "RC-20260106-0015", sequence: 4, change: .suspended, category: "expert-review", dueDateBefore: HallDate("2026-01-22")!,
            dueDateAfter: HallDate("2026-01-22")!, workingDays: 0, reason: "排污登记须组织专家评审，评审期间不计入办理时限", reference: "敖环审暂〔2026〕1号",
            approvedBy: nil, departmentId: "d-env", actorId: "s-env-sun", changedAt: Contracts.date(2026, 1, 12, 7, 45, 0, millisecond: 301)
        )
        let envelope = try EventEnvelope(payload: suspended, producer: "coordinator", caseId: Self.caseId)
        let data = try #require(try JSONValue.parse(envelope.encoded())["data"]?.objectValue)
        #expect(data["approvedBy"] == nil && data["category"] == "expert-review")
        #expect(try EventEnvelope.decode(from: envelope.encoded()).payload(as: ClockChanged.self) == suspended)
    }

    /// Replaces (or, with nil, removes) one member of a fixture's data and decodes it as the fixture's payload type.
    static func refusal(_ fixture: String, _ member: String, _ value: JSONValue?) throws -> ContractError {
        let payloadType = try #require(fixtures[fixture])
        let read = try EventEnvelope.decode(from: Contracts.fixture(fixture))
        var data = try #require(read.data.objectValue)
        data[member] = value
        let envelope = EventEnvelope(type: read.type, version: read.version, producer: read.producer, caseId: read.caseId, data: .object(data))
        return try #require(throws: ContractError.self) { _ = try envelope.payload(as: payloadType) }
    }

    @Test("invalid data is refused naming the member", arguments: [
        // Department commands: what a department system's developer gets wrong first.
        ("department.task.opinion-submitted.v1.json", "opinion", "abstain", "data.opinion"),
        ("department.task.opinion-submitted.v1.json", "opinion", "needs_supplement", "data.opinion"),
        ("department.task.opinion-submitted.v1.json", "taskId", "", "data.taskId"),
        ("department.task.opinion-submitted.v1.json", "officerId", nil, "data.officerId"),
        ("department.task.opinion-submitted.v1.json", "countersignedBy", "", "data.countersignedBy"),
        ("department.task.opinion-submitted.v1.json", "supplements", [["material": "fire-layout-plan", "needed": ""]], "data.supplements[0].needed"),
        ("department.task.opinion-submitted.v1.json", "reasons", "材料不全", "data.reasons"),
        ("department.task.countersigned.v1.json", "staffId", "", "data.staffId"),
        ("department.clock.suspension-requested.v1.json", "category", "supplement", "data.category"),
        ("department.clock.suspension-requested.v1.json", "noticeReference", nil, "data.noticeReference"),
        ("department.clock.resume-requested.v1.json", "reason", "", "data.reason"),
        ("department.clock.extension-requested.v1.json", "workingDays", 0, "data.workingDays"),
        ("department.clock.extension-requested.v1.json", "workingDays", "10", "data.workingDays"),
        ("department.clock.extension-requested.v1.json", "approvedBy", nil, "data.approvedBy"),
        // Coordinator events.
        ("coordinator.task.assigned.v1.json", "role", "observer", "data.role"),
        ("coordinator.task.assigned.v1.json", "kind", "immediate", "data.kind"),
        ("coordinator.task.assigned.v1.json", "subDeadline", "2026-02-30", "data.subDeadline"),
        ("coordinator.task.assigned.v1.json", "caseDueDate", "2026/01/20", "data.caseDueDate"),
        ("coordinator.task.assigned.v1.json", "noticeNumber", "2026-61", "data.noticeNumber"),
        ("coordinator.task.assigned.v1.json", "participantDepartmentIds", ["d-fire", "d-fire"], "data.participantDepartmentIds[1]"),
        ("coordinator.task.assigned.v1.json", "materials", [["materialId": "business-licence", "name": "营业执照", "form": "scan", "copies": 1]],
         "data.materials[0].form"),
        ("coordinator.task.assigned.v1.json", "bundleId", "", "data.bundleId"),
        ("coordinator.task.opinion-recorded.v1.json", "opinion", "maybe", "data.opinion"),
        ("coordinator.task.opinion-recorded.v1.json", "channel", "email", "data.channel"),
        ("coordinator.task.opinion-recorded.v1.json", "reasons", nil, "data.reasons"),
        ("coordinator.task.countersigned.v1.json", "capacity", "deputy", "data.capacity"),
        ("coordinator.task.countersigned.v1.json", "noticeReference", "", "data.noticeReference"),
        ("coordinator.case.decided.v1.json", "outcome", "partial", "data.outcome"),
        ("coordinator.case.decided.v1.json", "documents", [], "data.documents"),
        ("coordinator.case.decided.v1.json", "dueDate", "2026-2-9", "data.dueDate"),
        ("coordinator.case.decided.v1.json", "reasons", [["departmentId": "d-fire", "reason": ""]], "data.reasons[0].reason"),
        ("coordinator.case.supplement-requested.v1.json", "supplements", [], "data.supplements"),
        ("coordinator.case.supplement-requested.v1.json", "supplements", [["material": "", "needed": "原件 1 份"]], "data.supplements[0].material"),
        ("coordinator.case.clock-changed.v1.json", "sequence", 1, "data.sequence"),
        ("coordinator.case.clock-changed.v1.json", "change", "paused", "data.change"),
        ("coordinator.case.clock-changed.v1.json", "dueDateAfter", "09/02/2026", "data.dueDateAfter"),
        ("coordinator.case.clock-changed.v1.json", "workingDays", -1, "data.workingDays"),
        ("coordinator.case.clock-changed.v1.json", "changedAt", "2026-01-15", "data.changedAt"),
        ("coordinator.deadline.warning-raised.v1.json", "scope", "department", "data.scope"),
        ("coordinator.deadline.warning-raised.v1.json", "sharePercent", 0, "data.sharePercent"),
        ("coordinator.deadline.escalated.v1.json", "escalatedTo", "mayor", "data.escalatedTo"),
        ("coordinator.deadline.escalated.v1.json", "dueDate", "2026-01-15T16:00:00.000Z", "data.dueDate"),
        ("coordinator.case.completed.v1.json", "outcome", "pending", "data.outcome"),
        ("coordinator.case.completed.v1.json", "departmentIds", ["d-market", "d-market"], "data.departmentIds[1]"),
        ("coordinator.case.completed.v1.json", "extensionWorkingDays", -1, "data.extensionWorkingDays"),
        ("coordinator.bundle.completed.v1.json", "cases", [], "data.cases"),
        ("coordinator.bundle.completed.v1.json", "bundleId", "", "data.bundleId"),
        ("coordinator.case.priority-changed.v1.json", "greenChannelApproval", nil, "data.greenChannelApproval"),  // priority without the approval
        ("coordinator.case.priority-changed.v1.json", "openTasks", [["taskId": "t-1", "departmentId": "d-fire", "role": "observer"]],
         "data.openTasks[0].role"),
        ("coordinator.case.priority-changed.v1.json", "openTasks", [["taskId": "t-1", "departmentId": ""]], "data.openTasks[0].departmentId"),
        ("coordinator.case.priority-changed.v1.json", "grantedBy", "", "data.grantedBy"),
        ("coordinator.review.convened.v1.json", "departmentIds", ["d-fire", ""], "data.departmentIds[1]"),
        ("coordinator.review.convened.v1.json", "meetingAt", "2026-01-16 10:00", "data.meetingAt"),
        ("coordinator.review.minuted.v1.json", "positions", [], "data.positions"),
        ("coordinator.review.minuted.v1.json", "positions", [["departmentId": "d-fire", "position": "abstain", "note": "x"]], "data.positions[0].position"),
        ("coordinator.command.rejected.v1.json", "reason", "too-late", "data.reason"),
        ("coordinator.command.rejected.v1.json", "detail", "", "data.detail"),
        // Intake.
        ("intake.application.supplemented.v1.json", "materials", [], "data.materials"),
        ("intake.application.supplemented.v1.json", "materials", ["fire-layout-plan", "fire-layout-plan"], "data.materials[1]"),
        ("intake.application.supplemented.v1.json", "supplementedAt", "yesterday", "data.supplementedAt"),
        ("intake.application.supplemented.v1.json", "windowId", "", "data.windowId"),
        ("intake.application.accepted.v1.bundle.json", "bundleId", nil, "data.bundleSize"),  // bundleSize without bundleId
        ("intake.application.accepted.v1.bundle.json", "bundleSize", nil, "data.bundleSize"),  // bundleId without bundleSize
        ("intake.application.accepted.v1.bundle.json", "bundleSize", 0, "data.bundleSize"),
        ("intake.application.accepted.v1.bundle.json", "bundleId", "", "data.bundleId"),
        ("intake.application.accepted.v1.bundle.json", "materials", [["materialId": "business-licence", "name": "营业执照", "form": "copy", "copies": 0]],
         "data.materials[0].copies"),
        ("intake.application.accepted.v1.bundle.json", "materials", [["materialId": "", "name": "营业执照", "form": "copy", "copies": 1]],
         "data.materials[0].materialId"),
    ] as [(String, String, JSONValue?, String)])
    func invalidData(fixture: String, member: String, value: JSONValue?, path: String) throws {
        let error = try Self.refusal(fixture, member, value)
        #expect(error.code == .invalidPayload)
        #expect(error.fieldPath == path, "\(error)")
    }

    @Test("the refusals say what was expected")
    func refusalMessages() throws {
        let bundle = try Self.refusal("intake.application.accepted.v1.bundle.json", "bundleId", nil)
        #expect(bundle.message.contains("bundleId and bundleSize go together"))
        let sequence = try Self.refusal("coordinator.case.clock-changed.v1.json", "sequence", 1)
        #expect(sequence.message.contains("≥ 2"))
        let date = try Self.refusal("coordinator.task.assigned.v1.json", "subDeadline", "2026-02-30")
        #expect(date.message.contains("YYYY-MM-DD"))
        let category = try Self.refusal("department.clock.suspension-requested.v1.json", "category", "supplement")
        #expect(category.message.contains("expert-review") && category.message.contains("hearing"))
        let empty = try Self.refusal("coordinator.case.supplement-requested.v1.json", "supplements", [])
        #expect(empty.message.contains("must not be empty"))
    }

    @Test("a value outside a closed set is refused listing the allowed values and never quoting the value received", arguments: [
        ("department.task.opinion-submitted.v1.json", "opinion", "abstain-zzz", "needs-supplement"),
        ("coordinator.task.assigned.v1.json", "role", "observer-zzz", "participant"),
        ("coordinator.task.opinion-recorded.v1.json", "channel", "email-zzz", "kafka"),
        ("coordinator.case.decided.v1.json", "outcome", "partial-zzz", "denied"),
        ("coordinator.deadline.escalated.v1.json", "escalatedTo", "mayor-zzz", "lead-department"),
        ("coordinator.case.clock-changed.v1.json", "dueDateAfter", "2026-13-zzz", "YYYY-MM-DD"),
    ])
    func closedSetsNameTheRule(fixture: String, member: String, value: String, allowed: String) throws {
        let error = try Self.refusal(fixture, member, .string(value))
        #expect(error.message.contains(allowed), "\(error)")
        #expect(!"\(error)".contains("zzz"), "a refusal (and so a dead-letter reason) carries no payload value: \(error)")
    }
}
