import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the main database's WAL back into the database file on a connection and a thread of
/// its own, so that the group-commit writer goes on committing during a checkpoint
/// (docs/storage.md, "Checkpoints").
///
/// SQLite's automatic checkpoint runs on the connection that committed, inside its COMMIT:
/// the writer copied the WAL's pages into the database file and synced it (an `fdatasync` of
/// 18.8 ms on average on the benchmark machine) while every commit request queued behind it
/// waited. In the telemetry benchmark at 2,000 MeterValues/s that made the p99 45 ms; without
/// checkpoints it was 7 ms (docs/benchmarks.md, "Results — session 7").
///
/// Instead, the writer connection's WAL hook (`sqlite3_wal_hook`, which replaces the automatic
/// checkpoint) sees the WAL's size after each commit, and once it reaches `pages`:
/// 1. A PASSIVE checkpoint runs on a connection and a thread of its own, while the writer goes
///    on committing. It copies every frame committed before it started. The thread runs at
///    nice 10 (`backgroundNice`): when the server has fewer cores than busy threads, the
///    copy yields to the threads that answer stations instead of stalling them all for its
///    duration (about 25 ms of CPU per pass at the default size).
/// 2. The WAL only starts over from its beginning when every frame in it has been copied at
///    the moment the writer begins a transaction, which a background pass alone never achieves
///    under steady load. So when a pass has left at most 256 frames uncopied (or `pages / 16`,
///    if smaller), or passes stopped shortening a tail of at most `pages / 16` frames (each
///    pass has a floor of syncs during which new frames arrive), the writer copies that tail
///    itself right after its commit (a PASSIVE checkpoint on the writer connection: few pages
///    and one sync), and its next transaction writes the WAL from the start. A longer tail
///    gets another background pass first, unless the WAL has reached twice `pages` (passes
///    falling behind on a saturated core): then the writer takes the tail whatever its length,
///    which bounds the WAL as SQLite's own checkpoint does.
///
/// A PASSIVE checkpoint never waits for readers or for the writer. A reader still using old
/// frames only delays the restart to a later commit; meanwhile the WAL grows past `pages`. A
/// pass that failed or copied nothing new is not repeated before the WAL has grown by
/// `pages / 16` frames.
final class WALCheckpointer: Sendable {
    /// What the checkpointer did since the store was opened.
    struct Statistics: Sendable, Equatable {
        /// Checkpoints run on the checkpointer's own connection.
        var backgroundPasses = 0
        /// Tails copied by the writer after its commit.
        var tailCopies = 0
        /// Checkpoints that failed (their SQLite result code is in `lastFailure`).
        var failures = 0
        /// The SQLite result code of the last failed checkpoint.
        var lastFailure: Int32?
    }

    private struct State {
        var plan: CheckpointPlan
        var statistics = Statistics()
    }

    private let path: String
    private let busyTimeoutMilliseconds: Int32
    /// The nice value of the thread of a background pass (Linux: per thread).
    static let backgroundNice: Int32 = 10

    /// Entered while a background pass runs; `close()` waits for it.
    private let running = DispatchGroup()
    private let state: Mutex<State>
    private let onCheckpoint: (@Sendable (WALCheckpointReport) -> Void)?

    /// A checkpointer for the database file at `path` that starts a pass once the WAL holds
    /// `pages` frames and reports each checkpoint to `onCheckpoint`. It does nothing until
    /// `install(on:)`.
    init(
        path: String, pages: Int, busyTimeout: Duration,
        onCheckpoint: (@Sendable (WALCheckpointReport) -> Void)? = nil
    ) {
        self.path = path
        self.onCheckpoint = onCheckpoint
        state = Mutex(State(plan: CheckpointPlan(pages: pages)))
        busyTimeoutMilliseconds = Int32(clamping: busyTimeout.wholeMilliseconds)
    }

    /// What the checkpointer did so far.
    var statistics: Statistics { state.withLock { $0.statistics } }

