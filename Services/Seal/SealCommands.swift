import Crypto
import Foundation
import HallContracts
import HallImprints
import HallKafka
import HallKit
import Logging
import PostgresNIO

/// The seal executable's commands besides serving.
enum SealCommands {
    /// `seal verify-register [SEAL-ID…]`: re-verifies registers in `HALL_DATABASE_SCHEMA` (default
    /// `seal`) of `HALL_DATABASE_URL`; prints one line per seal; exit 0 all intact, 2 one broken, 1 error.
    static func verifyRegister(_ arguments: [String]) async -> Int32 {
        var logger = Logger(label: "hall.seal.verify")
        logger.logLevel = .warning
        do {
            let environment = EnvironmentReader()
            let schema = environment.string("HALL_DATABASE_SCHEMA", default: "seal")
            let database = try DatabaseConfiguration(
                url: try environment.require("HALL_DATABASE_URL"), key: "HALL_DATABASE_URL", schema: schema, poolSize: 2)
            let client = PostgresClient(configuration: database.clientConfiguration(), backgroundLogger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                // Verification needs only public keys: no master key.
                let repository = PostgresSealRepository(
                    client: client, schema: schema, vault: KeyVault(masterKey: Array(repeating: 0, count: 32)), logger: logger)
                var ids = arguments.compactMap(UUID.init(uuidString:))
                if ids.count != arguments.count { throw HallError.invalid("seal id", "arguments must be seal ids (UUIDs)", words: "参数须为印章编号（UUID）") }
                if ids.isEmpty { ids = try await repository.seals(departmentId: nil).map(\.sealId) }
                var broken = false
                for id in ids {
                    guard let report = try await repository.verifyRegister(sealId: id) else {
                        print("\(id.uuidString.lowercased()) unknown seal")
                        broken = true
                        continue
                    }
                    if report.intact {
                        print("\(id.uuidString.lowercased()) intact imprints=\(report.checked)")
                    } else {
                        broken = true
                        let at = report.firstBrokenSerial.map { " at serial \($0)" } ?? ""
                        print("\(id.uuidString.lowercased()) BROKEN\(at): \(report.problem?.rawValue ?? "?") (intact before it: \(report.checked))")
                    }
                }
                return broken ? 2 : 0
            }
        } catch {
            FileHandle.standardError.write(Data("seal verify-register: \(error)\n".utf8))
            return 1
        }
    }
}
