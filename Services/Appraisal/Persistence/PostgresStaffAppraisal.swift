import Foundation
import HallContracts
import HallKit
import Logging
import PostgresNIO

/// A department's annual appraisal figure (Art 17): its window staff's finalised annual results.
struct DepartmentAnnual: Codable, Sendable, Equatable {
    var departmentId: String
    var year: Int
    var staff: Int
    /// The mean of the staff's totals; none before any is finalised.
    var meanTotal: Double?
    var excellent: Int
    var competent: Int
    var basicallyCompetent: Int
    var unfit: Int
}

extension PostgresAppraisalRepository {
    /// What the events say of each active window staff member (or of `staffId`) in `period`.
    func staffFacts(_ period: AppraisalPeriod, staffId: String?, on connection: PostgresConnection) async throws -> [StaffFacts] {
        let (first, last) = (period.start.description, period.end.description)
        let rows = try await connection.select(
            """
            WITH item_means AS (
                SELECT item_code, avg(handling_days)::float8 AS mean FROM \(unescaped: schema).case_facts
                WHERE completed_day BETWEEN \(first)::date AND \(last)::date GROUP BY 1),
            done AS (
                SELECT c.staff_id, count(*) AS completed, count(*) FILTER (WHERE c.on_time) AS on_time,
                       avg(least(2.0, (m.mean + 1) / (c.handling_days + 1)) / 2)::float8 AS speed
                FROM \(unescaped: schema).case_facts c JOIN item_means m USING (item_code)
                WHERE c.completed_day BETWEEN \(first)::date AND \(last)::date GROUP BY 1),
            rated AS (
                SELECT c.staff_id, count(*) FILTER (WHERE r.level = 'very-satisfied') AS r1, count(*) FILTER (WHERE r.level = 'satisfied') AS r2,
                       count(*) FILTER (WHERE r.level = 'basically-satisfied') AS r3, count(*) FILTER (WHERE r.level = 'dissatisfied') AS r4,
                       count(*) FILTER (WHERE r.level = 'very-dissatisfied') AS r5
                FROM \(unescaped: schema).ratings r JOIN \(unescaped: schema).case_facts c USING (case_id)
                WHERE r.day BETWEEN \(first)::date AND \(last)::date AND NOT r.struck AND NOT r.suspect GROUP BY 1),
            complained AS (
                SELECT target_id AS staff_id,
                       count(*) FILTER (WHERE category IN ('attitude', 'quality', 'efficiency')) AS attitude,
                       count(*) FILTER (WHERE category IN ('discipline-or-law', 'duties', 'fee-not-per-standard', 'accepted-outside-hall')) AS discipline
                FROM \(unescaped: schema).complaint_facts
                WHERE target_kind = 'staff' AND finding IN ('substantiated', 'partly-substantiated') AND day BETWEEN \(first)::date AND \(last)::date
                GROUP BY 1),
            sanctioned AS (
                SELECT subject_id AS staff_id, count(*) AS sanctions FROM \(unescaped: schema).sanction_facts
                WHERE subject_kind = 'staff' AND day BETWEEN \(first)::date AND \(last)::date GROUP BY 1)
            SELECT s.staff_id, s.name, s.department_id, s.window_id, COALESCE(completed, 0)::int, COALESCE(on_time, 0)::int, speed,
                   COALESCE(r1, 0)::int, COALESCE(r2, 0)::int, COALESCE(r3, 0)::int, COALESCE(r4, 0)::int, COALESCE(r5, 0)::int,
                   COALESCE(attitude, 0)::int, COALESCE(discipline, 0)::int, COALESCE(sanctions, 0)::int
            FROM \(unescaped: schema).staff s
            LEFT JOIN done USING (staff_id) LEFT JOIN rated USING (staff_id) LEFT JOIN complained USING (staff_id) LEFT JOIN sanctioned USING (staff_id)
            WHERE s.active AND s.window_id IS NOT NULL AND (\(staffId)::text IS NULL OR s.staff_id = \(staffId))
            ORDER BY s.staff_id LIMIT 5000
            """, logger: logger
        ).collectAll()
        return try rows.map { row in
            let r = row.makeRandomAccess()
            func int(_ index: Int) throws -> Int { try r[index].decode(Int.self) }
            return StaffFacts(
                staffId: try r[0].decode(String.self), name: try r[1].decode(String.self), departmentId: try r[2].decode(String.self),
                windowId: try r[3].decode(String?.self), completed: try int(4), completedOnTime: try int(5), speedIndex: try r[6].decode(Double?.self),
                ratings: .init(verySatisfied: try int(7), satisfied: try int(8), basicallySatisfied: try int(9), dissatisfied: try int(10), veryDissatisfied: try int(11)),
                attitudeComplaints: try int(12), disciplineComplaints: try int(13), sanctions: try int(14))
        }
    }

