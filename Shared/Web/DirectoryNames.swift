import HallKit
import Logging
import PostgresNIO

/// The names of a signed-in person and their department, for the pages' header, from the
/// service's own copy of the directory (``DirectoryProjection``'s `staff` and `departments`, or
/// intake's own tables), each pair kept 30 seconds. A name the directory does not hold is shown
/// as the id.
public struct DirectoryNames: Sendable {
    let client: PostgresClient
    let schema: String
    let staffKey: String
    let departmentKey: String
    let logger: Logger
    private let kept = PageCache<Names>(ttl: .seconds(30), capacity: 4_096)

    struct Names: Sendable {
        var person: String?
        var department: String?
    }

    /// Names read from `schema`'s `staff` and `departments`, whose keys are `staffKey` and `departmentKey`.
    public init(client: PostgresClient, schema: String, staffKey: String = "staff_id", departmentKey: String = "department_id", logger: Logger) {
        self.client = client
        self.schema = schema
        self.staffKey = staffKey
        self.departmentKey = departmentKey
        self.logger = logger
    }

    /// The person's and the department's names; nil for what is not known (or cannot be read now:
    /// the header then shows the ids, and the page still works).
    public func names(staff: String, department: String?) async -> (String?, String?) {
        let key = staff + "\u{0}" + (department ?? "")
        let found = try? await kept.value(key) {
            let rows = try await client.run(
                """
                SELECT (SELECT name FROM \(unescaped: schema).staff WHERE \(unescaped: staffKey) = \(staff)),
                       (SELECT name FROM \(unescaped: schema).departments WHERE \(unescaped: departmentKey) = \(department ?? ""))
                """, logger: logger
            ).decode((String?, String?).self).collectAll()
            return Names(person: rows.first?.0, department: rows.first?.1)
        }
        return (found?.person, found?.department)
    }
}