    /// Makes the checkpointer the WAL hook of `writer`, the only connection that commits to
    /// the main database. The hook runs only inside the writer's commits, which the store's
    /// writer runs only while the store, which owns this object, is alive; `close()` removes it.
    func install(on writer: Database) {
        sqlite3_wal_hook(writer.sqliteConnection, walHook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Removes the hook from `writer` and waits for a running background pass to end; no
    /// checkpoint runs afterwards.
    func close(writer: Database) {
        sqlite3_wal_hook(writer.sqliteConnection, nil, nil)
        state.withLock { $0.plan.closed = true }
        running.wait()
    }

    /// Called by the hook on the writer's thread after each commit, with the WAL's frame count.
    fileprivate func committed(frames: Int, writer: OpaquePointer) {
        let step = state.withLock { $0.plan.committed(frames: frames) }
        switch step {
        case .none:
            break
        case .copyTail:
            let start = ContinuousClock.now
            let result = Self.checkpoint(writer)
            state.withLock { state in
                state.statistics.tailCopies += 1
                if case .failure(let code) = result { state.statistics.recordFailure(code) }
            }
            report(.tail, frames: frames, result: result, start: start)
        case .background:
            running.enter()
            let thread = Thread { [self] in
                #if os(Linux)
                    // Linux keeps the nice value per thread; `who` 0 is the calling thread.
                    setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.backgroundNice)
                #endif
                backgroundPass(frames: frames)
                running.leave()
            }
            thread.name = "csms-checkpoint"
            thread.start()
        }
    }

    private func backgroundPass(frames: Int) {
        let start = ContinuousClock.now
        let result = withConnection(Self.checkpoint)
        state.withLock { state in
            state.statistics.backgroundPasses += 1
            switch result {
            case .success(let copied):
                state.plan.passFinished(startedAt: frames, copied: copied)
            case .failure(let code):
                state.statistics.recordFailure(code)
                state.plan.passFinished(startedAt: frames, copied: nil)
            }
        }
        report(.background, frames: frames, result: result, start: start)
    }

    private func report(
        _ kind: WALCheckpointReport.Kind, frames: Int, result: PassResult, start: ContinuousClock.Instant
    ) {
        guard let onCheckpoint else { return }
        var report = WALCheckpointReport(kind: kind, walFrames: frames, duration: start.duration(to: .now))
        switch result {
        case .success(let copied): report.copiedFrames = copied
        case .failure(let failure): report.failureCode = failure.code
        }
        onCheckpoint(report)
    }

    /// Opens a connection of its own for one pass (a pass runs seconds apart, and no file
    /// stays open when the store is released without `close()`), reads the schema so that it
    /// opens the WAL, runs `body`, and closes the connection. It waits up to the store's busy
    /// timeout for a lock: a WAL that starts over briefly locks out a connection that opens.
    private func withConnection(_ body: (OpaquePointer) -> PassResult) -> PassResult {
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        var code = sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE, nil)
        guard code == SQLITE_OK, let connection else { return .failure(CheckpointFailure(code: code)) }
        sqlite3_busy_timeout(connection, busyTimeoutMilliseconds)
        code = sqlite3_exec(connection, "SELECT count(*) FROM sqlite_schema", nil, nil, nil)
        guard code == SQLITE_OK else { return .failure(CheckpointFailure(code: code)) }
        return body(connection)
    }

    /// A PASSIVE checkpoint of `connection`'s main database: the frames copied, now all
    /// frames up to that count are in the database file.
    private static func checkpoint(_ connection: OpaquePointer) -> PassResult {
        var log: Int32 = 0
        var copied: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        guard code == SQLITE_OK, log >= 0 else { return .failure(CheckpointFailure(code: code)) }
        return .success(Int(copied))
    }
}

