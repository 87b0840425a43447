import CSMSCore
import CSMSTesting
import Foundation
import Logging
import Synchronization
import Testing

@testable import CSMSServer

/// `MessageLogWriter.flush`: what a flood put into the recorder is written in small commits,
/// so that the stations' own commits are not held up behind one big one.
@Suite("Message log writer")
struct MessageLogWriterTests {
    /// Records the size of every message-log commit.
    final class CommitSizes: ForwardingStore, @unchecked Sendable {
        let sizes = Mutex<[Int]>([])
        let failAfter: Int?

        init(failAfter: Int? = nil) {
            self.failAfter = failAfter
            super.init(base: InMemoryStore())
        }

        override func checkCommit(_ writes: [StoreWrite]) throws(StoreError) {
            for case .logMessages(let entries) in writes {
                let done = sizes.withLock { sizes in
                    sizes.append(entries.count)
                    return sizes.count
                }
                if let failAfter, done > failAfter { throw StoreError(.unavailable, "disk full") }
            }
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
        let store = CommitSizes()
        let recorder = MessageLogRecorder(mode: .metadata)
        for entry in Self.entries(250) { recorder.record(entry) }
        let writer = MessageLogWriter(
            recorder: recorder, store: store, maxAge: .seconds(3600), maxPerStation: 10_000,
            logger: Logger(label: "test"))
        await writer.flush()
        #expect(store.sizes.withLock { $0 } == [100, 100, 50])
        let page = try await store.messageLog(
            chargePointId: ChargePointID("CP-LOG")!, action: nil, after: nil, limit: 1000)
        #expect(page.count == 250)
    }

    @Test func aFailedChunkStopsTheFlush() async {
        let store = CommitSizes(failAfter: 1)
        let recorder = MessageLogRecorder(mode: .metadata)
        for entry in Self.entries(350) { recorder.record(entry) }
        let writer = MessageLogWriter(
            recorder: recorder, store: store, maxAge: .seconds(3600), maxPerStation: 10_000,
            logger: Logger(label: "test"))
        await writer.flush()
        #expect(store.sizes.withLock { $0 } == [100, 100], "no further chunk after the failure")
    }
}
