public import CSMSCore
public import Foundation
import GRDB

extension SQLiteSchema {
    /// The message log table (`v9_message_log`).
    static func registerMessageLogMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9_message_log") { db in
            // No foreign key: frames of stations that are not registered are logged too.
            try db.execute(
                sql: """
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
                    """)
        }
    }
}

extension StoreWrite {
    /// Appends entries in order (ids from AUTOINCREMENT: increasing, never reused).
    static func logMessages(_ entries: [MessageLogEntry], _ db: Database) throws {
        try db.insertRows(
            """
            INSERT INTO message_log
                (charge_point_id, at, direction, message_type, action, message_id, size, processing_micros, payload,
                 error_code)
            """, columns: 10,
            entries.map { entry in
                [
                    entry.chargePointId.rawValue, entry.at.unixMilliseconds, entry.direction.rawValue,
                    entry.messageType, entry.action, entry.messageId, entry.size, entry.processingMicros,
                    entry.payload, entry.errorCode,
                ]
            })
    }
}

extension SQLiteStore {
    /// Message log entries of a station, oldest first, after `after`, optionally of one action.
    public func messageLog(chargePointId: ChargePointID, action: String?, after: Int64?, limit: Int)
        async throws(StoreError) -> [MessageLogEntry]
    {
        guard limit > 0 else { return [] }
        return try await read { db in
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

    /// Deletes entries older than `date` and all but each station's newest `maxPerStation`.
    public func pruneMessageLog(olderThan date: Date, maxPerStation: Int) async throws(StoreError) -> Int {
        let cutoff = date.unixMilliseconds
        let keep = max(0, maxPerStation)
        return try await writer.submit { db in
            try db.execute(sql: "DELETE FROM message_log WHERE at < ?", arguments: [cutoff])
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
        }.get()
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
            payload: try row.decode(forColumn: "payload"))
    }
}