/// When to checkpoint and where, from the WAL's frame count after each commit and the outcome
/// of each background pass (the decisions of `WALCheckpointer`, without its I/O).
struct CheckpointPlan: Equatable {
    /// What to do after a commit.
    enum Step: Equatable {
        /// Nothing.
        case none
        /// Start a background pass (the plan counts it as running until `passFinished`).
        case background
        /// Copy the tail on the writer connection now.
        case copyTail
    }

    /// The WAL size that starts a round of checkpoints.
    let pages: Int
    /// A tail the writer always takes: 256 frames, or `pages / 16` if smaller.
    let tail: Int
    /// The longest tail the writer takes once passes stop shortening it: `pages / 16`.
    let longestTail: Int
    /// No more passes or tails (the store is closing).
    var closed = false
    /// A background pass runs.
    var backgroundRunning = false
    /// Frames of the current WAL that the last pass left copied (0: none yet this round).
    var copied = 0
    /// Frames the previous pass of this round left uncopied (`nil` before the second pass).
    var previousTail: Int?
    /// What the last pass of this round left copied, to tell whether the next one progressed.
    var lastCopied = 0
    /// WAL frames below which no pass starts: set after a pass that failed or copied nothing
    /// new (a reader pinning old frames, a missing file), so that passes do not run after
    /// every commit.
    var retryAt = 0

    /// A plan for a WAL limit of `pages` frames.
    init(pages: Int) {
        self.pages = max(1, pages)
        tail = max(1, min(pages / 16, 256))
        longestTail = max(1, pages / 16)
    }

    /// The step after a commit that left `frames` frames in the WAL.
    mutating func committed(frames: Int) -> Step {
        guard frames >= pages else {
            // Below the limit: the WAL started over (or never reached it); a new round.
            self = CheckpointPlan(pages: pages, closed: closed, backgroundRunning: backgroundRunning)
            return .none
        }
        if closed || backgroundRunning || frames < retryAt { return .none }
        if copied > 0 {
            let left = frames - copied
            // A pass costs a floor of syncs during which new frames arrive: once passes stop
            // shortening the tail, the writer takes it as long as it is not long.
            let stalled = previousTail.map { left >= $0 } ?? false
            // Past twice the limit (a core so busy that passes fall behind), the writer takes
            // any tail: the WAL's size stays bounded, as with SQLite's own checkpoint.
            let overdue = frames >= 2 * pages
            if left <= tail || (stalled && left <= longestTail) || overdue {
                copied = 0
                previousTail = nil
                return .copyTail
            }
            previousTail = left
        } else {
            previousTail = nil
        }
        backgroundRunning = true
        copied = 0
        return .background
    }

    /// Records the end of the pass started when the WAL held `frames` frames: it left
    /// `copied` frames copied, or failed (`nil`).
    mutating func passFinished(startedAt frames: Int, copied: Int?) {
        backgroundRunning = false
        guard let copied else {
            retryAt = frames + longestTail
            return
        }
        if copied <= lastCopied { retryAt = frames + longestTail }
        lastCopied = copied
        self.copied = copied
    }

    private init(pages: Int, closed: Bool, backgroundRunning: Bool) {
        self.init(pages: pages)
        self.closed = closed
        self.backgroundRunning = backgroundRunning
    }
}

/// The frames a checkpoint left copied, or why it failed.
private typealias PassResult = Result<Int, CheckpointFailure>

/// A checkpoint's SQLite result code other than `SQLITE_OK`.
private struct CheckpointFailure: Error {
    let code: Int32
}

extension WALCheckpointer.Statistics {
    fileprivate mutating func recordFailure(_ failure: CheckpointFailure) {
        failures += 1
        lastFailure = failure.code
    }
}

/// The writer connection's WAL hook: runs after each commit, with the WAL's frame count.
private typealias WALHook =
    @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32)
    -> Int32

private let walHook: WALHook = { context, connection, _, frames in
    guard let context, let connection else { return SQLITE_OK }
    Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(
        frames: Int(frames), writer: connection)
    return SQLITE_OK
}
