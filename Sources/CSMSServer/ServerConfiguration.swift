public import CSMSCore
public import CSMSExternalAuth
public import OCPP

/// Everything `csms serve` can be told, with defaults that run out of the box.
///
/// Read from a `ConfigReader` (`init(reader:)`): command-line flags, then `CSMS_*`
/// environment variables, then the JSON config file, then these defaults. Every key is
/// documented once, in docs/configuration.md.
public struct ServerConfiguration: Sendable, Equatable {
    /// The address to listen on; default `127.0.0.1`.
    public var host: String
    /// The TCP port; `0` lets the system pick one (see `portFile`); default 9000.
    public var port: Int
    /// Where the bound port is written once the server listens (for tests and scripts that
    /// start the server on port 0); `nil` writes nothing.
    public var portFile: String?
    /// The database; default `sqlite:./csms-data/csms.sqlite`.
    public var database: DatabaseLocation
    /// The OCPP security profile the charge points connect with; default 1.
    public var securityProfile: SecurityProfile
    /// What a BootNotification from an unregistered charge point gets; default `reject`.
    public var unknownChargePoints: UnknownChargePointPolicy
    /// The bearer token of the operator API; `nil` refuses every API request. A secret:
    /// never logged, never shown.
    public var apiToken: String?
    /// How long an outbound CALL waits for the station's answer; default 30 s.
    public var callTimeout: Duration
    /// Per-action overrides of `callTimeout` (e.g. `GetDiagnostics` 120 s); default none.
    public var actionTimeouts: [String: Duration]
    /// The most operator commands that may wait behind the one in flight, per connection;
    /// default 100. A full queue answers the API with 429.
    public var commandQueueSize: Int
    /// Whether the built-in DataTransfer test vendor (`org.swift-csms.echo`) answers; default off.
    public var dataTransferEchoVendor: Bool
    /// The OCPP versions offered to charge points; default all of them.
    public var ocppVersions: Set<OCPPVersion>
    /// The WebSocket settings.
    public var webSocket: WebSocketSettings
    /// The listen backlog: connections the kernel queues before they are accepted; default
    /// 8192 (the kernel may cap it at `net.core.somaxconn`).
    public var listenBacklog: Int
    /// The NIO event loop threads of the listeners; `0` (the default) picks half the cores,
    /// at least one (`eventLoopThreadCount`).
    public var eventLoopThreads = 0
    /// How long a database write may wait for others to share its group-commit transaction
    /// (`storage.commitGatherMicroseconds`); default 2 ms, zero turns the waiting off.
    public var commitGatherDelay: Duration = .milliseconds(2)
    /// The WAL write buffer of the SQLite writer, in bytes (`storage.walWriteBufferBytes`);
    /// default 1 MiB, zero turns it off.
    public var walWriteBufferBytes = 1 << 20
    /// How long a graceful shutdown waits for station connections to close; default 10 s.
    public var shutdownGracePeriod: Duration
    /// How log lines are written; `nil` picks JSON when stdout is not a terminal, else text.
    public var logFormat: LogFormat?
    /// The lowest level logged; default `info`.
    public var logLevel: String
    /// Message-processing settings (heartbeat interval, idempotency window, rate limits).
    public var processing: ProcessingSettings
    /// Metrics outputs (Prometheus, CloudWatch EMF).
    public var observability: ObservabilitySettings
    /// Transaction handling (`transactions.*`).
    public var transactions = TransactionServerSettings()
    /// The authorization service's settings (`authorization.*`).
    public var authorization = AuthorizationSettings()
    /// Charge point security: plain `ws://` on or off, certificate O, failed-login limits.
    public var security: SecuritySettings
    /// The TLS listener for profiles 2 and 3; `nil` (the default) runs none.
    public var tls: TLSSettings?
    /// Liveness, duplicate sessions and connection limits (`websocket.pongTimeout`, `liveness.*`,
    /// `sessions.*`, `limits.*`).
    public var reliability = ReliabilitySettings()
    /// BootNotification validation policies (`bootPolicy.*`, BootPolicySettings.swift).
    public var bootPolicy = BootPolicy()
    /// The external CA (`security.externalCa.*`); `nil` (the default) uses the built-in CA, if any.
    public var externalCA: ExternalCAConfiguration? = nil

