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

/// A coordinator on a fresh schema: its real consumer on a test topic (everything other services
/// and department systems would send goes there), its HTTP routes, and helpers to read its outbox.
struct CoordinatorHall {
    static let secret = String(repeating: "c", count: 40)

    let database: ScratchDatabase
    let kafka: LocalKafka
    let topic: String
    let producer: KafkaProducer
    let store: CoordinatorStore
    let authority: TokenAuthority
    let calendar: WorkingCalendar

    /// Runs `body` with a coordinator whose consumer reads the test topic; stops everything after.
    static func with(_ body: @escaping @Sendable (CoordinatorHall) async throws -> Void) async throws {
        let kafka = try LocalKafka.stack()
        try await ScratchDatabase.with(extra: CoordinatorMigrations.all) { database in
            let topic = try await kafka.makeTopics(["coord-in"], partitions: 3)[0]
            try await kafka.createTopics([topic + ".dlq"], partitions: 3)
            let producer = try kafka.producer()
            let calendar = try WorkingCalendar.bundled()
            let store = CoordinatorStore(client: database.client, schema: database.schema, clock: CaseClock(calendar: calendar), logger: LocalStack.logger())
            var configuration = InboxConsumerConfiguration(kafka: kafka.consumerConfiguration(group: LocalStack.uniqueName("g"), topics: [topic]))
            configuration.deadLetterTopic = topic + ".dlq"
            let consumer = InboxConsumer(
                configuration: configuration, client: database.client, schema: database.schema, serviceName: "coordinator",
                handler: CoordinatorConsumer.router(store: store), deadLetters: producer, logger: LocalStack.logger())
            let running = Task { try await consumer.run() }
            let hall = CoordinatorHall(
                database: database, kafka: kafka, topic: topic, producer: producer, store: store, authority: await TokenAuthority(secret: secret),
                calendar: calendar)
            do {
                try await body(hall)
            } catch {
                running.cancel()
                _ = await running.result
                await producer.close()
                throw error
            }
            running.cancel()
            _ = await running.result
            await producer.close()
        }
    }

    // MARK: Kafka in

    @discardableResult
    func send(_ payload: some EventPayload, producer name: String = "intake", key: String, caseId: String? = nil) async throws -> EventEnvelope {
        let envelope = try EventEnvelope(payload: payload, producer: name, caseId: caseId)
        _ = try await producer.sendSigned(KafkaProducerMessage(topic: topic, key: key, value: try envelope.encoded()))
        return envelope
    }

    /// Sends the payloads as one batch of records on one partition, in order (so that the consumer
    /// reads them together), each signed by its producer; returns their envelopes.
    func sendTogether<P: EventPayload>(_ payloads: [(payload: P, producer: String)], key: String) async throws -> [EventEnvelope] {
        let envelopes = try payloads.map { try EventEnvelope(payload: $0.payload, producer: $0.producer, caseId: nil) }
        let results = await producer.sendSigned(try envelopes.map { KafkaProducerMessage(topic: topic, key: key, value: try $0.encoded()) })
        for result in results { _ = try result.get() }
        return envelopes
    }

    /// Sends `envelope` again as it is (same event id): a redelivery, as the consumer sees one.
    func resend(_ envelope: EventEnvelope, key: String) async throws {
        _ = try await producer.sendSigned(KafkaProducerMessage(topic: topic, key: key, value: try envelope.encoded()))
    }

    /// Three departments in the hall: building (lead), fire and environment; fire's chief
    /// representative is away and a substitute is filed for today.
    func seedDirectory() async throws {
        let today = LocalDate.inHall(Date())
        try await send(
            WindowChanged(windowId: "w-01", name: "综合窗口1", kind: .comprehensive, departmentIds: ["d-build", "d-fire", "d-env"], active: true), key: "w-01")
        for (department, chief) in [("d-build", "s-build-chief"), ("d-fire", "s-fire-chief"), ("d-env", "s-env-chief")] {
            let substitute =
                department == "d-fire"
                ? DirectorySubstitute(
                    staffId: "s-fire-sub", name: "代理人", noticeReference: "消防〔2026〕12号", from: today.adding(days: -1).description,
                    to: today.adding(days: 1).description)
                : nil
            try await send(
                DepartmentChanged(
                    departmentId: department, name: department, active: true, chiefRepresentative: DirectoryPerson(staffId: chief, name: "首席"),
                    substitute: substitute, head: DepartmentHead(personId: "\(department)-head", name: "主管领导", title: "副局长"),
                    documentCode: department == "d-build" ? "县住建许" : nil), key: department)
            try await send(
                StaffChanged(staffId: chief, name: "首席", departmentId: department, windowId: "w-01", qualified: true, active: true), key: chief)
            // The department's system, which signs its Kafka commands (producer `<department>-system`).
            let system = HallSigners.departmentSystem("\(department)-system")
            try await send(
                DepartmentSystemChanged(systemId: system.identity, departmentId: department, name: "\(department) 审批系统", publicKey: system.publicKey, active: true),
                key: system.identity)
        }
        // The hall centre, whose head — the people's government's leader in charge — approves extensions of joint cases (ALL Art 42 ¶2).
        try await send(
            DepartmentChanged(
                departmentId: "d-centre", name: "县政务服务中心", active: true, chiefRepresentative: nil, substitute: nil, centre: true,
                head: DepartmentHead(personId: "p-county-leader", name: "李副县长", title: "副县长")), key: "d-centre")
        try await eventually("the directory is projected") {
            let departments = try await database.count("SELECT count(*)::bigint FROM \(database.schema).departments")
            let staff = try await database.count("SELECT count(*)::bigint FROM \(database.schema).staff")
            let systems = try await database.count("SELECT count(*)::bigint FROM \(database.schema).department_systems")
            return departments == 4 && staff == 3 && systems == 3
        }
    }

