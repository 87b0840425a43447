public import Configuration
import Foundation
public import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Reloads the configuration of a running `csms serve` (docs/configuration.md, "Reload"): reads
/// the same sources again (the command line, the environment as it was at start, the config
/// file as it is now), with the same precedence, and applies the keys that may change live.
///
/// - Every key's reloadability is its `SettingKey.reload`. A changed `.restart` key is logged
///   (warning "needs restart", naming the key) and keeps its running value.
/// - A source that cannot be read or a value that is not valid (anywhere in the file, also in
///   a `.restart` key) fails the whole reload: an error line names the key and the problem,
///   the running settings stay, and the counter `csms.config.reloads{outcome="failed"}` grows.
/// - The values in force are kept as text per key (`values(of:)`); the new configuration is
///   parsed from those texts by the same `ServerConfiguration(reader:)` as at start.
public final class ConfigurationReloader: Sendable {
    /// Where the settings come from: what `ConfigurationSources.reader` is given.
    public struct Sources: Sendable {
        /// The command-line values (they keep winning after a reload).
        public var commandLine: [SettingKey: ConfigValue]
        /// The environment (`CSMS_*`) as it was at start.
        public var environment: [String: String]
        /// The config file (`--config`), or `nil` for `$CSMS_CONFIG` in `environment`.
        public var configFile: String?

        /// The sources.
        public init(commandLine: [SettingKey: ConfigValue], environment: [String: String], configFile: String?) {
            self.commandLine = commandLine
            self.environment = environment
            self.configFile = configFile
        }
    }

    /// What a reload did.
    public enum Outcome: Sendable, Equatable {
        /// The reload was applied: `changed` keys took their new values, `needsRestart` keys
        /// changed in the sources but keep their running values.
        case applied(changed: [String], needsRestart: [String])
        /// Nothing was applied; the message names the key and the problem.
        case failed(String)
    }

    /// The settings this reloader changes.
    public let live: LiveSettings
    private let sources: Sources
    private let logger: Logger
    private let inForce: Mutex<[SettingKey: String]>

    /// A reloader for `live`, whose settings were read from `baseline` (built from `sources`).
    public init(sources: Sources, baseline: ConfigReader, live: LiveSettings, logger: Logger) {
        self.sources = sources
        self.live = live
        self.logger = logger
        inForce = Mutex(Self.values(of: baseline))
    }

    /// The metric counting reloads; dimension `outcome`: `applied` or `failed`.
    public static let reloadsMetric = "csms.config.reloads"

    /// Reads the sources again and applies what may change live (see the type's documentation).
    @discardableResult
    public func reload() async -> Outcome {
        let outcome: Outcome
        do throws(ConfigurationError) {
            let reader = try await ConfigurationSources.reader(
                commandLine: sources.commandLine, environment: sources.environment, configFile: sources.configFile)
            _ = try ServerConfiguration(reader: reader)  // an invalid value anywhere refuses the reload
            let fresh = Self.values(of: reader)
            let old = inForce.withLock { $0 }
            let plan = Self.plan(old: old, fresh: fresh)
            let configuration = try ServerConfiguration(reader: Self.reader(plan.values))
            live.apply(configuration)
            inForce.withLock { $0 = plan.values }
            outcome = .applied(changed: plan.changed, needsRestart: plan.needsRestart)
        } catch {
            outcome = .failed(error.message)
        }
        report(outcome)
        return outcome
    }

    private func report(_ outcome: Outcome) {
        switch outcome {
        case .applied(let changed, let needsRestart):
            for key in needsRestart {
                logger.warning(
                    "configuration reload: setting changed but needs restart; keeping the running value",
                    metadata: ["key": .string(key)])
            }
            logger.info(
                "configuration reloaded",
                metadata: [
                    "changed": .string(changed.joined(separator: ",")),
                    "needs_restart": .string(needsRestart.joined(separator: ",")),
                ])
            Counter(label: Self.reloadsMetric, dimensions: [("outcome", "applied")]).increment()
        case .failed(let message):
            logger.error(
                "configuration reload failed; keeping the running settings", metadata: ["error": .string(message)])
            Counter(label: Self.reloadsMetric, dimensions: [("outcome", "failed")]).increment()
        }
    }

    /// The values to run with after a reload from `old` (in force) to `fresh` (read now): a
    /// changed key takes its fresh value when it may change live, else keeps the old one.
    static func plan(
        old: [SettingKey: String], fresh: [SettingKey: String]
    ) -> (values: [SettingKey: String], changed: [String], needsRestart: [String]) {
        var values: [SettingKey: String] = [:]
        var changed: [String] = []
        var needsRestart: [String] = []
        for key in SettingKey.all {
            let before = old[key]
            let after = fresh[key]
            if before == after || key.reload == .restart {
                values[key] = before
                if before != after { needsRestart.append(key.name) }
            } else {
                values[key] = after
                changed.append(key.name)
            }
        }
        return (values, changed, needsRestart)
    }

    /// The value of every setting present in `reader`, as text (numbers in decimal, booleans
    /// as `true`/`false`, lists comma-separated): the form every `SettingReader` getter accepts.
    static func values(of reader: ConfigReader) -> [SettingKey: String] {
        var values: [SettingKey: String] = [:]
        for key in SettingKey.all {
            let name = key.configKey
            let secret = SettingKey.secrets.contains(key)
            if let text = reader.string(forKey: name, isSecret: secret) {
                values[key] = text
            } else if let number = reader.int(forKey: name, isSecret: secret) {
                values[key] = String(number)
            } else if let number = reader.double(forKey: name, isSecret: secret) {
                values[key] = String(number)
            } else if let flag = reader.bool(forKey: name, isSecret: secret) {
                values[key] = String(flag)
            } else if let list = reader.stringArray(forKey: name, isSecret: secret) {
                values[key] = list.joined(separator: ",")
            }
        }
        return values
    }

    /// A reader over `values` (as `values(of:)` gives them).
    static func reader(_ values: [SettingKey: String]) -> ConfigReader {
        var contents: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, text) in values {
            contents[key.absoluteKey] = ConfigValue(.string(text), isSecret: SettingKey.secrets.contains(key))
        }
        return ConfigReader(provider: InMemoryProvider(name: "in force", values: contents))
    }
}

/// The process's one SIGHUP handler: reloads the configuration (when `csms serve` gave a
/// reloader), then the TLS files (when the TLS listener runs). SIGHUP never ends the process.
struct ReloadSignalService: Service, CustomStringConvertible {
    var description: String { "ReloadSignalService" }

    let configuration: ConfigurationReloader?
    let tls: ReloadableTLSContext?
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            logger.info("SIGHUP received: reloading")
            if let configuration { await configuration.reload() }
            if let tls { TLSReloadService.reload(tls, reason: "SIGHUP", logger: logger) }
        }
    }
}
