import CSMSCore
import CSMSTesting
import Foundation
import Logging
import Synchronization
import Testing

@testable import CSMSServer

/// `MessageLogWriter.flush`: what the recorder holds is written in appends of at most
/// `chunkSize` entries, in order, and a failed append stops the flush. `run`: a flush is due
/// once `flushThreshold` entries wait, or `flushInterval` after the last one.
@Suite("Message log writer")
struct MessageLogWriterTests {
    /// Records the size of every message-log append.
    final class AppendSizes: ForwardingStore, @unchecked Sendable {
        let sizes = Mutex<[Int]>([])
        let failAfter: Int?

        init(failAfter: Int? = nil) {
            self.failAfter = failAfter
            super.init(base: InMemoryStore())
        }

        override func appendMessageLog(_ entries: [MessageLogEntry]) async throws(StoreError) {
            let done = sizes.withLock { sizes in
                sizes.append(entries.count)
                return sizes.count
            }
            if let failAfter, done > failAfter { throw StoreError(.unavailable, "disk full") }
            try await super.appendMessageLog(entries)
        }
    }

    static func entries(_ count: Int) -> [MessageLogEntry] {
        (0..<count).map {
            MessageLogEntry(
                chargePointId: ChargePointID("CP-LOG")!, at: Date(timeIntervalSince1970: 1_800_000_000),
                direction: .inbound, messageType: 2, action: "Heartbeat", messageId: "m\($0)", size: 20)
        }
    }

    @Test func aLargeFlushIsWrittenInChunksAndNothingIsLost() async throws {
        let store = AppendSizes()
        let recorder = MessageLogRecorder(mode: .metadata)
        let count = 2 * MessageLogWriter.chunkSize + 50
        for entry in Self.entries(count) { recorder.record(entry) }
        let writer = MessageLogWriter(
            recorder: recorder, store: store, maxAge: .seconds(3600), maxPerStation: 10_000,
            logger: Logger(label: "test"))
        await writer.flush()
        #expect(store.sizes.withLock { $0 } == [MessageLogWriter.chunkSize, MessageLogWriter.chunkSize, 50])
        let page = try await store.messageLog(
            chargePointId: ChargePointID("CP-LOG")!, action: nil, after: nil, limit: 3 * MessageLogWriter.chunkSize)
        #expect(page.map(\.messageId) == (0..<count).map { "m\($0)" }, "all of them, in order")
    }

    @Test func aFailedChunkStopsTheFlush() async {
        let store = AppendSizes(failAfter: 1)
        let recorder = MessageLogRecorder(mode: .metadata)
        for entry in Self.entries(3 * MessageLogWriter.chunkSize + 50) { recorder.record(entry) }
        let writer = MessageLogWriter(
            recorder: recorder, store: store, maxAge: .seconds(3600), maxPerStation: 10_000,
            logger: Logger(label: "test"))
        await writer.flush()
        #expect(
            store.sizes.withLock { $0 } == [MessageLogWriter.chunkSize, MessageLogWriter.chunkSize],
            "no further append after the failure")
    }

    @Test func aFlushIsDueAtTheThresholdOrAfterTheInterval() {
        let schedule = MessageLogWriter.FlushSchedule(
            checkInterval: .milliseconds(50), flushInterval: .milliseconds(250), flushThreshold: 1_000)
        #expect(!schedule.isDue(pending: 999, sinceLastFlush: .milliseconds(200)))
        #expect(schedule.isDue(pending: 1_000, sinceLastFlush: .milliseconds(50)), "enough entries wait")
        #expect(schedule.isDue(pending: 1, sinceLastFlush: .milliseconds(250)), "the interval passed")
        #expect(schedule.isDue(pending: 0, sinceLastFlush: .milliseconds(300)), "an empty flush writes nothing")
        #expect(MessageLogWriter.FlushSchedule(flushThreshold: 0).flushThreshold == 1)
    }

    /// The running writer flushes a full threshold long before its interval, and a few entries
    /// not before it; cancelling it flushes what is left.
    @Test func theRunningWriterFlushesAtTheThresholdAndOnceMoreWhenStopped() async throws {
        let store = AppendSizes()
        let recorder = MessageLogRecorder(mode: .metadata)
        let writer = MessageLogWriter(
            recorder: recorder, store: store, maxAge: .seconds(3600), maxPerStation: 10_000,
            schedule: .init(checkInterval: .milliseconds(10), flushInterval: .seconds(3600), flushThreshold: 100),
            logger: Logger(label: "test"))
        let running = Task { try await writer.run() }
        let entries = Self.entries(105)
        for entry in entries.prefix(5) { recorder.record(entry) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(store.sizes.withLock { $0 }.isEmpty, "5 entries are below the threshold")
        for entry in entries.dropFirst(5).prefix(95) { recorder.record(entry) }
        let deadline = ContinuousClock.now + .seconds(10)
        while store.sizes.withLock({ $0 }).isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(store.sizes.withLock { $0 } == [100], "one append of the 100 waiting entries")
        for entry in entries.suffix(5) { recorder.record(entry) }
        running.cancel()
        try await running.value
        #expect(store.sizes.withLock { $0 } == [100, 5], "the rest at shutdown")
    }
}
