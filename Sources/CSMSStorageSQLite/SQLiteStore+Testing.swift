package import GRDB

extension SQLiteStore {
    /// Runs `body` on the writer connection outside any transaction, for tests only: reading
    /// pragmas, or injecting faults such as `PRAGMA max_page_count` (a full disk).
    package func onWriterConnection<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await database.writeWithoutTransaction(body)
    }

    /// `onWriterConnection` for the message log database's writer connection.
    package func onMessageLogWriterConnection<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T)
        async throws -> T
    {
        try await messageLogDatabase.database.writeWithoutTransaction(body)
    }
}
