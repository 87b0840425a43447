import CSMSCore
import Foundation
import Logging
import MetricsTestKit
import OCPP
import Testing

@testable import CSMSProcessor

@Suite("Message log recording")
struct MessageLogTests {
    private func processor(_ recorder: MessageLogRecorder, store: FaultInjectingStore) -> MessageProcessor {
        var router = ActionRouter()
        router.register(PingHandler(runs: RunCounter()), for: .v16)
        router.register(FakeBootHandler(), for: .v16)
        return MessageProcessor(
            store: store, registries: testRegistries(), router: router, configuration: .acceptingUnknown,
            clock: TestClock(), logger: Logger(label: "t"), metricsFactory: TestMetrics(), messageLog: recorder)
    }

    @Test func callAndAnswerAreRecordedWithProcessingTime() async throws {
        let recorder = MessageLogRecorder(mode: .metadata)
        let p = processor(recorder, store: FaultInjectingStore())
        let s = session(.v16)
        let boot = #"[2,"b","BootNotification",{"n":1}]"#
        _ = await p.handle(Array(boot.utf8), session: s)
        _ = await p.handle(Array(#"[2,"p","TestPing",{"n":"x"}]"#.utf8), session: s)
        _ = await p.handle(Array(#"[3,"r",{}]"#.utf8), session: s)
        _ = await p.handle(Array(#"[9"#.utf8), session: s)
        let (entries, dropped) = recorder.take()
        #expect(dropped == 0)
        #expect(entries.map(\.direction) == [.inbound, .outbound, .inbound, .outbound, .inbound, .inbound, .outbound])
        #expect(entries.map(\.messageType) == [2, 3, 2, 4, 3, 0, 4])
        // Answers carry their error code; a CALLRESULT none (it is not decoded again).
        #expect(entries[1].errorCode == nil)
        #expect(entries[3].errorCode != nil && entries[6].errorCode != nil)
        #expect(entries[0].action == "BootNotification" && entries[1].action == "BootNotification")
        #expect(entries[0].size == boot.utf8.count)
        #expect(entries[1].processingMicros != nil && entries[0].processingMicros == nil)
        #expect(entries.allSatisfy { $0.payload == nil }, "metadata mode keeps no payloads")
        #expect(entries[4].messageId == "r" && entries[4].action == nil)
        #expect(recorder.take().entries.isEmpty)
    }

    /// Once full, each new entry replaces the oldest: the newest `capacity` entries come out in
    /// order, however often the ring wrapped.
    @Test func aFullBufferKeepsTheNewestEntriesInOrder() {
        let recorder = MessageLogRecorder(mode: .metadata, capacity: 4)
        func record(_ ids: ClosedRange<Int>) {
            for i in ids {
                recorder.record(
                    MessageLogEntry(
                        chargePointId: cp1, at: Date(), direction: .inbound, messageType: 2, action: nil,
                        messageId: "\(i)", size: 1))
            }
        }
        record(1...11)
        var (entries, dropped) = recorder.take()
        #expect(entries.map(\.messageId) == ["8", "9", "10", "11"])
        #expect(dropped == 7)
        record(1...3)
        (entries, dropped) = recorder.take()
        #expect(entries.map(\.messageId) == ["1", "2", "3"])
        #expect(dropped == 0)
        record(1...4)
        #expect(recorder.take().entries.map(\.messageId) == ["1", "2", "3", "4"])
    }

    @Test func fullModeKeepsFramesAndTheBufferIsBounded() async throws {
        let full = MessageLogRecorder(mode: .full, capacity: 3)
        let p = processor(full, store: FaultInjectingStore())
        let s = session(.v16)
        _ = await p.handle(Array(#"[2,"b","BootNotification",{"n":1}]"#.utf8), session: s)
        _ = await p.handle(Array(#"[2,"p","TestPing",{"n":2}]"#.utf8), session: s)
        let (entries, dropped) = full.take()
        #expect(dropped == 1)
        #expect(entries.map(\.messageId) == ["b", "p", "p"])
        #expect(entries.last?.payload == #"[3,"p",{"n":2}]"#)

        let off = MessageLogRecorder(mode: .off)
        off.record(
            MessageLogEntry(
                chargePointId: cp1, at: Date(), direction: .inbound, messageType: 2, action: nil, messageId: "x",
                size: 1))
        #expect(off.take().entries.isEmpty)
    }
}
