public import CSMSCore
public import CSMSProcessor
import Foundation

/// The message-processing settings of `csms serve` (docs/configuration.md): what BootNotification
/// answers carry, how long answers are kept for retries, and the per-station rate limits.
public struct ProcessingSettings: Sendable, Equatable {
    /// `ocpp.heartbeatInterval`: the interval sent in an Accepted BootNotification answer; 300 s.
    public var heartbeatInterval: Duration = .seconds(300)
    /// `ocpp.bootRetryInterval`: the interval sent in a Pending or Rejected answer; 60 s.
    public var bootRetryInterval: Duration = .seconds(60)
    /// `ocpp.idempotencyWindow`: how long answers are kept for retried messages; 24 h.
    public var idempotencyWindow: Duration = .seconds(86_400)
    /// `rateLimit.*`: per charge point rate limits; `nil` when `rateLimit.rate` is 0.
    public var rateLimit: RateLimitSettings? = RateLimitSettings()
    /// `retry.database.*`: how commits are retried while the database is unavailable.
    public var databaseRetry = RetryPolicy()
    /// `spillFile`: the spill file of transaction messages; `nil` derives it from the database
    /// (`spill.jsonl` next to an SQLite file; none for an in-memory database); "" turns it off.
    public var spillFile: String? = nil

    /// The defaults.
    public init() {}

    /// The spill file for `database`: `spillFile` when set ("" = none), else `spill.jsonl` in
    /// the SQLite file's folder (none for an in-memory database).
    public func spillFilePath(for database: DatabaseLocation) -> String? {
        if let spillFile { return spillFile.isEmpty ? nil : spillFile }
        switch database {
        case .sqlite(let path) where path == DatabaseLocation.inMemoryPath:
            return nil
        case .sqlite(let path):
            return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("spill.jsonl").path
        }
    }

    /// The processor configuration for these settings and the server's registration policy.
    public func processorConfiguration(
        unknownChargePoints: ServerConfiguration.UnknownChargePointPolicy, database: DatabaseLocation? = nil
    ) -> ProcessorConfiguration {
        var configuration = ProcessorConfiguration()
        configuration.unknownChargePoints =
            switch unknownChargePoints {
            case .accept: .accept
            case .pending: .pending
            case .reject: .reject
            }
        configuration.heartbeatInterval = heartbeatInterval
        configuration.bootRetryInterval = bootRetryInterval
        configuration.idempotencyWindow = idempotencyWindow
        configuration.rateLimit = rateLimit
        configuration.commitRetry = databaseRetry
        configuration.spillFilePath = database.flatMap(spillFilePath(for:))
        return configuration
    }
}

extension SettingKey {
    /// `ocpp.heartbeatInterval`: seconds, sent in Accepted BootNotification answers.
    public static let heartbeatInterval = SettingKey(
        "ocpp.heartbeatInterval", reload: .live, defaultValue: "`300`",
        meaning: """
            Seconds sent as `interval` in an Accepted BootNotification answer (1-86400): how often stations send
            Heartbeat.
            """)
    /// `ocpp.bootRetryInterval`: seconds, sent in Pending/Rejected BootNotification answers.
    public static let bootRetryInterval = SettingKey(
        "ocpp.bootRetryInterval", reload: .live, defaultValue: "`60`",
        meaning: """
            Seconds sent as `interval` in a Pending or Rejected BootNotification answer: the least time before
            the station boots again (1-86400).
            """)
    /// `ocpp.idempotencyWindow`: seconds an answer is kept for retries.
    public static let idempotencyWindow = SettingKey(
        "ocpp.idempotencyWindow", reload: .restart, defaultValue: "`86400`",
        meaning: """
            Seconds an answer is kept so that a retried message (same station, message id and content) gets the
            same answer without being processed again (0-2592000). See docs/processor.md, \"Idempotency\".
            """)
    /// `rateLimit.rate`: messages per second per station (0 = no rate limits).
    public static let rateLimitRate = SettingKey(
        "rateLimit.rate", reload: .live, defaultValue: "`20`",
        meaning: """
            Messages per second each station may send, sustained (a decimal number). Over the limit a message is
            answered CALLERROR `GenericError` and not processed. `0` turns all rate limits off. Transaction
            messages have their own limit. See docs/processor.md, \"Rate limiting\".
            """)
    /// `rateLimit.burst`: messages a station may send at once.
    public static let rateLimitBurst = SettingKey(
        "rateLimit.burst", reload: .live, defaultValue: "`100`",
        meaning: """
            Messages a station may send at once above the rate (a boot with many StatusNotifications, a
            reconnect).
            """)
    /// `rateLimit.transactionRate`: transaction messages per second per station.
    public static let rateLimitTransactionRate = SettingKey(
        "rateLimit.transactionRate", reload: .live, defaultValue: "`200`",
        meaning: """
            Transaction messages (StartTransaction, StopTransaction, MeterValues, TransactionEvent) per second
            per station. Over it they are still processed (a station discards transaction messages after errors)
            and counted in `csms.rate_limit.exceeded{outcome=\"admitted\"}`.
            """)
    /// `rateLimit.transactionBurst`: transaction messages at once.
    public static let rateLimitTransactionBurst = SettingKey(
        "rateLimit.transactionBurst", reload: .live, defaultValue: "`1000`",
        meaning: """
            Transaction messages at once (an offline queue replayed after a reconnect).
            """)
    /// `rateLimit.disconnectAfter`: refusals in a row before a station is disconnected.
    public static let rateLimitDisconnectAfter = SettingKey(
        "rateLimit.disconnectAfter", reload: .live, defaultValue: "`100`",
        meaning: """
            A station whose messages are refused this many times in a row (without a second free of refusals in
            between; a message admitted as a token comes back does not end the run) is disconnected with close
            code 1008 (policy violation), a security event `csms.flooding` is stored and a warning logged.
            """)

