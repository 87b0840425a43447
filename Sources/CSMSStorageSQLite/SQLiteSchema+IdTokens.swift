import GRDB

extension SQLiteSchema {
    /// The id token registry and the local authorization lists (issue #5). Frozen once landed.
    static func registerIdTokenMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6_id_tokens") { db in
            // id_token compares without regard to ASCII case (NOCASE: lookups, uniqueness, order), as
            // OCPP says of id tokens. charge_point_ids / evse_ids: comma-separated lists (a charge point id never holds a
            // comma); NULL means "everywhere" / "every EVSE", '' means an empty list.
            try db.execute(
                sql: """
                    CREATE TABLE id_tokens (
                        id_token TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
                        type TEXT,
                        status TEXT NOT NULL,
                        expiry_date INTEGER,
                        group_id_token TEXT,
                        charge_point_ids TEXT,
                        evse_ids TEXT,
                        language TEXT,
                        personal_message TEXT,
                        external INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID;
                    """)
        }

        migrator.registerMigration("v6_local_lists") { db in
            try db.execute(
                sql: """
                    CREATE TABLE local_lists (
                        charge_point_id TEXT NOT NULL PRIMARY KEY REFERENCES charge_points(id) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID;

                    CREATE TABLE local_list_entries (
                        charge_point_id TEXT NOT NULL REFERENCES local_lists(charge_point_id) ON DELETE CASCADE,
                        id_token TEXT NOT NULL,
                        type TEXT,
                        status TEXT NOT NULL,
                        expiry_date INTEGER,
                        group_id_token TEXT,
                        PRIMARY KEY (charge_point_id, id_token)
                    ) STRICT, WITHOUT ROWID;
                    """)
        }
    }
}