    /// An accepted joint case (lead d-build, participants as given), accepted at `acceptedAt` with
    /// a promised limit of `days` working days; waits until it is routed.
    @discardableResult
    func accept(
        _ receipt: String, participants: [String] = ["d-fire", "d-env"], acceptedAt: Date = Date(), days: Int = 20,
        notCounted: [NotCountedCategory] = [.expertReview], bundle: (String, Int)? = nil, greenChannel: GreenChannelApproval? = nil
    ) async throws -> String {
        let caseId = UUID().uuidString.lowercased()
        let due = calendar.dueDate(acceptedAt: acceptedAt, workingDays: days)
        let accepted = ApplicationAccepted(
            receiptCode: receipt, noticeNumber: "2026-\(String(format: "%06d", abs(receipt.hashValue) % 1_000_000))", itemCode: "JOINT-001",
            itemVersion: 1, itemName: "建设工程消防设计审查与施工许可", kind: .joint, leadDepartmentId: "d-build", participantDepartmentIds: participants,
            acceptedAt: acceptedAt, dueDate: due.date.hallDate, dueDateProvisional: due.isProvisional, promisedLimitDays: days, legalLimitDays: max(20, days),
            notCounted: notCounted, channel: .window, greenChannel: greenChannel != nil, applicantKind: .organisation, applicantName: "某建设有限公司",
            promisedMaterials: [], clerkId: "clerk-1", windowId: "w-01",
            materials: [.init(materialId: "plan", name: "施工图设计文件", form: .original, copies: 2)], bundleId: bundle?.0, bundleSize: bundle?.1,
            greenChannelApproval: greenChannel)
        try await send(accepted, key: caseId, caseId: caseId)
        try await eventually("case \(receipt) is routed") {
            try await database.count("SELECT count(*)::bigint FROM \(database.schema).tasks WHERE case_id = '\(caseId)'") == participants.count + 1
        }
        return caseId
    }

    func taskId(_ caseId: String, _ department: String) async throws -> String {
        try await database.client.query(
            "SELECT task_id::text FROM \(unescaped: database.schema).tasks WHERE case_id = \(caseId) AND department_id = \(department)",
            logger: LocalStack.logger()
        ).decode(String.self).collectAll().first!
    }

    // MARK: Outbox out

    /// Every event in the outbox of `type` (optionally for one case), in order.
    func outbox(_ type: String, caseId: String? = nil) async throws -> [EventEnvelope] {
        try await database.outboxEnvelopes(type, key: caseId)
    }

    func payloads<P: EventPayload>(_ type: P.Type, caseId: String? = nil) async throws -> [P] {
        try await database.outboxPayloads(P.self, key: caseId)
    }

    // MARK: HTTP

    func token(_ subject: String, _ roles: [Role], department: String? = nil) async throws -> String {
        try await authority.issue(HallClaims(subject: subject, roles: roles, department: department, ttl: 600))
    }

    func app() -> some ApplicationProtocol {
        let router = Router(context: HallRequestContext.self)
        if let directory = LocalStack.recordResponses {
            router.middlewares.add(ResponseRecorder<HallRequestContext>(service: "coordinator", directory: directory))
        }
        router.middlewares.add(ProblemMiddleware<HallRequestContext>())
        router.middlewares.add(BearerAuthMiddleware(authority: authority))
        CoordinatorService.addRoutes(to: router, repository: store)
        return Application(router: router)
    }
}

/// One HTTP exchange: status and JSON body.
func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, _ body: String? = nil) async throws
    -> (HTTPResponse.Status, JSONValue)
{
    var headers: HTTPFields = [.contentType: "application/json"]
    if let token { headers[.authorization] = "Bearer \(token)" }
    return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
        (response.status, (try? JSONValue.parse(Array(response.body.readableBytesView))) ?? .null)
    }
}
