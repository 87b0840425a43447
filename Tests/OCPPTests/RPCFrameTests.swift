import Testing

@testable import OCPP

@Suite("RPC frames")
struct RPCFrameTests {
    private func decode(_ text: String, _ version: OCPPVersion) -> Result<RPCFrame, RPCFrameFailure> {
        Result { () throws(RPCFrameFailure) in try RPCFrame.decode(Array(text.utf8), version: version) }
    }

    /// The CALLERROR a refused frame must be answered with, or nil when it is ignored.
    private func answer(_ text: String, _ version: OCPPVersion) -> RPCCallError? {
        switch decode(text, version) {
        case .success(let frame):
            Issue.record("expected a failure, got \(frame)")
            return nil
        case .failure(let failure):
            if case .callError(let e) = failure.response { return e }
            return nil
        }
    }

    private func isIgnored(_ text: String, _ version: OCPPVersion) -> Bool {
        if case .failure(let f) = decode(text, version), f.response == .ignore { return true }
        return false
    }

    @Test func decodesEveryFrameType() throws {
        let call = try decode(#"[2,"19223201","BootNotification",{"a":1}]"#, .v16).get()
        #expect(call == .call(RPCCall(messageId: "19223201", action: "BootNotification", payload: ["a": 1])))
        let result = try decode(#"[3,"1",{"currentTime":"x"}]"#, .v201).get()
        #expect(result == .callResult(RPCCallResult(messageId: "1", payload: ["currentTime": "x"])))
        let error = try decode(#"[4,"1","NotImplemented","nope",{}]"#, .v16).get()
        #expect(error == .callError(RPCCallError(messageId: "1", code: .notImplemented, description: "nope")))
        let cre = try decode(#"[5,"1","FormatViolation","bad",{"x":1}]"#, .v21).get()
        #expect(cre.messageType == .callResultError)
        let send = try decode(#"[6,"9","NotifyPeriodicEventStream",{}]"#, .v21).get()
        #expect(send.messageType == .send && send.messageId == "9")
    }

    @Test(arguments: OCPPVersion.allCases)
    func encodeDecodeRoundTrip(version: OCPPVersion) throws {
        var frames: [RPCFrame] = [
            .call(RPCCall(messageId: "a-1", action: "Heartbeat", payload: [:])),
            .callResult(RPCCallResult(messageId: "a-1", payload: ["currentTime": "2026-11-27T08:00:00.000Z"])),
            .callError(
                RPCCallError(
                    messageId: "a-2", code: .genericError, description: "x", details: ["correlationId": "c1"])),
        ]
        if version == .v21 {
            frames.append(.callResultError(RPCCallError(messageId: "r", code: .formatViolation, description: "y")))
            frames.append(.send(RPCCall(messageId: "s", action: "NotifyPeriodicEventStream", payload: ["id": 1])))
        }
        for frame in frames {
            #expect(try RPCFrame.decode(frame.encoded(), version: version) == frame)
        }
    }

    @Test func callErrorEncodingIsExact() {
        let e = RPCFrame.callError(RPCCallError(messageId: "m", code: .notSupported, description: "d"))
        #expect(String(decoding: e.encoded(), as: UTF8.self) == #"[4,"m","NotSupported","d",{}]"#)
    }

    @Test func descriptionsAreCutTo255Characters() {
        let long = String(repeating: "é", count: 1000)
        let e = RPCCallError(messageId: "m", code: .genericError, description: long)
        #expect(e.description.count == 255)
        #expect(e.description.hasSuffix("…"))
        let exact = String(repeating: "a", count: 255)
        #expect(RPCCallError(messageId: "m", code: .genericError, description: exact).description == exact)
        #expect(
            RPCCallError(messageId: "m", code: .genericError, description: "d", details: "s").details == ["value": "s"])
    }

    @Test(arguments: [
        "not json", "{}", "[]", "\"text\"", "17", "[2]", "[\"2\",17,\"A\",{}]", "[2.5,null,\"A\",{}]",
        "[2,17,\"A\",{}]", "[2,\"\",\"A\",{}]", "[2,null,\"A\",{}]",
        "[2,\"0123456789012345678901234567890123456\",\"A\",{}]",
    ])
    func unreadableIdsAreAnsweredWithMinusOne(text: String) {
        for version in OCPPVersion.allCases {
            let e = answer(text, version)
            #expect(e?.messageId == "-1", "\(version) \(text)")
            #expect(e?.code == (version == .v16 ? .formationViolation : .rpcFrameworkError))
        }
    }

    @Test func readableIdsAreEchoedForMalformedCalls() {
        for text in [
            #"[2,"abc","A"]"#, #"[2,"abc","A",{},1]"#, #"[2,"abc",5,{}]"#, #"[2,"abc","",{}]"#, #"["2","abc","A",{}]"#,
            #"[2.5,"abc","A",{}]"#,
        ] {
            #expect(answer(text, .v201)?.messageId == "abc", "\(text)")
            #expect(answer(text, .v201)?.code == .rpcFrameworkError)
            #expect(answer(text, .v16)?.code == .formationViolation)
        }
        // 36 characters is the maximum that is accepted.
        let id36 = String(repeating: "x", count: 36)
        #expect((try? decode("[2,\"\(id36)\",\"Heartbeat\",{}]", .v16).get())?.messageId == id36)
    }

    @Test func unknownMessageTypesFollowTheVersion() {
        for text in [#"[7,"abc",{}]"#, #"[0,"abc"]"#, #"[5,"abc","GenericError","",{}]"#, #"[6,"abc","A",{}]"#] {
            #expect(isIgnored(text, .v16), "\(text)")
            let e = answer(text, .v201)
            #expect(e?.code == .messageTypeNotSupported)
            #expect(e?.messageId == "abc")
        }
        #expect(isIgnored(#"[9,"abc",{}]"#, .v21))
        #expect(answer(#"[9,"abc",{}]"#, .v20)?.code == .messageTypeNotSupported)
        #expect(answer(#"[9,7,{}]"#, .v201)?.messageId == "-1")
    }

    @Test func malformedRepliesAndSendsAreIgnoredNeverAnswered() {
        for text in [
            #"[3,"a"]"#, #"[3,"a",{},1]"#, #"[3,5,{}]"#, #"[4,"a","X","d"]"#, #"[4,"a",1,"d",{}]"#,
            #"[4,"a","X",2,{}]"#,
            #"[4,null,"X","d",{}]"#,
        ] {
            for version in OCPPVersion.allCases {
                #expect(isIgnored(text, version), "\(version) \(text)")
            }
        }
        #expect(isIgnored(#"[6,"a","A"]"#, .v21))
        #expect(isIgnored(#"[6,5,"A",{}]"#, .v21))
    }

    @Test func failuresNeverEchoInput() {
        let secret = "SECRET-TOKEN-1234"
        let texts = [
            "[2,\"\(secret)\(String(repeating: "x", count: 40))\",\"A\",{}]", "{\"\(secret)\":1}", "\(secret)",
            "[2,\"id\",\"\(secret)\"]",
        ]
        for text in texts {
            guard case .failure(let f) = decode(text, .v201) else {
                Issue.record("expected failure")
                continue
            }
            #expect(!f.reason.contains(secret))
            if case .callError(let e) = f.response {
                #expect(!e.description.contains(secret))
                #expect(!e.messageId.contains(secret))
            }
        }
    }

    @Test func hugePayloadsDecode() throws {
        let samples = (0..<20_000).map { "{\"value\":\"\($0)\"}" }.joined(separator: ",")
        let text =
            #"[2,"big","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"x","sampledValue":["#
            + samples + "]}]}]"
        let frame = try decode(text, .v16).get()
        guard case .call(let call) = frame else {
            Issue.record("expected CALL")
            return
        }
        #expect(call.payload["meterValue"]?.arrayValue?.first?["sampledValue"]?.arrayValue?.count == 20_000)
    }

    @Test func deepNestingIsRefusedCleanly() {
        let payload = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let e = answer("[2,\"a\",\"DataTransfer\",\(payload)]", .v201)
        #expect(e?.code == .rpcFrameworkError)
        #expect(e?.messageId == "-1")
    }
}
