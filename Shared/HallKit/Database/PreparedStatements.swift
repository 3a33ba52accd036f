import NIOCore
import PostgresNIO
import Synchronization

/// Which of the hall's statements run as named prepared statements.
///
/// A statement sent unnamed is parsed, analysed and planned again at every execution; most of the
/// hall's statements are short look-ups and single-row writes, for which that is most of
/// PostgreSQL's work (pgbench's `-N` gives about 1.4 times the transactions a second prepared as
/// unnamed on this project's machine). So `run` prepares each `SELECT`, `INSERT`, `UPDATE`,
/// `DELETE` and `WITH` statement once per connection, under a name of its text, and executes it
/// by name afterwards; transaction control, settings and DDL stay unnamed.
///
/// postgres-nio prepares statements whose name and text are properties of a Swift type
/// (``PostgresPreparedStatement``); the hall's texts name their schema, which configuration
/// chooses at run time. ``NamedStatement`` therefore reads both from a task-local value set
/// around the call (`run` in `LiveQuery.swift`).
///
/// A statement is prepared with the types of the values bound at its first execution, and a value
/// left empty (`nil`) is sent without a type, so PostgreSQL infers one from the text — `\(date)::date`
/// prepared with `nil` takes a date, and a text bound there later would be read as a date's binary
/// form. So a statement is known by its text *and* the types of its values: each combination is
/// prepared once (postgres-nio keeps those types to itself; ``BindingTypes`` reads them).
///
/// A connection whose preparation of a statement failed keeps that failure for the name (postgres-nio
/// answers every later execution under it with the same error) — a preparation can fail for a
/// reason of the moment, such as a transaction already aborted by an earlier error. Until a
/// statement has executed once on a connection, a failure therefore gives it a new name there
/// (``ConnectionWatch`` keeps the names per connection); after a few renames the statement runs
/// unnamed on that connection.
public final class PreparedStatements: Sendable {
    /// How a statement given arrays runs: unnamed (planned for the arrays it is given, the
    /// default), or prepared like any other — for a statement whose planning costs more than a
    /// generic plan loses, such as a join of many tables over a few rows.
    public enum ArrayStatements: Sendable {
        case unnamed
        case prepared
    }

    /// The process's registry.
    public static let shared = PreparedStatements()

    /// Most distinct statement texts a process prepares; further texts run unnamed, so that a
    /// text built with varying content could not fill every connection with statements.
    public static let capacity = 1024
    /// Renames of one statement on one connection before it runs unnamed there.
    static let maximumRenames = 4

    private struct Key: Hashable {
        var sql: String
        var types: [PostgresDataType]
    }

    private let ids = Mutex<[Key: Int]>([:])
    private let enabled = Atomic<Bool>(true)

    /// Whether statements are prepared (`HALL_DATABASE_PREPARED_STATEMENTS`; on by default). Off
    /// suits a connection pooler that hands one session's statements to several server
    /// connections (PgBouncer in transaction mode).
    public var isEnabled: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }

    /// The statement's number in this process, or nil when it runs unnamed.
    ///
    /// A statement given arrays (a batch's values, `unnest(\(values)::text[])`) runs unnamed: it
    /// is executed once for many rows, so planning it costs little, and a plan kept for it would be
    /// PostgreSQL's generic plan once it has run five times, which counts every array as ten
    /// elements (accepting applications in groups measured 20-35 % slower prepared). A caller
    /// whose statement is dear to plan and whose arrays are short says so (`arrays: .prepared`).
    func id(of query: PostgresQuery, arrays: ArrayStatements = .unnamed) -> Int? {
        guard isEnabled, Self.isPreparable(query.sql), let types = BindingTypes.of(query.binds),
            arrays == .prepared || !types.contains(where: { $0.knownSQLName?.hasSuffix("[]") == true })
        else { return nil }
        let key = Key(sql: query.sql, types: types)
        return ids.withLock { ids in
            if let id = ids[key] { return id }
            guard ids.count < Self.capacity else { return nil }
            let id = ids.count
            ids[key] = id
            return id
        }
    }

    /// Texts counted so far.
    public var count: Int { ids.withLock { $0.count } }

    /// Whether a text is a query or a data change (its first word, after blanks and comments):
    /// those are the statements worth keeping a plan of.
    static func isPreparable(_ sql: String) -> Bool {
        var utf8 = sql.utf8[...]
        while true {
            utf8 = utf8.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D })
            guard utf8.starts(with: "--".utf8) else { break }
            utf8 = utf8.drop(while: { $0 != 0x0A })
        }
        let word = utf8.prefix(while: { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }).map { $0 | 0x20 }
        return preparableWords.contains(word)
    }

    private static let preparableWords: [[UInt8]] = ["select", "insert", "update", "delete", "with"].map { Array($0.utf8) }
}

