import HallKit

/// Migrations of schema `coordinator`, after the platform's outbox and inbox.
enum CoordinatorMigrations {
    static let all: [Migration] = []
}
