public import CSMSCore
public import Foundation
import GRDB

extension SQLiteSchema {
    /// The message log table of the main database (`v9_message_log`), moved into a database
    /// of its own by `v14_message_log_moved_out` (`MessageLogDatabase`). Frozen.
    static func registerMessageLogMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9_message_log") { db in
            // No foreign key: frames of stations that are not registered are logged too.
            try db.execute(sql: MessageLogDatabase.createTable)
        }
    }

    /// `v14_message_log_moved_out`: the rows were copied into the message log database by
    /// `MessageLogDatabase.adopt(from:)` before this runs (docs/storage.md). Frozen.
    static func registerMessageLogMoveMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v14_message_log_moved_out") { db in
            try db.execute(sql: "DROP TABLE message_log")
        }
    }
}

/// The message log in a SQLite database of its own, next to the main one
/// (docs/storage.md, "The message log database").
///
/// The log is diagnostic: `MessageLogWriter` flushes it from memory every 250 ms and drops
/// entries when its buffer is full. In the main database its rows and their per-station index
/// pages went through the single group-commit writer with `synchronous=FULL`, about 15 % of
/// that writer's work in the StatusNotification benchmark (docs/benchmarks.md). Here it has
/// its own writer connection (its own thread and lock, so a big flush never delays a
/// station's commit), and a flush is one transaction, so that each station's index page is
/// written once per flush instead of once per entry. With a WAL write buffer
/// (`WALWriteBuffer`) its writer runs at `synchronous=FULL`, which the buffer needs and which
/// costs one sync per flush (a few per second), and hands a flush's WAL pages to the file
/// system in one write; without one it stays at `synchronous=NORMAL` (a power loss can lose the
/// last flushes, never the file).
final class MessageLogDatabase: Sendable {
    let database: any DatabaseWriter

    /// The table, the same in both databases (v9 of the main one, m1 of this one).
    static let createTable = """
        CREATE TABLE message_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            charge_point_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            direction TEXT NOT NULL,
            message_type INTEGER NOT NULL,
            action TEXT,
            message_id TEXT NOT NULL,
            size INTEGER NOT NULL,
            processing_micros INTEGER,
            payload TEXT,
            error_code TEXT
        ) STRICT;
        CREATE INDEX message_log_by_station ON message_log(charge_point_id, id);
        CREATE INDEX message_log_by_age ON message_log(at);
        """

    static let columns =
        "charge_point_id, at, direction, message_type, action, message_id, size, processing_micros, payload, error_code"

    /// The message log file of the main database at `path`: `-messages` before the
    /// extension (`csms.sqlite` → `csms-messages.sqlite`).
    static func path(besides path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let base = url.deletingPathExtension().lastPathComponent + "-messages"
        return url.deletingLastPathComponent().appendingPathComponent(ext.isEmpty ? base : base + "." + ext).path
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("m1_message_log") { db in try db.execute(sql: createTable) }
        migrator.registerMigration("m2_message_log_without_age_index") { db in
            // Pruning by age walks the table in id order instead (`prune`): entries are appended
            // in time order (off by at most a frame's processing time: a frame is logged when its
            // answer is ready), so the old ones are the first ids. One index fewer per entry.
            try db.execute(sql: "DROP INDEX message_log_by_age")
        }
        return migrator
    }

