import Foundation
import HallCalendar
import HallContracts
import HallKit

// Query and field parsing shared by the intake's controllers.

func requireParameter(_ value: String?, _ field: String) throws -> String {
    guard let value, !value.isEmpty else { throw HallError.invalid(field, "is required", words: "为必填项") }
    return value
}

func parseDate(field: String) -> (String) throws -> LocalDate {
    { text in
        guard let date = LocalDate(iso: text) else { throw HallError.invalid(field, "must be a date YYYY-MM-DD", words: "须为日期，格式为 YYYY-MM-DD") }
        return date
    }
}

func parseInstant(field: String) -> (String) throws -> Date {
    { text in
        guard let date = RFC3339Timestamp.date(from: text) else {
            throw HallError.invalid(field, "must be an RFC 3339 time, e.g. 2026-02-13T09:30:00+08:00", words: "须为 RFC 3339 格式的时间，如 2026-02-13T09:30:00+08:00")
        }
        return date
    }
}
