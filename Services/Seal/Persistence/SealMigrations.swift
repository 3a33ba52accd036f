import HallKit

/// Migrations of schema `seal`, after the platform's outbox and inbox.
enum SealMigrations {
    static let all: [Migration] = []
}