    /// A configuration with the documented defaults.
    public init() {
        host = "127.0.0.1"
        port = 9000
        portFile = nil
        database = .sqlite(path: "./csms-data/csms.sqlite")
        securityProfile = .basicAuthWhenPasswordSet
        unknownChargePoints = .reject
        apiToken = nil
        callTimeout = .seconds(30)
        actionTimeouts = [:]
        commandQueueSize = 100
        dataTransferEchoVendor = false
        ocppVersions = Set(OCPPVersion.allCases)
        webSocket = WebSocketSettings()
        listenBacklog = 8192
        shutdownGracePeriod = .seconds(10)
        logFormat = nil
        logLevel = "info"
        processing = ProcessingSettings()
        observability = ObservabilitySettings()
        security = SecuritySettings()
        tls = nil
    }

    /// WebSocket settings of the OCPP endpoint.
    public struct WebSocketSettings: Sendable, Equatable {
        /// The largest message accepted, in bytes (after decompression); a larger one closes
        /// the connection with 1009. Default 256 KiB.
        public var maxMessageSize: Int
        /// How long a station may be silent before the server pings it; a ping that stays
        /// unanswered for `ReliabilitySettings.pongTimeout` closes the connection as half-open.
        /// `nil` (configured as 0) turns pings off. Default 30 s.
        public var pingInterval: Duration?
        /// Whether permessage-deflate (RFC 7692) is offered; default on.
        public var compression: Bool

        /// The defaults.
        public init(maxMessageSize: Int = 256 * 1024, pingInterval: Duration? = .seconds(30), compression: Bool = true)
        {
            self.maxMessageSize = maxMessageSize
            self.pingInterval = pingInterval
            self.compression = compression
        }
    }

    /// How charge points authenticate (OCPP security profiles).
    public enum SecurityProfile: Int, Sendable, Equatable, CaseIterable {
        /// Profile 0: no authentication at all (development only; a warning is logged).
        case none = 0
        /// Profile 1: HTTP Basic authentication, checked for every charge point that has a
        /// password; charge points without one connect unauthenticated.
        case basicAuthWhenPasswordSet = 1
        /// Profile 2: TLS (the `tls` listener) with Basic authentication.
        case tlsWithBasicAuth = 2
        /// Profile 3: TLS with client certificates (`tls.clientCa`).
        case tlsWithClientCertificates = 3
    }

    /// What a BootNotification of a charge point id that is not registered gets.
    public enum UnknownChargePointPolicy: String, Sendable, Equatable, CaseIterable {
        /// Register it and answer `Accepted`.
        case accept
        /// Register it as `Pending` until an operator accepts it.
        case pending
        /// Answer `Rejected`; nothing is stored.
        case reject
    }

    /// The format of log lines.
    public enum LogFormat: String, Sendable, Equatable, CaseIterable {
        /// Human-readable lines.
        case text
        /// One JSON object per line (`JSONLogHandler`).
        case json
    }
}

/// Where the data lives, from a `--database` URL.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// An SQLite file (`sqlite:PATH`), or an in-memory database (`sqlite::memory:`).
    case sqlite(path: String)

    /// Parses `sqlite:PATH`; `nil` for any other form.
    public init?(url: String) {
        guard url.hasPrefix("sqlite:") else { return nil }
        var path = String(url.dropFirst("sqlite:".count))
        if path.hasPrefix("//") { path.removeFirst(2) }  // tolerate sqlite://PATH
        guard !path.isEmpty else { return nil }
        self = .sqlite(path: path)
    }

    /// The SQLite in-memory path.
    public static let inMemoryPath = ":memory:"

    /// The URL form, e.g. `sqlite:./csms-data/csms.sqlite`.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        }
    }
}

extension ServerConfiguration {
    /// The event loop threads to start on a machine with `cores` cores: `eventLoopThreads`, or
    /// half of `cores` (at least one) when it is 0.
    public func eventLoopThreadCount(cores: Int) -> Int {
        eventLoopThreads > 0 ? eventLoopThreads : max(1, cores / 2)
    }
}

extension ServerConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings with the API token redacted (swift-service-lifecycle logs services with
    /// `String(describing:)`; secrets must never reach a log line).
    public var description: String {
        let versions = ocppVersions.map(\.subprotocol).sorted().joined(separator: ",")
        return "ServerConfiguration(host: \(host), port: \(port), database: \(database), "
            + "securityProfile: \(securityProfile.rawValue), unknownChargePoints: \(unknownChargePoints.rawValue), "
            + "apiToken: \(apiToken == nil ? "none" : "<redacted>"), ocppVersions: \(versions), "
            + "maxMessageSize: \(webSocket.maxMessageSize), tlsPort: \(tls.map { String($0.port) } ?? "none"))"
    }

    /// Same as `description` (redacted).
    public var debugDescription: String { description }

    /// A mirror without the API token, for `dump` and reflection.
    public var customMirror: Mirror {
        Mirror(self, children: ["description": description], displayStyle: .struct)
    }
}
