extension AsyncSequence where Self: Sendable {
    /// All elements, in order (for small result sets).
    public func collectAll() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}

import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs a query and returns its rows (the async form, unambiguous when chaining `.decode`).
    public func select(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await self.query(query, logger: logger)
    }
}
