import CSMSCore
import CSMSTesting
import Foundation
import Logging
import Synchronization
import Testing

@testable import CSMSServer

/// `MessageLogWriter.flush`: what the recorder holds is written in appends of at most
/// `chunkSize` entries, in order, and a failed append stops the flush.
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
}
