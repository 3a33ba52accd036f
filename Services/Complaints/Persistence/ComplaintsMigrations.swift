import HallKit

/// Migrations of schema `complaints`, after the platform's outbox and inbox.
enum ComplaintsMigrations {
    static let all: [Migration] = [DirectoryProjection.migration]
}
