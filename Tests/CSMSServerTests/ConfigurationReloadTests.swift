import CSMSCore
import CSMSProcessor
import Configuration
import Foundation
import Logging
import Synchronization
import Testing

@testable import CSMSServer

/// Configuration reload (docs/configuration.md, "Reload"): the reloader reads the real sources
/// (a JSON file in a temporary folder, an environment, command-line values) again and applies
/// what may change live; the reloadability rules come from the key definitions.
@Suite("Configuration reload")
struct ConfigurationReloadTests {
    /// Log lines (JSON) written by a `JSONLogHandler`.
    final class Lines: Sendable {
        private let storage = Mutex<[String]>([])
        var all: [String] { storage.withLock { $0 } }
        func append(_ line: String) { storage.withLock { $0.append(line) } }
        func containing(_ text: String) -> [String] { all.filter { $0.contains(text) } }
    }

    /// A config file in a fresh temporary folder, a reloader over it and the captured log lines.
    struct Fixture {
        let file: URL
        let live: LiveSettings
        let reloader: ConfigurationReloader
        let lines: Lines

        init(
            _ json: String, commandLine: [SettingKey: ConfigValue] = [:], environment: [String: String] = [:]
        ) async throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            file = folder.appendingPathComponent("csms.json")
            try Data(json.utf8).write(to: file)
            let sources = ConfigurationReloader.Sources(
                commandLine: commandLine, environment: environment, configFile: file.path)
            let reader = try await ConfigurationSources.reader(
                commandLine: commandLine, environment: environment, configFile: file.path)
            live = LiveSettings(try ServerConfiguration(reader: reader))
            let lines = Lines()
            self.lines = lines
            let logger = Logger(label: "test") { label in
                var handler = JSONLogHandler(label: label) { lines.append($0) }
                handler.logLevel = .trace
                return handler
            }
            reloader = ConfigurationReloader(sources: sources, baseline: reader, live: live, logger: logger)
        }