/// The types of the values bound to a query.
///
/// postgres-nio keeps them in `PostgresBindings.metadata`, which is internal (`@usableFromInline`:
/// its layout is part of the library's inlinable code). They are read through a copy of that layout,
/// checked once against bindings of known types; if the check fails (another version of the
/// library), ``of(_:)`` answers nil and every statement runs unnamed, as before.
enum BindingTypes {
    private struct Layout {
        var metadata: [Metadata]
        var bytes: ByteBuffer
    }

    private struct Metadata {
        var dataType: PostgresDataType
        var format: PostgresFormat
        var protected: Bool
    }

    /// Whether the layout matches the library's.
    static let readable: Bool = {
        guard MemoryLayout<Layout>.size == MemoryLayout<PostgresBindings>.size,
            MemoryLayout<Layout>.alignment == MemoryLayout<PostgresBindings>.alignment
        else { return false }
        var probe = PostgresBindings()
        probe.append("text")
        probe.appendNull()
        probe.append(Int32(7))
        probe.append(true)
        let metadata = read(probe)
        return metadata.map(\.dataType) == [.text, .null, .int4, .bool] && metadata.allSatisfy { $0.format == .binary && $0.protected }
    }()

    private static func read(_ bindings: PostgresBindings) -> [Metadata] {
        withUnsafePointer(to: bindings) { $0.withMemoryRebound(to: Layout.self, capacity: 1) { $0.pointee.metadata } }
    }

    /// The type of each bound value (`.null` for a value left empty), or nil when they cannot be read.
    static func of(_ bindings: PostgresBindings) -> [PostgresDataType]? {
        guard readable else { return nil }
        return read(bindings).map(\.dataType)
    }
}

/// One named statement of the hall: its name and text come from ``text``, set around the call
/// (see ``PreparedStatements``).
struct NamedStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        var name: String
        var sql: String
    }

    @TaskLocal static var text = Text(name: "", sql: "")

    static var name: String { text.name }
    static var sql: String { text.sql }

    var bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// The rows of a query run by ``PostgresConnection/run(_:logger:file:line:)``, read as
/// postgres-nio's row sequence is (`for try await`, `decode`, `collect`).
public struct HallRows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow

    enum Source: Sendable {
        case unnamed(PostgresRowSequence)
        case named(PreparedRows)
    }

    /// The rows of a named statement: postgres-nio hands them through a map whose closure
    /// (`decodeRow`) only returns each row.
    struct PreparedRows: @unchecked Sendable {
        // @unchecked: the map's closure is `NamedStatement.decodeRow`, which captures nothing; the
        // base sequence is Sendable.
        var rows: AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>
    }

    let source: Source

    public struct AsyncIterator: AsyncIteratorProtocol {
        enum Base {
            case unnamed(PostgresRowSequence.AsyncIterator)
            case named(AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>.AsyncIterator)
        }
        var base: Base

        public mutating func next() async throws -> PostgresRow? {
            switch base {
            case .unnamed(var iterator):
                let row = try await iterator.next()
                base = .unnamed(iterator)
                return row
            case .named(var iterator):
                let row = try await iterator.next()
                base = .named(iterator)
                return row
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .unnamed(let rows): AsyncIterator(base: .unnamed(rows.makeAsyncIterator()))
        case .named(let rows): AsyncIterator(base: .named(rows.rows.makeAsyncIterator()))
        }
    }

    /// Every row, read to the end.
    public func collect() async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in self { rows.append(row) }
        return rows
    }
}
