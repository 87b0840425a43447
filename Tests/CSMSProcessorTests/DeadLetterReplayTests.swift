import CSMSCore
import Foundation
import MetricsTestKit
import OCPP
import Testing

@testable import CSMSProcessor

@Suite("Dead letter replay")
struct DeadLetterReplayTests {
    @Test func replayAfterTheStoreRecoversAppliesTheStateAndRemovesTheLetter() async throws {
        let h = PipelineHarness()
        let s = session(.v201)
        await bootAccepted(h, s)
        let seenAtBoot = await h.store.stored(cp1)?.lastSeen
        h.store.setFailingCommits(1)
        h.clock.advance(10)
        #expect(await h.send(#"[2,"p1","TestPing",{"n":7}]"#, s).callError?.code == .internalError)
        let letter = try #require(await h.store.letters().first)
        #expect(letter.reason == "commit_failed")
        #expect(await h.store.stored(cp1)?.lastSeen == seenAtBoot, "the failed commit changed nothing")

        h.clock.advance(5)
        let outcome = await h.processor.replay(letter)
        guard case .processed(let answer?) = outcome else {
            Issue.record("expected processed with an answer, got \(outcome)")
            return
        }
        #expect(
            try RPCFrame.decode(answer, version: .v201)
                == .callResult(RPCCallResult(messageId: "p1", payload: ["n": 7])))
        #expect(await h.store.letters().isEmpty, "a replayed letter is removed")
        #expect(await h.store.stored(cp1)?.lastSeen == h.clock.now(), "the handler ran against the current state")
        #expect(h.runs.value == 2)
    }

    @Test func storedDeadLettersAreCountedByReason() async throws {
        let h = PipelineHarness()
        let s = session(.v16)
        await bootAccepted(h, s)
        _ = await h.send(#"[2,"t1","TestThrow",{"n":1}]"#, s)
        _ = await h.send(#"[2,"t2","TestThrow",{"n":1}]"#, s)
        _ = await h.send(#"[3,"x"]"#, s)
        #expect(try h.metrics.expectCounter("csms.dead_letters", [("reason", "handler_error")]).totalValue == 2)
        #expect(try h.metrics.expectCounter("csms.dead_letters", [("reason", "frame_ignored")]).totalValue == 1)
    }

    @Test func replayThatFailsAgainCountsAnAttempt() async throws {
        let h = PipelineHarness()
        let s = session(.v16)
        await bootAccepted(h, s)
        #expect(await h.send(#"[2,"t1","TestThrow",{"n":1}]"#, s).callError?.code == .internalError)
        let letter = try #require(await h.store.letters().first)
        #expect(letter.attempts == 1)

        #expect(
            await h.processor.replay(letter)
                == .failed(error: "InternalError: the message could not be processed (handler_error)"))
        #expect(await h.processor.replay(letter) != .processed(answer: nil))
        let after = try #require(await h.store.letters().first)
        #expect(await h.store.letters().count == 1, "no second letter for the same message")
        #expect(after.attempts == 3)
        #expect(after.error.contains("the handler failed on purpose"))
    }

    @Test func aMessageAnsweredMeanwhileGetsItsStoredAnswerWithoutARerun() async throws {
        let h = PipelineHarness()
        let s = session(.v201)
        await bootAccepted(h, s)
        h.store.setFailingCommits(1)
        let frame = #"[2,"p2","TestPing",{"n":3}]"#
        #expect(await h.send(frame, s).callError?.code == .internalError)
        let retried = try #require(await h.send(frame, s).replyBytes, "the station's retry succeeds")
        let letter = try #require(await h.store.letters().first)
        let runs = h.runs.value

        #expect(await h.processor.replay(letter) == .processed(answer: retried))
        #expect(h.runs.value == runs, "idempotency applies to replays")
        #expect(await h.store.letters().isEmpty)
    }

    @Test func aFrameThatStillCannotBeDecodedFails() async throws {
        let h = PipelineHarness()
        let s = session(.v16)
        // A 1.6 CALLRESULT with an unreadable payload position is ignored and kept.
        #expect(await h.send(#"[3,"x"]"#, s) == InboundResult.none)
        let letter = try #require(await h.store.letters().first)
        #expect(letter.reason == "frame_ignored")
        guard case .failed(let error) = await h.processor.replay(letter) else {
            Issue.record("an undecodable frame cannot be processed")
            return
        }
        #expect(error.hasPrefix("frame_ignored"))
        #expect(await h.store.letters().first?.attempts == 2)
    }

    @Test func replayIsGatedLikeALiveMessage() async throws {
        let h = PipelineHarness()
        let stranger = ChargePointID("CP-UNKNOWN")!
        let letter = DeadLetter(
            id: nil, chargePointId: stranger, protocolVersion: "ocpp2.0.1", rawFrame: #"[2,"g1","TestPing",{"n":1}]"#,
            reason: "handler_error", error: "x", receivedAt: h.clock.now())
        try await h.store.commit([.addDeadLetter(letter)])
        let stored = try #require(await h.store.letters().first)
        guard case .failed(let error) = await h.processor.replay(stored) else {
            Issue.record("a station whose boot was not accepted stays gated")
            return
        }
        #expect(error.hasPrefix("SecurityError"))
        #expect(h.runs.value == 0)

        var unknownVersion = stored
        unknownVersion.protocolVersion = "ocpp9"
        #expect(await h.processor.replay(unknownVersion) == .failed(error: "unknown protocol version ocpp9"))
        #expect(await h.processor.replay(letter) == .failed(error: "the dead letter has no id (not stored)"))
    }
}
