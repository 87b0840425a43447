import GRDB

extension SQLiteSchema {
    /// Remote start (docs/commands.md "Remote start and stop"). Frozen once landed.
    static func registerRemoteStartMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v11_remote_start") { db in
            // remoteStartIds come from their own row of the id sequence table; the partial index
            // finds the transaction a 2.x RequestStartTransaction produced, and the 1.6 one finds
            // the StartTransaction that followed a RemoteStartTransaction.
            try db.execute(
                sql: """
                    INSERT INTO transaction_id_sequence (name, next_id) VALUES ('remote_start', 1);
                    CREATE INDEX transactions_by_remote_start
                        ON transactions(charge_point_id, remote_start_id) WHERE remote_start_id IS NOT NULL;
                    CREATE INDEX transactions_start16_by_token
                        ON transactions(charge_point_id, id_token, sequence) WHERE ocpp16_id IS NOT NULL;
                    """)
        }
    }
}
