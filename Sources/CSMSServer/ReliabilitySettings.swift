import Foundation

/// The connection reliability settings of `csms serve` (docs/reliability.md,
/// docs/configuration.md): liveness checks, the one-live-session policy and per-address limits.
public struct ReliabilitySettings: Sendable, Equatable {
    /// What happens when a second connection arrives for a station that has a live session.
    public enum DuplicatePolicy: String, Sendable, Equatable, CaseIterable {
        /// Ping the old session; refuse the newcomer (close 1008) when it answers, else replace it.
        case refuseNew = "refuse-new"
        /// Close the old session and accept the newcomer without asking.
        case replaceOld = "replace-old"
    }

    /// `websocket.pongTimeout`: how long a ping may stay unanswered (no inbound traffic at all)
    /// before the connection is closed as half-open; default 10 s.
    public var pongTimeout: Duration = .seconds(10)
    /// `liveness.heartbeatTolerance`: a station silent for longer than the heartbeat interval
    /// times this factor is marked offline and disconnected; default 2.0.
    public var heartbeatTolerance: Double = 2.0
    /// `sessions.duplicatePolicy`: default `refuse-new`.
    public var duplicatePolicy: DuplicatePolicy = .refuseNew
    /// `sessions.duplicatePingTimeout`: how long the old session has to answer the ping; 2 s.
    public var duplicatePingTimeout: Duration = .seconds(2)
    /// `limits.connectionsPerIP`: open station connections allowed per remote address; 1000.
    public var connectionsPerIP: Int = 1000

    /// The defaults.
    public init() {}
}

extension SettingKey {
    /// `websocket.pongTimeout`: seconds (decimal) a ping may stay unanswered.
    public static let webSocketPongTimeout = SettingKey(
        "websocket.pongTimeout", reload: .newConnections, defaultValue: "`10`",
        meaning: """
            Seconds (decimal, 0.05-3600) a ping may stay unanswered (no pong, no frame) before the connection is
            closed as half-open: a station that vanished without FIN is gone within `pingInterval +
            pongTimeout`.
            """)
    /// `liveness.heartbeatTolerance`: factor on the heartbeat interval before a silent station is offline.
    public static let livenessHeartbeatTolerance = SettingKey(
        "liveness.heartbeatTolerance", reload: .newConnections, defaultValue: "`2.0`",
        meaning: """
            A station silent (no frame, no pong) for longer than `ocpp.heartbeatInterval` times this factor
            (1-1000) is marked offline (reason `missed_heartbeats`) and disconnected.
            """)
    /// `sessions.duplicatePolicy`: `refuse-new` or `replace-old`.
    public static let sessionsDuplicatePolicy = SettingKey(
        "sessions.duplicatePolicy", reload: .newConnections, defaultValue: "`refuse-new`",
        meaning: """
            A second (authenticated) connection for a station that has a live session: `refuse-new` pings the
            old session and refuses the newcomer with close 1008 if it answers, else replaces it; `replace-old`
            always replaces the old session. Logged as `security_event=duplicate_connection` either way.
            """)
    /// `sessions.duplicatePingTimeout`: seconds (decimal) the old session has to answer.
    public static let sessionsDuplicatePingTimeout = SettingKey(
        "sessions.duplicatePingTimeout", reload: .newConnections, defaultValue: "`2`",
        meaning: """
            Seconds (decimal, 0.05-60) the old session has to answer that ping.
            """)
    /// `limits.connectionsPerIP`: open station connections per remote address.
    public static let limitsConnectionsPerIP = SettingKey(
        "limits.connectionsPerIP", reload: .newConnections, defaultValue: "`1000`",
        meaning: """
            Open station connections allowed per remote address (1-1000000); one more is closed right after the
            handshake with 1008 and `security_event=connection_limit`.
            """)

    /// The settings of `ReliabilitySettings`.
    static let reliability: [SettingKey] = [
        .webSocketPongTimeout, .livenessHeartbeatTolerance, .sessionsDuplicatePolicy, .sessionsDuplicatePingTimeout,
        .limitsConnectionsPerIP,
    ]
}

extension ReliabilitySettings {
    /// Reads the settings; missing ones keep their defaults.
    init(_ r: SettingReader) throws(ConfigurationError) {
        self.init()
        func duration(_ key: SettingKey, _ range: ClosedRange<Double>, _ fallback: Duration) throws(ConfigurationError)
            -> Duration
        {
            guard let seconds = try r.double(key, in: range) else { return fallback }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        pongTimeout = try duration(.webSocketPongTimeout, 0.05...3600, pongTimeout)
        heartbeatTolerance = try r.double(.livenessHeartbeatTolerance, in: 1...1000) ?? heartbeatTolerance
        duplicatePolicy = try r.enumeration(.sessionsDuplicatePolicy) ?? duplicatePolicy
        duplicatePingTimeout = try duration(.sessionsDuplicatePingTimeout, 0.05...60, duplicatePingTimeout)
        connectionsPerIP = try r.int(.limitsConnectionsPerIP, in: 1...1_000_000) ?? connectionsPerIP
    }
}