    /// Opens (creating and migrating) the log database at `path`, or an in-memory one, with
    /// the store's GRDB `configuration` and a WAL write buffer of `walWriteBufferBytes` (0: none).
    init(path: String?, configuration: Configuration, walWriteBufferBytes: Int = 0) throws {
        var configuration = configuration
        // A flush's multi-row INSERTs keep statement journals that outgrow SQLite's 64 KiB
        // spill threshold; in memory they cost no temporary file (docs/storage.md).
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA temp_store = MEMORY") }
        if let path {
            // GRDB sets synchronous=NORMAL on the writer in WAL mode; FULL below with a WAL buffer.
            database = try DatabasePool(path: path, configuration: configuration)
        } else {
            database = try DatabaseQueue(configuration: configuration)
        }
        if try database.read({ try Self.migrator.hasBeenSuperseded($0) }) {
            throw StoreError(.internalError, "the message log database was migrated by a newer version of the CSMS")
        }
        try Self.migrator.migrate(database)
        if path != nil, walWriteBufferBytes > 0 {
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                WALWriteBuffer.setCapacity(walWriteBufferBytes, on: db)
            }
        }
    }

    /// Copies the rows of `main`'s `message_log` table (a database before
    /// `v14_message_log_moved_out`) with their ids, and its id sequence, so that ids stay
    /// increasing and are never reused. Idempotent: a copy cut short by a crash is done again
    /// on the next start, before v14 drops the table.
    func adopt(from main: any DatabaseWriter) throws {
        // v14 drops the table: where it exists, v14 has not run.
        guard try main.read({ try $0.tableExists("message_log") }) else { return }
        var after: Int64 = 0
        while true {
            let rows = try main.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT id, \(Self.columns) FROM message_log WHERE id > ? ORDER BY id LIMIT 5000",
                    arguments: [after])
            }
            guard let last = rows.last else { break }
            try database.write { db in
                try db.insertRows(
                    "INSERT OR IGNORE INTO message_log (id, \(Self.columns))", columns: 11,
                    rows.map { StatementArguments(Array($0.databaseValues)) })
            }
            after = last["id"]
        }
        let sequence =
            try main.read { db in
                try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'message_log'")
            } ?? 0
        try database.write { db in
            try db.execute(
                sql: """
                    UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'message_log';
                    INSERT INTO sqlite_sequence (name, seq)
                        SELECT 'message_log', ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'message_log');
                    """, arguments: [sequence, sequence])
        }
    }

    /// Appends `entries` in order, in one transaction (ids from AUTOINCREMENT: increasing,
    /// never reused).
    func append(_ entries: [MessageLogEntry]) async throws {
        guard !entries.isEmpty else { return }
        let rows: [StatementArguments] = entries.map { entry in
            [
                entry.chargePointId.rawValue, entry.at.unixMilliseconds, entry.direction.rawValue,
                entry.messageType, entry.action, entry.messageId, entry.size, entry.processingMicros,
                entry.payload, entry.errorCode,
            ]
        }
        try await database.write { db in
            try db.insertRows("INSERT INTO message_log (\(Self.columns))", columns: 10, rows)
        }
    }

    func entries(chargePointId: ChargePointID, action: String?, after: Int64?, limit: Int) throws
        -> [MessageLogEntry]
    {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM message_log
                    WHERE charge_point_id = ? AND id > coalesce(?, 0) AND (? IS NULL OR action = ?)
                    ORDER BY id LIMIT ?
                    """,
                arguments: [chargePointId.rawValue, after, action, action, limit]
            ).map(MessageLogEntry.init(row:))
        }
    }

    func prune(olderThan cutoff: Int64, keep: Int) async throws -> Int {
        try await database.write { db in
            // The entries before the first one at or after the cutoff (ids follow time).
            try db.execute(
                sql: """
                    DELETE FROM message_log WHERE id < coalesce(
                        (SELECT id FROM message_log WHERE at >= ? ORDER BY id LIMIT 1),
                        (SELECT coalesce(max(id), 0) + 1 FROM message_log))
                    """, arguments: [cutoff])
            var deleted = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM message_log WHERE id IN (
                        SELECT id FROM (
                            SELECT id, row_number() OVER (PARTITION BY charge_point_id ORDER BY id DESC) AS n
                            FROM message_log)
                        WHERE n > ?)
                    """,
                arguments: [keep])
            deleted += db.changesCount
            return deleted
        }
    }
}

extension SQLiteStore {
    /// Appends entries to the message log database, in one transaction of its own writer
    /// (not through the group-commit writer of the stations' state).
    public func appendMessageLog(_ entries: [MessageLogEntry]) async throws(StoreError) {
        try checkOpen()
        do {
            try await messageLogDatabase.append(entries)
        } catch {
            throw StoreError(sqlite: error)
        }
    }

    /// Message log entries of a station, oldest first, after `after`, optionally of one action.
    public func messageLog(chargePointId: ChargePointID, action: String?, after: Int64?, limit: Int)
        async throws(StoreError) -> [MessageLogEntry]
    {
        guard limit > 0 else { return [] }
        try checkOpen()
        do {
            return try messageLogDatabase.entries(
                chargePointId: chargePointId, action: action, after: after, limit: limit)
        } catch {
            throw StoreError(sqlite: error)
        }
    }

    /// Deletes entries older than `date` and all but each station's newest `maxPerStation`.
    public func pruneMessageLog(olderThan date: Date, maxPerStation: Int) async throws(StoreError) -> Int {
        try checkOpen()
        do {
            return try await messageLogDatabase.prune(olderThan: date.unixMilliseconds, keep: max(0, maxPerStation))
        } catch {
            throw StoreError(sqlite: error)
        }
    }
}

extension MessageLogEntry {
    /// An entry from a `message_log` row.
    init(row: Row) throws {
        guard let id = ChargePointID(try row.decode(String.self, forColumn: "charge_point_id")),
            let direction = Direction(rawValue: try row.decode(String.self, forColumn: "direction"))
        else { throw StoreError(.internalError, "invalid message_log row in the database") }
        self.init(
            id: try row.decode(forColumn: "id"), chargePointId: id,
            at: Date(unixMilliseconds: try row.decode(Int64.self, forColumn: "at")), direction: direction,
            messageType: try row.decode(forColumn: "message_type"), action: try row.decode(forColumn: "action"),
            messageId: try row.decode(forColumn: "message_id"), size: try row.decode(forColumn: "size"),
            processingMicros: try row.decode(forColumn: "processing_micros"),
            payload: try row.decode(forColumn: "payload"), errorCode: try row.decode(forColumn: "error_code"))
    }
}
