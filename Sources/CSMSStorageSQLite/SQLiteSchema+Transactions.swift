import GRDB

extension SQLiteSchema {
    /// The transaction tables (docs/storage.md, docs/transactions.md). Frozen once landed.
    static func registerTransactionMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5_transactions") { db in
            // No foreign key to charge_points: transaction records are money data and outlive
            // a charge point's registration. sequence orders listings (newest first).
            // The 1.6 dedupe key (station, connector, idTag, timestamp, meterStart) is a
            // partial unique index over the 1.6 rows; ocpp16_id is unique system-wide.
            try db.execute(
                sql: """
                    CREATE TABLE transactions (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                        charge_point_id TEXT NOT NULL,
                        transaction_id TEXT NOT NULL,
                        ocpp16_id INTEGER UNIQUE,
                        evse_id INTEGER,
                        connector_id INTEGER,
                        id_token TEXT,
                        id_token_type TEXT,
                        authorization_status TEXT,
                        state TEXT NOT NULL,
                        started_at INTEGER NOT NULL,
                        stopped_at INTEGER,
                        meter_start REAL,
                        meter_stop REAL,
                        last_energy_wh REAL,
                        last_energy_at INTEGER,
                        stop_reason TEXT,
                        stop_id_token TEXT,
                        stop_id_token_type TEXT,
                        remote_start_id INTEGER,
                        reservation_id INTEGER,
                        offline INTEGER NOT NULL,
                        number_of_phases_used INTEGER,
                        cable_max_current INTEGER,
                        last_trigger_reason TEXT,
                        min_seq_no INTEGER,
                        max_seq_no INTEGER,
                        event_count INTEGER NOT NULL,
                        seq_no_gaps INTEGER NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        UNIQUE (charge_point_id, transaction_id)
                    ) STRICT;
                    CREATE UNIQUE INDEX transactions_start16
                        ON transactions(charge_point_id, connector_id, id_token, started_at, meter_start)
                        WHERE ocpp16_id IS NOT NULL;
                    CREATE INDEX transactions_by_id ON transactions(transaction_id);
                    CREATE INDEX transactions_active_by_token ON transactions(id_token) WHERE state <> 'Ended';
                    CREATE INDEX transactions_by_station ON transactions(charge_point_id, sequence);

                    CREATE TABLE transaction_events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        charge_point_id TEXT NOT NULL,
                        transaction_id TEXT NOT NULL,
                        seq_no INTEGER,
                        event_type TEXT NOT NULL,
                        trigger_reason TEXT,
                        timestamp INTEGER NOT NULL,
                        message_id TEXT NOT NULL,
                        received_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE UNIQUE INDEX transaction_events_seq_no
                        ON transaction_events(charge_point_id, transaction_id, seq_no);

                    CREATE TABLE transaction_id_sequence (
                        name TEXT NOT NULL PRIMARY KEY,
                        next_id INTEGER NOT NULL
                    ) STRICT;
                    INSERT INTO transaction_id_sequence (name, next_id) VALUES ('ocpp16', 1);
                    """)
        }

        migrator.registerMigration("v5_meter_values") { db in
            // Identical samples (same station, transaction, EVSE/connector, timestamp,
            // measurand, phase, location, context and value) are stored once.
            try db.execute(
                sql: """
                    CREATE TABLE meter_values (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        charge_point_id TEXT NOT NULL,
                        transaction_id TEXT,
                        evse_id INTEGER,
                        connector_id INTEGER,
                        timestamp INTEGER NOT NULL,
                        value TEXT NOT NULL,
                        measurand TEXT,
                        phase TEXT,
                        location TEXT,
                        unit TEXT,
                        multiplier INTEGER,
                        context TEXT,
                        format TEXT,
                        signed_data TEXT,
                        received_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE UNIQUE INDEX meter_values_dedupe ON meter_values(
                        charge_point_id, coalesce(transaction_id, ''), coalesce(evse_id, -1),
                        coalesce(connector_id, -1), timestamp, coalesce(measurand, ''), coalesce(phase, ''),
                        coalesce(location, ''), coalesce(context, ''), value);
                    CREATE INDEX meter_values_by_transaction
                        ON meter_values(charge_point_id, transaction_id, timestamp, id);
                    """)
        }

        migrator.registerMigration("v5_transaction_anomalies") { db in
            try db.execute(
                sql: """
                    CREATE TABLE transaction_anomalies (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        charge_point_id TEXT NOT NULL,
                        transaction_id TEXT,
                        kind TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        from_state TEXT,
                        to_state TEXT,
                        message_id TEXT,
                        at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX transaction_anomalies_by_transaction
                        ON transaction_anomalies(charge_point_id, transaction_id, id);
                    """)
        }
    }
}
