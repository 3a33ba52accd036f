import HallCalendar
import HallContracts
import Foundation

// A contract's hall date and the calendar's local date are the same day written two ways: the
// contracts stay Foundation-only for department systems, the services count working days.

extension LocalDate {
    /// The day a contract's hall date names (a valid `YYYY-MM-DD` is always a local date).
    public init(_ date: HallDate) {
        guard let day = LocalDate(iso: date.description) else { preconditionFailure("hall date \(date) is not a calendar day") }
        self = day
    }

    /// This day as a contract's hall date (the calendar's years are four-digit).
    public var hallDate: HallDate {
        guard let date = HallDate(description) else { preconditionFailure("local date \(self) has no YYYY-MM-DD form") }
        return date
    }
}

extension ContractEnum {
    /// A value read back from the service's own table: one it wrote, so an unknown one is a
    /// damaged row, reported as an internal error rather than guessed.
    public init(stored raw: String) throws {
        guard let value = Self(rawValue: raw) else {
            throw HallError(
                .internalError, "a stored \(Self.self) is not one of \(Self.allowedValues)",
                words: "库中保存的 \(Self.self) 值不是 \(Self.allowedValues) 之一")
        }
        self = value
    }
}

extension HallDate {
    /// A date read back from the service's own table (`date::text`).
    public init(stored text: String) throws {
        guard let date = HallDate(text) else { throw HallError(.internalError, "a stored date is not YYYY-MM-DD", words: "库中保存的日期不是 YYYY-MM-DD 格式") }
        self = date
    }
}