        func write(_ json: String) throws {
            try Data(json.utf8).write(to: file)
        }
    }

    @Test func liveKeysChangeAndRestartKeysKeepTheirValueWithAWarning() async throws {
        let f = try await Fixture(
            #"{"port": 9000, "logLevel": "info", "unknownChargePoints": "reject", "rateLimit": {"rate": 20},"#
                + #" "callTimeout": 30, "websocket": {"maxMessageSize": 65536}}"#)
        try f.write(
            #"{"port": 9100, "logLevel": "debug", "unknownChargePoints": "accept", "rateLimit": {"rate": 5},"#
                + #" "callTimeout": 7, "websocket": {"maxMessageSize": 131072}}"#)
        let outcome = await f.reloader.reload()
        #expect(
            outcome
                == .applied(
                    changed: ["unknownChargePoints", "callTimeout", "logLevel", "rateLimit.rate"],
                    needsRestart: ["port", "websocket.maxMessageSize"]))
        let now = f.live.current
        #expect(now.port == 9000, "restart key keeps its running value")
        #expect(now.webSocket.maxMessageSize == 65536)
        #expect(now.unknownChargePoints == .accept)
        #expect(f.live.processor.current.unknownChargePoints == .accept)
        #expect(f.live.processor.current.rateLimit?.rate == 5)
        #expect(f.live.commands.current.callTimeout == .seconds(7))
        #expect(f.live.logLevel.level == .debug)
        #expect(f.lines.containing("needs restart").count == 2)
        #expect(f.lines.containing(#""key":"port""#).count == 1)
        #expect(f.lines.containing("configuration reloaded").count == 1)

        // Reloading the same file again changes nothing and warns again (the file still differs).
        let again = await f.reloader.reload()
        #expect(again == .applied(changed: [], needsRestart: ["port", "websocket.maxMessageSize"]))
        // Back to the start value: no warning for it any more.
        try f.write(
            #"{"port": 9000, "logLevel": "debug", "unknownChargePoints": "accept", "rateLimit": {"rate": 5},"#
                + #" "callTimeout": 7, "websocket": {"maxMessageSize": 65536}}"#)
        #expect(await f.reloader.reload() == .applied(changed: [], needsRestart: []))
    }

    @Test func commandLineAndEnvironmentStayOnTopOfTheFile() async throws {
        let f = try await Fixture(
            #"{"logLevel": "info", "unknownChargePoints": "reject", "ocpp": {"heartbeatInterval": 300}}"#,
            commandLine: [.logLevel: ConfigValue(.string("warning"), isSecret: false)],
            environment: ["CSMS_UNKNOWN_CHARGE_POINTS": "pending"])
        #expect(f.live.logLevel.level == .warning)
        #expect(f.live.current.unknownChargePoints == .pending)
        try f.write(#"{"logLevel": "trace", "unknownChargePoints": "accept", "ocpp": {"heartbeatInterval": 60}}"#)
        #expect(await f.reloader.reload() == .applied(changed: ["ocpp.heartbeatInterval"], needsRestart: []))
        #expect(f.live.logLevel.level == .warning, "the flag wins")
        #expect(f.live.current.unknownChargePoints == .pending, "the environment wins")
        #expect(f.live.processor.current.heartbeatInterval == .seconds(60))
    }

    @Test func anInvalidFileKeepsTheRunningSettings() async throws {
        let f = try await Fixture(#"{"logLevel": "info", "unknownChargePoints": "reject"}"#)
        let before = f.live.current
        for (json, expected) in [
            (#"{"logLevel": "loud", "unknownChargePoints": "accept"}"#, "logLevel"),
            (#"{"unknownChargePoints": "accept", "port": 70000}"#, "port"),
            (#"{"unknownChargePoints": "accept", "rateLimit": {"rat": 1}}"#, "rateLimit.rat"),
            (#"{"unknownChargePoints": "accept""#, "not valid JSON"),
        ] {
            try f.write(json)
            let outcome = await f.reloader.reload()
            guard case .failed(let message) = outcome else {
                Issue.record("\(json) was applied: \(outcome)")
                continue
            }
            #expect(message.contains(expected), "\(message)")
            #expect(f.live.current == before)
            #expect(f.live.processor.current.unknownChargePoints == .reject)
        }
        #expect(f.lines.containing("configuration reload failed").count == 4)
        #expect(f.lines.containing(#"invalid logLevel"#).count == 1)
        try FileManager.default.removeItem(at: f.file)
        guard case .failed(let message) = await f.reloader.reload() else {
            Issue.record("a missing file was applied")
            return
        }
        #expect(message.contains("not found"))
        // A valid file afterwards is applied as usual.
        try f.write(#"{"logLevel": "info", "unknownChargePoints": "accept"}"#)
        #expect(await f.reloader.reload() == .applied(changed: ["unknownChargePoints"], needsRestart: []))
    }

    @Test func valuesAsTextParseToTheSameConfiguration() async throws {
        let f = try await Fixture(
            #"{"host": "0.0.0.0", "port": 9100, "apiToken": "s3cret", "ocpp": {"versions": ["ocpp1.6", "ocpp2.0.1"],"#
                + #" "heartbeatInterval": 120}, "websocket": {"pingInterval": 0, "compression": false,"#
                + #" "pongTimeout": 0.25}, "rateLimit": {"rate": 2.5, "burst": 7},"#
                + #" "commands": {"actionTimeouts": ["GetDiagnostics=120", "Reset=5"]},"#
                + #" "liveness": {"heartbeatTolerance": 3}, "dataTransfer": {"echoVendor": true},"#
                + #" "transactions": {"supersedeStale": false}, "spillFile": ""}"#,
            environment: ["CSMS_CALL_TIMEOUT": "12", "CSMS_SESSIONS_DUPLICATE_POLICY": "replace-old"])
        let reader = try await ConfigurationSources.reader(
            commandLine: [:],
            environment: ["CSMS_CALL_TIMEOUT": "12", "CSMS_SESSIONS_DUPLICATE_POLICY": "replace-old"],
            configFile: f.file.path)
        let direct = try ServerConfiguration(reader: reader)
        let values = ConfigurationReloader.values(of: reader)
        let viaText = try ServerConfiguration(reader: ConfigurationReloader.reader(values))
        #expect(viaText == direct)
        #expect(direct.ocppVersions.count == 2 && direct.rateLimitRate == 2.5 && direct.callTimeout == .seconds(12))
        #expect(values[.apiToken] == "s3cret")
        #expect(!f.lines.all.contains { $0.contains("s3cret") })
    }

    @Test func reloadabilityIsDeclaredOnTheKeys() {
        #expect(SettingKey.logLevel.reload == .live)
        #expect(SettingKey.unknownChargePoints.reload == .live)
        #expect(SettingKey.rateLimitRate.reload == .live)
        #expect(SettingKey.callTimeout.reload == .live)
        #expect(SettingKey.messageLogMode.reload == .live)
        #expect(SettingKey.securityAuthFailureBurst.reload == .live)
        #expect(SettingKey.bootPolicyAllowedModels.reload == .live)
        #expect(SettingKey.bootPolicyFirmwareRules.reload == .restart, "the follow-up service is set up at start")
        #expect(SettingKey.ocppVersions.reload == .newConnections)
        #expect(SettingKey.limitsConnectionsPerIP.reload == .newConnections)
        for key in [SettingKey.host, .port, .database, .apiToken, .tlsCertificate, .tlsPort, .securityProfile] {
            #expect(key.reload == .restart, "\(key.name)")
        }
        let plan = ConfigurationReloader.plan(
            old: [.port: "9000", .logLevel: "info", .host: "a"], fresh: [.port: "9001", .logLevel: "debug"])
        #expect(plan.values[.port] == "9000")
        #expect(plan.values[.logLevel] == "debug")
        #expect(plan.values[.host] == "a", "a restart key removed from the file keeps its value")
        #expect(plan.changed == ["logLevel"])
        #expect(plan.needsRestart == ["host", "port"])
    }

    @Test func observersSeeTheAppliedSnapshotAndTheMessageLogModeFollows() async throws {
        let f = try await Fixture(#"{"messageLog": {"mode": "off"}, "security": {"authFailureBurst": 2}}"#)
        let recorder = MessageLogRecorder(mode: f.live.current.observability.messageLogMode)
        f.live.observe { recorder.mode = $0.observability.messageLogMode }
        let limiter = AuthenticationLimiter(burst: f.live.current.security.authFailureBurst, refillSeconds: 60)
        f.live.observe {
            limiter.update(
                burst: $0.security.authFailureBurst, refillSeconds: Double($0.security.authFailureRefillSeconds))
        }
        let entry = MessageLogEntry(
            chargePointId: ChargePointID("CP-L")!, at: Date(), direction: .inbound, messageType: 2,
            action: "Heartbeat", messageId: "1", size: 2, payload: "{}")
        recorder.record(entry)
        #expect(recorder.take().entries.isEmpty, "off")

        try f.write(#"{"messageLog": {"mode": "full"}, "security": {"authFailureBurst": 5}}"#)
        #expect(
            await f.reloader.reload()
                == .applied(changed: ["security.authFailureBurst", "messageLog.mode"], needsRestart: []))
        recorder.record(entry)
        #expect(recorder.take().entries.map(\.payload) == ["{}"], "full keeps the frame")
        #expect(limiter.burst == 5)
        for _ in 0..<4 { limiter.recordFailure(address: nil, id: "CP-N", now: 0) }
        #expect(limiter.retryAfter(address: nil, id: "CP-N", now: 0) == nil, "one of five attempts left")
        limiter.recordFailure(address: nil, id: "CP-N", now: 0)
        #expect(limiter.retryAfter(address: nil, id: "CP-N", now: 0) != nil)
    }

    @Test func aBucketMadeWithOldLimitsKeepsItsFailuresWhenRebuilt() {
        let limiter = AuthenticationLimiter(burst: 2, refillSeconds: 60)
        limiter.recordFailure(address: "192.0.2.9", id: "CP-O", now: 0)
        limiter.update(burst: 3, refillSeconds: 60)
        limiter.recordFailure(address: "192.0.2.9", id: "CP-O", now: 0)
        #expect(limiter.retryAfter(address: "192.0.2.9", id: "CP-O", now: 0) == nil, "two of three used")
        limiter.recordFailure(address: "192.0.2.9", id: "CP-O", now: 0)
        #expect(limiter.retryAfter(address: "192.0.2.9", id: "CP-O", now: 0) != nil)
    }

    @Test func theLogLevelSwitchChangesLoggersThatExistAlready() {
        let lines = Lines()
        let levelSwitch = LogLevelSwitch(.info)
        let logger = Logger(label: "t") { label in
            LiveLevelLogHandler(JSONLogHandler(label: label) { lines.append($0) }, level: levelSwitch)
        }
        logger.debug("hidden")
        levelSwitch.level = .debug
        logger.debug("shown")
        levelSwitch.level = .error
        logger.warning("hidden too")
        #expect(lines.all.count == 1)
        #expect(lines.containing("shown").count == 1)
        var own = logger
        own.logLevel = .trace
        own.trace("own level")
        #expect(lines.containing("own level").count == 1)
    }
}

extension ServerConfiguration {
    fileprivate var rateLimitRate: Double? { processing.rateLimit?.rate }
}
