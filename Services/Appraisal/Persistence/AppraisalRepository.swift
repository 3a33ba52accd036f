import HallKit
import Logging
import PostgresNIO

/// What the appraisal service reads and writes, behind one protocol: the routes use it, the
/// service runs ``PostgresAppraisalRepository``, route tests run ``MemoryAppraisalRepository``.
protocol AppraisalRepository: Sendable {
    /// The active windows whose service can be rated.
    func windows() async throws -> RatedWindows
}

/// The windows whose service can be rated.
struct RatedWindows: Codable, Sendable, Equatable {
    var windows: [DirectoryWindow]
}

/// ``AppraisalRepository`` on the service's schema.
struct PostgresAppraisalRepository: AppraisalRepository {
    let client: PostgresClient
    let schema: String
    let logger: Logger

    func windows() async throws -> RatedWindows {
        RatedWindows(windows: try await DirectoryProjection.activeWindows(client: client, schema: schema, logger: logger))
    }
}

/// ``AppraisalRepository`` in memory, for route tests.
struct MemoryAppraisalRepository: AppraisalRepository {
    var stored = RatedWindows(windows: [])

    func windows() async throws -> RatedWindows { stored }
}