    private func appraisals(_ period: AppraisalPeriod, staffId: String?, on connection: PostgresConnection) async throws -> [StaffAppraisal] {
        let facts = try await staffFacts(period, staffId: staffId, on: connection)
        let entries = try await connection.select(
            """
            SELECT staff_id, conduct, skills, note FROM \(unescaped: schema).appraisal_entries
            WHERE period = \(period.period.rawValue) AND period_start = \(period.start.description)::date
            """, logger: logger
        ).decode((String, Double, Double, String?).self).collectAll()
        let results = try await connection.select(
            """
            SELECT staff_id, finalised_by, finalised_at, replacement_recommended FROM \(unescaped: schema).appraisal_results
            WHERE period = \(period.period.rawValue) AND period_start = \(period.start.description)::date
            """, logger: logger
        ).decode((String, String, Date, Bool).self).collectAll()
        let inputRows = try await connection.select(
            """
            SELECT staff_id, note, conduct, given_by, given_at FROM \(unescaped: schema).discipline_inputs
            WHERE period = \(period.period.rawValue) AND period_start = \(period.start.description)::date AND (\(staffId)::text IS NULL OR staff_id = \(staffId))
            ORDER BY given_at, input_id
            """, logger: logger
        ).decode((String, String, Double?, String, Date).self).collectAll()
        let inputs = Dictionary(grouping: inputRows, by: \.0).mapValues { $0.map { DisciplineInput(note: $0.1, conduct: $0.2, by: $0.3, at: $0.4) } }
        let entered = Dictionary(entries.map { ($0.0, AppraisalEntry(conduct: $0.1, skills: $0.2, note: $0.3)) }, uniquingKeysWith: { $1 })
        let finalised = Dictionary(results.map { ($0.0, StaffAppraisal.Finalised(by: $0.1, at: $0.2, replacementRecommended: $0.3)) }, uniquingKeysWith: { $1 })
        return facts.map {
            StaffAppraisal(
                facts: $0, period: period.period, start: period.start, entry: entered[$0.staffId], finalised: finalised[$0.staffId], formula: formula,
                disciplineInputs: inputs[$0.staffId] ?? [])
        }
    }

    func staffAppraisals(_ period: AppraisalPeriod, staffId: String?) async throws -> [StaffAppraisal] {
        try await client.withConnection { connection in try await appraisals(period, staffId: staffId, on: connection) }
    }

    private func one(_ period: AppraisalPeriod, staffId: String, on connection: PostgresConnection) async throws -> StaffAppraisal {
        guard let appraisal = try await appraisals(period, staffId: staffId, on: connection).first else {
            throw HallError(
                .notFound, "no active window staff member '\(staffId)' in the hall's directory", field: "staffId",
                words: "大厅名录中没有在岗的窗口工作人员 \(staffId)")
        }
        return appraisal
    }

