import Configuration
import Foundation
import Testing

@testable import CSMSServer

/// The liveness rules as a state machine driven with explicit times (no timers), and the
/// reliability settings.
@Suite("Liveness rules and reliability settings")
struct LivenessStateTests {
    let start = ContinuousClock.now

    func at(_ milliseconds: Int64) -> ContinuousClock.Instant { start.advanced(by: .milliseconds(milliseconds)) }

    @Test("idle for the interval -> ping; nothing within the timeout -> half-open; traffic resets both")
    func pingAndHalfOpen() {
        var state = LivenessState(
            pingInterval: .seconds(30), pongTimeout: .seconds(10), silenceLimit: .seconds(600), start: start)
        #expect(state.evaluate(now: at(29_999), busy: false) == .nothing)
        #expect(state.evaluate(now: at(30_000), busy: false) == .ping)
        #expect(state.evaluate(now: at(35_000), busy: false) == .nothing, "one ping at a time")
        state.inbound(at: at(36_000))  // the pong
        #expect(state.evaluate(now: at(45_000), busy: false) == .nothing, "answered: not half-open")
        #expect(state.evaluate(now: at(66_000), busy: false) == .ping, "30 s after the last traffic")
        #expect(state.evaluate(now: at(75_999), busy: false) == .nothing)
        #expect(state.evaluate(now: at(76_000), busy: false) == .close(.halfOpen))
        #expect(state.detectionBound == .seconds(40))
    }

    @Test("silent for longer than the heartbeat interval x tolerance -> missed heartbeats; busy counts as alive")
    func missedHeartbeats() {
        var state = LivenessState(
            pingInterval: nil, pongTimeout: .seconds(10), silenceLimit: .seconds(600), start: start)
        #expect(state.evaluate(now: at(600_000), busy: false) == .nothing, "not longer yet")
        #expect(state.evaluate(now: at(700_000), busy: true) == .nothing, "a message in progress is a sign of life")
        #expect(state.evaluate(now: at(1_300_000), busy: false) == .nothing)
        #expect(state.evaluate(now: at(1_300_001), busy: false) == .close(.missedHeartbeats))
        #expect(state.detectionBound == .seconds(600))
        let off = LivenessState(pingInterval: nil, pongTimeout: .seconds(1), silenceLimit: nil, start: start)
        #expect(off.detectionBound == nil)
    }

    @Test("the connection tracker: a retired connection processes nothing; the first close reason wins")
    func tracker() {
        let liveness = ConnectionLiveness.disabled()
        #expect(liveness.beginProcessing())
        #expect(liveness.retire(), "busy while retired")
        liveness.endProcessing()
        #expect(!liveness.beginProcessing())
        #expect(!liveness.isBusy)
        liveness.markClosing(.replaced)
        liveness.markClosing(.shutdown)
        #expect(liveness.closeReason == .replaced)
        #expect(liveness.claimOfflineRecord())
        #expect(!liveness.claimOfflineRecord())
        #expect(
            LivenessMonitor.tick(pingInterval: .seconds(30), pongTimeout: .seconds(10), silenceLimit: .seconds(600))
                == .seconds(1))
        #expect(
            LivenessMonitor.tick(
                pingInterval: .milliseconds(300), pongTimeout: .milliseconds(50), silenceLimit: .seconds(1))
                == .milliseconds(20))
    }

    @Test("settings: defaults, environment and file keys, bad values refused")
    func settings() async throws {
        func load(_ environment: [String: String]) async throws -> ServerConfiguration {
            let reader = try await ConfigurationSources.reader(
                commandLine: [:], environment: environment, configFile: nil)
            return try ServerConfiguration(reader: reader)
        }
        let defaults = try await load([:])
        #expect(defaults.reliability == ReliabilitySettings())
        #expect(defaults.webSocket.pingInterval == .seconds(30))
        #expect(defaults.reliability.pongTimeout == .seconds(10))
        #expect(defaults.reliability.heartbeatTolerance == 2)
        #expect(defaults.reliability.duplicatePolicy == .refuseNew)
        #expect(defaults.reliability.duplicatePingTimeout == .seconds(2))
        #expect(defaults.reliability.connectionsPerIP == 1000)
        let set = try await load([
            "CSMS_WEBSOCKET_PONG_TIMEOUT": "2.5", "CSMS_LIVENESS_HEARTBEAT_TOLERANCE": "3",
            "CSMS_SESSIONS_DUPLICATE_POLICY": "replace-old", "CSMS_SESSIONS_DUPLICATE_PING_TIMEOUT": "0.5",
            "CSMS_LIMITS_CONNECTIONS_PER_IP": "10",
        ]).reliability
        #expect(set.pongTimeout == .milliseconds(2500))
        #expect(set.heartbeatTolerance == 3)
        #expect(set.duplicatePolicy == .replaceOld)
        #expect(set.duplicatePingTimeout == .milliseconds(500))
        #expect(set.connectionsPerIP == 10)
        await #expect(throws: ConfigurationError.self) { try await load(["CSMS_SESSIONS_DUPLICATE_POLICY": "both"]) }
        await #expect(throws: ConfigurationError.self) { try await load(["CSMS_LIMITS_CONNECTIONS_PER_IP": "0"]) }
        #expect(SettingKey.all.contains(.sessionsDuplicatePolicy))
    }
}
