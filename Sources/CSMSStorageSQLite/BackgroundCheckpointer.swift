import GRDB
import GRDBSQLite
import Synchronization

/// Checkpoints the WAL on a connection of its own, so that copying WAL pages back into the
/// database file (and its fsync) happens beside the one writer instead of inside one of its
/// COMMITs (a checkpoint was 13 % of the writer's time in the `sessions` benchmark,
/// docs/benchmarks.md).
///
/// The writer connection gets a WAL hook instead of SQLite's automatic checkpoint: after each
/// commit, once the WAL holds `threshold` pages, the hook wakes the background task, which runs
/// `PRAGMA wal_checkpoint(PASSIVE)` (it copies what no reader still needs and never blocks the
/// writer); the next write transaction then starts the WAL over. Should the background fall
/// behind to `backstop` pages, the hook checkpoints on the writer itself, as SQLite's own
/// `wal_autocheckpoint` would.
final class BackgroundCheckpointer: Sendable {
    let threshold: Int
    let backstop: Int
    private let requested = Atomic<Bool>(false)
    private let completed = Atomic<Int>(0)
    private let wake: AsyncStream<Void>.Continuation
    private let stream: AsyncStream<Void>
    private let running = Mutex<(task: Task<Void, Never>, connection: DatabaseQueue)?>(nil)

    init(threshold: Int, backstop: Int) {
        self.threshold = max(1, threshold)
        self.backstop = max(self.threshold, backstop)
        (stream, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Background checkpoints done so far.
    var checkpoints: Int { completed.load(ordering: .relaxed) }

    /// Installs the hook on the writer connection `db` (in place of `wal_autocheckpoint`).
    func install(on db: Database) {
        let hook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
            context, connection, schema, frames in
            let checkpointer = Unmanaged<BackgroundCheckpointer>.fromOpaque(context!).takeUnretainedValue()
            checkpointer.committed(frames: Int(frames), connection: connection, schema: schema)
            return SQLITE_OK
        }
        // Unretained: the pool's configuration holds this object for as long as the connection lives.
        sqlite3_wal_hook(db.sqliteConnection, hook, Unmanaged.passUnretained(self).toOpaque())
    }

    private func committed(frames: Int, connection: OpaquePointer?, schema: UnsafePointer<CChar>?) {
        if frames >= backstop {
            _ = sqlite3_wal_checkpoint(connection, schema)
        } else if frames >= threshold, !requested.exchange(true, ordering: .acquiringAndReleasing) {
            wake.yield()
        }
    }

    /// Starts checkpointing on `connection` (a connection of its own to the same file).
    func start(on connection: DatabaseQueue) {
        let task = Task.detached { [self] in
            for await _ in stream {
                requested.store(false, ordering: .releasing)
                do {
                    try await connection.writeWithoutTransaction { db in
                        try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)")
                    }
                    completed.add(1, ordering: .relaxed)
                } catch {
                    // A failed passive checkpoint loses nothing: the WAL keeps the pages and the
                    // next wake-up (or the writer's backstop) copies them. After `finish` the
                    // connection is closed and this ends the loop.
                }
            }
        }
        running.withLock { $0 = (task, connection) }
    }

    /// Stops the background task after its current checkpoint and closes its connection.
    func stop() async {
        let task = running.withLock { $0?.task }
        finish()
        await task?.value
    }

    /// Ends the background task and closes its connection now (waiting only for a checkpoint
    /// in progress), so that the store's own connections are the last to close the file.
    func finish() {
        wake.finish()
        let connection = running.withLock { $0?.connection }
        try? connection?.close()
    }
}