    /// `retry.database.maxAttempts`: commit attempts while the database is unavailable.
    public static let databaseRetryAttempts = SettingKey(
        "retry.database.maxAttempts", reload: .restart, defaultValue: "`4`",
        meaning: """
            Attempts (the first included) to commit a message's changes while the database is unavailable
            (locked, disk full, connection lost), with exponential backoff and full jitter (1-100).
            """)
    /// `retry.database.baseDelay`: seconds (decimal) of the first backoff cap.
    public static let databaseRetryBaseDelay = SettingKey(
        "retry.database.baseDelay", reload: .restart, defaultValue: "`0.05`",
        meaning: """
            Seconds (decimal) of the first backoff cap; it doubles per retry.
            """)
    /// `retry.database.maxDelay`: seconds (decimal) of the largest backoff cap.
    public static let databaseRetryMaxDelay = SettingKey(
        "retry.database.maxDelay", reload: .restart, defaultValue: "`1`",
        meaning: """
            Seconds (decimal) of the largest backoff cap.
            """)
    /// `retry.database.maxTotal`: seconds (decimal) all attempts may take.
    public static let databaseRetryMaxTotal = SettingKey(
        "retry.database.maxTotal", reload: .restart, defaultValue: "`5`",
        meaning: """
            Seconds (decimal) all attempts together may take; keep it well below the stations' own call timeout
            so they still get an answer.
            """)
    /// `spillFile`: path of the spill file ("" = none).
    public static let spillFile = SettingKey(
        "spillFile", reload: .restart,
        defaultValue: "`spill.jsonl` next to the SQLite file; none for `sqlite::memory:`",
        meaning: """
            Append-only file (fsync'd) where transaction messages go when their commit still fails after the
            retries: they are acknowledged and moved into the database once it is back (docs/reliability.md).
            `\"\"` turns it off (such messages then get InternalError).
            """)

    /// The settings of `ProcessingSettings`.
    static let processing: [SettingKey] = [
        .heartbeatInterval, .bootRetryInterval, .idempotencyWindow, .rateLimitRate, .rateLimitBurst,
        .rateLimitTransactionRate, .rateLimitTransactionBurst, .rateLimitDisconnectAfter, .databaseRetryAttempts,
        .databaseRetryBaseDelay, .databaseRetryMaxDelay, .databaseRetryMaxTotal, .spillFile,
    ]
}

extension ProcessingSettings {
    /// Reads the settings; missing ones keep their defaults.
    init(_ r: SettingReader) throws(ConfigurationError) {
        self.init()
        heartbeatInterval = try r.seconds(.heartbeatInterval, in: 1...86_400) ?? heartbeatInterval
        bootRetryInterval = try r.seconds(.bootRetryInterval, in: 1...86_400) ?? bootRetryInterval
        idempotencyWindow = try r.seconds(.idempotencyWindow, in: 0...(30 * 86_400)) ?? idempotencyWindow
        var limits = RateLimitSettings()
        let rate = try r.double(.rateLimitRate, in: 0...1_000_000) ?? limits.rate
        limits.rate = rate
        limits.burst = try r.int(.rateLimitBurst, in: 1...1_000_000) ?? limits.burst
        limits.transactionRate =
            try r.double(.rateLimitTransactionRate, in: 0.001...1_000_000) ?? limits.transactionRate
        limits.transactionBurst = try r.int(.rateLimitTransactionBurst, in: 1...1_000_000) ?? limits.transactionBurst
        limits.disconnectAfter = try r.int(.rateLimitDisconnectAfter, in: 1...1_000_000) ?? limits.disconnectAfter
        rateLimit = rate == 0 ? nil : limits
        func duration(_ key: SettingKey, _ fallback: Duration) throws(ConfigurationError) -> Duration {
            guard let seconds = try r.double(key, in: 0...3600) else { return fallback }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        databaseRetry = RetryPolicy(
            maxAttempts: try r.int(.databaseRetryAttempts, in: 1...100) ?? databaseRetry.maxAttempts,
            baseDelay: try duration(.databaseRetryBaseDelay, databaseRetry.baseDelay),
            maxDelay: try duration(.databaseRetryMaxDelay, databaseRetry.maxDelay),
            maxTotal: try duration(.databaseRetryMaxTotal, databaseRetry.maxTotal))
        spillFile = try r.string(.spillFile)
    }
}
