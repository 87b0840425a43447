import CSMSCore
import MetricsTestKit
import OCPP
import Testing

@testable import CSMSProcessor

/// The flooding rule of `RateLimitStep` (docs/processor.md, "Rate limiting"): refusals count
/// "in a row" until a second passes without one, so the odd message admitted as a token comes
/// back does not let a flooder start over (found by Tests/e2e/test_flood_e2e.py: a station
/// sending thousands of frames a second got one admitted every 50 ms at the default rate, and
/// with fewer than `disconnectAfter` refusals between two of them it was never disconnected).
@Suite("Rate limiting: flooding stations")
struct RateLimitFloodTests {
    private func step(_ settings: RateLimitSettings, _ time: ManualTime) -> RateLimitStep {
        RateLimitStep(settings: settings, metrics: ProcessorMetrics(factory: TestMetrics()), now: { time.now })
    }

    @Test func aFloodFasterThanTheRateIsCountedAcrossTheTokensThatComeBack() {
        let time = ManualTime()
        let step = step(RateLimitSettings(rate: 20, burst: 5, disconnectAfter: 100), time)
        let id = ChargePointID("CP-FLOOD")!
        var admitted = 0
        var refusals: [Int] = []
        // 1,000 messages a second: a token comes back every 50 ms, so 49 refusals lie between
        // two admitted messages, fewer than disconnectAfter.
        for _ in 0..<300 {
            switch step.decide(id, isTransaction: false) {
            case .admit: admitted += 1
            case .admitOverLimit: Issue.record("not a transaction message")
            case .refuse(let inARow): refusals.append(inARow)
            }
            time.advance(0.001)
        }
        #expect(admitted > 5, "tokens came back meanwhile (\(admitted) admitted)")
        #expect(refusals.count == 300 - admitted)
        #expect(refusals == Array(1...refusals.count), "admitted messages did not reset the count")
        #expect(refusals.contains(100), "the 100th refusal asks for the disconnect")
    }

    @Test func aSecondWithoutRefusalsStartsTheCountOver() {
        let time = ManualTime()
        let step = step(RateLimitSettings(rate: 1, burst: 2, disconnectAfter: 100), time)
        let id = ChargePointID("CP-CALM")!
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 1))
        time.advance(0.9)
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 2), "0.9 s is no pause")
        time.advance(0.9)
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 3), "still within a second")
        time.advance(1.5)  // the bucket is full again (2 tokens)
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 1), "after 1.5 s without refusals")
    }

    @Test func refusalsAreLoggedOnceNotOncePerMessage() async {
        var configuration = ProcessorConfiguration.acceptingUnknown
        configuration.rateLimit = RateLimitSettings(rate: 0.001, burst: 2, disconnectAfter: 1000)
        let h = PipelineHarness(configuration: configuration)
        let s = session(.v201)
        _ = await h.processor.handle(Array(#"[2,"b","BootNotification",{"n":1}]"#.utf8), session: s)
        for n in 0..<20 {
            _ = await h.processor.handle(Array(#"[2,"\#(n)","TestPing",{"n":1}]"#.utf8), session: s)
        }
        let answered = h.logs.entries.filter { $0.message == "answered with CALLERROR" }
        #expect(answered.count == 19, "one ping fit the burst after the boot")
        #expect(answered.allSatisfy { $0.level == .debug }, "a flood does not flood the log")
        #expect(h.logs.entries.filter { $0.message == "rate limit exceeded; refusing messages" }.count == 1)
    }

    @Test func transactionMessagesNeitherCountNorReset() {
        let time = ManualTime()
        let step = step(
            RateLimitSettings(rate: 1, burst: 1, transactionRate: 1, transactionBurst: 1, disconnectAfter: 10), time)
        let id = ChargePointID("CP-TX")!
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 1))
        #expect(step.decide(id, isTransaction: true) == .admit)
        #expect(step.decide(id, isTransaction: true) == .admitOverLimit)
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 2))
    }
}
