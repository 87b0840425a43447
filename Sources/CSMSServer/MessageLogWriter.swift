public import CSMSCore
import Foundation
public import Logging
public import ServiceLifecycle

/// Writes the message log: empties the recorder into the store every `flushInterval`, in
/// appends of at most `chunkSize` entries (`MessageLogStore.appendMessageLog`; the SQLite
/// store keeps them in a database of its own, apart from the stations' commits), and
/// prunes entries by age and count every `pruneInterval`. A failed write is logged and its entries dropped: the log is for
/// diagnosis and never holds up message processing. Flushes once more at shutdown.
public struct MessageLogWriter: Service, CustomStringConvertible {
    let recorder: MessageLogRecorder
    let store: any CSMSStore
    let maxAge: Duration
    let maxPerStation: Int
    let flushInterval: Duration
    let pruneInterval: Duration
    let clock: any WallClock
    let logger: Logger

    /// A writer.
    public init(
        recorder: MessageLogRecorder, store: any CSMSStore, maxAge: Duration, maxPerStation: Int,
        flushInterval: Duration = .milliseconds(250), pruneInterval: Duration = .seconds(600),
        clock: any WallClock = SystemWallClock(), logger: Logger
    ) {
        self.recorder = recorder
        self.store = store
        self.maxAge = maxAge
        self.maxPerStation = maxPerStation
        self.flushInterval = flushInterval
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
            var lastPrune = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: flushInterval)
                await flush()
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
                olderThan: clock.now().addingTimeInterval(-Double(maxAge.components.seconds)),
                maxPerStation: maxPerStation)
            if deleted > 0 { logger.debug("message log pruned", metadata: ["deleted": "\(deleted)"]) }
        } catch {
            logger.error("message log could not be pruned", metadata: ["error": "\(error)"])
        }
    }
}
