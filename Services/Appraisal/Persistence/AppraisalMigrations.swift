import HallKit

/// Migrations of schema `appraisal`, after the platform's outbox and inbox.
enum AppraisalMigrations {
    static let all: [Migration] = [DirectoryProjection.migration]
}
