import PostgresNIO

/// A one-line description of an error for the log and for a dead-letter record's reason: a
/// database error gives its SQLSTATE and the server's message (postgres-nio's own description of
/// it says nothing, so as not to leak the values bound to the query); any other error describes itself.
public func errorDescription(_ error: any Error) -> String {
    if let psql = error as? PSQLError {
        if let message = psql.serverInfo?[.message] {
            let state = psql.serverInfo?[.sqlState].map { "\($0) " } ?? ""
            let detail = psql.serverInfo?[.detail].map { " (\($0))" } ?? ""
            return "database: \(state)\(message)\(detail)"
        }
        if let underlying = psql.underlying { return "database: \(underlying)" }
        return "database: \(psql.code)"
    }
    return "\(error)"
}

/// Whether an error says nothing about the work itself, only about the moment: a deadlock or a
/// serialisation failure (SQLSTATE class 40), a lock not available (55P03), a query cancelled or
/// the server shutting down (class 57), or the connection lost. The same work done again in a new
/// transaction is expected to succeed.
public func isTransientDatabaseError(_ error: any Error) -> Bool {
    if error is DatabaseConnectionLost { return true }
    guard let psql = error as? PSQLError else { return false }
    guard let state = psql.serverInfo?[.sqlState] else { return psql.code != .server }
    return state.hasPrefix("40") || state.hasPrefix("57") || state == "55P03"
}
