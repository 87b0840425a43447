public import CSMSCore
import Foundation
public import Logging
public import ServiceLifecycle

/// Writes the message log: empties the recorder into the store in appends of at most
/// `chunkSize` entries (`MessageLogStore.appendMessageLog`; the SQLite store keeps them in a
/// database of its own, apart from the stations' commits), and prunes entries by age and
/// count every `pruneInterval`. A failed write is logged and its entries dropped: the log is
/// for diagnosis and never holds up message processing. Flushes once more at shutdown.
///
/// When to flush (`FlushSchedule`): every `flushInterval` at the latest, and sooner, at the
/// next `checkInterval`, once `flushThreshold` entries wait. A busy server thus writes many
/// small appends instead of a few large ones: an append of 7,500 entries every 250 ms (a
/// StatusNotification closed loop at 15,000/s) took the CPU from the stations' messages for
/// tens of milliseconds at a time, and those dips in throughput were the round trips' p99
/// (docs/benchmarks.md, session 13).
public struct MessageLogWriter: Service, CustomStringConvertible {
    let recorder: MessageLogRecorder
    let store: any CSMSStore
    let maxAge: Duration
    let maxPerStation: Int
    let schedule: FlushSchedule
    let pruneInterval: Duration
    let clock: any WallClock
    let logger: Logger

    /// A writer that flushes on `schedule`.
    public init(
        recorder: MessageLogRecorder, store: any CSMSStore, maxAge: Duration, maxPerStation: Int,
        schedule: FlushSchedule = FlushSchedule(), pruneInterval: Duration = .seconds(600),
        clock: any WallClock = SystemWallClock(), logger: Logger
    ) {
        self.recorder = recorder
        self.store = store
        self.maxAge = maxAge
        self.maxPerStation = maxPerStation
        self.schedule = schedule
        self.pruneInterval = pruneInterval
        self.clock = clock
        self.logger = logger
    }

    /// The most entries written in one append. A flush of a busy server (about 2,500 entries
    /// at 5,000 messages/s) is one append: the fewer appends, the fewer times each station's
    /// index page is written (docs/benchmarks.md). The bound keeps one append's transaction
    /// short when a backlog is flushed at once.
    static let chunkSize = 5_000

    /// `MessageLogWriter`.
    public var description: String { "MessageLogWriter" }

    /// Flushes and prunes until shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastFlush = ContinuousClock.now
            var lastPrune = lastFlush
            while !Task.isCancelled {
                try? await Task.sleep(for: schedule.checkInterval)
                let now = ContinuousClock.now
                if schedule.isDue(pending: recorder.pendingCount, sinceLastFlush: now - lastFlush) {
                    lastFlush = now
                    await flush()
                }
                if ContinuousClock.now - lastPrune >= pruneInterval {
                    lastPrune = ContinuousClock.now
                    await prune()
                }
            }
        }
        await flush()
    }

    /// Writes what the recorder holds.
    func flush() async {
        let (entries, dropped) = recorder.take()
        if dropped > 0 {
            logger.warning("message log buffer full; entries dropped", metadata: ["dropped": "\(dropped)"])
        }
        var start = entries.startIndex
        while start < entries.endIndex {
            let end = min(start + Self.chunkSize, entries.endIndex)
            do {
                try await store.appendMessageLog(Array(entries[start..<end]))
            } catch {
                logger.error(
                    "message log entries could not be written",
                    metadata: ["entries": "\(entries.endIndex - start)", "error": "\(error)"])
                return
            }
            start = end
        }
    }

    /// Deletes what is older than `maxAge` or beyond `maxPerStation`.
    func prune() async {
        do {
            let deleted = try await store.pruneMessageLog(
                olderThan: clock.now().addingTimeInterval(-maxAge.timeInterval),
                maxPerStation: maxPerStation)
            if deleted > 0 { logger.debug("message log pruned", metadata: ["deleted": "\(deleted)"]) }
        } catch {
            logger.error("message log could not be pruned", metadata: ["error": "\(error)"])
        }
    }
}

extension MessageLogWriter {
    /// When the writer flushes: once `flushThreshold` entries wait (checked every
    /// `checkInterval`), and at the latest `flushInterval` after the last flush.
    public struct FlushSchedule: Sendable, Equatable {
        /// How often the writer looks at the buffer.
        public var checkInterval: Duration
        /// The most time between two flushes (the longest an entry waits at a low rate).
        public var flushInterval: Duration
        /// The entries that make a flush due before `flushInterval`.
        public var flushThreshold: Int

        /// A schedule; the defaults check every 50 ms, flush at 1,000 entries, and every
        /// 250 ms at the latest (a server below 2,000 messages/s flushes as it did before).
        public init(
            checkInterval: Duration = .milliseconds(50), flushInterval: Duration = .milliseconds(250),
            flushThreshold: Int = 1_000
        ) {
            self.checkInterval = checkInterval
            self.flushInterval = flushInterval
            self.flushThreshold = max(1, flushThreshold)
        }

        /// Whether to flush now, with `pending` entries waiting and `sinceLastFlush` elapsed.
        public func isDue(pending: Int, sinceLastFlush: Duration) -> Bool {
            pending >= flushThreshold || sinceLastFlush >= flushInterval
        }
    }
}
