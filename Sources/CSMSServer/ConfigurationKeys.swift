public import Configuration

/// One setting of `csms`: its config-file key, command-line flag and environment variable,
/// its default, its meaning and whether a reload (SIGHUP) changes it, defined once here.
/// docs/configuration.md's table is generated from these definitions (`csms config reference`,
/// `ConfigurationReference`).
///
/// The flag is the key in kebab case (`websocket.maxMessageSize` ->
/// `--websocket-max-message-size`); the environment variable is `CSMS_` plus the key in upper
/// snake case (`CSMS_WEBSOCKET_MAX_MESSAGE_SIZE`), as swift-configuration's
/// `EnvironmentVariablesProvider` spells it under the `csms` prefix.
///
/// Two keys are equal when their names are.
public struct SettingKey: Sendable, Hashable, CustomStringConvertible {
    /// The dotted config-file key, e.g. `websocket.maxMessageSize`.
    public let name: String
    /// Whether a configuration reload (SIGHUP) changes the running value.
    public let reload: Reloadability
    /// The default, as shown in the reference (Markdown), e.g. "`9000`" or "none".
    public let defaultValue: String
    /// What the setting does (Markdown; line breaks are spaces).
    public let meaning: String

    /// Whether a configuration reload changes a setting (docs/configuration.md, "Reload").
    public enum Reloadability: String, Sendable, Equatable, CaseIterable {
        /// A reload changes the running value; the next message or command uses it.
        case live
        /// A reload changes the value for connections opened after it; open ones keep theirs.
        case newConnections
        /// Fixed at start: a reload that changes it logs "needs restart" and keeps the old value.
        case restart
    }

    /// A setting named by its config-file key, with its reloadability, default and meaning.
    public init(_ name: String, reload: Reloadability = .restart, defaultValue: String = "", meaning: String = "") {
        self.name = name
        self.reload = reload
        self.defaultValue = defaultValue
        self.meaning = meaning
    }

    /// Keys are equal when their names are.
    public static func == (lhs: SettingKey, rhs: SettingKey) -> Bool { lhs.name == rhs.name }

