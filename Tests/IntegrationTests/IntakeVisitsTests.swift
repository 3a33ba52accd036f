import Foundation
import HallCalendar
import HallKit
import HallLocalStack
import Testing

@testable import intake

/// What the public does before the window on the real database: appointments and online applications.
@Suite("intake: appointments and online applications against the real database", .enabled(if: stackAvailable), .serialized)
struct IntakeVisitsTests {
    let api = IntakeAPITests()

    func store(_ database: ScratchDatabase) throws -> IntakeStore {
        IntakeStore(client: database.client, schema: database.schema, calendar: try WorkingCalendar.bundled(), logger: LocalStack.logger())
    }

    @Test("five people booking the last two places of a slot at once: two get them, three are told it is full; a cancellation frees one; one appointment a day per person; a weekend or a holiday cannot be booked")
    func appointments() async throws {
        try await api.withIntake { client, tokens, database in
            try await api.seed(client, tokens)
            let store = try store(database)
            let rules = AppointmentRules(capacity: 2, bookingDays: 10)
            // 2026-09-30 is the Wednesday before the National Day holiday (1–7 October 2026; Saturday 10 October is worked).
            let now = try #require(ISO8601DateFormatter().date(from: "2026-09-30T02:00:00Z"))
            let days = store.bookableDays(rules, today: .inHall(now)).map(\.description)
            #expect(days == ["2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13", "2026-10-14", "2026-10-15", "2026-10-16",
                             "2026-10-19", "2026-10-20"], "\(days)")
            let first = try #require(LocalDate(iso: days[0]))
            let people = (0..<5).map { residentId("1101051990010\(1000 + $0)".prefix(17).description) }
            let results = await withTaskGroup(of: Result<Appointment, any Error>.self) { group in
                for person in people {
                    group.addTask {
                        do {
                            return .success(try await store.book(
                                windowId: "w-01", day: first, slot: "09:00", itemCode: nil, name: "甲", idNumber: person, contact: "138", rules: rules, now: now))
                        } catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let booked = results.compactMap { try? $0.get() }
            #expect(booked.count == 2)
            #expect(results.filter { if case .failure(let error as HallError) = $0 { error.code.status == .conflict && error.field == "slot" } else { false } }.count == 3)
            #expect(try await store.availability(windowId: "w-01", rules: rules, today: .inHall(now)).first { $0.day == first && $0.slot == "09:00" }?.left == 0)

            func owner(_ appointment: Appointment) async throws -> String {
                try #require(try await database.client.run(
                    "SELECT id_number FROM \(unescaped: database.schema).appointments WHERE code = \(appointment.code)", logger: LocalStack.logger()
                ).decode(String.self).collectAll().first)
            }
            let cancelled = try #require(booked.first)
            let idNumber = try await owner(cancelled)
            #expect(try await store.cancelAppointment(code: cancelled.code, idNumber: people.first { $0 != idNumber } ?? "", now: now) == nil, "another person's number cancels nothing")
            #expect(try await store.cancelAppointment(code: cancelled.code, idNumber: idNumber, now: now)?.status == "cancelled")
            #expect(try await store.cancelAppointment(code: cancelled.code, idNumber: idNumber, now: now) == nil, "cancelled once")
            #expect(try await store.availability(windowId: "w-01", rules: rules, today: .inHall(now)).first { $0.day == first && $0.slot == "09:00" }?.left == 1)

            let secondOwner = try await owner(try #require(booked.last))
            do {
                _ = try await store.book(windowId: "w-01", day: first, slot: "14:00", itemCode: nil, name: "乙", idNumber: secondOwner, contact: "138", rules: rules, now: now)
                Issue.record("a second appointment the same day was booked")
            } catch let error as HallError {
                #expect(error.code.status == .conflict && error.field == "day")
            }
            for day in ["2026-10-03", "2026-10-11", "2026-10-21"] {
                do {
                    _ = try await store.book(
                        windowId: "w-01", day: try #require(LocalDate(iso: day)), slot: "09:00", itemCode: nil, name: "丙", idNumber: people[4], contact: "138",
                        rules: rules, now: now)
                    Issue.record("\(day) was booked: a holiday, a Sunday, or past the ten working days")
                } catch let error as HallError {
                    #expect(error.field == "day", "\(day): \(error)")
                }
            }
            await #expect(throws: HallError.self, "a discipline window or an unknown one receives no appointments") {
                try await store.book(windowId: "w-99", day: first, slot: "09:00", itemCode: nil, name: "丙", idNumber: people[4], contact: "138", rules: rules, now: now)
            }
        }
    }

    @Test("an online application is pre-checked against the guide and answered once, by one clerk, as a case of the online channel")
    func onlineApplications() async throws {
        try await api.withIntake { client, tokens, database in
            try await api.seed(client, tokens)
            let store = try store(database)
            let applicant = Applicant(kind: .person, name: "张三", idNumber: residentId("11010519491231002"), contact: "13800000000")
            await #expect(throws: HallError.self) {
                try await store.applyOnline(itemCode: "MKT-001", applicant: applicant, listed: ["no-such-material"], now: Date())
            }
            let online = try await store.applyOnline(itemCode: "MKT-001", applicant: applicant, listed: ["application-form", "identity-card"], now: Date())
            #expect(online.missing == ["经营场所证明"] && online.status == "waiting")
            #expect(try await store.onlineStatus(reference: online.reference, idNumber: residentId("11010519800101001")) == nil)

            let submission = try JSONDecoder.intake.decode(
                ApplicationSubmission.self, from: Data(api.application(key: "ignored", materials: api.allMaterials).utf8))
            let clerk = Clerk(staffId: "clerk-1", windowId: "w-01")
            let answers = try await withThrowingTaskGroup(of: ApplicationResponse.self) { group in
                for _ in 0..<4 { group.addTask { try await store.answerOnline(id: online.id, submission, clerk: clerk, now: Date()) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(answers.map(\.receiptCode)).count == 1 && answers.first?.outcome == .accepted)
            await #expect(throws: HallError.self) {
                try await store.answerOnline(id: online.id, submission, clerk: Clerk(staffId: "clerk-2", windowId: "w-tax"), now: Date())
            }
            let answered = try #require(try await store.onlineStatus(reference: online.reference, idNumber: applicant.idNumber))
            #expect(answered.status == "answered" && answered.receiptCode == answers.first?.receiptCode && answered.outcome == "accepted")
            #expect(try await database.count(
                "SELECT count(*)::bigint FROM \(database.schema).applications WHERE channel = 'online' AND receipt_code = '\(answered.receiptCode ?? "")'") == 1)
            #expect(try await store.onlineQueue().isEmpty)
        }
    }
}
