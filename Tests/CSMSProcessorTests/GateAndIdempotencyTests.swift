import CSMSCore
import Foundation
import Logging
import MetricsTestKit
import OCPP
import Testing

@testable import CSMSProcessor

@Suite("Registration gate and idempotency")
struct GateAndIdempotencyTests {
    @Test(arguments: [OCPPVersion.v16, .v201, .v21])
    func gateRefusesEverythingButBootUntilAccepted(version: OCPPVersion) async {
        let h = PipelineHarness()
        let s = session(version)
        // Even a malformed payload or an unknown action gets SecurityError before boot.
        #expect(await h.send(#"[2,"1","TestPing",{"n":1}]"#, s).callError?.code == .securityError)
        #expect(await h.send(#"[2,"2","TestPing",{}]"#, s).callError?.code == .securityError)
        #expect(await h.send(#"[2,"3","NoSuchAction",{}]"#, s).callError?.code == .securityError)
        #expect(h.runs.value == 0)
        await bootAccepted(h, s)
        #expect(await h.send(#"[2,"4","TestPing",{"n":1}]"#, s).resultPayload == ["n": 1])
        #expect(h.runs.value == 1)
    }

    @Test func gateStateSurvivesARestart() async {
        let store = FaultInjectingStore()
        let first = PipelineHarness(store: store)
        await bootAccepted(first, session(.v201))
        let restarted = PipelineHarness(store: store)
        #expect(await restarted.send(#"[2,"r1","TestPing",{"n":2}]"#, session(.v201)).resultPayload == ["n": 2])

        let unbooted = PipelineHarness(store: store)
        let other = ChargePointID("CP-2")!
        #expect(
            await unbooted.send(#"[2,"r2","TestPing",{"n":2}]"#, session(.v201, other)).callError?.code
                == .securityError)
    }

    @Test func aNewBootUpdatesTheGateWithinTheSession() async {
        let h = PipelineHarness(configuration: ProcessorConfiguration(unknownChargePoints: .pending))
        let s = session(.v16)
        #expect(await h.send(#"[2,"b1","BootNotification",{"n":1}]"#, s).resultPayload == ["n": 60])
        #expect(await h.store.stored(cp1)?.registrationStatus == .pending)
        #expect(await h.store.stored(cp1)?.bootStatus == .pending)
        #expect(await h.send(#"[2,"p1","TestPing",{"n":1}]"#, s).callError?.code == .securityError)
        await h.store.register(cp1, status: .accepted)
        #expect(await h.send(#"[2,"p2","TestPing",{"n":1}]"#, s).callError?.code == .securityError)
        await bootAccepted(h, s, id: "b2")
        #expect(await h.send(#"[2,"p3","TestPing",{"n":1}]"#, s).resultPayload == ["n": 1])
        // An operator rejection takes effect at the next boot.
        await h.store.register(cp1, status: .rejected)
        #expect(await h.send(#"[2,"b3","BootNotification",{"n":1}]"#, s).resultPayload == ["n": 60])
        #expect(await h.send(#"[2,"p4","TestPing",{"n":1}]"#, s).callError?.code == .securityError)
    }

    @Test func aNewSessionReadsTheStoreAgain() async {
        let h = PipelineHarness()
        let first = session(.v201)
        await bootAccepted(h, first)
        #expect(await h.send(#"[2,"a","TestPing",{"n":1}]"#, first).resultPayload != nil)
        // Another node answered a boot with Rejected meanwhile; the station reconnects here.
        await h.store.register(cp1, status: .rejected)
        try? await h.store.commit([
            .recordBoot(
                id: cp1, info: BootInfo(vendor: "V", model: "M"), status: .rejected, protocolVersion: "ocpp2.0.1",
                at: h.clock.now(), register: false)
        ])
        #expect(await h.send(#"[2,"b","TestPing",{"n":1}]"#, session(.v201)).callError?.code == .securityError)
    }

