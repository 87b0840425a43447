import CSMSCore
import Foundation
import OCPP
import Testing

@testable import CSMSProcessor

@Suite("Validation, failures and SEND")
struct ValidationAndFailureTests {
    /// payload, expected 1.6 code, expected 2.x code
    static let invalidPayloads: [(String, OCPPErrorCode, OCPPErrorCode)] = [
        ("[]", .formationViolation, .formatViolation),
        (#"{"n":1,"extra":true}"#, .formationViolation, .formatViolation),
        (#"{"n":"1"}"#, .typeConstraintViolation, .typeConstraintViolation),
        (#"{}"#, .occurenceConstraintViolation, .occurrenceConstraintViolation),
        (#"{"n":5000}"#, .propertyConstraintViolation, .propertyConstraintViolation),
        (#"{"n":1,"note":"secret-value"}"#, .propertyConstraintViolation, .propertyConstraintViolation),
    ]

    @Test(arguments: [OCPPVersion.v16, .v20, .v201, .v21])
    func validationErrorsUseTheVersionsCodes(version: OCPPVersion) async throws {
        let h = PipelineHarness()
        let s = session(version)
        await bootAccepted(h, s)
        for (index, (payload, v16Code, v2Code)) in Self.invalidPayloads.enumerated() {
            let error = try #require(await h.send(#"[2,"v\#(index)","TestPing",\#(payload)]"#, s).callError)
            #expect(error.code == (version == .v16 ? v16Code : v2Code), "\(payload)")
            #expect(error.messageId == "v\(index)")
            #expect(!error.description.contains("secret"), "never echo input")
            #expect(!error.description.isEmpty)
        }
        #expect(h.runs.value == 0)
    }

    @Test func handlerErrorBecomesInternalErrorAndADeadLetter() async throws {
        let h = PipelineHarness()
        let s = session(.v201)
        await bootAccepted(h, s)
        let frame = #"[2,"t1","TestThrow",{"n":1}]"#
        let error = try #require(await h.send(frame, s).callError)
        #expect(error.code == .internalError)
        #expect(!error.description.contains("on purpose"), "internal details stay in logs and the dead letter")
        #expect(error.details["correlationId"] != nil)
        let letter = try #require(await h.store.letters().first)
        #expect(letter.reason == "handler_error")
        #expect(letter.rawFrame == frame)
        #expect(letter.error == "the handler failed on purpose")
        #expect(letter.protocolVersion == "ocpp2.0.1")
        #expect(letter.chargePointId == cp1)
        #expect(h.logs.entries.contains { $0.level == .error && $0.message == "handler failed" })
    }

    @Test func invalidResponseIsAnInternalError() async throws {
        let h = PipelineHarness()
        let s = session(.v16)
        await bootAccepted(h, s)
        #expect(await h.send(#"[2,"r1","TestPing",{"n":0,"note":"bad"}]"#, s).callError?.code == .internalError)
        #expect(await h.store.letters().first?.reason == "handler_error")
        #expect(await h.store.letters().first?.error.contains("response breaks its schema") == true)
        // With response validation off the (invalid) response goes out as built.
        let off = PipelineHarness(
            configuration: ProcessorConfiguration(unknownChargePoints: .accept, validatesResponses: false))
        await bootAccepted(off, s)
        #expect(await off.send(#"[2,"r1","TestPing",{"n":0,"note":"bad"}]"#, s).resultPayload == ["n": -1])
    }

    @Test func failedCommitIsAnInternalErrorWithADeadLetterAndNoStoredAnswer() async throws {
        let h = PipelineHarness()
        let s = session(.v201)
        await bootAccepted(h, s)
        h.store.setFailingCommits(1)
        let frame = #"[2,"c1","TestPing",{"n":3}]"#
        #expect(await h.send(frame, s).callError?.code == .internalError)
        #expect(await h.store.letters().map(\.reason) == ["commit_failed"])
        #expect(await h.store.response(cp1, "c1") == nil)
        // The retry is processed (nothing was stored) and succeeds.
        #expect(await h.send(frame, s).resultPayload == ["n": 3])
        #expect(h.runs.value == 2)
    }

    @Test func deadLetterFailureIsLogged() async {
        let h = PipelineHarness()
        let s = session(.v201)
        await bootAccepted(h, s)
        h.store.setFailingCommits(2)
        #expect(await h.send(#"[2,"c1","TestPing",{"n":3}]"#, s).callError?.code == .internalError)
        #expect(await h.store.letters().isEmpty)
        #expect(h.logs.entries.contains { $0.level == .critical })
    }

    @Test func storeReadFailuresAreInternalErrors() async {
        let h = PipelineHarness()
        h.store.setFailingReads(true)
        // The gate cannot read the registration state.
        #expect(await h.send(#"[2,"s1","TestPing",{"n":1}]"#, session(.v16)).callError?.code == .internalError)
        h.store.setFailingReads(false)
        let s = session(.v16)
        await bootAccepted(h, s)
        _ = await h.send(#"[2,"s2","TestPing",{"n":1}]"#, s)  // caches the gate decision
        h.store.setFailingReads(true)
        // The idempotency lookup fails.
        #expect(await h.send(#"[2,"s3","TestPing",{"n":1}]"#, s).callError?.code == .internalError)
        #expect(await h.store.letters().map(\.reason) == ["store_error", "store_error"])
    }

    @Test func handledSendGetsNoReplyAndIsCommitted() async {
        let h = PipelineHarness()
        let s = session(.v21)
        await bootAccepted(h, s)
        h.clock.advance(10)
        #expect(await h.send(#"[6,"s1","TestStream",{"n":1}]"#, s) == InboundResult.none)
        #expect(h.runs.value == 1)
        #expect(await h.store.stored(cp1)?.lastSeen == h.clock.now())
        #expect(await h.store.letters().isEmpty)
        #expect(await h.store.response(cp1, "s1") == nil)  // SENDs have no answer to store
    }

    @Test func refusedSendsAreKeptAsDeadLetters() async {
        let h = PipelineHarness()
        let s = session(.v21)
        #expect(await h.send(#"[6,"s0","TestStream",{"n":1}]"#, s) == InboundResult.none)  // before boot
        await bootAccepted(h, s)
        #expect(await h.send(#"[6,"s1","TestStream",{"n":"x"}]"#, s) == InboundResult.none)  // invalid
        #expect(await h.send(#"[6,"s2","TestStreamUnhandled",{"n":1}]"#, s) == InboundResult.none)  // no handler
        #expect(await h.send(#"[6,"s3","TestPing",{"n":1}]"#, s) == InboundResult.none)  // a CALL action
        #expect(await h.send(#"[6,"s4","NoSuchAction",{}]"#, s) == InboundResult.none)  // unknown
        #expect(h.runs.value == 0)
        let letters = await h.store.letters()
        #expect(letters.map(\.reason) == Array(repeating: "send_rejected", count: 5))
        #expect(
            letters.map { String($0.error.prefix { $0 != ":" }) } == [
                "SecurityError", "TypeConstraintViolation", "NotImplemented", "NotSupported", "NotImplemented",
            ])
        #expect(letters[0].rawFrame == #"[6,"s0","TestStream",{"n":1}]"#)
    }

    @Test func failingSendHandlerIsADeadLetterWithoutReply() async {
        struct FailingStream: OCPPSendHandler {
            func handle(_ request: TestRequest, context: HandlerContext) async throws -> [StoreWrite] {
                throw HandlerFailure()
            }
        }
        var router = ActionRouter()
        router.register(FakeBootHandler(), for: .v21)
        router.register(send: FailingStream(), action: "TestStream", for: .v21)
        // A CALL handler wired to a SEND action, and a SEND handler wired to a CALL action.
        router.register(PingHandler(runs: RunCounter()), for: .v21)
        router.register(send: FailingStream(), action: "TestUnhandled", for: .v21)
        let store = FaultInjectingStore()
        let processor = MessageProcessor(
            store: store, registries: testRegistries(), router: router, configuration: .acceptingUnknown,
            logger: .init(label: "test"))
        let s = session(.v21)
        _ = await processor.handle(Array(#"[2,"b","BootNotification",{"n":1}]"#.utf8), session: s)
        #expect(await processor.handle(Array(#"[6,"f","TestStream",{"n":1}]"#.utf8), session: s) == .none)
        #expect(await store.letters().map(\.reason) == ["handler_error"])
        let miswired = await processor.handle(Array(#"[2,"w","TestUnhandled",{"n":1}]"#.utf8), session: s)
        #expect(miswired.callError?.code == .internalError)
        #expect(await store.letters().last?.error == "handler kind does not match the message type")
    }

    @Test func handlerTypeMismatchIsAnInternalError() async throws {
        // A registry whose TestPing request type differs from the handler's.
        struct OtherRequest: OCPPPayload {
            static func decode(_ value: JSONValue, _ context: inout DecodingContext) -> OtherRequest? { OtherRequest() }
            func encode() -> JSONValue { [:] }
        }
        let registry = ActionRegistry(
            family: .v16,
            descriptors: [
                ActionDescriptor(FakeBootAction.self),
                ActionDescriptor(
                    name: "TestPing", direction: .chargePointToCSMS, request: PayloadType(OtherRequest.self),
                    response: PayloadType(TestResponse.self)),
            ])
        var router = ActionRouter()
        router.register(FakeBootHandler(), for: .v16)
        router.register(PingHandler(runs: RunCounter()), for: .v16)
        let store = FaultInjectingStore()
        let processor = MessageProcessor(
            store: store, registries: [registry], router: router, configuration: .acceptingUnknown,
            logger: .init(label: "t"))
        let s = session(.v16)
        _ = await processor.handle(Array(#"[2,"b","BootNotification",{"n":1}]"#.utf8), session: s)
        let result = await processor.handle(Array(#"[2,"p","TestPing",{}]"#.utf8), session: s)
        #expect(result.callError?.code == .internalError)
        #expect(await store.letters().first?.error.contains("expects TestRequest") == true)
    }

    @Test func configurationDefaults() {
        let c = ProcessorConfiguration()
        #expect(c.unknownChargePoints == .reject)
        #expect(c.heartbeatInterval == .seconds(300))
        #expect(c.bootRetryInterval == .seconds(60))
        #expect(c.idempotencyWindow == .seconds(86_400))
        #expect(c.validatesResponses == ProcessorConfiguration.isDebugBuild)
        #expect(Duration.seconds(-5).wholeSeconds == 0)
        #expect(Duration.milliseconds(1500).timeInterval == 1.5)
    }
}