    /// Hashes the name.
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

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
    public static let host = SettingKey(
        "host", reload: .restart, defaultValue: "`127.0.0.1`",
        meaning: """
            Address to listen on. `0.0.0.0` listens on every interface.
            """)
    /// `port`: the listen port (0 = any free port).
    public static let port = SettingKey(
        "port", reload: .restart, defaultValue: "`9000`",
        meaning: """
            TCP port for the WebSocket endpoint, the API and the health endpoints. `0` lets the system pick a
            free port; the bound port is logged (`\"message\":\"listening\"`, metadata `port`) and written to
            `portFile`.
            """)
    /// `portFile`: where the bound port is written.
    public static let portFile = SettingKey(
        "portFile", reload: .restart, defaultValue: "none",
        meaning: """
            File the bound port is written to (decimal, newline) once the server listens; written atomically.
            For tests and scripts that start the server on port 0.
            """)
    /// `database`: the database URL.
    public static let database = SettingKey(
        "database", reload: .restart, defaultValue: "`sqlite:./csms-data/csms.sqlite`",
        meaning: """
            Database URL. `sqlite:PATH` is an SQLite file (created with its folder, migrated on start), with the
            message log in a second file beside it (`csms.sqlite` → `csms-messages.sqlite`);
            `sqlite::memory:` an in-memory database that is gone at exit. Relative paths are relative to the
            working directory.
            """)
    /// `securityProfile`: the OCPP security profile (0-3).
    public static let securityProfile = SettingKey(
        "securityProfile", reload: .restart, defaultValue: "`1`",
        meaning: """
            OCPP security profile of the charge point connections. `0`: no authentication at all; a warning is
            logged at start (development only). `1`: HTTP Basic authentication, checked for every charge point
            that has a password (`PUT /api/v1/charge-points/{id}` or `csms charge-points add --password…`);
            charge points without a password connect without credentials. `2`: TLS (the `tls.*` listener) with
            Basic authentication; `3`: TLS with a client certificate (`tls.clientCa`). This is the profile of
            every station without an own one (`PUT /api/v1/charge-points/{id}/security-profile`); a station
            connecting with a lower profile is refused. `csms serve` refuses to start with 2 or 3 when the TLS
            listener (and for 3 the client CA) is not configured. See docs/security.md.
            """)
    /// `unknownChargePoints`: `accept`, `pending` or `reject`.
    public static let unknownChargePoints = SettingKey(
        "unknownChargePoints", reload: .live, defaultValue: "`reject`",
        meaning: """
            What a BootNotification from a charge point id that is not registered gets: `accept` registers it
            and answers Accepted; `pending` registers it with the registration status Pending (an operator
            accepts it later); `reject` answers Rejected and stores nothing. A registered charge point is
            Accepted unless its registration status says otherwise.
            """)
    /// `apiToken`: the operator API bearer token (secret).
    public static let apiToken = SettingKey(
        "apiToken", reload: .restart, defaultValue: "none",
        meaning: """
            Bearer token of the operator API (secret: never logged). Without one, every `/api/v1` request except
            the OpenAPI document is answered 401 and a warning is logged at start. Prefer the environment or the
            file: flags are visible to other users in `ps`.
            """)
    /// `callTimeout`: seconds an outbound CALL waits for its answer.
    public static let callTimeout = SettingKey(
        "callTimeout", reload: .live, defaultValue: "`30`",
        meaning: """
            Seconds a CALL sent to a station waits for its answer (operator commands; 1-3600).
            """)
    /// `commands.actionTimeouts`: per-action call timeouts, `Action=seconds` entries.
    public static let commandsActionTimeouts = SettingKey(
        "commands.actionTimeouts", reload: .live, defaultValue: "none",
        meaning: """
            Per-action overrides of `callTimeout`: `Action=seconds` entries (1-3600), comma-separated in flags
            and the environment, a JSON array of strings in the file, e.g.
            `GetDiagnostics=120,UpdateFirmware=120`.
            """)
    /// `commands.queueSize`: operator commands that may wait per connection.
    public static let commandsQueueSize = SettingKey(
        "commands.queueSize", reload: .newConnections, defaultValue: "`100`",
        meaning: """
            Operator commands that may wait per connection behind the one in flight (0-10000). A full queue
            answers the API with 429 (docs/commands.md).
            """)
    /// `dataTransfer.echoVendor`: whether the DataTransfer test vendor answers.
    public static let dataTransferEchoVendor = SettingKey(
        "dataTransfer.echoVendor", reload: .live, defaultValue: "`false`",
        meaning: """
            Whether the built-in DataTransfer test vendor `org.swift-csms.echo` answers (message `echo` echoes
            the data). Off in production: unknown vendors are answered `UnknownVendorId`.
            """)
    /// `ocpp.versions`: the offered OCPP subprotocols.
    public static let ocppVersions = SettingKey(
        "ocpp.versions", reload: .newConnections, defaultValue: "`ocpp1.6,ocpp2.0,ocpp2.0.1,ocpp2.1`",
        meaning: """
            The OCPP subprotocols offered. A comma-separated list in flags and the environment, a JSON array of
            strings in the file. A version left out is never negotiated (see docs/operations.md, \"Connecting a
            station\").
            """)
    /// `websocket.maxMessageSize`: the largest accepted message in bytes.
    public static let webSocketMaxMessageSize = SettingKey(
        "websocket.maxMessageSize", reload: .restart, defaultValue: "`262144`",
        meaning: """
            Largest WebSocket message accepted, in bytes, after decompression (1024 to 67108864). A larger frame
            or message closes the connection with 1009 (message too big).
            """)
    /// `websocket.pingInterval`: seconds between server pings (0 = off).
    public static let webSocketPingInterval = SettingKey(
        "websocket.pingInterval", reload: .newConnections, defaultValue: "`30`",
        meaning: """
            Seconds a station connection may be idle (nothing received) before the server sends it a WebSocket
            ping; if nothing at all arrives within `websocket.pongTimeout` after the ping, the connection is
            closed as half-open (availability reason `half_open`). `0` turns pings off. See docs/reliability.md,
            \"Liveness\".
            """)
    /// `websocket.compression`: whether permessage-deflate is offered.
    public static let webSocketCompression = SettingKey(
        "websocket.compression", reload: .restart, defaultValue: "`true`",
        meaning: """
            Whether permessage-deflate (RFC 7692) is offered. OCPP 2.0.1 requires a CSMS to support it; a
            station that does not ask for it gets uncompressed frames.
            """)
    /// `listenBacklog`: the listen queue length.
    public static let listenBacklog = SettingKey(
        "listenBacklog", reload: .restart, defaultValue: "`8192`",
        meaning: """
            Length of the kernel's queue of connections not yet accepted, sized for 5,000 stations connecting at
            once. Linux caps it at `net.core.somaxconn` (4096 by default on current kernels): raise that too for
            larger bursts.
            """)
    /// `eventLoopThreads`: the threads that move the connections' bytes.
    public static let eventLoopThreads = SettingKey(
        "eventLoopThreads", reload: .restart, defaultValue: "`0` (half the cores, at least one)",
        meaning: """
            Threads that read and write the station and API connections (NIO event loops, 0-1024; `0` picks
            half the cores, at least one). Message processing and the database writer run on threads of their
            own: with as many event loops as cores, the loops take CPU from them. See docs/benchmarks.md,
            \"Results — session 6\".
            """)
    /// `storage.commitGatherMicroseconds`: how long the group-commit writer may wait for more requests.
    public static let storageCommitGatherMicroseconds = SettingKey(
        "storage.commitGatherMicroseconds", reload: .restart, defaultValue: "`2000`",
        meaning: """
            Longest a database write waits for others to share its transaction (0-100000 µs; `0` turns the
            waiting off). Only when writes arrive more often than this and fewer than 32 are queued; a single
            client writing one after the other is not held up. At 2,000 MeterValues/s it took a third off the
            server's CPU for 1.5-2 ms more latency. See docs/storage.md, \"Group commit\".
            """)
    /// `storage.walWriteBufferBytes`: the SQLite writer's WAL write buffer.
    public static let storageWALWriteBufferBytes = SettingKey(
        "storage.walWriteBufferBytes", reload: .restart, defaultValue: "`1048576` (1 MiB)",
        meaning: """
            Buffer in which the SQLite writer collects a commit's WAL pages, written to the file as one write
            at the commit's sync instead of two system calls per page (0-67108864 bytes; `0` turns it off and leaves
            SQLite's own file layer alone). Used at the default `synchronous=FULL` only. About 8 % more
            StatusNotifications/s on one core. See docs/storage.md, \"WAL write buffer\".
            """)
    /// `shutdownGracePeriod`: seconds a shutdown waits for connections to close.
    public static let shutdownGracePeriod = SettingKey(
        "shutdownGracePeriod", reload: .restart, defaultValue: "`10`",
        meaning: """
            Seconds a graceful shutdown waits for station connections to finish their close handshake (0-3600).
            Ten seconds later the process stops regardless.
            """)
    /// `logFormat`: `text` or `json`.
    public static let logFormat = SettingKey(
        "logFormat", reload: .restart, defaultValue: "`json` when standard output is not a terminal, else `text`",
        meaning: """
            `json`: one JSON object per line; `text`: human-readable lines. See docs/operations.md, \"Logs\".
            """)
    /// `logLevel`: `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
    public static let logLevel = SettingKey(
        "logLevel", reload: .live, defaultValue: "`info`",
        meaning: """
            Lowest level logged: `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`.
            """)

    /// Every setting that can appear in a config file.
    public static let all: [SettingKey] =
        [
            .host, .port, .portFile, .database, .securityProfile, .unknownChargePoints, .apiToken, .callTimeout,
            .ocppVersions, .webSocketMaxMessageSize, .webSocketPingInterval, .webSocketCompression, .listenBacklog,
            .eventLoopThreads, .storageCommitGatherMicroseconds, .storageWALWriteBufferBytes, .shutdownGracePeriod,
            .logFormat, .logLevel,
            .commandsActionTimeouts, .commandsQueueSize,
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
