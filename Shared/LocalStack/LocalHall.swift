import AsyncHTTPClient
import Foundation
import HallContracts
import HallKit
import NIOCore

/// The five hall executables as processes on the local stack, each on a schema of its own, all on
/// one Kafka namespace of their own, with a small hall entered through their APIs (as the centre
/// would). End-to-end tests and the hall benchmark drive them only over HTTP and Kafka.
public final class Hall: @unchecked Sendable {
    // @unchecked Sendable: the fields never change after set-up; `services` entries restart
    // themselves only when a test asks, from that test's task.
    public static let secret = String(repeating: "e", count: 40)
    public static let window = "w-01"
    public static let centre = "d-centre"
    /// Departments besides the centre: name, chief representative, officer.
    public static let departments: [(id: String, name: String, chief: String, officer: String)] = [
        ("d-market", "县市场监督管理局", "mkt-chief", "mkt-officer"),
        ("d-tax", "县税务局", "tax-chief", "tax-officer"),
    ]
    public static let clerk = "clerk-1"
    public static let documentKinds = ["acceptance-notice", "refusal-notice", "approval-decision", "denial-decision"]

    public let services: [String: ServiceProcess]
    public let http: HTTPClient
    public let tag: String
    private let adminURL: String
    /// The Kafka namespace of the run (`HALL_KAFKA_NAMESPACE` of every service).
    public var namespace: String { "e2e\(tag)" }
    /// The schema of `service`.
    public func schema(_ service: String) -> String { "e2e\(tag)_\(service)" }

    private init(services: [String: ServiceProcess], http: HTTPClient, tag: String, adminURL: String) {
        self.services = services
        self.http = http
        self.tag = tag
        self.adminURL = adminURL
    }

    /// Starts the five services, waits until each is ready, enters the hall, runs `body`, then
    /// stops them and drops their schemas.
    public static func run(extra: [String: String] = [:], _ body: (Hall) async throws -> Void) async throws {
        let adminURL = try requireValue(LocalStack.adminDatabaseURL, "HALL_ADMIN_DATABASE_URL")
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let masterKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        var services: [String: ServiceProcess] = [:]
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        do {
            for name in ServiceName.allCases.map(\.rawValue) {
                services[name] = try ServiceProcess.start(
                    name, adminURL: adminURL, schema: "e2e\(tag)_\(name)", namespace: "e2e\(tag)", secret: secret,
                    extra: [
                        "HALL_SEAL_MASTER_KEY": masterKey, "HALL_DATABASE_POOL_SIZE": "8", "HALL_COORDINATOR_TIMER_INTERVAL_MS": "200",
                        "HALL_COORDINATOR_TIMER_IDLE_MAX_MS": "200",
                    ]
                        .merging(extra) { _, new in new })
            }
            for service in services.values { try await service.waitUntilReady(http) }
            let hall = Hall(services: services, http: http, tag: tag, adminURL: adminURL)
            try await hall.enter()
            try await body(hall)
        } catch {
            await shutDown(services, http: http, adminURL: adminURL, tag: tag)
            throw error
        }
        await shutDown(services, http: http, adminURL: adminURL, tag: tag)
    }

    private static func shutDown(_ services: [String: ServiceProcess], http: HTTPClient, adminURL: String, tag: String) async {
        for service in services.values { service.stop() }
        try? await http.shutdown()
        let drop = Process()
        drop.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        drop.arguments = ["psql", adminURL, "-qc", ServiceName.allCases.map { "DROP SCHEMA IF EXISTS e2e\(tag)_\($0.rawValue) CASCADE;" }.joined()]
        drop.standardOutput = FileHandle.nullDevice
        drop.standardError = FileHandle.nullDevice
        try? drop.run()
        drop.waitUntilExit()
    }

    // MARK: Tokens

    public func token(_ subject: String, _ roles: [Role], department: String? = nil, window: String? = nil) async throws -> String {
        try await LocalStack.issuer().issue(HallClaims(subject: subject, roles: roles, department: department, window: window, ttl: 3600))
    }
    public var admin: String { get async throws { try await token("admin-1", [.centreAdmin]) } }
    public var clerk: String { get async throws { try await token(Self.clerk, [.clerk], window: Self.window) } }
    public func officer(_ department: String) async throws -> String {
        try await token(Self.departments.first { $0.id == department }!.officer, [.departmentOfficer], department: department)
    }
    public func chief(_ department: String) async throws -> String {
        try await token(Self.departments.first { $0.id == department }!.chief, [.chiefRepresentative], department: department, window: Self.window)
    }

    // MARK: HTTP

    /// An answer: its status and its JSON body (`.null` when there is none or it is not JSON).
    public struct Answer: CustomStringConvertible, Sendable {
        public var status: UInt
        public var json: JSONValue
        public var text: String
        public var description: String { "\(status) \(text)" }
    }

    public enum Method: Sendable { case GET, POST, PUT }

