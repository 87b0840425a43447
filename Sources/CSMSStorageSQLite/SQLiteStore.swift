public import CSMSCore
public import Foundation
import GRDB
import Synchronization

/// The `CSMSStore` on an embedded SQLite database (GRDB), described in docs/storage.md.
///
/// A file database is a GRDB `DatabasePool` in WAL mode: reads run on reader connections in
/// parallel with the one writer connection. Every commit goes through the group-commit
/// writer (`GroupCommitWriter`), which applies all requests queued during the previous
/// transaction in one transaction and resumes their callers after COMMIT returned; with
/// `synchronous=FULL` (the default) a returned commit is on disk.
public final class SQLiteStore: CSMSStore {
    /// The database file, or `nil` for an in-memory database.
    public let path: String?
    /// The message log's database file next to `path` (`MessageLogDatabase`), or `nil` in memory.
    public var messageLogPath: String? { path.map(MessageLogDatabase.path(besides:)) }
    let database: any DatabaseWriter
    let messageLogDatabase: MessageLogDatabase
    let writer: GroupCommitWriter
    /// Checkpoints the file database's WAL off the writer (`nil` in memory).
    let checkpointer: WALCheckpointer?
    /// The writer's transaction rows; emptied by the writer on every rollback.
    let transactionRows = TransactionRowCache()
    private let closed = Mutex(false)