    @Test func unknownStationsFollowThePolicy() async {
        let reject = PipelineHarness(configuration: ProcessorConfiguration(unknownChargePoints: .reject))
        #expect(await reject.send(#"[2,"b","BootNotification",{"n":1}]"#, session(.v16)).resultPayload == ["n": 60])
        #expect(await reject.store.stored(cp1) == nil)
        #expect(await reject.send(#"[2,"p","TestPing",{"n":1}]"#, session(.v16)).callError?.code == .securityError)

        let accept = PipelineHarness()
        await bootAccepted(accept, session(.v16))
        let cp = await accept.store.stored(cp1)
        #expect(cp?.registrationStatus == nil)
        #expect(cp?.bootStatus == .accepted)
        #expect(cp?.boot == BootInfo(vendor: "Test", model: "T1"))
        #expect(cp?.protocolVersion == "ocpp1.6")
    }

    @Test func knownStationsGetTheOperatorsSetting() {
        let config = ProcessorConfiguration(
            unknownChargePoints: .reject, heartbeatInterval: .seconds(120), bootRetryInterval: .milliseconds(30_500))
        let at = Date(timeIntervalSince1970: 0)
        func known(_ status: RegistrationStatus?) -> ChargePoint {
            ChargePoint(id: cp1, registrationStatus: status, createdAt: at, updatedAt: at)
        }
        #expect(BootRegistration.decide(existing: known(nil), configuration: config).status == .accepted)
        #expect(BootRegistration.decide(existing: known(nil), configuration: config).interval == 120)
        #expect(BootRegistration.decide(existing: known(.accepted), configuration: config).status == .accepted)
        #expect(BootRegistration.decide(existing: known(.pending), configuration: config).status == .pending)
        #expect(BootRegistration.decide(existing: known(.pending), configuration: config).interval == 30)
        #expect(BootRegistration.decide(existing: known(.rejected), configuration: config).status == .rejected)
        #expect(BootRegistration.decide(existing: known(.rejected), configuration: config).registers == false)
    }

