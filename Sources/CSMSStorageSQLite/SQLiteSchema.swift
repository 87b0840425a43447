import GRDB

/// The database schema as named, frozen migrations (docs/storage.md).
///
/// Rules: a migration that has landed is never edited, renamed or removed; a change is a
/// new migration appended at the end. Migrations are plain SQL and never use app types, so
/// they keep meaning the same thing whatever the Swift types become. Dates are INTEGER Unix
/// milliseconds.
enum SQLiteSchema {
    /// The migrator with every migration, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1_charge_points") { db in
            try db.execute(
                sql: """
                    CREATE TABLE charge_points (
                        id TEXT NOT NULL PRIMARY KEY,
                        registration_status TEXT,
                        password_hash TEXT,
                        boot_status TEXT,
                        boot_vendor TEXT,
                        boot_model TEXT,
                        boot_serial_number TEXT,
                        boot_charge_box_serial_number TEXT,
                        boot_firmware_version TEXT,
                        boot_iccid TEXT,
                        boot_imsi TEXT,
                        boot_meter_type TEXT,
                        boot_meter_serial_number TEXT,
                        boot_reason TEXT,
                        last_boot_at INTEGER,
                        protocol_version TEXT,
                        last_seen INTEGER,
                        state_version INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    ) STRICT;
                    """)
        }

        migrator.registerMigration("v2_connector_status") { db in
            // evse_id is NULL for OCPP 1.6 connectors; the unique key treats NULL as -1 so that
            // a 1.6 connector has one current row (NULLs are distinct in a plain UNIQUE).
            try db.execute(
                sql: """
                    CREATE TABLE connector_status (
                        charge_point_id TEXT NOT NULL REFERENCES charge_points(id) ON DELETE CASCADE,
                        evse_id INTEGER,
                        connector_id INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        error_code TEXT,
                        info TEXT,
                        vendor_id TEXT,
                        vendor_error_code TEXT,
                        timestamp INTEGER NOT NULL,
                        received_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE UNIQUE INDEX connector_status_key
                        ON connector_status(charge_point_id, coalesce(evse_id, -1), connector_id);

                    CREATE TABLE connector_status_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        charge_point_id TEXT NOT NULL REFERENCES charge_points(id) ON DELETE CASCADE,
                        evse_id INTEGER,
                        connector_id INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        error_code TEXT,
                        info TEXT,
                        vendor_id TEXT,
                        vendor_error_code TEXT,
                        timestamp INTEGER NOT NULL,
                        received_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX connector_status_history_by_station
                        ON connector_status_history(charge_point_id, received_at, id);
                    """)
        }

        migrator.registerMigration("v3_stored_responses") { db in
            // No foreign key: answers to stations that are not registered (a rejected boot) are
            // kept too.
            try db.execute(
                sql: """
                    CREATE TABLE stored_responses (
                        charge_point_id TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        request_digest TEXT NOT NULL,
                        response BLOB NOT NULL,
                        stored_at INTEGER NOT NULL,
                        PRIMARY KEY (charge_point_id, message_id)
                    ) STRICT, WITHOUT ROWID;
                    CREATE INDEX stored_responses_by_age ON stored_responses(stored_at);
                    """)
        }

        migrator.registerMigration("v4_dead_letters") { db in
            // AUTOINCREMENT: ids only increase, never reused after a delete. No foreign key:
            // frames of unknown stations are dead-lettered too.
            try db.execute(
                sql: """
                    CREATE TABLE dead_letters (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        charge_point_id TEXT NOT NULL,
                        protocol_version TEXT NOT NULL,
                        raw_frame TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        error TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        attempts INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX dead_letters_by_station ON dead_letters(charge_point_id, id);
                    """)
        }

        registerTransactionMigrations(&migrator)
        registerIdTokenMigrations(&migrator)
        registerCommandMigrations(&migrator)
        registerSecurityMigrations(&migrator)
        registerMessageLogMigrations(&migrator)
        registerAvailabilityMigrations(&migrator)
        registerRemoteStartMigrations(&migrator)
        registerSerialBindingMigrations(&migrator)
        registerWriteCostMigrations(&migrator)
        registerMessageLogMoveMigration(&migrator)
        return migrator
    }
}