    /// Opens the database file at `path`, creating it and its folder when missing, and
    /// migrates it to the current schema.
    ///
    /// Fails with `.unavailable` when the folder or the file cannot be created or opened,
    /// and with `.internalError` when the file was migrated by a newer version of the CSMS.
    public convenience init(path: String, configuration: SQLiteStoreConfiguration = SQLiteStoreConfiguration())
        throws(StoreError)
    {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.unavailable, "cannot create the database folder \(folder.path)")
        }
        // Before the pool opens its files: the shim wraps only files opened after it is installed.
        if configuration.walWriteBufferInUse > 0 { _ = WALWriteBuffer.isInstalled }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: Self.grdbConfiguration(configuration))
        } catch {
            throw StoreError(sqlite: error)
        }
        try self.init(database: pool, path: path, configuration: configuration)
    }

    /// A new, empty database in memory (a GRDB `DatabaseQueue`: no WAL, reads wait for the
    /// writer), for tests. It is gone when the store is released.
    public static func inMemory(configuration: SQLiteStoreConfiguration = SQLiteStoreConfiguration())
        throws(StoreError) -> SQLiteStore
    {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(configuration: grdbConfiguration(configuration))
        } catch {
            throw StoreError(sqlite: error)
        }
        return try SQLiteStore(database: queue, path: nil, configuration: configuration)
    }

    private init(database: any DatabaseWriter, path: String?, configuration: SQLiteStoreConfiguration)
        throws(StoreError)
    {
        self.path = path
        self.database = database
        do {
            // After opening: GRDB sets synchronous=NORMAL on the writer when it enables WAL.
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(configuration.synchronous.rawValue)")
                if path != nil { WALWriteBuffer.setCapacity(configuration.walWriteBufferInUse, on: db) }
            }
            let migrator = SQLiteSchema.migrator
            if try database.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError(.internalError, "the database was migrated by a newer version of the CSMS")
            }
            var logConfiguration = Self.grdbConfiguration(configuration)
            logConfiguration.label = "CSMSMessageLog"
            logConfiguration.maximumReaderCount = 2
            messageLogDatabase = try MessageLogDatabase(
                path: path.map(MessageLogDatabase.path(besides:)), configuration: logConfiguration,
                walWriteBufferBytes: configuration.walWriteBufferInUse)
            try messageLogDatabase.adopt(from: database)
            try migrator.migrate(database)
            if let path {
                let checkpointer = WALCheckpointer(
                    path: path, pages: configuration.walAutocheckpointPages, busyTimeout: configuration.busyTimeout,
                    onCheckpoint: configuration.onCheckpoint)
                database.writeWithoutTransaction { checkpointer.install(on: $0) }
                self.checkpointer = checkpointer
            } else {
                checkpointer = nil
            }
        } catch {
            throw StoreError(sqlite: error)
        }
        let rows = transactionRows
        writer = GroupCommitWriter(
            database: database, maxBatchSize: configuration.maxBatchSize, gathering: configuration.commitGathering,
            onBatch: configuration.onBatch, onRollback: { rows.removeAll() })
    }

    /// The GRDB settings of both databases (the main one and the message log's).
    private static func grdbConfiguration(_ configuration: SQLiteStoreConfiguration) -> Configuration {
        var grdb = Configuration()
        grdb.label = "CSMSStorageSQLite"
        grdb.foreignKeysEnabled = true
        grdb.busyMode = .timeout(configuration.busyTimeout.timeInterval)
        grdb.maximumReaderCount = max(1, configuration.maximumReaderCount)
        let mmapSize = configuration.mmapSize
        let cacheKiB = configuration.cacheSizeKiB
        let checkpointPages = configuration.walAutocheckpointPages
        grdb.prepareDatabase { db in
            // Memory-mapped reads: a reader whose page cache was invalidated by the writer's
            // commit reads the pages from the map instead of one pread (and a copy) each.
            // Writes still go through the WAL with fsync (docs/storage.md, "SQLite settings").
            try db.execute(
                sql: """
                    PRAGMA mmap_size = \(mmapSize); PRAGMA cache_size = -\(cacheKiB);
                    PRAGMA wal_autocheckpoint = \(checkpointPages)
                    """)
        }
        return grdb
    }

    /// Totals of the group-commit writer (transactions, requests, largest batch, time).
    public var groupCommitStatistics: GroupCommitStatistics { writer.statistics }

    /// Waits for every accepted commit, then closes the database. Later commits and reads
    /// fail with `.unavailable`.
    public func close() async throws(StoreError) {
        await writer.close()
        if let checkpointer {
            try? await database.writeWithoutTransaction { checkpointer.close(writer: $0) }
        }
        let first = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        // Both, even when the first fails.
        let results = [database, messageLogDatabase.database].map { db in Result { try db.close() } }
        for case .failure(let error) in results { throw StoreError(sqlite: error) }
    }

    /// Fails with `.unavailable` once the store is closed.
    func checkOpen() throws(StoreError) {
        guard !closed.withLock({ $0 }), !writer.isClosed else { throw StoreError(.unavailable, "the store is closed") }
    }

    // MARK: - CSMSStore

    /// Applies `writes` atomically and durably, in order, in the next group-commit transaction.
    public func commit(_ writes: [StoreWrite]) async throws(StoreError) {
        guard !writes.isEmpty else { return }
        let rows = transactionRows
        _ = try await writer.submit { db in
            for write in writes { try write.apply(db, cache: rows) }
            return writes.count
        }.get()
    }

    /// The charge point, if registered.
    public func chargePoint(_ id: ChargePointID) async throws(StoreError) -> ChargePoint? {
        try await readStatement { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM charge_points WHERE id = ?"), arguments: [id.rawValue]
            ).map(ChargePoint.init(row:))
        }
    }

    /// Charge points ordered by id, starting after `after`, at most `limit`.
    public func chargePoints(after: ChargePointID?, limit: Int) async throws(StoreError) -> [ChargePoint] {
        guard limit > 0 else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM charge_points WHERE ? IS NULL OR id > ? ORDER BY id LIMIT ?",
                arguments: [after?.rawValue, after?.rawValue, limit]
            ).map(ChargePoint.init(row:))
        }
    }

    /// The current status of each connector of the station, ordered by EVSE (1.6 first)
    /// then connector.
    public func connectorStatuses(of id: ChargePointID) async throws(StoreError) -> [ConnectorStatus] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM connector_status WHERE charge_point_id = ? ORDER BY evse_id, connector_id",
                arguments: [id.rawValue]
            ).map(ConnectorStatus.init(row:))
        }
    }

    /// The status history of the station, newest received first (ties: newest stored
    /// first), at most `limit`.
    public func statusHistory(of id: ChargePointID, limit: Int) async throws(StoreError) -> [ConnectorStatus] {
        guard limit > 0 else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM connector_status_history WHERE charge_point_id = ?
                    ORDER BY received_at DESC, id DESC LIMIT ?
                    """,
                arguments: [id.rawValue, limit]
            ).map(ConnectorStatus.init(row:))
        }
    }

    /// The stored answer to message `messageId` of the station, if any.
    public func storedResponse(chargePointId: ChargePointID, messageId: String) async throws(StoreError)
        -> StoredResponse?
    {
        try await readStatement { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM stored_responses WHERE charge_point_id = ? AND message_id = ?"),
                arguments: [chargePointId.rawValue, messageId]
            ).map(StoredResponse.init(row:))
        }
    }

    /// Deletes stored answers stored strictly before `date` (through the writer, in the next
    /// group-commit transaction); returns how many were deleted.
    public func pruneStoredResponses(olderThan date: Date) async throws(StoreError) -> Int {
        let cutoff = date.unixMilliseconds
        return try await writer.submit { db in
            try db.execute(sql: "DELETE FROM stored_responses WHERE stored_at < ?", arguments: [cutoff])
            return db.changesCount
        }.get()
    }

    /// Dead letters, optionally of one station, ordered by id, after `after`, at most `limit`.
    public func deadLetters(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [DeadLetter]
    {
        guard limit > 0 else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM dead_letters
                    WHERE (? IS NULL OR charge_point_id = ?) AND id > coalesce(?, 0)
                    ORDER BY id LIMIT ?
                    """,
                arguments: [chargePointId?.rawValue, chargePointId?.rawValue, after, limit]
            ).map(DeadLetter.init(row:))
        }
    }

    /// The dead letter with `id`, if it exists.
    public func deadLetter(id: Int64) async throws(StoreError) -> DeadLetter? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM dead_letters WHERE id = ?", arguments: [id])
                .map(DeadLetter.init(row:))
        }
    }

    /// Whether a trivial query succeeds now.
    public func isReachable() async -> Bool {
        (try? await read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// Runs `body` in a read transaction on the calling thread (docs/storage.md, "Reads").
    ///
    /// GRDB's synchronous read takes a reader connection (a pool of `maximumReaderCount`; in
    /// WAL mode readers never wait for the writer) and runs on the caller's thread. Its async
    /// read would hop to the reader's dispatch queue and back: two thread switches per point
    /// lookup, which on a loaded core queued the idempotency lookups for tens of milliseconds.
    /// The reads here are indexed point or page lookups on memory-mapped pages, short enough to
    /// run inline.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        try readInline(transaction: true, body)
    }

    /// `read` for a body that runs exactly one SELECT: without BEGIN and COMMIT around it
    /// (SQLite runs a lone statement in a read transaction of its own, so it still sees one
    /// consistent snapshot). The hot-path lookups (stored answers, registration) use it.
    func readStatement<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        try readInline(transaction: false, body)
    }

    /// The synchronous read (a plain function, so that GRDB's async overload is not chosen).
    private func readInline<T>(transaction: Bool, _ body: (Database) throws -> T) throws(StoreError) -> T {
        try checkOpen()
        do {
            return transaction ? try database.read(body) : try database.unsafeRead(body)
        } catch {
            throw StoreError(sqlite: error)
        }
    }
}
