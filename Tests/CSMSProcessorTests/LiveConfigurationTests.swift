import CSMSCore
import CSMSTesting
import Foundation
import Logging
import MetricsTestKit
import OCPP
import Testing

@testable import CSMSProcessor

/// The processor with a live configuration (configuration reload, docs/configuration.md
/// "Reload"): the registration policy, the BootNotification intervals and the rate limits are
/// read for every message, so an update applies to the next one.
@Suite("Live processor configuration")
struct LiveConfigurationTests {
    private static let boot16 = #"{"chargePointVendor":"V","chargePointModel":"M"}"#

    private func boot(_ p: MessageProcessor, _ id: String, _ station: String) async -> JSONValue? {
        let frame = #"[2,"\#(id)","BootNotification",\#(Self.boot16)]"#
        return await p.handle(Array(frame.utf8), session: session(.v16, ChargePointID(station)!)).resultPayload
    }

    @Test func registrationPolicyAndHeartbeatIntervalFollowTheLiveValue() async throws {
        let live = LiveValue(ProcessorConfiguration(unknownChargePoints: .reject, heartbeatInterval: .seconds(300)))
        let p = MessageProcessor(
            store: InMemoryStore(), configuration: live.current, logger: Logger(label: "t"), liveConfiguration: live)
        let rejected = await boot(p, "1", "CP-A")
        #expect(rejected?["status"]?.stringValue == "Rejected")

        var changed = live.current
        changed.unknownChargePoints = .accept
        changed.heartbeatInterval = .seconds(42)
        live.update(changed)
        let accepted = try #require(await boot(p, "2", "CP-B"))
        #expect(accepted["status"]?.stringValue == "Accepted")
        #expect(accepted["interval"] == 42)
    }

    @Test func rateLimitsFollowTheLiveValueAndCanBeTurnedOffAndOn() async {
        let settings = RateLimitSettings(rate: 0.001, burst: 1, disconnectAfter: 100)
        let live = LiveValue(
            ProcessorConfiguration(unknownChargePoints: .accept, rateLimit: settings, commitRetry: .none))
        let metrics = TestMetrics()
        let p = MessageProcessor(
            store: InMemoryStore(), configuration: live.current, logger: Logger(label: "t"), metricsFactory: metrics,
            liveConfiguration: live)
        let station = session(.v16, ChargePointID("CP-R")!)
        func heartbeat(_ id: String) async -> InboundResult {
            await p.handle(Array(#"[2,"\#(id)","Heartbeat",{}]"#.utf8), session: station)
        }
        #expect(await boot(p, "b", "CP-R") != nil, "the one message of the burst")
        #expect(await heartbeat("h1").callError?.code == .genericError, "over the limit")

        var off = live.current
        off.rateLimit = nil
        live.update(off)
        for n in 0..<5 { #expect(await heartbeat("off\(n)").resultPayload != nil, "rate limits off") }

        var larger = live.current
        larger.rateLimit = RateLimitSettings(rate: 0.001, burst: 3, disconnectAfter: 100)
        live.update(larger)
        for n in 0..<3 { #expect(await heartbeat("on\(n)").resultPayload != nil, "a new, full bucket of 3") }
        #expect(await heartbeat("on3").callError?.code == .genericError)
    }

    @Test func aStationsBucketsAreRebuiltWhenTheSettingsChange() {
        let current = LiveValue<RateLimitSettings?>(RateLimitSettings(rate: 1, burst: 1))
        let time = ManualTime()
        let step = RateLimitStep(
            source: { current.current }, metrics: ProcessorMetrics(factory: TestMetrics()), now: { time.now })
        let id = ChargePointID("CP-S")!
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 1))
        current.update(RateLimitSettings(rate: 1, burst: 2))
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .admit)
        #expect(step.decide(id, isTransaction: false) == .refuse(refusedInARow: 1))
        current.update(nil)
        #expect(step.decide(id, isTransaction: false) == .admit, "no limits")
    }

    @Test func aSnapshotDoesNotChangeUnderItsReader() {
        let live = LiveValue(ProcessorConfiguration(unknownChargePoints: .reject))
        let snapshot = live.current
        live.update(ProcessorConfiguration(unknownChargePoints: .accept))
        #expect(snapshot.unknownChargePoints == .reject)
        #expect(live.current.unknownChargePoints == .accept)
    }
}
