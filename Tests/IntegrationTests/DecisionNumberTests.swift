import Foundation
import HallCalendar
import HallKit
import HallLocalStack
import PostgresNIO
import Testing

@Suite("decision numbers (文号) on the real database", .enabled(if: LocalStack.isAvailable))
struct DecisionNumberTests {
    static let departments = Migration(
        component: "test", version: 1, name: "departments and numbers",
        statements: ["CREATE TABLE departments (department_id text PRIMARY KEY, document_code text)"] + DecisionNumbers.tables)

    @Test("two decisions of one department at the same time take different numbers without waiting for each other; a number rolled back is given again; the code is the department's; free numbers are topped up outside the deciding transactions")
    func concurrentDecisions() async throws {
        try await ScratchDatabase.with(extra: [Self.departments]) { database in
            let logger = LocalStack.logger()
            let (schema, client) = (database.schema, database.client)
            try await client.run("INSERT INTO \(unescaped: schema).departments VALUES ('d-market', '县市监许'), ('d-tax', NULL)", logger: logger)
            let now = Date()
            let year = LocalDate.inHall(now).year
            func take(_ department: String, on connection: PostgresConnection) async throws -> String {
                try await DecisionNumbers.next(
                    departmentId: department, decidedAt: now, schema: schema, departments: ("departments", "department_id"), on: connection, logger: logger)
            }
            #expect(try await client.transaction(logger: logger) { try await take("d-market", on: $0) } == "县市监许〔\(year)〕1号")
            #expect(try await client.transaction(logger: logger) { try await take("d-tax", on: $0) } == "d-tax〔\(year)〕1号")

            // A transaction holds its number and stays open; another takes the next at once.
            let (numbers, opened) = AsyncStream.makeStream(of: String.self)
            let (proceed, go) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await client.transaction(logger: logger) { connection in
                    opened.yield(try await take("d-market", on: connection))
                    for await _ in proceed { break }
                    throw CancellationError()  // rolled back: its number is free again
                }
            }
            var held: String?
            for await number in numbers { held = number; break }
            #expect(held == "县市监许〔\(year)〕2号")
            let started = ContinuousClock.now
            let other = try await client.transaction(logger: logger) { try await take("d-market", on: $0) }
            #expect(other == "县市监许〔\(year)〕3号" && ContinuousClock.now - started < .seconds(5), "not held up by the open transaction")
            go.yield()
            go.finish()
            _ = await holder.result
            #expect(try await client.transaction(logger: logger) { try await take("d-market", on: $0) } == "县市监许〔\(year)〕2号", "the rolled-back number")
            #expect(try await client.transaction(logger: logger) { try await take("d-market", on: $0) } == "县市监许〔\(year)〕4号")

            // Past a block, the next block is freed; no number is given twice.
            var seen: Set<String> = []
            for _ in 0..<(DecisionNumbers.block + 5) {
                seen.insert(try await client.transaction(logger: logger) { try await take("d-tax", on: $0) })
            }
            #expect(seen.count == DecisionNumbers.block + 5 && seen.contains("d-tax〔\(year)〕\(DecisionNumbers.block + 6)号"))

            // Topped up outside the deciding transactions: each department below the low-water mark gets another block, once.
            func free(_ department: String) async throws -> Int {
                try await database.count("SELECT count(*)::bigint FROM \(schema).decision_slots WHERE department_id = '\(department)'")
            }
            let before = (try await free("d-market"), try await free("d-tax"))
            #expect(before.0 < DecisionNumbers.lowWater && before.1 < DecisionNumbers.lowWater)
            #expect(try await DecisionNumbers.topUp(year: year, schema: schema, client: client, logger: logger) == 2)
            let after = (try await free("d-market"), try await free("d-tax"))
            #expect(after.0 == before.0 + DecisionNumbers.topUpBlock && after.1 == before.1 + DecisionNumbers.topUpBlock)
            #expect(try await DecisionNumbers.topUp(year: year, schema: schema, client: client, logger: logger) == 0)
            #expect(try await client.transaction(logger: logger) { try await take("d-market", on: $0) } == "县市监许〔\(year)〕5号", "still the lowest free number")
        }
    }
}
