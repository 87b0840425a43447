import CSMSCore
import Foundation
import Logging
import MetricsTestKit
import OCPP
import Synchronization
import Testing

@testable import CSMSProcessor

/// A monotonic time the test moves by hand.
final class ManualTime: Sendable {
    private let seconds = Mutex(100.0)
    var now: Double { seconds.withLock { $0 } }
    func advance(_ delta: Double) { seconds.withLock { $0 += delta } }
}

@Suite("Rate limiting")
struct RateLimitTests {
    @Test func tokenBucketAdmitsABurstThenTheRate() {
        var bucket = TokenBucket(rate: 2, burst: 3, now: 0)
        func take(_ now: Double) -> Bool { bucket.take(now: now) }
        for _ in 0..<3 { #expect(take(0)) }
        #expect(!take(0))
        #expect(!take(0.4), "0.8 tokens after 0.4 s")
        #expect(take(0.5))
        #expect(!take(0.5))
        #expect(!take(0.2), "a clock going back adds nothing")
        let fullSoon = bucket.isFull(now: 1)
        #expect(!fullSoon)
        let fullLater = bucket.isFull(now: 100)
        #expect(fullLater, "refills up to the burst only")
        #expect(bucket.tokens == 3)
    }

    /// A processor whose rate-limit step runs on `time`.
    private func processor(
        _ settings: RateLimitSettings, time: ManualTime, metrics: TestMetrics, store: FaultInjectingStore
    ) -> MessageProcessor {
        var router = ActionRouter()
        router.register(PingHandler(runs: RunCounter()), for: .v201)
        router.register(FakeBootHandler(), for: .v201)
        let step = RateLimitStep(
            settings: settings, metrics: ProcessorMetrics(factory: metrics), now: { time.now })
        return MessageProcessor(
            store: store, registries: testRegistries(), router: router, configuration: .acceptingUnknown,
            services: HandlerServices(), clock: TestClock(), logger: Logger(label: "t"), metricsFactory: metrics,
            rateLimit: step)
    }

    private func ping(_ p: MessageProcessor, _ id: String, _ s: StationSession) async -> InboundResult {
        await p.handle(Array(#"[2,"\#(id)","TestPing",{"n":1}]"#.utf8), session: s)
    }

    @Test func overTheLimitIsAGenericErrorAndStationsAreIndependent() async throws {
        let time = ManualTime()
        let metrics = TestMetrics()
        let store = FaultInjectingStore()
        let p = processor(
            RateLimitSettings(rate: 1, burst: 3, disconnectAfter: 10), time: time, metrics: metrics, store: store)
        let a = session(.v201)
        let b = session(.v201, ChargePointID("CP-2")!)
        #expect(await p.handle(Array(#"[2,"b","BootNotification",{"n":1}]"#.utf8), session: a).resultPayload != nil)
        #expect(await ping(p, "1", a).resultPayload != nil)
        #expect(await ping(p, "2", a).resultPayload != nil)
        let refused = try #require(await ping(p, "3", a).callError)
        #expect(refused.code == .genericError)
        #expect(refused.description.contains("rate limit"))
        #expect(refused.messageId == "3")
        #expect(await store.letters().isEmpty, "a refused message is answered, not kept")

        #expect(await p.handle(Array(#"[2,"b","BootNotification",{"n":1}]"#.utf8), session: b).resultPayload != nil)
        #expect(await ping(p, "1", b).resultPayload != nil, "another station has its own bucket")

        time.advance(1)
        #expect(await ping(p, "4", a).resultPayload != nil, "one token per second comes back")
        #expect(await ping(p, "5", a).callError?.code == .genericError)
        let counter = try metrics.expectCounter(
            "csms.rate_limit.exceeded", [("version", "2.0.1"), ("action", "TestPing"), ("outcome", "refused")])
        #expect(counter.totalValue == 2)
    }

    @Test func aStationThatKeepsFloodingIsDisconnected() async throws {
        let time = ManualTime()
        let p = processor(
            RateLimitSettings(rate: 1, burst: 1, disconnectAfter: 3), time: time, metrics: TestMetrics(),
            store: FaultInjectingStore())
        let s = session(.v201)
        #expect(await p.handle(Array(#"[2,"b","BootNotification",{"n":1}]"#.utf8), session: s).resultPayload != nil)
        #expect(await ping(p, "1", s).callError != nil)
        #expect(await ping(p, "2", s).callError != nil)
        guard case .replyAndClose(let frame, let reason) = await ping(p, "3", s) else {
            Issue.record("the third refusal in a row closes the connection")
            return
        }
        #expect(try RPCFrame.decode(frame, version: .v201).messageId == "3")
        #expect(reason.contains("3 times"))
    }

    @Test func anAdmittedMessageResetsTheRefusalCount() {
        let time = ManualTime()
        let step = RateLimitStep(
            settings: RateLimitSettings(rate: 1, burst: 1, disconnectAfter: 5),
            metrics: ProcessorMetrics(factory: TestMetrics()), now: { time.now })
        let id = ChargePointID("CP-R")!
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 1))
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 2))
        time.advance(1)
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 1))
    }

    @Test func transactionMessagesOverTheirLimitAreStillAdmitted() {
        let time = ManualTime()
        let step = RateLimitStep(
            settings: RateLimitSettings(rate: 1, burst: 1, transactionRate: 1, transactionBurst: 2),
            metrics: ProcessorMetrics(factory: TestMetrics()), now: { time.now })
        let id = ChargePointID("CP-T")!
        #expect(step.decide(id, isTransaction: true) == .admit)
        #expect(step.decide(id, isTransaction: true) == .admit)
        #expect(step.decide(id, isTransaction: true) == .admitOverLimit, "invariant 2: never refused")
        #expect(step.decide(id, isTransaction: false) == .admit, "separate buckets")
        #expect(ProcessorConfiguration.transactionActions.contains("TransactionEvent"))
    }
}
