import CoreMetrics
import MetricsTestKit
import Synchronization
import Testing

@testable import CSMSProcessor

/// `MetricHandles`: one factory call per label and dimensions, whatever the traffic.
@Suite("Metric handles")
struct MetricHandlesTests {
    /// Counts the handlers it is asked for and hands them to `TestMetrics`.
    final class CountingFactory: MetricsFactory, Sendable {
        let base = TestMetrics()
        let made = Mutex(0)

        func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
            made.withLock { $0 += 1 }
            return base.makeCounter(label: label, dimensions: dimensions)
        }
        func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
            base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
            made.withLock { $0 += 1 }
            return base.makeTimer(label: label, dimensions: dimensions)
        }
        func destroyCounter(_ handler: any CounterHandler) {}
        func destroyRecorder(_ handler: any RecorderHandler) {}
        func destroyTimer(_ handler: any TimerHandler) {}
    }

    @Test func eachCounterAndTimerIsMadeOnceAndCountsEverything() throws {
        let factory = CountingFactory()
        let metrics = ProcessorMetrics(factory: factory)
        for _ in 0..<50 {
            metrics.received(version: .v16, action: "Heartbeat", frameType: "call")
            metrics.rateLimited(version: .v16, action: "Heartbeat", outcome: "refused")
            metrics.handled(action: "Heartbeat", outcome: "error", duration: .milliseconds(1))
        }
        metrics.received(version: .v201, action: "Heartbeat", frameType: "call")
        #expect(factory.made.withLock { $0 } == 4, "three label/dimension sets, and one more for 2.0.1")
        let received = try factory.base.expectCounter(
            ProcessorMetrics.messagesReceived, [("version", "1.6"), ("action", "Heartbeat"), ("frame_type", "call")])
        #expect(received.totalValue == 50)
        let refused = try factory.base.expectCounter(
            ProcessorMetrics.rateLimited, [("version", "1.6"), ("action", "Heartbeat"), ("outcome", "refused")])
        #expect(refused.totalValue == 50)
        let timer = try factory.base.expectTimer(
            ProcessorMetrics.handlerDuration, [("action", "Heartbeat"), ("outcome", "error")])
        #expect(timer.values.count == 50)
    }
}
