public import CSMSCore
import Foundation
import GRDB

extension SQLiteSchema {
    /// The availability history table (`v10_availability`, issue #7).
    static func registerAvailabilityMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10_availability") { db in
            // No foreign key: a station that never booted still connects and disconnects.
            try db.execute(
                sql: """
                    CREATE TABLE availability_events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        charge_point_id TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        reason TEXT,
                        session_id TEXT
                    ) STRICT;
                    CREATE INDEX availability_events_by_station ON availability_events(charge_point_id, id);
                    """)
        }
    }
}

extension StoreWrite {
    /// Appends one transition (ids from AUTOINCREMENT: increasing, never reused).
    static func recordAvailability(_ event: AvailabilityEvent, _ db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO availability_events (charge_point_id, at, state, reason, session_id)
                VALUES (?, ?, ?, ?, ?)
                """,
            arguments: [
                event.chargePointId.rawValue, event.at.unixMilliseconds, event.state.rawValue, event.reason,
                event.sessionId?.uuidString,
            ])
    }
}

extension SQLiteStore {
    /// Transitions of a station, oldest first, after `after`.
    public func availabilityHistory(chargePointId: ChargePointID, after: Int64?, limit: Int)
        async throws(StoreError) -> [AvailabilityEvent]
    {
        guard limit > 0 else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM availability_events
                    WHERE charge_point_id = ? AND id > coalesce(?, 0)
                    ORDER BY id LIMIT ?
                    """,
                arguments: [chargePointId.rawValue, after, limit]
            ).map(AvailabilityEvent.init(row:))
        }
    }
}

extension AvailabilityEvent {
    /// An event from an `availability_events` row.
    init(row: Row) throws {
        guard let id = ChargePointID(try row.decode(String.self, forColumn: "charge_point_id")),
            let state = State(rawValue: try row.decode(String.self, forColumn: "state"))
        else { throw StoreError(.internalError, "invalid availability_events row in the database") }
        let session: String? = try row.decode(forColumn: "session_id")
        self.init(
            id: try row.decode(forColumn: "id"), chargePointId: id,
            at: Date(unixMilliseconds: try row.decode(Int64.self, forColumn: "at")), state: state,
            reason: try row.decode(forColumn: "reason"), sessionId: session.flatMap(UUID.init(uuidString:)))
    }
}
