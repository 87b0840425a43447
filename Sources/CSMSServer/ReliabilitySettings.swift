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
    public static let webSocketPongTimeout = SettingKey("websocket.pongTimeout")
    /// `liveness.heartbeatTolerance`: factor on the heartbeat interval before a silent station is offline.
    public static let livenessHeartbeatTolerance = SettingKey("liveness.heartbeatTolerance")
    /// `sessions.duplicatePolicy`: `refuse-new` or `replace-old`.
    public static let sessionsDuplicatePolicy = SettingKey("sessions.duplicatePolicy")
    /// `sessions.duplicatePingTimeout`: seconds (decimal) the old session has to answer.
    public static let sessionsDuplicatePingTimeout = SettingKey("sessions.duplicatePingTimeout")
    /// `limits.connectionsPerIP`: open station connections per remote address.
    public static let limitsConnectionsPerIP = SettingKey("limits.connectionsPerIP")

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
