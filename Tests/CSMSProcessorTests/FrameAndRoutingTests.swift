import CSMSCore
import Foundation
import OCPP
import Testing

@testable import CSMSProcessor

/// Boots `session` with the fake BootNotification and checks it was accepted.
func bootAccepted(_ h: PipelineHarness, _ s: StationSession, id: String = "boot-1") async {
    let result = await h.send(#"[2,"\#(id)","BootNotification",{"n":1}]"#, s)
    #expect(result.resultPayload == ["n": 300], "boot should be accepted with the heartbeat interval")
}

@Suite("Frames and routing")
struct FrameAndRoutingTests {
    /// What `RPCFrame.decode` says the processor must do with `text`.
    private func expected(_ text: String, _ version: OCPPVersion) -> InboundResult {
        do {
            _ = try RPCFrame.decode(Array(text.utf8), version: version)
            Issue.record("\(text) should not decode")
            return .none
        } catch {
            switch error.response {
            case .callError(let e): return .reply(RPCFrame.callError(e).encoded())
            case .ignore: return .none
            }
        }
    }

    static let badFrames = [
        "not json", "{}", "[]", #"["2","1","Heartbeat",{}]"#, #"[2,1,"Heartbeat",{}]"#, #"[2,"","Heartbeat",{}]"#,
        #"[2,"1","Heartbeat"]"#, #"[2,"1",7,{}]"#, #"[7,"1","Heartbeat",{}]"#, #"[5,"1","GenericError","x",{}]"#,
        #"[6,"1","TestStream",{}]"#, #"[3,"1"]"#, #"[4,"1","GenericError",{}]"#, #"[6,1,"TestStream",{}]"#,
    ]

    @Test(arguments: OCPPVersion.allCases)
    func undecodableFramesAreAnsweredOrIgnoredAsTheFailureSays(version: OCPPVersion) async {
        let h = PipelineHarness()
        var ignored = 0
        for text in Self.badFrames {
            if text == #"[6,"1","TestStream",{}]"# && version == .v21 { continue }  // a valid SEND in 2.1
            if text == #"[5,"1","GenericError","x",{}]"# && version == .v21 { continue }  // a valid CALLRESULTERROR
            let result = await h.send(text, session(version))
            #expect(result == expected(text, version), "\(text) on \(version)")
            if result == .none { ignored += 1 }
        }
        // Nothing is written but one dead letter per ignored (unanswered) frame.
        #expect(h.store.commits.count == ignored)
        for commit in h.store.commits {
            guard commit.count == 1, case .addDeadLetter(let letter) = commit[0] else {
                Issue.record("unexpected commit \(commit)")
                continue
            }
            #expect(letter.reason == "frame_ignored")
        }
    }

    @Test func frameFailureAnswersPerVersion() async {
        let h = PipelineHarness()
        #expect(await h.send("nope", session(.v16)).callError?.code == .formationViolation)
        #expect(await h.send("nope", session(.v16)).callError?.messageId == "-1")
        #expect(await h.send("nope", session(.v201)).callError?.code == .rpcFrameworkError)
        #expect(await h.send(#"[9,"x",{}]"#, session(.v201)).callError?.code == .messageTypeNotSupported)
        #expect(await h.send(#"[9,"x",{}]"#, session(.v16)) == InboundResult.none)
        #expect(await h.send(#"[9,"x",{}]"#, session(.v21)) == InboundResult.none)
        #expect(await h.send(#"[3,"1"]"#, session(.v201)) == InboundResult.none)
        // Ignored frames are not answered but kept as dead letters.
        let ignored = await h.store.letters().filter { $0.reason == "frame_ignored" }
        #expect(ignored.map(\.rawFrame) == [#"[9,"x",{}]"#, #"[9,"x",{}]"#, #"[3,"1"]"#])
        #expect(h.metrics.counters(label: "ocpp.messages.received").count > 0)
    }

    @Test func repliesGoToTheOutboundTracker() async throws {
        let h = PipelineHarness()
        let s = session(.v21)
        #expect(
            await h.send(#"[3,"m1",{"status":"Accepted"}]"#, s)
                == .outboundReply(.callResult(RPCCallResult(messageId: "m1", payload: ["status": "Accepted"]))))
        let error = RPCCallError(messageId: "m2", code: .notSupported, description: "no")
        #expect(await h.send(#"[4,"m2","NotSupported","no",{}]"#, s) == .outboundReply(.callError(error)))
        #expect(await h.send(#"[5,"m2","NotSupported","no",{}]"#, s) == .outboundReply(.callResultError(error)))
        #expect(h.runs.value == 0)
        #expect(
            try h.metrics.expectCounter(
                "ocpp.messages.received", [("version", "2.1"), ("action", "none"), ("frame_type", "call_result")]
            ).values == [1])
    }

    @Test(arguments: [OCPPVersion.v16, .v20, .v201, .v21])
    func unknownUnsupportedAndUnhandledActions(version: OCPPVersion) async {
        let h = PipelineHarness()
        let s = session(version)
        await bootAccepted(h, s)
        let unknown = await h.send(#"[2,"u1","NoSuchAction",{}]"#, s).callError
        #expect(unknown?.code == .notImplemented)
        #expect(unknown?.messageId == "u1")
        #expect(unknown?.description.contains("NoSuchAction") == false, "never echo the station's action")
        #expect(await h.send(#"[2,"u2","TestCommand",{"n":1}]"#, s).callError?.code == .notSupported)
        let unhandled = await h.send(#"[2,"u3","TestUnhandled",{"n":1}]"#, s).callError
        #expect(unhandled?.code == .notImplemented)
        #expect(unhandled?.description.contains("does not implement") == true)
        #expect(h.runs.value == 0)
    }

    @Test func callOfASendOnlyActionIsNotSupported() async {
        let h = PipelineHarness()
        let s = session(.v21)
        await bootAccepted(h, s)
        #expect(await h.send(#"[2,"c1","TestStream",{"n":1}]"#, s).callError?.code == .notSupported)
        #expect(h.runs.value == 0)
    }

    @Test func handledCallIsAnsweredAndCommittedWithItsStoredAnswer() async throws {
        let h = PipelineHarness()
        let s = session(.v201)
        await bootAccepted(h, s)
        let result = await h.send(#"[2,"p1","TestPing",{"n":7}]"#, s)
        #expect(result.resultPayload == ["n": 7])
        let last = try #require(h.store.commits.last)
        #expect(last.count == 2)
        #expect(last.first == .recordSeen(id: cp1, at: h.clock.now()))
        guard case .storeResponse(let stored)? = last.last else {
            Issue.record("the stored answer must be in the same commit")
            return
        }
        #expect(stored.response == result.replyBytes)
        #expect(stored.messageId == "p1")
    }

    @Test func correlationIdIsLoggedAndSentInErrorDetails() async throws {
        let h = PipelineHarness()
        let s = session(.v16)
        let error = try #require(await h.send(#"[2,"g1","TestPing",{"n":1}]"#, s).callError)
        #expect(error.code == .securityError)
        let correlation = try #require(error.details["correlationId"]?.stringValue)
        // A process-wide random prefix and a counter: 16 hex digits, a dash, 12 hex digits.
        let parts = correlation.split(separator: "-")
        #expect(parts.map(\.count) == [16, 12])
        #expect(correlation.allSatisfy { $0 == "-" || $0.isHexDigit && !$0.isUppercase })
        let entry = try #require(h.logs.entries.first { $0.metadata[LogKey.correlationId] == .string(correlation) })
        #expect(entry.metadata[LogKey.chargePointId] == "CP-1")
        #expect(entry.metadata[LogKey.messageId] == "g1")
        #expect(entry.metadata[LogKey.action] == "TestPing")
        #expect(entry.metadata[LogKey.version] == "1.6")
        // A second CALL gets another correlation id.
        let again = try #require(await h.send(#"[2,"g2","TestPing",{"n":1}]"#, s).callError)
        let second = try #require(again.details["correlationId"]?.stringValue)
        #expect(second != correlation)
        #expect(second.split(separator: "-").first == parts.first)
    }

    @Test func unknownActionsAreShortenedInLogsAndLabelledUnknownInMetrics() async throws {
        let h = PipelineHarness()
        let long = String(repeating: "X", count: 100)
        _ = await h.send(#"[2,"l1","\#(long)",{}]"#, session(.v201))
        let entry = try #require(h.logs.entries.first { $0.metadata[LogKey.messageId] == "l1" })
        #expect(entry.metadata[LogKey.action] == .string(String(repeating: "X", count: 40) + "…"))
        #expect(
            try h.metrics.expectCounter(
                "ocpp.messages.received", [("version", "2.0.1"), ("action", "unknown"), ("frame_type", "call")]
            ).values == [1])
        #expect(
            try h.metrics.expectTimer("ocpp.handler.duration", [("action", "unknown"), ("outcome", "error")])
                .values.count == 1)
        #expect(logSafe("a\u{1}b") == "a?b")
    }

    @Test func routerReportsItsHandlers() {
        var router = ActionRouter()
        #expect(!router.hasHandler(for: "TestPing", in: .v16))
        router.register(PingHandler(runs: RunCounter()), for: .v16)
        #expect(router.hasHandler(for: "TestPing", in: .v16))
        #expect(!router.hasHandler(for: "TestPing", in: .v201))
    }
}
