// A SQLite VFS shim that coalesces the writes of a WAL file between two syncs
// (docs/storage.md, "WAL write buffer").
#ifndef CSMS_WAL_BUFFER_H
#define CSMS_WAL_BUFFER_H

// No <sqlite3.h> here: Swift sees SQLite through GRDB's module, and the same declarations
// in a second module would make them ambiguous.

/// File-control opcode (on the "main" database) that sets the WAL write buffer of this
/// connection: `arg` points to an `int`, the buffer's capacity in bytes (0 turns it off).
/// Answered only by the shim; elsewhere `sqlite3_file_control` returns SQLITE_NOTFOUND.
#define CSMS_WAL_BUFFER_FCNTL_SET 0x43575701
/// File-control opcode (on the "main" database) that reads this connection's WAL write
/// buffer counters: `arg` points to a `csms_wal_buffer_stats`.
#define CSMS_WAL_BUFFER_FCNTL_STATS 0x43575702

/// Counters of one connection's WAL write buffer, since its WAL file was opened.
typedef struct csms_wal_buffer_stats {
    /// Writes SQLite made to the WAL file.
    long long writes;
    /// Writes that reached the file system (each a `pwrite`, one per flushed run of writes).
    long long file_writes;
    /// Times a commit was published to other connections with writes still buffered, i.e.
    /// without a sync before (a connection not at synchronous=FULL); buffering then stops.
    long long unsynced_publications;
} csms_wal_buffer_stats;

/// Registers the shim ("csms-wal-buffer") around the current default VFS and makes it the
/// default, once per process; later calls return the first call's result.
int csms_wal_buffer_install(void);

#endif
