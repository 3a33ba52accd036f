import HallKit
import Logging
import PostgresNIO

/// What the complaints service reads and writes, behind one protocol: the routes use it, the
/// service runs ``PostgresComplaintsRepository``, route tests run ``MemoryComplaintsRepository``.
protocol ComplaintsRepository: Sendable {
    /// The active windows and departments one may complain about.
    func targets() async throws -> ComplaintTargets
}

/// The windows and departments one may complain about.
struct ComplaintTargets: Codable, Sendable, Equatable {
    var windows: [DirectoryWindow]
    var departments: [DirectoryDepartment]
}

/// ``ComplaintsRepository`` on the service's schema.
struct PostgresComplaintsRepository: ComplaintsRepository {
    let client: PostgresClient
    let schema: String
    let logger: Logger

    func targets() async throws -> ComplaintTargets {
        ComplaintTargets(
            windows: try await DirectoryProjection.activeWindows(client: client, schema: schema, logger: logger),
            departments: try await DirectoryProjection.activeDepartments(client: client, schema: schema, logger: logger))
    }
}

/// ``ComplaintsRepository`` in memory, for route tests.
struct MemoryComplaintsRepository: ComplaintsRepository {
    var stored = ComplaintTargets(windows: [], departments: [])

    func targets() async throws -> ComplaintTargets { stored }
}