    @Test func retryGetsIdenticalBytesWithoutRunningTheHandlerAgain() async throws {
        let h = PipelineHarness()
        let s = session(.v201)
        await bootAccepted(h, s)
        let first = try #require(await h.send(#"[2,"i1","TestPing",{"n":5,"note":"x"}]"#, s).replyBytes)
        let commits = h.store.commits.count
        h.clock.advance(3600)
        // Same content with members in another order and other whitespace is the same message.
        let retry = try #require(await h.send(#"[2,"i1","TestPing",{ "note":"x", "n":5 }]"#, s).replyBytes)
        #expect(retry == first)
        #expect(h.runs.value == 1)
        #expect(h.store.commits.count == commits)
        #expect(h.logs.entries.contains { $0.message == "retry answered with the stored response" })
        #expect(
            try h.metrics.expectTimer("ocpp.handler.duration", [("action", "TestPing"), ("outcome", "replayed")])
                .values.count == 1)
    }

    @Test func handlersWithOnlyWritesAreCheckedInsideTheCommit() async throws {
        let h = PipelineHarness(
            configuration: ProcessorConfiguration(unknownChargePoints: .accept, idempotencyWindow: .seconds(7200)),
            pingHasOnlyWrites: true)
        let s = session(.v201)
        await bootAccepted(h, s)
        let first = try #require(await h.send(#"[2,"i1","TestPing",{"n":5,"note":"x"}]"#, s).replyBytes)
        let guarded = h.store.commits.last?.contains {
            if case .storeResponseUnlessAnswered = $0 { true } else { false }
        }
        #expect(guarded == true)
        let commits = h.store.commits.count
        h.clock.advance(3600)
        let retry = try #require(await h.send(#"[2,"i1","TestPing",{ "note":"x", "n":5 }]"#, s).replyBytes)
        // Same bytes; the handler ran again but none of its writes were committed.
        #expect(retry == first)
        #expect(h.runs.value == 2)
        #expect(h.store.commits.count == commits)
        #expect(h.logs.entries.contains { $0.message == "retry answered with the stored response" })
        #expect(
            try h.metrics.expectTimer("ocpp.handler.duration", [("action", "TestPing"), ("outcome", "replayed")])
                .values.count == 1)
        #expect(await h.store.letters().isEmpty)
        // Other content under the id, and the same content after the window, are new messages.
        #expect(await h.send(#"[2,"i1","TestPing",{"n":6}]"#, s).resultPayload == ["n": 6])
        #expect(h.store.commits.count == commits + 1)
        h.clock.advance(7201)
        #expect(await h.send(#"[2,"i1","TestPing",{"n":6}]"#, s).resultPayload == ["n": 6])
        #expect(h.store.commits.count == commits + 2)
    }

    @Test func anUnreadableStoredAnswerAtCommitIsAnsweredAnewWithNothingApplied() async throws {
        let h = PipelineHarness(pingHasOnlyWrites: true)
        let s = session(.v201)
        await bootAccepted(h, s)
        #expect(await h.send(#"[2,"u1","TestPing",{"n":4}]"#, s).resultPayload == ["n": 4])
        let commits = h.store.commits.count
        h.store.setFailingReads(true)
        // The commit finds the answer, the read of its bytes fails: the handler's own answer
        // goes out (same content), nothing is applied, nothing is dead-lettered.
        #expect(await h.send(#"[2,"u1","TestPing",{"n":4}]"#, s).resultPayload == ["n": 4])
        h.store.setFailingReads(false)
        #expect(h.store.commits.count == commits)
        #expect(await h.store.letters().isEmpty)
    }

    @Test func sameIdWithOtherContentOrAfterTheWindowIsProcessedAsNew() async throws {
        let h = PipelineHarness(
            configuration: ProcessorConfiguration(unknownChargePoints: .accept, idempotencyWindow: .seconds(600)))
        let s = session(.v16)
        await bootAccepted(h, s)
        #expect(await h.send(#"[2,"i1","TestPing",{"n":5}]"#, s).resultPayload == ["n": 5])
        #expect(await h.send(#"[2,"i1","TestPing",{"n":6}]"#, s).resultPayload == ["n": 6])
        #expect(h.runs.value == 2)
        // The stored answer is now the one for n=6.
        #expect(await h.send(#"[2,"i1","TestPing",{"n":6}]"#, s).resultPayload == ["n": 6])
        #expect(h.runs.value == 2)
        h.clock.advance(601)
        #expect(await h.send(#"[2,"i1","TestPing",{"n":6}]"#, s).resultPayload == ["n": 6])
        #expect(h.runs.value == 3)
        // The same payload under another action is another message.
        #expect(RequestDigest.hex(action: "A", payload: ["n": 1]) != RequestDigest.hex(action: "B", payload: ["n": 1]))
        #expect(RequestDigest.hex(action: "A", payload: ["n": 1]).count == 64)
    }

    @Test func rerunActionsAreNeverReplayed() async throws {
        #expect(ProcessorConfiguration().rerunActions == ["Heartbeat", "BootNotification"])
        let h = PipelineHarness(
            configuration: ProcessorConfiguration(unknownChargePoints: .accept, rerunActions: ["TestPing"]))
        let s = session(.v16)
        await bootAccepted(h, s)
        let commits = h.store.commits.count
        #expect(await h.send(#"[2,"r1","TestPing",{"n":5}]"#, s).resultPayload == ["n": 5])
        #expect(await h.send(#"[2,"r1","TestPing",{"n":5}]"#, s).resultPayload == ["n": 5])
        // Both ran, and no answer was stored for them.
        #expect(h.runs.value == 2)
        #expect(h.store.commits.count == commits + 2)
        #expect(
            h.store.commits.suffix(2).allSatisfy {
                $0.allSatisfy { if case .storeResponse = $0 { false } else { true } }
            })
    }

    @Test func errorsAreNotStoredForRetries() async {
        let h = PipelineHarness()
        let s = session(.v201)
        await bootAccepted(h, s)
        #expect(await h.send(#"[2,"e1","TestThrow",{"n":1}]"#, s).callError?.code == .internalError)
        #expect(await h.store.response(cp1, "e1") == nil)
        #expect(await h.send(#"[2,"e2","TestPing",{"n":1}]"#, s).resultPayload == ["n": 1])
        #expect(await h.store.response(cp1, "e2") != nil)
    }

    @Test func storedResponsesArePrunedAfterTheWindow() async throws {
        let h = PipelineHarness(
            configuration: ProcessorConfiguration(unknownChargePoints: .accept, idempotencyWindow: .seconds(60)))
        let s = session(.v201)
        await bootAccepted(h, s)
        _ = await h.send(#"[2,"x1","TestPing",{"n":1}]"#, s)
        #expect(try await h.processor.pruneStoredResponses() == 0)
        h.clock.advance(61)
        // BootNotification is a rerun action: only the TestPing answer was stored.
        #expect(try await h.processor.pruneStoredResponses() == 1)
        #expect(await h.store.response(cp1, "boot-1") == nil)
        #expect(await h.store.response(cp1, "x1") == nil)
    }

    @Test func canonicalFormSortsMembersRecursively() {
        let value: JSONValue = ["b": [["z": 1, "a": 2]], "a": nil]
        #expect(String(decoding: value.canonicalSerialized(), as: UTF8.self) == #"{"a":null,"b":[{"a":2,"z":1}]}"#)
        // The member order of the request does not change its digest; the content does.
        let reordered: JSONValue = ["a": nil, "b": [["a": 2, "z": 1]]]
        #expect(RequestDigest.hex(action: "A", payload: value) == RequestDigest.hex(action: "A", payload: reordered))
        #expect(RequestDigest.hex(action: "A", payload: value) != RequestDigest.hex(action: "A", payload: ["a": 1]))
        // SHA-256 of "A", NUL and the canonical text: digests stored by earlier versions match.
        #expect(
            RequestDigest.hex(action: "A", payload: value)
                == "fa32d2883a92dee7f9e4173d1c29a2fd66c084c2b3b05f2528df376929fb8a9a")
    }

    @Test func lowercaseHexOfContiguousAndOtherSequences() {
        let bytes: [UInt8] = [0x00, 0x0F, 0xA5, 0xFF, 0x10]
        #expect(bytes.lowercaseHex == "000fa5ff10")
        #expect(bytes.withUnsafeBytes { $0.lowercaseHex } == "000fa5ff10")
        // A sequence without contiguous storage takes the byte-by-byte path.
        #expect(bytes.lazy.map { $0 }.lowercaseHex == "000fa5ff10")
        #expect(([] as [UInt8]).lowercaseHex.isEmpty)
    }
}

