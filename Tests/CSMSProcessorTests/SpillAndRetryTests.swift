import CSMSCore
import Foundation
import Logging
import MetricsTestKit
import OCPP
import Testing

@testable import CSMSProcessor

@Suite("Commit retries and the spill file")
struct SpillAndRetryTests {
    @Test func retryPolicyBacksOffWithinItsBudget() {
        let policy = RetryPolicy(
            maxAttempts: 4, baseDelay: .milliseconds(100), maxDelay: .milliseconds(250), maxTotal: .seconds(1))
        #expect(policy.delay(afterAttempt: 1, elapsed: .zero, random: 0.999_999)! < .milliseconds(100))
        #expect(policy.delay(afterAttempt: 2, elapsed: .zero, random: 0.5) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 3, elapsed: .zero, random: 1) == .milliseconds(250), "capped")
        #expect(policy.delay(afterAttempt: 4, elapsed: .zero, random: 0.5) == nil, "no attempts left")
        #expect(policy.delay(afterAttempt: 1, elapsed: .milliseconds(950), random: 1) == nil, "over the budget")
        #expect(policy.delay(afterAttempt: 1, elapsed: .zero, random: 0) == .zero)
        #expect(RetryPolicy.none.delay(afterAttempt: 1, elapsed: .zero, random: 0) == nil)
    }

    private func harness(spill: String? = nil) -> PipelineHarness {
        var configuration = ProcessorConfiguration.acceptingUnknown
        configuration.commitRetry = RetryPolicy(
            maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2), maxTotal: .seconds(120))
        configuration.spillFilePath = spill
        configuration.spillActions = ["TestPing"]
        return PipelineHarness(configuration: configuration)
    }

    private func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("csms-spill-\(UUID())/spill.jsonl").path
    }

    @Test func aCommitThatFailsBrieflyIsRetried() async throws {
        let h = harness()
        let s = session(.v201)
        await bootAccepted(h, s)
        h.store.setFailingCommits(2)
        #expect(await h.send(#"[2,"p1","TestPing",{"n":4}]"#, s).resultPayload == ["n": 4])
        #expect(await h.store.letters().isEmpty)
        h.store.setFailingCommits(3)
        #expect(await h.send(#"[2,"p2","TestPing",{"n":4}]"#, s).callError?.code == .internalError, "out of attempts")
    }

    @Test func aTransactionMessageIsSpilledAcknowledgedAndMovedLater() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let h = harness(spill: path)
        let s = session(.v16)
        await bootAccepted(h, s)
        let seenAtBoot = await h.store.stored(cp1)?.lastSeen
        // Writes fail (a full disk, a read-only file); reads still work.
        h.store.setFailingCommits(1000)
        h.clock.advance(30)
        let receivedAt = h.clock.now()
        let answer = try #require(await h.send(#"[2,"tx1","TestPing",{"n":9}]"#, s).replyBytes)
        #expect(
            try RPCFrame.decode(answer, version: .v16)
                == .callResult(RPCCallResult(messageId: "tx1", payload: ["n": 9])))
        #expect(await h.send(#"[2,"b2","TestThrow",{"n":1}]"#, s).callError?.code == .internalError, "not spilled")
        let spill = try #require(h.processor.spill)
        #expect(!spill.isEmpty)

        h.store.setFailingReads(true)
        #expect(await h.processor.replaySpilled() == 0, "nothing moves while the database is unreachable")
        #expect(!spill.isEmpty)
        h.store.setFailingReads(false)
        #expect(await h.processor.replaySpilled() == 0, "nor while reads work but writes still fail")
        #expect(!spill.isEmpty, "the message stays in the spill file")
        #expect(await h.store.letters().isEmpty)
        h.store.setFailingCommits(3)
        #expect(await h.processor.replaySpilled() == 0, "writes fail for all 3 attempts, the next would work")
        #expect(!spill.isEmpty, "still in the spill file, not turned into a dead letter")
        #expect(await h.store.letters().isEmpty)
        h.store.setFailingCommits(1000)
        h.store.setFailingReads(true)

        h.store.setFailingCommits(0)
        h.store.setFailingReads(false)
        #expect(await h.store.stored(cp1)?.lastSeen == seenAtBoot)
        h.clock.advance(30)
        #expect(await h.processor.replaySpilled() == 1)
        #expect(spill.isEmpty)
        #expect(await h.store.stored(cp1)?.lastSeen == receivedAt, "processed as received, at its receive time")
        let runs = h.runs.value
        #expect(await h.send(#"[2,"tx1","TestPing",{"n":9}]"#, s).replyBytes == answer, "a retry gets the same answer")
        #expect(h.runs.value == runs, "without running again")
        #expect(await h.processor.replaySpilled() == 0)
    }

    @Test func spillFileSurvivesReopeningAndSkipsCorruptLines() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let entry = SpillFile.Entry(
            chargePointId: cp1, protocolVersion: "ocpp1.6", receivedAt: Date(timeIntervalSince1970: 1_800_000_000.123),
            rawFrame: #"[2,"a","MeterValues",{"connectorId":1,"meterValue":[]}]"#)
        try SpillFile(path: path).append(entry)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("not json\n".utf8))
        try handle.close()
        try SpillFile(path: path).append(entry)

        var seen: [SpillFile.Entry] = []
        var corrupt = 0
        let reopened = SpillFile(path: path)
        let moved = try await reopened.drain(
            { entry in
                seen.append(entry)
                return true
            }, corrupt: { _ in corrupt += 1 })
        #expect(moved == 2)
        #expect(seen == [entry, entry])
        #expect(corrupt == 1)
        #expect(reopened.isEmpty)

        try reopened.append(entry)
        #expect(try await reopened.drain({ _ in false }) == 0, "a failed entry keeps the file")
        #expect(!reopened.isEmpty)
    }
}
