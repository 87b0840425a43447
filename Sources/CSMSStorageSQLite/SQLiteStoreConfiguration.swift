/// Settings of a `SQLiteStore`.
public struct SQLiteStoreConfiguration: Sendable {
    /// SQLite's `synchronous` setting for the writer connection (the database runs in WAL mode).
    public enum Synchronous: String, Sendable, CaseIterable {
        /// The WAL is synced to disk at every commit: a returned commit survives power loss.
        /// The default (design invariant 1: acknowledged means durable).
        case full = "FULL"
        /// The WAL is synced only at checkpoints: a returned commit survives a crash of the
        /// process, not a power loss or a kernel crash. Faster; for tests and benchmarks.
        case normal = "NORMAL"
    }

    /// Durability of commits; `.full` by default.
    public var synchronous: Synchronous = .full
    /// How long a connection waits for a lock held by another connection or process before
    /// the operation fails with `.unavailable` (SQLite `busy_timeout`); 5 s by default.
    public var busyTimeout: Duration = .seconds(5)
    /// The most commit requests that one group-commit transaction takes; 1000 by default.
    public var maxBatchSize: Int = 1000
    /// How long the group-commit writer may wait for more requests when they arrive often
    /// but a transaction would hold few (`GroupCommitStateMachine`): by default at most 2 ms
    /// from a request's submission, or until 32 are queued. At 2,000-3,000 MeterValues/s this
    /// took a third off the server's CPU per message (docs/benchmarks.md, "Results — session
    /// 8"); `.off` starts every transaction as soon as the writer is free.
    public var commitGathering = GroupCommitGathering(delay: .milliseconds(2), target: 32)
    /// The WAL write buffer of a file database's writer connection, in bytes
    /// (`WALWriteBuffer`, docs/storage.md): the WAL pages of a commit reach the file system
    /// as one write at the commit's sync instead of two system calls each. Used only with
    /// `synchronous` `.full`; 1 MiB by default, 0 turns it off (and leaves SQLite's own VFS
    /// as the process's default).
    public var walWriteBufferBytes: Int = 1 << 20
    /// The WAL write buffer the writers use: `walWriteBufferBytes` at `synchronous` `.full`,
    /// else none (0).
    var walWriteBufferInUse: Int { synchronous == .full ? max(0, walWriteBufferBytes) : 0 }
    /// The most concurrent read connections of a file database; 5 by default.
    public var maximumReaderCount: Int = 5
    /// `PRAGMA mmap_size` of every connection, in bytes (0: no memory-mapped reads).
    /// Default 256 MiB: reads of the hot pages cost no system call.
    public var mmapSize: Int = 256 << 20
    /// `PRAGMA cache_size` of every connection, in KiB. Default 32 MiB, so that the writer
    /// keeps the pages it changes between group commits.
    public var cacheSizeKiB: Int = 32 << 10
    /// WAL pages after which the main database's WAL is copied back into the database file,
    /// on a connection of its own while the writer goes on committing (`WALCheckpointer`;
    /// the message log's database uses SQLite's `wal_autocheckpoint` with the same value).
    /// Default 40,000 (about 160 MiB of WAL, the file's size on disk once reached; at most about
    /// twice that while passes fall behind on a saturated core): a page that many commits
    /// change (a station's index page, a transaction row) is copied once per checkpoint.
    /// SQLite's default of 1,000 cost 7 % of the server's CPU in the StatusNotification benchmark; 40,000 instead of 10,000 gave 5-20 % more full sessions
    /// per second (docs/benchmarks.md, "Results — session 6").
    public var walAutocheckpointPages: Int = 40_000
    /// Called on the writer's queue after every group-commit transaction (keep it quick);
    /// the hook for batch-size and commit-duration metrics.
    public var onBatch: (@Sendable (GroupCommitBatchReport) -> Void)?

    /// Called after every checkpoint of the main database's WAL (`WALCheckpointReport`), on
    /// the pass's thread or, for a tail, on the writer's (keep it quick).
    public var onCheckpoint: (@Sendable (WALCheckpointReport) -> Void)?

    /// The defaults.
    public init() {}
}

/// One checkpoint of the main database's WAL (docs/storage.md, "Checkpoints").
public struct WALCheckpointReport: Sendable, Equatable {
    /// Where the checkpoint ran.
    public enum Kind: String, Sendable {
        /// On the checkpointer's own connection, while the writer went on committing.
        case background
        /// On the writer connection after a commit: the few frames a background pass left,
        /// so that the WAL can start over.
        case tail
    }

    /// Where it ran.
    public var kind: Kind
    /// Frames in the WAL when it was started.
    public var walFrames: Int
    /// Frames of the WAL in the database file afterwards, or `nil` when it failed.
    public var copiedFrames: Int?
    /// The SQLite result code when it failed.
    public var failureCode: Int32?
    /// How long it took.
    public var duration: Duration

    /// A report.
    public init(
        kind: Kind, walFrames: Int, copiedFrames: Int? = nil, failureCode: Int32? = nil, duration: Duration
    ) {
        self.kind = kind
        self.walFrames = walFrames
        self.copiedFrames = copiedFrames
        self.failureCode = failureCode
        self.duration = duration
    }
}

/// What one group-commit transaction did.
public struct GroupCommitBatchReport: Sendable, Equatable {
    /// Commit requests taken into the transaction.
    public var requests: Int
    /// Requests among them that failed (their writes were rolled back; the others committed).
    public var failedRequests: Int
    /// Whether the transaction committed (`false` when BEGIN or COMMIT failed, or a failure
    /// aborted the whole transaction: then every request failed).
    public var committed: Bool
    /// Time from BEGIN to the end of COMMIT (or of the rollback).
    public var duration: Duration
    /// How long the batch's oldest request waited for the transaction to start.
    public var queueWait: Duration

    /// A report.
    public init(requests: Int, failedRequests: Int, committed: Bool, duration: Duration, queueWait: Duration = .zero) {
        self.requests = requests
        self.failedRequests = failedRequests
        self.committed = committed
        self.duration = duration
        self.queueWait = queueWait
    }
}

/// Running totals of the group-commit writer since the store was opened.
public struct GroupCommitStatistics: Sendable, Equatable {
    /// Transactions run (one per batch).
    public var transactions: Int = 0
    /// Commit requests handled.
    public var requests: Int = 0
    /// Commit requests that failed.
    public var failedRequests: Int = 0
    /// The most requests one transaction took.
    public var largestBatch: Int = 0
    /// Time spent in transactions, added up.
    public var totalDuration: Duration = .zero

    /// Empty totals.
    public init() {}

    mutating func add(_ report: GroupCommitBatchReport) {
        transactions += 1
        requests += report.requests
        failedRequests += report.failedRequests
        largestBatch = max(largestBatch, report.requests)
        totalDuration += report.duration
    }
}
