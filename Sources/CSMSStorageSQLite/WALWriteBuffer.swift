import CSQLiteWALBuffer
import GRDB
import GRDBSQLite

/// The WAL write buffer (docs/storage.md, "WAL write buffer"): a SQLite VFS shim in C
/// (`CSQLiteWALBuffer`) that hands a connection's consecutive WAL writes to the file system
/// as one write when SQLite syncs the WAL, instead of two `pwrite` calls per page.
///
/// Installed, the shim is the process's default VFS and wraps SQLite's own: every file goes
/// through it, and only the WAL of a connection that `setCapacity` turned on is buffered.
/// Turn it on only for a connection at `synchronous=FULL`, whose commits sync the WAL (and so
/// write the buffer) before other connections can see them; the shim's comment explains why.
enum WALWriteBuffer {
    /// A connection's counters since its WAL file was opened.
    struct Statistics: Sendable, Equatable {
        /// Writes SQLite made to the WAL file.
        var writes: Int
        /// Writes that reached the file system.
        var fileWrites: Int
        /// Commits published before their WAL was synced (a connection not at FULL).
        var unsyncedPublications: Int
    }

    /// Whether the shim is installed (installs it on first use, once per process).
    static let isInstalled: Bool = csms_wal_buffer_install() == SQLITE_OK

    /// Sets the buffer of `db`'s WAL to `bytes` (0: off); false when `db` is not on the shim.
    @discardableResult
    static func setCapacity(_ bytes: Int, on db: Database) -> Bool {
        var capacity = Int32(clamping: bytes)
        return sqlite3_file_control(db.sqliteConnection, "main", CSMS_WAL_BUFFER_FCNTL_SET, &capacity) == SQLITE_OK
    }

    /// `db`'s counters, or `nil` when `db` is not on the shim.
    static func statistics(of db: Database) -> Statistics? {
        var stats = csms_wal_buffer_stats()
        guard sqlite3_file_control(db.sqliteConnection, "main", CSMS_WAL_BUFFER_FCNTL_STATS, &stats) == SQLITE_OK
        else { return nil }
        return Statistics(
            writes: Int(stats.writes), fileWrites: Int(stats.file_writes),
            unsyncedPublications: Int(stats.unsynced_publications))
    }
}
