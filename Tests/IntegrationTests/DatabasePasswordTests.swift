import Foundation
import HallKit
import HallLocalStack
import Logging
import PostgresNIO
import Testing

@Suite("database roles against the real PostgreSQL", .enabled(if: LocalStack.isAvailable))
struct DatabasePasswordTests {
    /// Signs in as `role` with `password` on the test stack's server; answers whether it was let in.
    static func signsIn(_ role: String, _ password: String) async throws -> Bool {
        let url = try #require(LocalStack.adminDatabaseURL)
        let admin = try #require(URL(string: url))
        let configuration = PostgresConnection.Configuration(
            host: try #require(admin.host), port: admin.port ?? 5432, username: role, password: password, database: "hall", tls: .disable)
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: LocalStack.logger())
            try await connection.close()
            return true
        } catch let error as PSQLError where error.code == .server {
            return false  // refused by the server (password authentication failed)
        }
    }

    @Test("no role of the hall's database signs in with a password anyone could guess (its own name, the old superuser's)")
    func noGuessablePasswords() async throws {
        for role in ["hall", "intake", "coordinator", "seal", "complaints", "appraisal"] {
            #expect(try await !Self.signsIn(role, role), "\(role)/\(role)")
        }
        // The generated password does let the service in: the refusals above are about the password.
        let intake = try #require(ProcessInfo.processInfo.environment["HALL_INTAKE_DATABASE_URL"].flatMap { URL(string: $0) })
        let password = try #require(intake.password)
        #expect(try await Self.signsIn("intake", password))
    }
}
