import Foundation
import HallCalendar
import HallContracts
import HallKit
import PostgresNIO

/// Appointments for a window visit (预约): a slot of a working day on the official calendar at a
/// window that receives the public, within the next `AppointmentRules.bookingDays` working days;
/// each slot takes `capacity` people; a person holds one appointment a day; cancelled with the
/// code and the identity number, which frees the place.
struct AppointmentRules: Sendable {
    /// The slots of a working day, by their start (`09:00`).
    var slots: [String] = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"]
    /// People per window and slot.
    var capacity: Int
    /// How many working days ahead may be booked (from the next working day).
    var bookingDays: Int
    /// Appointments booked from one client address in an hour at most: places are few, and one
    /// address must not take them all with made-up names.
    var perAddressPerHour: Int = 30
}

struct Appointment: Sendable, Equatable {
    var code: String
    var windowId: String
    var day: LocalDate
    var slot: String
    var itemCode: String?
    var name: String
    var contact: String
    var status: String
}

/// A slot's places left, for the booking page.
struct SlotAvailability: Sendable, Equatable {
    var day: LocalDate
    var slot: String
    var left: Int
}

extension IntakeStore {
    /// The working days that may be booked on `today`: the next `rules.bookingDays` working days.
    func bookableDays(_ rules: AppointmentRules, today: LocalDate) -> [LocalDate] {
        var days: [LocalDate] = [], day = today
        while days.count < rules.bookingDays {
            day = day.adding(days: 1)
            if calendar.isWorkingDay(day).value { days.append(day) }
            if day.dayNumber - today.dayNumber > 60 { break }
        }
        return days
    }

    /// The places left in each slot of `windowId` on the bookable days.
    func availability(windowId: String, rules: AppointmentRules, today: LocalDate) async throws -> [SlotAvailability] {
        let days = bookableDays(rules, today: today)
        let booked = try await client.run(
            """
            SELECT day::text, slot, booked FROM \(unescaped: schema).appointment_slots
            WHERE window_id = \(windowId) AND day = ANY(\(days.map(\.description))::date[])
            """, logger: logger
        ).decode((String, String, Int).self).collectAll()
        let taken = Dictionary(booked.map { ("\($0.0) \($0.1)", $0.2) }) { a, _ in a }
        return days.flatMap { day in
            rules.slots.map { SlotAvailability(day: day, slot: $0, left: rules.capacity - (taken["\(day) \($0)"] ?? 0)) }
        }
    }

    /// Books a place; refuses a day that may not be booked, a window that does not receive the
    /// public, a full slot and a second appointment of the person that day, each naming the field.
    func book(
        windowId: String, day: LocalDate, slot: String, itemCode: String?, name: String, idNumber: String, contact: String,
        rules: AppointmentRules, now: Date
    ) async throws -> Appointment {
        guard bookableDays(rules, today: .inHall(now)).contains(day) else {
            throw HallError.invalid(
                "day", "an appointment is for one of the next \(rules.bookingDays) working days on the official calendar",
                words: "只能预约今后 \(rules.bookingDays) 个工作日（以法定工作日历为准）中的一天")
        }
        guard rules.slots.contains(slot) else {
            throw HallError.invalid("slot", "is one of \(rules.slots.joined(separator: ", "))", words: "须为以下时段之一：\(rules.slots.joined(separator: "、"))")
        }
        guard try await windowList(on: day).contains(where: { $0.id == windowId && $0.kind != "discipline" }) else {
            throw HallError.invalid("windowId", "is a window of the hall that receives applicants", words: "须为大厅中接待办事群众的窗口")
        }
        guard IdentityNumber.isValidResidentId(idNumber) || IdentityNumber.isValidCreditCode(idNumber) else {
            throw HallError.invalid(
                "idNumber", "is not a valid resident identity number or unified social credit code", words: "不是有效的居民身份证号码或统一社会信用代码")
        }
        for (field, value) in [("name", name), ("contact", contact)] where value.trimmingCharacters(in: .whitespaces).isEmpty || value.count > 100 {
            throw HallError.invalid(field, "must be 1–100 characters", words: "须为 1–100 个字符")
        }
        let appointment = Appointment(
            code: "Y" + Self.newReceiptCode().dropFirst(), windowId: windowId, day: day, slot: slot, itemCode: itemCode, name: name, contact: contact,
            status: "booked")
        do {
            try await client.transaction(logger: logger) { connection in
                let placed = try await connection.select(
                    """
                    INSERT INTO \(unescaped: schema).appointment_slots (window_id, day, slot, booked, capacity)
                    VALUES (\(windowId), \(day.description)::date, \(slot), 1, \(rules.capacity))
                    ON CONFLICT (window_id, day, slot) DO UPDATE SET booked = appointment_slots.booked + 1
                        WHERE appointment_slots.booked < appointment_slots.capacity
                    RETURNING booked
                    """, logger: logger
                ).decode(Int.self).collectAll()
                guard !placed.isEmpty else {
                    throw HallError(.conflict, "the slot \(day) \(slot) is full: choose another", field: "slot", words: "\(day) \(slot) 时段已约满，请另选时段")
                }
                try await connection.run(
                    """
                    INSERT INTO \(unescaped: schema).appointments (id, code, window_id, day, slot, item_code, name, id_number, contact, status, created_at)
                    VALUES (\(UUID()), \(appointment.code), \(windowId), \(day.description)::date, \(slot), \(itemCode), \(name),
                            \(idNumber.uppercased()), \(contact), 'booked', \(now))
                    """, logger: logger)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw HallError(
                .conflict, "the applicant already has an appointment on \(day): one a day", field: "day", words: "申请人在 \(day) 已有预约，每人每天限约一次")
        }
        return appointment
    }

    /// Cancels a booked appointment (its code and the applicant's identity number) and frees its place.
    func cancelAppointment(code: String, idNumber: String, now: Date) async throws -> Appointment? {
        try await client.transaction(logger: logger) { connection in
            let row = try await connection.select(
                """
                UPDATE \(unescaped: schema).appointments SET status = 'cancelled', cancelled_at = \(now)
                WHERE code = \(code) AND id_number = \(idNumber.uppercased()) AND status = 'booked'
                RETURNING window_id, day::text, slot, item_code, name, contact
                """, logger: logger
            ).decode((String, String, String, String?, String, String).self).collectAll().first
            guard let row, let day = LocalDate(iso: row.1) else { return nil }
            try await connection.run(
                """
                UPDATE \(unescaped: schema).appointment_slots SET booked = booked - 1
                WHERE window_id = \(row.0) AND day = \(row.1)::date AND slot = \(row.2)
                """, logger: logger)
            return Appointment(code: code, windowId: row.0, day: day, slot: row.2, itemCode: row.3, name: row.4, contact: row.5, status: "cancelled")
        }
    }

    /// The booked appointments of a window on a day, by slot (the front desk's list).
    func appointments(windowId: String, day: LocalDate) async throws -> [Appointment] {
        try await client.run(
            """
            SELECT code, slot, item_code, name, contact FROM \(unescaped: schema).appointments
            WHERE window_id = \(windowId) AND day = \(day.description)::date AND status = 'booked' ORDER BY slot, created_at
            """, logger: logger
        ).decode((String, String, String?, String, String).self).collectAll().map {
            Appointment(code: $0.0, windowId: windowId, day: day, slot: $0.1, itemCode: $0.2, name: $0.3, contact: $0.4, status: "booked")
        }
    }
}
