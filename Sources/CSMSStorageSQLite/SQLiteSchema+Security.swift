import GRDB

extension SQLiteSchema {
    /// The security feature's tables (issue #8): per-station security profiles, security
    /// events, tracked station certificates and operator API tokens. Frozen once landed.
    static func registerSecurityMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8_security") { db in
            // No foreign keys: a profile can be set before the station is registered, and
            // failed connection attempts of unknown ids are security events too.
            try db.execute(
                sql: """
                    CREATE TABLE station_security_profiles (
                        charge_point_id TEXT PRIMARY KEY NOT NULL,
                        security_profile INTEGER NOT NULL CHECK (security_profile BETWEEN 0 AND 3),
                        updated_at INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE security_events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        charge_point_id TEXT NOT NULL,
                        source TEXT NOT NULL,
                        type TEXT NOT NULL,
                        tech_info TEXT,
                        occurred_at INTEGER NOT NULL,
                        received_at INTEGER NOT NULL,
                        remote_address TEXT
                    ) STRICT;
                    CREATE INDEX security_events_by_station ON security_events(charge_point_id, id);
                    CREATE TABLE station_certificates (
                        charge_point_id TEXT NOT NULL,
                        serial_number TEXT NOT NULL,
                        certificate_type TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        not_before INTEGER NOT NULL,
                        not_after INTEGER NOT NULL,
                        pem TEXT NOT NULL,
                        issued_at INTEGER NOT NULL,
                        PRIMARY KEY (charge_point_id, serial_number)
                    ) STRICT, WITHOUT ROWID;
                    CREATE INDEX station_certificates_by_expiry ON station_certificates(not_after);
                    CREATE TABLE api_tokens (
                        name TEXT PRIMARY KEY NOT NULL,
                        lookup_id TEXT NOT NULL,
                        hash TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID;
                    CREATE INDEX api_tokens_by_lookup ON api_tokens(lookup_id);
                    """)
        }
    }
}
