import Foundation
import HallCalendar
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// The intake schema: directory, catalogue and applications, with the outbox in the same
/// transactions. Every state change that another service needs appends its event here.
struct IntakeStore: Sendable {
    let client: PostgresClient
    let schema: String
    let outbox: Outbox
    let calendar: WorkingCalendar
    let logger: Logger
    /// Item versions and windows change rarely; applications read them from here (2 s at most
    /// stale across instances; this instance forgets an item as soon as it publishes a version).
    let items = GuideCache(ttl: .seconds(2))
    let windows = WindowCache()
    let postings = PostingCache()
    let noticeSequences = NoticeSequences()
    /// Concurrent acceptances are stored in groups (``acceptBatch(_:)``); nil stores each alone.
    let acceptances: GroupCommit<PendingAcceptance, ApplicationResponse>?
    /// The applicant check published with each acceptance (none: not published).
    let applicantCheck: ApplicantCheck?
    /// Concurrent case look-ups are read in groups (``caseView(receiptCode:idNumber:texts:)``).
    let caseLookups = GroupCommit<CaseLookup, String?>(batchesPerLane: CaseLookup.batchesAtOnce, maxBatch: CaseLookup.maxBatch)

    /// - Parameter acceptanceGroup: acceptances stored together at most (group commit); 1 stores
    ///   each alone.
    init(
        client: PostgresClient, schema: String, calendar: WorkingCalendar, logger: Logger, acceptanceGroup: Int = 64, applicantCheck: ApplicantCheck? = nil
    ) {
        self.applicantCheck = applicantCheck
        self.client = client
        self.schema = schema
        self.acceptances = acceptanceGroup > 1 ? GroupCommit(batchesPerLane: 4, maxBatch: acceptanceGroup) : nil
        self.outbox = Outbox(schema: schema)
        self.calendar = calendar
        self.logger = logger
    }

    private func event<P: EventPayload>(_ payload: P, caseId: String?, key: String, correlation: UUID? = nil) throws -> OutgoingEvent {
        OutgoingEvent(
            topic: .intakeEvents, key: key,
            envelope: try EventEnvelope(payload: payload, producer: "intake", caseId: caseId, correlationId: correlation))
    }

    // MARK: Directory

    /// Creates or updates a department; publishes `intake.directory.department-changed`.
    ///
    /// - Throws: ``HallError`` naming `centre` when another department is already the hall centre.
    func saveDepartment(_ department: DepartmentInput) async throws -> DepartmentChanged {
        do {
            return try await saveDepartmentOnce(department)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            if error.serverInfo?[.constraintName]?.contains("document_code") == true {
                throw HallError.invalid(
                    "documentCode", "another department numbers its decisions with \(department.documentCode ?? "")",
                    words: "其他部门已使用“\(department.documentCode ?? "")”作为决定书编号代字")
            }
            throw HallError.invalid(
                "centre", "another department is already the hall centre (there is one centre)", words: "已有其他部门登记为政务服务中心（政务服务中心只有一个）")
        }
    }