@Suite("Pipeline seams")
struct PipelineSeamTests {
    /// A step standing in for the rate limiter of a later issue.
    struct RefuseAll: CallStep {
        func enter(_ call: inout InboundCall) async -> CallOutcome? {
            .error(.genericError, "slow down", messageId: call.call.messageId)
        }
    }

    @Test func rateLimitStepRunsAfterMetricsAndBeforeEverythingThatWrites() async throws {
        let store = FaultInjectingStore()
        let metrics = TestMetrics()
        var router = ActionRouter()
        router.register(FakeBootHandler(), for: .v16)
        let processor = MessageProcessor(
            store: store, registries: testRegistries(), router: router, configuration: .acceptingUnknown,
            services: HandlerServices(), clock: TestClock(), logger: Logger(label: "t"), metricsFactory: metrics,
            rateLimit: RefuseAll())
        let result = await processor.handle(Array(#"[2,"b","BootNotification",{"n":1}]"#.utf8), session: session(.v16))
        #expect(result.callError?.code == .genericError)
        #expect(result.callError?.details["correlationId"] != nil)
        #expect(store.commits.isEmpty)
        #expect(
            try metrics.expectTimer(
                "ocpp.handler.duration", [("action", "BootNotification"), ("outcome", "error")]
            ).values.count == 1)
    }
}
