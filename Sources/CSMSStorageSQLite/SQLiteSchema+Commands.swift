import GRDB

extension SQLiteSchema {
    /// The operator-command tables (issue #6): command records, station reports and the
    /// cached configuration values. Frozen once landed, like every migration.
    static func registerCommandMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v7_commands") { db in
            // No foreign key: a command record outlives a deleted charge point. `state_rank`
            // (Queued 0, Sent 1, final 2) lets an upsert refuse to move a record backwards.
            try db.execute(
                sql: """
                    CREATE TABLE commands (
                        id TEXT PRIMARY KEY,
                        charge_point_id TEXT NOT NULL,
                        action TEXT NOT NULL,
                        protocol_version TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        state TEXT NOT NULL,
                        state_rank INTEGER NOT NULL,
                        created_at INTEGER NOT NULL,
                        sent_at INTEGER,
                        completed_at INTEGER,
                        response TEXT,
                        error TEXT,
                        late INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID;
                    CREATE INDEX commands_by_station ON commands(charge_point_id, created_at, id);
                    """)
        }

        migrator.registerMigration("v7_station_reports") { db in
            try db.execute(
                sql: """
                    CREATE TABLE station_reports (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        charge_point_id TEXT NOT NULL,
                        action TEXT NOT NULL,
                        protocol_version TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        request_id INTEGER,
                        seq_no INTEGER,
                        tbc INTEGER NOT NULL,
                        payload TEXT NOT NULL,
                        received_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX station_reports_by_station ON station_reports(charge_point_id, id);
                    CREATE INDEX station_reports_by_action
                        ON station_reports(charge_point_id, action, request_id, id);
                    """)
        }

        migrator.registerMigration("v7_configuration_values") { db in
            try db.execute(
                sql: """
                    CREATE TABLE configuration_values (
                        charge_point_id TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value TEXT,
                        readonly INTEGER,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (charge_point_id, key)
                    ) STRICT, WITHOUT ROWID;
                    """)
        }
    }
}