    func enter(_ entry: AppraisalEntry, period: AppraisalPeriod, staffId: String, by actor: String, at: Date) async throws -> StaffAppraisal {
        try entry.validate()
        return try await client.transaction(logger: logger) { connection in
            if try await one(period, staffId: staffId, on: connection).finalised != nil {
                throw HallError(
                    .conflict, "the appraisal is finalised; its entries stay as they were", field: "conduct", words: "考核结果已确定，录入的分数不再更改")
            }
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).appraisal_entries (staff_id, period, period_start, conduct, skills, note, entered_by, entered_at)
                VALUES (\(staffId), \(period.period.rawValue), \(period.start.description)::date, \(entry.conduct), \(entry.skills), \(entry.note), \(actor), \(at))
                ON CONFLICT (staff_id, period, period_start) DO UPDATE SET conduct = excluded.conduct, skills = excluded.skills, note = excluded.note,
                    entered_by = excluded.entered_by, entered_at = excluded.entered_at
                """, logger: logger)
            return try await one(period, staffId: staffId, on: connection)
        }
    }

    func addDisciplineInput(_ input: DisciplineInput, period: AppraisalPeriod, staffId: String, by actor: String, at: Date) async throws -> StaffAppraisal {
        try input.validate()
        return try await client.transaction(logger: logger) { connection in
            try StaffAppraisalRules.checkOpenToInput(try await one(period, staffId: staffId, on: connection))
            try await connection.run(
                """
                INSERT INTO \(unescaped: schema).discipline_inputs (staff_id, period, period_start, note, conduct, given_by, given_at)
                VALUES (\(staffId), \(period.period.rawValue), \(period.start.description)::date, \(input.note), \(input.conduct), \(actor), \(at))
                """, logger: logger)
            return try await one(period, staffId: staffId, on: connection)
        }
    }

    func finalise(period: AppraisalPeriod, staffId: String, by actor: String, at: Date) async throws -> StaffAppraisal {
        try await client.transaction(logger: logger) { connection in
            let current = try await one(period, staffId: staffId, on: connection)
            let (scores, total, grade) = try StaffAppraisalRules.finalisable(current)
            let inserted = try await connection.select(
                """
                INSERT INTO \(unescaped: schema).appraisal_results
                    (staff_id, period, period_start, department_id, conduct, skills, efficiency, attitude, discipline, total, grade,
                     replacement_recommended, finalised_by, finalised_at)
                VALUES (\(staffId), \(period.period.rawValue), \(period.start.description)::date, \(current.facts.departmentId), \(scores.conduct),
                        \(scores.skills), \(scores.efficiency), \(scores.attitude), \(scores.discipline), \(total), \(grade.rawValue), \(grade == .unfit),
                        \(actor), \(at))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger
            ).collectAll()
            guard !inserted.isEmpty else { throw HallError(.conflict, "the appraisal is finalised already", field: "staffId", words: "考核结果已经确定") }
            let payload = AppraisalResultPublished(
                staffId: staffId, departmentId: current.facts.departmentId, period: period.period.rawValue, periodStart: period.start, scores: scores,
                total: total, grade: grade, replacementRecommended: grade == .unfit, finalisedBy: actor, finalisedAt: at)
            try await Outbox(schema: schema).append(
                [OutgoingEvent(
                    topic: .appraisalEvents, key: staffId,
                    envelope: try EventEnvelope(payload: payload, occurredAt: at, producer: ServiceName.appraisal.rawValue, caseId: nil))],
                on: connection, logger: logger)
            return try await one(period, staffId: staffId, on: connection)
        }
    }

    func departmentAnnual(_ departmentId: String, year: Int) async throws -> DepartmentAnnual {
        let row = try await client.run(
            """
            SELECT count(*)::int, avg(total)::float8, count(*) FILTER (WHERE grade = 'excellent')::int, count(*) FILTER (WHERE grade = 'competent')::int,
                   count(*) FILTER (WHERE grade = 'basically-competent')::int, count(*) FILTER (WHERE grade = 'unfit')::int
            FROM \(unescaped: schema).appraisal_results
            WHERE department_id = \(departmentId) AND period = 'year' AND period_start = make_date(\(year)::int, 1, 1)
            """, logger: logger
        ).decode((Int, Double?, Int, Int, Int, Int).self).collectAll().first ?? (0, nil, 0, 0, 0, 0)
        return DepartmentAnnual(
            departmentId: departmentId, year: year, staff: row.0, meanTotal: row.1.map { ($0 * 10).rounded() / 10 }, excellent: row.2, competent: row.3,
            basicallyCompetent: row.4, unfit: row.5)
    }
}

/// When an appraisal may be finalised: once, with conduct and skills entered.
enum StaffAppraisalRules {
    /// The discipline room's input is taken until the appraisal is finalised.
    static func checkOpenToInput(_ appraisal: StaffAppraisal) throws {
        if appraisal.finalised != nil {
            throw HallError(
                .conflict, "the appraisal is finalised; the discipline room's input came too late for it", field: "note",
                words: "考核结果已确定，纪检监察室的意见未能在确定前提出")
        }
    }

    static func finalisable(_ appraisal: StaffAppraisal) throws -> (AppraisalScores, Double, AppraisalGrade) {
        if appraisal.finalised != nil { throw HallError(.conflict, "the appraisal is finalised already", field: "staffId", words: "考核结果已经确定") }
        guard let scores = appraisal.scores, let total = appraisal.total, let grade = appraisal.grade else {
            throw HallError(
                .conflict, "conduct and skills are entered by the centre before the appraisal is finalised", field: "conduct",
                words: "确定考核结果前，须由政务服务中心录入思想品德和业务技能分")
        }
        return (scores, total, grade)
    }
}