    public func call(_ service: String, _ method: Method, _ path: String, token: String? = nil, _ body: JSONValue? = nil) async throws -> Answer {
        guard let running = services[service] else { throw HallError(.notFound, "the hall runs no service \(service)") }
        var request = HTTPClientRequest(url: running.base + path)
        switch method {
        case .GET: request.method = .GET
        case .POST: request.method = .POST
        case .PUT: request.method = .PUT
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try EventEnvelope.encoder().encode(body)))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        let text = String(buffer: bytes)
        return Answer(status: response.status.code, json: (try? JSONValue.parse(Array(bytes.readableBytesView))) ?? .null, text: text)
    }

    /// Asks until `check` holds (30 s at most); returns the last answer.
    @discardableResult
    public func eventually(
        _ what: String, timeout: Duration = .seconds(90), _ ask: () async throws -> Answer, until check: (Answer) -> Bool
    ) async throws -> Answer {
        let deadline = ContinuousClock.now + timeout
        var last = try await ask()
        while !check(last) {
            guard ContinuousClock.now < deadline else { throw ServiceProcessError("\(what) not seen within \(timeout); last answer: \(last)") }
            try await Task.sleep(for: .milliseconds(200))
            last = try await ask()
        }
        return last
    }

    // MARK: The hall

    /// The directory, the catalogue and a seal per department, through intake's and the seal's APIs.
    private func enter() async throws {
        let admin = try await self.admin
        func post(_ path: String, _ body: JSONValue) async throws {
            let answer = try await call("intake", .POST, path, token: admin, body)
            guard (200..<300).contains(answer.status) else { throw ServiceProcessError("entering the hall: POST \(path) answered \(answer)") }
        }
        let everyone = [(Self.centre, "县政务服务中心", "centre-chief", nil as String?)] + Self.departments.map { ($0.id, $0.name, $0.chief, Optional($0.officer)) }
        for (id, name, _, _) in everyone {
            try await post("/v1/departments", ["id": .string(id), "name": .string(name), "centre": .bool(id == Self.centre)])
        }
        try await post(
            "/v1/windows",
            ["id": .string(Self.window), "name": "综合窗口1", "kind": "comprehensive", "departmentIds": .array(Self.departments.map { .string($0.id) })])
        for (id, _, chief, officer) in everyone {
            try await post("/v1/staff", ["id": .string(chief), "name": "首席代表", "departmentId": .string(id), "windowId": .string(Self.window), "qualified": true])
            if let officer { try await post("/v1/staff", ["id": .string(officer), "name": "经办人", "departmentId": .string(id), "qualified": true]) }
        }
        try await post(
            "/v1/staff",
            ["id": .string(Self.clerk), "name": "窗口人员", "departmentId": .string(Self.centre), "windowId": .string(Self.window), "qualified": true,
             "immediateItems": ["IMM-001"]])
        for (id, name, chief, _) in everyone {
            try await post("/v1/departments", ["id": .string(id), "name": .string(name), "centre": .bool(id == Self.centre), "chiefRepresentativeId": .string(chief)])
        }
        // Each department's system, registered with the key its commands are signed with (`<department>-system`).
        for department in Self.departments {
            let system = HallSigners.departmentSystem("\(department.id)-system")
            try await post(
                "/v1/department-systems",
                ["id": .string(system.identity), "departmentId": .string(department.id), "name": .string("\(department.name)审批系统"),
                 "publicKey": .string(system.publicKey)])
        }
        let form: JSONValue = ["id": "application-form", "name": "申请书", "form": "original", "copies": 1, "requirement": "required", "toleratedGap": false]
        let identity: JSONValue = ["id": "identity-card", "name": "身份证", "form": "original-and-copy", "copies": 1, "requirement": "required", "toleratedGap": false]
        for (code, kind, lead, participants) in [
            ("MKT-001", "committed", "d-market", [String]()), ("JNT-001", "joint", "d-market", ["d-tax"]), ("IMM-001", "immediate", "d-market", []),
        ] {
            var item: [String: JSONValue] = [
                "code": .string(code), "name": .string("事项\(code)"), "kind": .string(kind), "leadDepartmentId": .string(lead),
                "legalLimitDays": kind == "immediate" ? 0 : 20, "promisedLimitDays": kind == "immediate" ? 0 : 10,
                "materials": [form, identity], "delegatedToCentre": true, "toleratedGapAllowed": false, "effectiveFrom": "2026-01-01",
                "approvalReference": "县审改办〔2025〕9号",
            ]
            if !participants.isEmpty { item["participantDepartmentIds"] = .array(participants.map { .string($0) }) }
            try await post("/v1/items", .object(item))
        }
        // The seal service learns the directory from intake's events: registering waits for it.
        for (id, name, chief, _) in everyone {
            let body: JSONValue = [
                "departmentId": .string(id), "name": .string("\(name)行政审批专用章"), "code": .string("SC-\(id)"), "custodianStaffId": .string(chief),
                "validFrom": "2026-01-01T00:00:00.000Z", "validUntil": "2099-01-01T00:00:00.000Z",
                "authorisations": [["staffId": .string(Self.clerk), "documentKinds": .array(Self.documentKinds.map { .string($0) })]],
            ]
            try await eventually("the seal of \(id) registered", { try await self.call("seal", .POST, "/v1/seals", token: admin, body) }) { $0.status == 201 }
        }
    }

    /// A valid resident identity number (GB 11643 check digit) for sequence `n` (0–999).
    public static func idNumber(_ n: Int) -> String {
        let body = "11010119900101" + String(format: "%03d", n % 1000)
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }

    /// What a clerk submits for `item`, with every material presented.
    public static func application(_ item: String, idNumber: String, key: String) -> JSONValue {
        [
            "itemCode": .string(item),
            "applicant": ["kind": "person", "name": "张三", "idNumber": .string(idNumber), "contact": "13800000000"],
            "materials": [
                ["materialId": "application-form", "form": "original", "copies": 1, "legalForm": true],
                ["materialId": "identity-card", "form": "original-and-copy", "copies": 1, "legalForm": true],
            ],
            "channel": "window", "idempotencyKey": .string(key),
        ]
    }
}
