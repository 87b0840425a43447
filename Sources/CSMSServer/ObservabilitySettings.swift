public import CSMSCore

/// Where metrics go (docs/configuration.md, docs/operations.md "Metrics").
public struct ObservabilitySettings: Sendable, Equatable {
    /// `metrics.prometheus`: serve the Prometheus exposition at `GET /metrics`; default true.
    public var prometheus = true
    /// `metrics.emf.enabled`: write CloudWatch EMF lines; default false.
    public var emfEnabled = false
    /// `metrics.emf.namespace`: the CloudWatch namespace; default `csms`.
    public var emfNamespace = "csms"
    /// `metrics.emf.destination`: `stdout` or a file path to append to; default `stdout`.
    public var emfDestination = "stdout"
    /// `metrics.emf.interval`: seconds between EMF flushes; default 60.
    public var emfInterval: Duration = .seconds(60)
    /// `messageLog.mode`: what the per-station message log keeps; default `metadata`.
    public var messageLogMode: MessageLogMode = .metadata
    /// `messageLog.maxAge`: seconds an entry is kept; default 7 days.
    public var messageLogMaxAge: Duration = .seconds(7 * 86_400)
    /// `messageLog.maxPerStation`: entries kept per station (the newest); default 10,000.
    public var messageLogMaxPerStation = 10_000

    /// The defaults.
    public init() {}
}

extension SettingKey {
    /// `metrics.prometheus`: whether `GET /metrics` is served.
    public static let metricsPrometheus = SettingKey(
        "metrics.prometheus", reload: .restart, defaultValue: "`true`",
        meaning: """
            Serve the Prometheus text exposition at `GET /metrics` (no token; no secrets and no station ids in
            it).
            """)
    /// `metrics.emf.enabled`: whether EMF lines are written.
    public static let metricsEMFEnabled = SettingKey(
        "metrics.emf.enabled", reload: .restart, defaultValue: "`false`",
        meaning: """
            Write the same metrics as CloudWatch Embedded Metric Format JSON lines (docs/operations.md,
            \"Metrics\").
            """)
    /// `metrics.emf.namespace`: the CloudWatch namespace.
    public static let metricsEMFNamespace = SettingKey(
        "metrics.emf.namespace", reload: .restart, defaultValue: "`csms`",
        meaning: """
            CloudWatch namespace of the EMF metrics (1-255 characters, not `AWS/…`).
            """)
    /// `metrics.emf.destination`: `stdout` or a file.
    public static let metricsEMFDestination = SettingKey(
        "metrics.emf.destination", reload: .restart, defaultValue: "`stdout`",
        meaning: """
            `stdout` (next to the log lines, where the CloudWatch agent or Lambda/ECS log drivers pick them up)
            or a file path appended to.
            """)
    /// `metrics.emf.interval`: seconds between flushes.
    public static let metricsEMFInterval = SettingKey(
        "metrics.emf.interval", reload: .restart, defaultValue: "`60`",
        meaning: """
            Seconds between EMF flushes (1-3600); one more flush at shutdown.
            """)

    /// `messageLog.mode`: `off`, `metadata` or `full`.
    public static let messageLogMode = SettingKey(
        "messageLog.mode", reload: .live, defaultValue: "`metadata`",
        meaning: """
            The per-station OCPP message log: `off`; `metadata` (time, direction, message type, action, message
            id, size, processing time); `full` (the frames too — they may hold id tokens: mind who can read the
            API).
            """)
    /// `messageLog.maxAge`: seconds an entry is kept.
    public static let messageLogMaxAge = SettingKey(
        "messageLog.maxAge", reload: .restart, defaultValue: "`604800`",
        meaning: """
            Seconds an entry is kept (60 to 366 days); pruned every 10 minutes.
            """)
    /// `messageLog.maxPerStation`: entries kept per station.
    public static let messageLogMaxPerStation = SettingKey(
        "messageLog.maxPerStation", reload: .restart, defaultValue: "`10000`",
        meaning: """
            Entries kept per station (the newest).
            """)

    /// The settings of `ObservabilitySettings`.
    static let observability: [SettingKey] = [
        .metricsPrometheus, .metricsEMFEnabled, .metricsEMFNamespace, .metricsEMFDestination, .metricsEMFInterval,
        .messageLogMode, .messageLogMaxAge, .messageLogMaxPerStation,
    ]
}

extension ObservabilitySettings {
    /// Reads the settings; missing ones keep their defaults.
    init(_ r: SettingReader) throws(ConfigurationError) {
        self.init()
        prometheus = try r.bool(.metricsPrometheus) ?? prometheus
        emfEnabled = try r.bool(.metricsEMFEnabled) ?? emfEnabled
        if let namespace = try r.string(.metricsEMFNamespace) {
            guard (1...255).contains(namespace.count), !namespace.hasPrefix("AWS/") else {
                throw .invalid(.metricsEMFNamespace, "1 to 255 characters, not starting with AWS/")
            }
            emfNamespace = namespace
        }
        if let destination = try r.string(.metricsEMFDestination) {
            guard !destination.isEmpty else { throw .invalid(.metricsEMFDestination, "stdout or a file path") }
            emfDestination = destination
        }
        emfInterval = try r.seconds(.metricsEMFInterval, in: 1...3600) ?? emfInterval
        messageLogMode = try r.enumeration(.messageLogMode) ?? messageLogMode
        messageLogMaxAge = try r.seconds(.messageLogMaxAge, in: 60...(366 * 86_400)) ?? messageLogMaxAge
        messageLogMaxPerStation = try r.int(.messageLogMaxPerStation, in: 1...10_000_000) ?? messageLogMaxPerStation
    }
}
