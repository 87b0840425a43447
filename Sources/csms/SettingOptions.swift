import ArgumentParser
import CSMSCore
import CSMSServer
import Configuration
import Foundation

/// The settings every `csms` command understands, as optional flags: a flag that is not given
/// leaves the setting to `CSMS_*`, the config file, or the default (docs/configuration.md).
///
/// Every setting's flag reaches the parser as `--set key=value` (`CSMS.main()`,
/// `SettingKey.expandingFlags`), so that its value is checked once, by
/// `ServerConfiguration(reader:)`. The named options list the common flags in `--help`; their
/// own values stay empty.
struct SettingOptions: ParsableArguments {
    @Option(help: "JSON config file (env CSMS_CONFIG).")
    var config: String?

    @Option(help: "Listen address (env CSMS_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Listen port, 0 for any free port (env CSMS_PORT; default 9000).")
    var port: Int?

    @Option(help: "File to write the bound port to once listening (env CSMS_PORT_FILE).")
    var portFile: String?

    @Option(help: "Database URL sqlite:PATH (env CSMS_DATABASE; default sqlite:./csms-data/csms.sqlite).")
    var database: String?

    @Option(
        help: "OCPP security profile 0-3; 2 and 3 need the TLS listener (env CSMS_SECURITY_PROFILE; default 1).")
    var securityProfile: Int?

    @Option(
        help:
            "BootNotification of an unregistered charge point: accept, pending or reject (env CSMS_UNKNOWN_CHARGE_POINTS; default reject)."
    )
    var unknownChargePoints: String?

    @Option(
        help:
            "Operator API bearer token (env CSMS_API_TOKEN; prefer the environment or the config file: flags are visible in ps)."
    )
    var apiToken: String?

    @Option(help: "Seconds an outbound CALL waits for its answer (env CSMS_CALL_TIMEOUT; default 30).")
    var callTimeout: Int?

    @Option(
        help:
            "Per-action call timeouts, comma-separated Action=seconds (env CSMS_COMMANDS_ACTION_TIMEOUTS; default none)."
    )
    var commandsActionTimeouts: String?

    @Option(help: "Operator commands that may wait per connection (env CSMS_COMMANDS_QUEUE_SIZE; default 100).")
    var commandsQueueSize: Int?

    @Option(help: "Answer the DataTransfer test vendor org.swift-csms.echo (env CSMS_DATA_TRANSFER_ECHO_VENDOR).")
    var dataTransferEchoVendor: Bool?

    @Option(
        help:
            "Offered OCPP subprotocols, comma-separated (env CSMS_OCPP_VERSIONS; default ocpp1.6,ocpp2.0,ocpp2.0.1,ocpp2.1)."
    )
    var ocppVersions: String?

    @Option(help: "Largest accepted WebSocket message in bytes (env CSMS_WEBSOCKET_MAX_MESSAGE_SIZE; default 262144).")
    var websocketMaxMessageSize: Int?

    @Option(help: "Seconds between WebSocket pings, 0 = off (env CSMS_WEBSOCKET_PING_INTERVAL; default 60).")
    var websocketPingInterval: Int?

    @Option(help: "Offer permessage-deflate: true or false (env CSMS_WEBSOCKET_COMPRESSION; default true).")
    var websocketCompression: Bool?

    @Option(help: "Listen backlog (env CSMS_LISTEN_BACKLOG; default 8192).")
    var listenBacklog: Int?

    @Option(
        help: "Seconds a graceful shutdown waits for station connections (env CSMS_SHUTDOWN_GRACE_PERIOD; default 10).")
    var shutdownGracePeriod: Int?

    @Option(help: "Log format: text or json (env CSMS_LOG_FORMAT; default json when stdout is not a terminal).")
    var logFormat: String?

    @Option(
        help:
            "Lowest log level: trace, debug, info, notice, warning, error, critical (env CSMS_LOG_LEVEL; default info)."
    )
    var logLevel: String?

    @OptionGroup var authorization: AuthorizationOptions

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Any setting by its config key, e.g. --set ocpp.heartbeatInterval=60 (repeatable; a setting's flag, --ocpp-heartbeat-interval 60, is the same; the last value given wins).",
            valueName: "key=value"))
    var assignments: [String] = []

    func validate() throws {
        _ = try assignedValues()
    }

    /// The `--set key=value` assignments, keyed by setting; an unknown key or a missing `=` is
    /// a usage error.
    private func assignedValues() throws(ValidationError) -> [SettingKey: String] {
        let known = Dictionary(uniqueKeysWithValues: SettingKey.all.map { ($0.name, $0) })
        var values: [SettingKey: String] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw ValidationError("--set expects key=value, got '\(assignment.prefix(60))'")
            }
            let name = String(assignment[..<equals])
            guard let key = known[name] else {
                throw ValidationError("--set: unknown setting '\(name.prefix(60))' (docs/configuration.md lists them)")
            }
            values[key] = String(assignment[assignment.index(after: equals)...])
        }
        return values
    }

    @Option(
        help:
            "Close a stale active transaction when a new one starts on its connector (env CSMS_TRANSACTIONS_SUPERSEDE_STALE; default true)."
    )
    var transactionsSupersedeStale: Bool?

    @Option(
        help:
            "Seconds a station timestamp may be ahead of the CSMS clock before it is flagged (env CSMS_TRANSACTIONS_CLOCK_SKEW; default 300)."
    )
    var transactionsClockSkew: Int?

    @OptionGroup var security: SecurityOptions

    /// The settings given on the command line, keyed by setting: the `--set` assignments.
    /// `CSMS.main()` rewrites every setting's flag into one (`SettingKey.expandingFlags`), so
    /// the named options above are there for `--help` only and never receive a value.
    var commandLineValues: [SettingKey: ConfigValue] {
        var values: [SettingKey: ConfigValue] = [:]
        for (key, text) in (try? assignedValues()) ?? [:] {
            values[key] = ConfigValue(.string(text), isSecret: SettingKey.secrets.contains(key))
        }
        return values
    }

    /// The configuration from flags, environment, config file and defaults; a problem is
    /// printed and ends the program with status 2.
    func load() async throws -> ServerConfiguration {
        try await loadWithReader().configuration
    }

    /// `load()`, also returning the reader the configuration was read from (the baseline of
    /// `ConfigurationReloader`).
    func loadWithReader() async throws -> (configuration: ServerConfiguration, reader: ConfigReader) {
        do {
            let reader = try await ConfigurationSources.reader(commandLine: commandLineValues, configFile: config)
            return (try ServerConfiguration(reader: reader), reader)
        } catch {
            throw Failure.configuration(error.message)
        }
    }

    /// Where the settings come from, for `ConfigurationReloader`.
    var reloadSources: ConfigurationReloader.Sources {
        ConfigurationReloader.Sources(
            commandLine: commandLineValues, environment: ProcessInfo.processInfo.environment, configFile: config)
    }
}

extension SettingOptions {
    /// What every database command does first: loads the settings, logs to standard error,
    /// opens (and migrates) the configured store, then runs `body`; a `Failure` becomes its
    /// message and exit status.
    func withStore(_ body: (ServerConfiguration, any CSMSStore) async throws -> Void) async throws {
        try await reportingFailures {
            let configuration = try await load()
            _ = bootstrapLogging(configuration, toStandardError: true)
            try await body(configuration, try Runtime.openStore(configuration))
        }
    }
}
