import HallKit

/// Migrations of schema `intake`, after the platform's outbox and inbox.
enum IntakeMigrations {
    static let all: [Migration] = []
}
