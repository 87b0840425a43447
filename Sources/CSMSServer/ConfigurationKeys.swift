public import Configuration

/// One setting of `csms`: its config-file key, command-line flag and environment variable,
/// defined once here (docs/configuration.md lists them with their meaning and default).
///
/// The flag is the key in kebab case (`websocket.maxMessageSize` ->
/// `--websocket-max-message-size`); the environment variable is `CSMS_` plus the key in upper
/// snake case (`CSMS_WEBSOCKET_MAX_MESSAGE_SIZE`), as swift-configuration's
/// `EnvironmentVariablesProvider` spells it under the `csms` prefix.
public struct SettingKey: Sendable, Hashable, CustomStringConvertible {
    /// The dotted config-file key, e.g. `websocket.maxMessageSize`.
    public let name: String

    /// A setting named by its config-file key.
    public init(_ name: String) { self.name = name }

    /// The key as swift-configuration reads it.
    public var configKey: ConfigKey { ConfigKey(name) }

    /// The absolute key, for the command-line values provider.
    public var absoluteKey: AbsoluteConfigKey { AbsoluteConfigKey(configKey) }

    /// The command-line flag, e.g. `--websocket-max-message-size`.
    public var flag: String {
        "--" + words.joined(separator: "-")
    }

    /// The environment variable, e.g. `CSMS_WEBSOCKET_MAX_MESSAGE_SIZE`.
    public var environmentVariable: String {
        "CSMS_" + words.map { $0.uppercased() }.joined(separator: "_")
    }

    /// The key's words in lower case: components split at dots and camel-case boundaries.
    private var words: [String] {
        var result: [String] = []
        for component in name.split(separator: ".") {
            var word = ""
            var previousWasLower = false
            for c in component {
                if c.isUppercase && previousWasLower {
                    result.append(word)
                    word = ""
                }
                word.append(contentsOf: c.lowercased())
                previousWasLower = c.isLowercase || c.isNumber
            }
            result.append(word)
        }
        return result
    }

    /// The config-file key.
    public var description: String { name }

    /// `host`: the listen address.
    public static let host = SettingKey("host")
    /// `port`: the listen port (0 = any free port).
    public static let port = SettingKey("port")
    /// `portFile`: where the bound port is written.
    public static let portFile = SettingKey("portFile")
    /// `database`: the database URL.
    public static let database = SettingKey("database")
    /// `securityProfile`: the OCPP security profile (0-3).
    public static let securityProfile = SettingKey("securityProfile")
    /// `unknownChargePoints`: `accept`, `pending` or `reject`.
    public static let unknownChargePoints = SettingKey("unknownChargePoints")
    /// `apiToken`: the operator API bearer token (secret).
    public static let apiToken = SettingKey("apiToken")
    /// `callTimeout`: seconds an outbound CALL waits for its answer.
    public static let callTimeout = SettingKey("callTimeout")
    /// `commands.actionTimeouts`: per-action call timeouts, `Action=seconds` entries.
    public static let commandsActionTimeouts = SettingKey("commands.actionTimeouts")
    /// `commands.queueSize`: operator commands that may wait per connection.
    public static let commandsQueueSize = SettingKey("commands.queueSize")
    /// `dataTransfer.echoVendor`: whether the DataTransfer test vendor answers.
    public static let dataTransferEchoVendor = SettingKey("dataTransfer.echoVendor")
    /// `ocpp.versions`: the offered OCPP subprotocols.
    public static let ocppVersions = SettingKey("ocpp.versions")
    /// `websocket.maxMessageSize`: the largest accepted message in bytes.
    public static let webSocketMaxMessageSize = SettingKey("websocket.maxMessageSize")
    /// `websocket.pingInterval`: seconds between server pings (0 = off).
    public static let webSocketPingInterval = SettingKey("websocket.pingInterval")
    /// `websocket.compression`: whether permessage-deflate is offered.
    public static let webSocketCompression = SettingKey("websocket.compression")
    /// `listenBacklog`: the listen queue length.
    public static let listenBacklog = SettingKey("listenBacklog")
    /// `shutdownGracePeriod`: seconds a shutdown waits for connections to close.
    public static let shutdownGracePeriod = SettingKey("shutdownGracePeriod")
    /// `logFormat`: `text` or `json`.
    public static let logFormat = SettingKey("logFormat")
    /// `logLevel`: `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
    public static let logLevel = SettingKey("logLevel")

    /// Every setting that can appear in a config file.
    public static let all: [SettingKey] =
        [
            .host, .port, .portFile, .database, .securityProfile, .unknownChargePoints, .apiToken, .callTimeout,
            .ocppVersions, .webSocketMaxMessageSize, .webSocketPingInterval, .webSocketCompression, .listenBacklog,
            .shutdownGracePeriod, .logFormat, .logLevel, .commandsActionTimeouts, .commandsQueueSize,
            .dataTransferEchoVendor, .transactionsSupersedeStale, .transactionsClockSkew,
            // authorization.* (AuthorizationSettings.swift)
            .authorizationAllowNoAuthorization, .authorizationConcurrentTransactions, .authorizationExternalURL,
            .authorizationExternalTimeout, .authorizationExternalConcurrency, .authorizationBreakerThreshold,
            .authorizationBreakerCoolDown, .authorizationCacheTTL, .authorizationDefaultStatus,
            // security.*, tls.* (SecuritySettings.swift)
            .securityPlainWebSocket, .securityOperatorName, .securityAuthFailureBurst,
            .securityAuthFailureRefillSeconds, .securityCACertificate, .securityCAKey, .securityCertificateValidityDays,
            .tlsPort, .tlsPortFile, .tlsCertificate, .tlsPrivateKey, .tlsClientCA, .tlsReloadInterval,
        ] + SettingKey.processing + SettingKey.observability + SettingKey.reliability + SettingKey.bootPolicy

    /// The settings whose values are secrets.
    public static let secrets: Set<SettingKey> = [.apiToken]
}
