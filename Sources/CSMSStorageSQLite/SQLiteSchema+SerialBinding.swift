public import CSMSCore
import Foundation
import GRDB

extension SQLiteSchema {
    /// The BootNotification serial bindings (`v12_serial_bindings`, issue #8).
    static func registerSerialBindingMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v12_serial_bindings") { db in
            // No foreign key: an operator may bind a station before it ever booted.
            try db.execute(
                sql: """
                    CREATE TABLE station_serial_bindings (
                        charge_point_id TEXT PRIMARY KEY NOT NULL,
                        serial_number TEXT NOT NULL,
                        bound_at INTEGER NOT NULL
                    ) STRICT;
                    """)
        }
    }
}

extension StoreWrite {
    /// Sets or replaces the station's binding.
    static func bindSerialNumber(_ binding: SerialBinding, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO station_serial_bindings (charge_point_id, serial_number, bound_at) VALUES (?, ?, ?)
                ON CONFLICT (charge_point_id) DO UPDATE SET serial_number = excluded.serial_number,
                    bound_at = excluded.bound_at
                """,
            arguments: [binding.chargePointId.rawValue, binding.serialNumber, binding.boundAt.unixMilliseconds])
    }

    /// Removes the station's binding.
    static func clearSerialBinding(_ id: ChargePointID, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM station_serial_bindings WHERE charge_point_id = ?", arguments: [id.rawValue])
    }
}

extension SQLiteStore {
    /// The station's serial binding, if any.
    public func serialBinding(of id: ChargePointID) async throws(StoreError) -> SerialBinding? {
        try await read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT serial_number, bound_at FROM station_serial_bindings WHERE charge_point_id = ?",
                    arguments: [id.rawValue])
            else { return nil }
            return SerialBinding(
                chargePointId: id, serialNumber: try row.decode(String.self, forColumn: "serial_number"),
                boundAt: Date(unixMilliseconds: try row.decode(Int64.self, forColumn: "bound_at")))
        }
    }
}
