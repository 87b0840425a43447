import GRDB

extension SQLiteSchema {
    /// Migrations that make the hot writes cheaper without changing what is stored
    /// (docs/storage.md, "Write cost"; docs/benchmarks.md). Frozen once landed.
    static func registerWriteCostMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v13_meter_values_one_index") { db in
            // One index instead of two: the dedupe key's columns reordered so that its prefix
            // (station, transaction, timestamp) also serves the reads of a transaction's samples
            // in timestamp order. Every inserted sample updated both indexes before. The column
            // set is the same, so the rows that were unique stay unique.
            try db.execute(
                sql: """
                    DROP INDEX meter_values_by_transaction;
                    DROP INDEX meter_values_dedupe;
                    CREATE UNIQUE INDEX meter_values_key ON meter_values(
                        charge_point_id, coalesce(transaction_id, ''), timestamp, coalesce(evse_id, -1),
                        coalesce(connector_id, -1), coalesce(measurand, ''), coalesce(phase, ''),
                        coalesce(location, ''), coalesce(context, ''), value);
                    """)
        }
    }
}