    private func saveDepartmentOnce(_ department: DepartmentInput) async throws -> DepartmentChanged {
        try await client.transaction(logger: logger) { connection in
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).departments
                    (id, name, active, chief_representative, substitute, substitute_notice, substitute_from, substitute_to, centre,
                     head_id, head_name, head_title, document_code, updated_at)
                VALUES (\(department.id), \(department.name), \(department.active ?? true), \(department.chiefRepresentativeId),
                        \(department.substitute?.staffId), \(department.substitute?.noticeReference),
                        \(department.substitute?.from.description)::date, \(department.substitute?.to.description)::date,
                        \(department.centre ?? false), \(department.head?.id), \(department.head?.name), \(department.head?.title),
                        \(department.documentCode), now())
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, active = EXCLUDED.active,
                    chief_representative = EXCLUDED.chief_representative, substitute = EXCLUDED.substitute,
                    substitute_notice = EXCLUDED.substitute_notice, substitute_from = EXCLUDED.substitute_from,
                    substitute_to = EXCLUDED.substitute_to, centre = EXCLUDED.centre, head_id = EXCLUDED.head_id,
                    head_name = EXCLUDED.head_name, head_title = EXCLUDED.head_title, document_code = EXCLUDED.document_code,
                    updated_at = now()
                """, logger: logger)
            func person(_ id: String?) async throws -> DirectoryPerson? {
                guard let id else { return nil }
                let rows = try await connection.select(
                    "SELECT name, department_id FROM \(unescaped: schema).staff WHERE id = \(id)", logger: logger
                ).decode((String, String).self).collectAll()
                guard let row = rows.first else {
                    throw HallError(.invalidField, "no staff member \(id)", field: "chiefRepresentativeId", words: "目录中没有工作人员 \(id)")
                }
                guard row.1 == department.id else {
                    throw HallError.invalid(
                        "chiefRepresentativeId", "\(id) works for department \(row.1), not \(department.id)",
                        words: "\(id) 是部门 \(row.1) 的工作人员，不属于部门 \(department.id)")
                }
                return DirectoryPerson(staffId: id, name: row.0)
            }
            let chief = try await person(department.chiefRepresentativeId)
            var substitute: DirectorySubstitute?
            if let filed = department.substitute, let person = try await person(filed.staffId) {
                substitute = DirectorySubstitute(
                    staffId: person.staffId, name: person.name, noticeReference: filed.noticeReference, from: filed.from.description,
                    to: filed.to.description)
            }
            let changed = DepartmentChanged(
                departmentId: department.id, name: department.name, active: department.active ?? true, chiefRepresentative: chief,
                substitute: substitute, centre: department.centre ?? false,
                head: department.head.map { DepartmentHead(personId: $0.id, name: $0.name, title: $0.title) }, documentCode: department.documentCode)
            try await outbox.append([try event(changed, caseId: nil, key: department.id)], on: connection, logger: logger)
            return changed
        }
    }

    /// Creates or updates a window; publishes `intake.directory.window-changed`.
    func saveWindow(_ window: WindowInput) async throws -> WindowChanged {
        try await client.transaction(logger: logger) { connection in
            let known = try await connection.select(
                "SELECT id FROM \(unescaped: schema).departments WHERE id = ANY(\(window.departmentIds))", logger: logger
            ).decode(String.self).collectAll()
            if let missing = window.departmentIds.first(where: { !known.contains($0) }) {
                throw HallError.invalid("departmentIds", "no department \(missing)", words: "目录中没有部门 \(missing)")
            }
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).windows (id, name, kind, department_ids, active, updated_at)
                VALUES (\(window.id), \(window.name), \(window.kind.rawValue), \(window.departmentIds), \(window.active ?? true), now())
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, department_ids = EXCLUDED.department_ids,
                    active = EXCLUDED.active, updated_at = now()
                """, logger: logger)
            let changed = WindowChanged(
                windowId: window.id, name: window.name, kind: window.kind, departmentIds: window.departmentIds, active: window.active ?? true)
            try await outbox.append([try event(changed, caseId: nil, key: window.id)], on: connection, logger: logger)
            return changed
        }
    }

    /// Creates or updates a staff member; a window change needs the rotation's filing reference
    /// (Art 20) and is recorded. Publishes `intake.directory.staff-changed`.
    func saveStaff(_ staff: StaffInput, recordedBy: String) async throws -> StaffChanged {
        try await client.transaction(logger: logger) { connection in
            let previous = try await connection.select(
                "SELECT window_id, window_since::text FROM \(unescaped: schema).staff WHERE id = \(staff.id) FOR UPDATE", logger: logger
            ).decode((String?, String?).self).collectAll()
            // A window change of a known staff member: from where, under which filing, and why when within the year.
            let today = LocalDate.inHall(Date())
            var rotation: (from: String?, filing: String)?
            var since = staff.windowId == nil ? nil : staff.windowSince ?? today
            if let before = previous.first {
                if before.0 != staff.windowId {
                    try Rotation.check(
                        since: before.0 == nil ? nil : before.1.flatMap(LocalDate.init(iso:)), today: today, filing: staff.rotationFilingReference,
                        reason: staff.rotationReason)
                    rotation = (before.0, staff.rotationFilingReference ?? "")
                } else if staff.windowId != nil {
                    since = staff.windowSince ?? before.1.flatMap(LocalDate.init(iso:)) ?? today
                }
            }
            do {
                try await connection.run(
                    """
                    INSERT INTO \(unescaped: schema).staff
                        (id, name, department_id, window_id, qualified, active, immediate_items, training_completed_on, training_course, window_since, updated_at)
                    VALUES (\(staff.id), \(staff.name), \(staff.departmentId), \(staff.windowId), \(staff.qualified), \(staff.active ?? true),
                            \(staff.immediateItems ?? []), \(staff.training?.completedOn.description)::date, \(staff.training?.course),
                            \(since?.description)::date, now())
                    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, department_id = EXCLUDED.department_id,
                        window_id = EXCLUDED.window_id, qualified = EXCLUDED.qualified, active = EXCLUDED.active,
                        immediate_items = EXCLUDED.immediate_items,
                        training_completed_on = COALESCE(EXCLUDED.training_completed_on, staff.training_completed_on),
                        training_course = COALESCE(EXCLUDED.training_course, staff.training_course),
                        window_since = EXCLUDED.window_since, updated_at = now()
                    """, logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
                throw HallError.invalid(
                    error.serverInfo?[.message]?.contains("window") == true ? "windowId" : "departmentId", "refers to nothing in the directory",
                    words: "在目录中不存在")
            }
            if let rotation {
                try await connection.run(
                    """
                    INSERT INTO \(unescaped: schema).window_rotations (staff_id, from_window, to_window, filing_reference, reason, recorded_by)
                    VALUES (\(staff.id), \(rotation.from), \(staff.windowId), \(rotation.filing), \(staff.rotationReason), \(recordedBy))
                    """, logger: logger)
            }
            let changed = StaffChanged(
                staffId: staff.id, name: staff.name, departmentId: staff.departmentId, windowId: staff.windowId, qualified: staff.qualified,
                active: staff.active ?? true)
            try await outbox.append([try event(changed, caseId: nil, key: staff.id)], on: connection, logger: logger)
            return changed
        }
    }

    /// Files a temporary stand-in (临时顶岗) with the centre: a qualified, active person of the hall
    /// acting at an open window for the days filed (Art 20, 27).
    func saveStandIn(_ input: StandInInput, filedBy: String) async throws -> StandInRecord {
        try await client.transaction(logger: logger) { connection in
            let staff = try await connection.select(
                "SELECT active AND qualified FROM \(unescaped: schema).staff WHERE id = \(input.staffId)", logger: logger
            ).decode(Bool.self).collectAll().first
            guard let eligible = staff else {
                throw HallError.invalid("staffId", "no staff member \(input.staffId) in the directory", words: "目录中没有工作人员 \(input.staffId)")
            }
            guard eligible else {
                throw HallError.invalid(
                    "staffId", "\(input.staffId) is not active, qualified staff (Art 19): no stand-in",
                    words: "\(input.staffId) 不是在岗且具备资格的工作人员（第19条），不能顶岗")
            }
            let open = try await connection.select(
                "SELECT active FROM \(unescaped: schema).windows WHERE id = \(input.windowId)", logger: logger
            ).decode(Bool.self).collectAll().first
            guard open == true else { throw HallError.invalid("windowId", "no open window \(input.windowId)", words: "没有开放的窗口 \(input.windowId)") }
            let row = try await connection.select(
                """
                INSERT INTO \(unescaped: schema).stand_ins (staff_id, window_id, from_date, to_date, reason, filing_reference, filed_by)
                VALUES (\(input.staffId), \(input.windowId), \(input.from.description)::date, \(input.to.description)::date, \(input.reason),
                        \(input.filingReference), \(filedBy))
                RETURNING id, filed_at
                """, logger: logger
            ).decode((Int64, Date).self).collectAll()[0]
            logger.info("stand-in filed", metadata: ["staff": "\(input.staffId)", "window": "\(input.windowId)"])
            return StandInRecord(
                id: row.0, staffId: input.staffId, windowId: input.windowId, from: input.from, to: input.to, reason: input.reason,
                filingReference: input.filingReference, filedBy: filedBy, filedAt: row.1)
        }
    }

    /// Stand-ins filed with the centre, of one window (all when nil), in force on `day` (all when nil), newest first.
    func standIns(windowId: String?, on day: LocalDate?) async throws -> [StandInRecord] {
        try await client.run(
            """
            SELECT id, staff_id, window_id, from_date::text, to_date::text, reason, filing_reference, filed_by, filed_at
            FROM \(unescaped: schema).stand_ins
            WHERE (\(windowId)::text IS NULL OR window_id = \(windowId))
                AND (\(day?.description)::date IS NULL OR (from_date <= \(day?.description)::date AND to_date >= \(day?.description)::date))
            ORDER BY from_date DESC, id DESC LIMIT 1000
            """, logger: logger
        ).decode((Int64, String, String, String, String, String, String, String, Date).self).collectAll().compactMap { row in
            guard let from = LocalDate(iso: row.3), let to = LocalDate(iso: row.4) else { return nil }
            return StandInRecord(
                id: row.0, staffId: row.1, windowId: row.2, from: from, to: to, reason: row.5, filingReference: row.6, filedBy: row.7, filedAt: row.8)
        }
    }

    /// The staff of the directory with their training, time at the window and rotations (centre admin).
    func staffList() async throws -> [StaffRecord] {
        let rotations = try await client.run(
            """
            SELECT staff_id, from_window, to_window, filing_reference, reason, recorded_by, recorded_at FROM \(unescaped: schema).window_rotations
            ORDER BY recorded_at, id
            """, logger: logger
        ).decode((String, String?, String?, String, String?, String, Date).self).collectAll()
        let byStaff = Dictionary(grouping: rotations, by: \.0)
        return try await client.run(
            """
            SELECT id, name, department_id, window_id, window_since::text, qualified, active, immediate_items, training_completed_on::text, training_course
            FROM \(unescaped: schema).staff ORDER BY department_id, id
            """, logger: logger
        ).decode((String, String, String, String?, String?, Bool, Bool, [String], String?, String?).self).collectAll().map { row in
            StaffRecord(
                id: row.0, name: row.1, departmentId: row.2, windowId: row.3, windowSince: row.4.flatMap(LocalDate.init(iso:)), qualified: row.5,
                active: row.6, immediateItems: row.7,
                training: row.8.flatMap(LocalDate.init(iso:)).map { StaffInput.Training(completedOn: $0, course: row.9 ?? "") },
                rotations: (byStaff[row.0] ?? []).map {
                    StaffRecord.RotationRecord(fromWindow: $0.1, toWindow: $0.2, filingReference: $0.3, reason: $0.4, recordedBy: $0.5, recordedAt: $0.6)
                })
        }
    }

    /// The departments as the directory holds them (centre admin): each as its last
    /// `intake.directory.department-changed` said, with its head and document code.
    func departmentList() async throws -> [DepartmentChanged] {
        let rows = try await client.run(
            """
            SELECT d.id, d.name, d.active, d.centre, d.chief_representative, c.name, d.substitute, s.name, d.substitute_notice,
                   d.substitute_from::text, d.substitute_to::text, d.head_id, d.head_name, d.head_title, d.document_code
            FROM \(unescaped: schema).departments d
            LEFT JOIN \(unescaped: schema).staff c ON c.id = d.chief_representative
            LEFT JOIN \(unescaped: schema).staff s ON s.id = d.substitute
            ORDER BY d.id
            """, logger: logger
        ).collectAll()
        return try rows.map { row in
            let r = row.makeRandomAccess()
            let chief = try (r[4].decode(String?.self), r[5].decode(String?.self))
            let sub = try (r[6].decode(String?.self), r[7].decode(String?.self), r[8].decode(String?.self), r[9].decode(String?.self), r[10].decode(String?.self))
            let head = try (r[11].decode(String?.self), r[12].decode(String?.self), r[13].decode(String?.self))
            var substitute: DirectorySubstitute?
            if let id = sub.0, let notice = sub.2, let from = sub.3, let to = sub.4 {
                substitute = DirectorySubstitute(staffId: id, name: sub.1 ?? id, noticeReference: notice, from: from, to: to)
            }
            var departmentHead: DepartmentHead?
            if let id = head.0, let name = head.1, let title = head.2 { departmentHead = DepartmentHead(personId: id, name: name, title: title) }
            return DepartmentChanged(
                departmentId: try r[0].decode(String.self), name: try r[1].decode(String.self), active: try r[2].decode(Bool.self),
                chiefRepresentative: chief.0.map { DirectoryPerson(staffId: $0, name: chief.1 ?? $0) }, substitute: substitute,
                centre: try r[3].decode(Bool.self), head: departmentHead, documentCode: try r[14].decode(String?.self))
        }
    }

    /// The hall's open windows and the items each takes today (Art 11, public): an item whose lead
    /// department the window serves, and at a comprehensive window every item delegated to the centre.
    func windowList(on day: LocalDate) async throws -> [WindowRecord] {
        let items = try await client.run(
            """
            SELECT code, name, lead, delegated FROM (
                SELECT DISTINCT ON (code) code, name, lead_department AS lead, delegated_to_centre AS delegated,
                       COALESCE((guide->>'withdrawn')::boolean, false) AS withdrawn
                FROM \(unescaped: schema).items WHERE effective_from <= \(day.description)::date ORDER BY code, version DESC
            ) latest WHERE NOT withdrawn ORDER BY code
            """, logger: logger
        ).decode((String, String, String, Bool).self).collectAll()
        return try await client.run(
            "SELECT id, name, kind, department_ids FROM \(unescaped: schema).windows WHERE active ORDER BY id", logger: logger
        ).decode((String, String, String, [String]).self).collectAll().map { row in
            let takes = items.filter { row.3.contains($0.2) || (row.2 == WindowKind.comprehensive.rawValue && $0.3) }
            return WindowRecord(
                id: row.0, name: row.1, kind: row.2, departmentIds: row.3, items: takes.map { WindowRecord.Item(code: $0.0, name: $0.1) })
        }
    }

    /// Registers a department's system or changes its key (or withdraws it). Publishes
    /// `intake.directory.department-system-changed`.
    func saveDepartmentSystem(_ system: DepartmentSystemInput, recordedBy: String) async throws -> DepartmentSystemChanged {
        try await client.transaction(logger: logger) { connection in
            do {
                try await connection.run(
                    """
                    INSERT INTO \(unescaped: schema).department_systems (id, department_id, name, public_key, active, registered_by, updated_at)
                    VALUES (\(system.id), \(system.departmentId), \(system.name), \(system.publicKey), \(system.active ?? true), \(recordedBy), now())
                    ON CONFLICT (id) DO UPDATE SET department_id = EXCLUDED.department_id, name = EXCLUDED.name,
                        public_key = EXCLUDED.public_key, active = EXCLUDED.active, registered_by = EXCLUDED.registered_by, updated_at = now()
                    """, logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
                throw HallError.invalid("departmentId", "refers to nothing in the directory", words: "在目录中不存在")
            }
            let changed = DepartmentSystemChanged(
                systemId: system.id, departmentId: system.departmentId, name: system.name, publicKey: system.publicKey, active: system.active ?? true)
            try await outbox.append([try event(changed, caseId: nil, key: system.id)], on: connection, logger: logger)
            return changed
        }
    }

    /// The department systems registered with the centre, by id.
    func departmentSystems() async throws -> [DepartmentSystemChanged] {
        try await select(
            "SELECT id, department_id, name, public_key, active FROM \(unescaped: schema).department_systems ORDER BY id", on: nil
        ).decode((String, String, String, String, Bool).self).collectAll().map {
            DepartmentSystemChanged(systemId: $0.0, departmentId: $0.1, name: $0.2, publicKey: $0.3, active: $0.4)
        }
    }

    /// A window's kind and departments, if it exists and is active (cached for 2 s).
    func window(_ id: String, on connection: PostgresConnection?) async throws -> (kind: String, departments: [String])? {
        if let cached = windows.get(id) { return cached }
        let found = try await select(
            "SELECT kind, department_ids FROM \(unescaped: schema).windows WHERE id = \(id) AND active", on: connection
        ).decode((String, [String]).self).collectAll().first.map { (kind: $0.0, departments: $0.1) }
        if let found { windows.put(id, found) }
        return found
    }

    /// The hall centre (政务中心) of the directory, if one is registered and active: it issues
    /// refusals of items unknown to the hall under its own seal (Art 35, 37).
    func centre(on connection: PostgresConnection?) async throws -> (id: String, name: String)? {
        try await select("SELECT id, name FROM \(unescaped: schema).departments WHERE centre AND active", on: connection)
            .decode((String, String).self).collectAll().first.map { (id: $0.0, name: $0.1) }
    }

    /// The name of `staffId` if they are active staff of the hall centre (agents, green-channel approvers, Art 40).
    func centreStaffName(_ staffId: String, on connection: PostgresConnection?) async throws -> String? {
        try await select(
            """
            SELECT s.name FROM \(unescaped: schema).staff s JOIN \(unescaped: schema).departments d ON d.id = s.department_id
            WHERE s.id = \(staffId) AND s.active AND d.centre AND d.active
            """, on: connection
        ).decode(String.self).collectAll().first
    }

    /// The name of a department (for refusal notices).
    func departmentName(_ id: String, on connection: PostgresConnection?) async throws -> String? {
        try await select("SELECT name FROM \(unescaped: schema).departments WHERE id = \(id)", on: connection)
            .decode(String.self).collectAll().first
    }

    /// Runs a query on the caller's transaction, or through the pool when there is none.
    func select(_ query: PostgresQuery, on connection: PostgresConnection?) async throws -> CollectedRows {
        if let connection { return CollectedRows(rows: try await connection.select(query, logger: logger).collectAll()) }
        return try await client.run(query, logger: logger)
    }

    // MARK: Catalogue

    /// Publishes a new item or a new version of one, in force from its effective date.
    func publishItem(_ submission: ItemSubmission, approvedBy: String) async throws -> ItemVersion {
        let submission = try submission.validated()
        return try await client.transaction(logger: logger) { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(hashtext(\("intake.item." + submission.code)))", logger: logger)
            let departments = [submission.leadDepartmentId] + (submission.participantDepartmentIds ?? [])
            let known = try await connection.select(
                "SELECT id FROM \(unescaped: schema).departments WHERE id = ANY(\(departments)) AND active", logger: logger
            ).decode(String.self).collectAll()
            let latest = try await connection.select(
                "SELECT max(version), max(effective_from)::text FROM \(unescaped: schema).items WHERE code = \(submission.code)", logger: logger
            ).decode((Int?, String?).self).collectAll().first
            let current = latest.flatMap { row in row.0.flatMap { version in row.1.flatMap(LocalDate.init(iso:)).map { (version, $0) } } }
            let item = try submission.publication(after: current, activeDepartments: Set(known))
            items.invalidate(item.code)
            let guide = String(decoding: try JSONEncoder().encode(item), as: UTF8.self)
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).items
                    (code, version, name, kind, lead_department, participant_departments, legal_limit_days, promised_limit_days,
                     fee_cents, fee_basis, not_counted, delegated_to_centre, tolerated_gap_allowed, form_template, guide,
                     effective_from, approval_reference, approved_by)
                VALUES (\(item.code), \(item.version), \(item.name), \(item.kind.rawValue), \(item.leadDepartmentId),
                        \(item.participantDepartmentIds), \(item.legalLimitDays), \(item.promisedLimitDays), \(item.fee.amountCents),
                        \(item.fee.basis), \(item.notCounted.map(\.rawValue)), \(item.delegatedToCentre), \(item.toleratedGapAllowed),
                        \(item.formTemplate), \(guide)::jsonb, \(item.effectiveFrom.description)::date, \(item.approvalReference), \(approvedBy))
                """, logger: logger)
            for (position, material) in item.materials.enumerated() {
                try await connection.run(
                    """
                    INSERT INTO \(unescaped: schema).item_materials
                        (item_code, item_version, material_id, name, form, copies, requirement, condition, tolerated_gap, position)
                    VALUES (\(item.code), \(item.version), \(material.id), \(material.name), \(material.form.rawValue), \(material.copies),
                            \(material.requirement.rawValue), \(material.condition), \(material.toleratedGap), \(position))
                    """, logger: logger)
            }
            let published = CatalogueItemPublished(
                itemCode: item.code, version: item.version, name: item.name, kind: item.kind, leadDepartmentId: item.leadDepartmentId,
                participantDepartmentIds: item.participantDepartmentIds, legalLimitDays: item.legalLimitDays,
                promisedLimitDays: item.promisedLimitDays, notCounted: item.notCounted, feeCents: item.fee.amountCents,
                effectiveFrom: item.effectiveFrom.hallDate, approvalReference: item.approvalReference, withdrawn: item.withdrawn)
            try await outbox.append([try event(published, caseId: nil, key: item.code)], on: connection, logger: logger)
            return item
        }
    }

    /// Every version of an item, oldest first.
    func versions(of code: String, on connection: PostgresConnection? = nil) async throws -> [ItemVersion] {
        let query: PostgresQuery = "SELECT guide::text FROM \(unescaped: schema).items WHERE code = \(code) ORDER BY version"
        let rows: [String]
        if let connection {
            rows = try await connection.select(query, logger: logger).decode(String.self).collectAll()
        } else {
            rows = try await client.run(query, logger: logger).decode(String.self).collectAll()
        }
        return try rows.map { try JSONDecoder().decode(ItemVersion.self, from: Data($0.utf8)) }
    }

    /// The version in force on a hall date (the latest whose effective date is not after it); none
    /// once a version withdrawing the item has taken effect.
    static func inForce(_ versions: [ItemVersion], on date: LocalDate) -> ItemVersion? {
        let latest = versions.filter { $0.effectiveFrom <= date }.max { $0.version < $1.version }
        return latest?.withdrawn == true ? nil : latest
    }

    /// The date the item was withdrawn from, when a withdrawal is in effect on `date`.
    static func withdrawal(_ versions: [ItemVersion], on date: LocalDate) -> LocalDate? {
        let latest = versions.filter { $0.effectiveFrom <= date }.max { $0.version < $1.version }
        return latest?.withdrawn == true ? latest?.effectiveFrom : nil
    }

    /// The items in force today whose code or name contains `text` (all when nil).
    func search(_ text: String?, on date: LocalDate) async throws -> [ItemVersion] {
        let pattern = "%\(text ?? "")%"
        let rows = try await client.run(
            """
            SELECT guide FROM (
                SELECT DISTINCT ON (code) code, guide::text AS guide, COALESCE((guide->>'withdrawn')::boolean, false) AS withdrawn
                FROM \(unescaped: schema).items
                WHERE effective_from <= \(date.description)::date AND (code ILIKE \(pattern) OR name ILIKE \(pattern))
                ORDER BY code, version DESC
            ) latest WHERE NOT withdrawn ORDER BY code LIMIT 200
            """, logger: logger
        ).decode(String.self).collectAll()
        return try rows.map { try JSONDecoder().decode(ItemVersion.self, from: Data($0.utf8)) }
    }
}

func checkIdentifier(_ value: String, field: String) throws {
    guard value.range(of: #"^[a-z0-9][a-z0-9-]{0,63}$"#, options: .regularExpression) != nil else {
        throw HallError.invalid(field, "must be 1–64 lower-case letters, digits or '-'", words: "须为 1–64 个小写字母、数字或“-”")
    }
}
