public import CSMSCore

/// The settings of the message processor, with defaults that run out of the box.
///
/// Durations are sent to stations in whole seconds (OCPP `interval` fields are integers).
public struct ProcessorConfiguration: Sendable, Equatable {
    /// What a BootNotification from a charge point id that is not registered gets.
    public enum UnknownChargePointPolicy: String, Sendable, Equatable, CaseIterable {
        /// Register it automatically and answer `Accepted`.
        case accept
        /// Register it with the operator setting `Pending` (so an operator can accept it
        /// later) and answer `Pending`.
        case pending
        /// Answer `Rejected` and store nothing.
        case reject
    }

    /// What an unknown charge point's BootNotification gets; default `.reject` (as the
    /// server's `unknownChargePoints` setting, docs/configuration.md).
    public var unknownChargePoints: UnknownChargePointPolicy
    /// The heartbeat interval sent in an `Accepted` BootNotification answer; default 300 s.
    public var heartbeatInterval: Duration
    /// The interval sent in a `Pending` or `Rejected` BootNotification answer: the least time
    /// the station waits before it boots again; default 60 s.
    public var bootRetryInterval: Duration
    /// How long an answer is kept for idempotent retries; default 24 h.
    public var idempotencyWindow: Duration
    /// Actions that are never answered from the idempotency store: their handlers only set
    /// the station's current state from the message, so running them again is harmless, and
    /// their answers carry the current time. Stations may reuse message ids after a reconnect
    /// (OCPP-J 1.6 §4.1.4 asks for uniqueness per connection only), and a replayed Heartbeat or
    /// BootNotification answer would give them a stale clock. Default: Heartbeat, BootNotification.
    public var rerunActions: Set<String>
    /// Whether every outbound response payload is checked against its schema before it is
    /// sent (an invalid one becomes an InternalError). On in debug builds, off in release.
    public var validatesResponses: Bool
    /// Per charge point rate limits on inbound messages; `nil` (the default here; the server's
    /// configuration turns them on) means none.
    public var rateLimit: RateLimitSettings?
    /// How a commit that failed because the database is unavailable is retried before the
    /// message fails (or is spilled); default `RetryPolicy()` (4 attempts within 5 s).
    public var commitRetry: RetryPolicy
    /// The spill file for transaction messages the database cannot take (`nil`: none; such a
    /// message then fails with InternalError and becomes a dead letter if that can be stored).
    public var spillFilePath: String?
    /// The actions whose messages are spilled: `transactionActions` by default.
    public var spillActions: Set<String>

    /// The transaction messages: never refused by rate limits, spilled when the database is down.
    public static let transactionActions: Set<String> = [
        "StartTransaction", "StopTransaction", "MeterValues", "TransactionEvent",
    ]
    /// Transaction handling (superseding stale transactions, clock skew, 1.6 id blocks).
    public var transactions = TransactionSettings()
    /// The BootNotification validation policies (minimum firmware, allow-list, serial binding);
    /// default: none.
    public var bootPolicy = BootPolicy()

    /// A configuration; every parameter has the default described on its property.
    public init(
        unknownChargePoints: UnknownChargePointPolicy = .reject, heartbeatInterval: Duration = .seconds(300),
        bootRetryInterval: Duration = .seconds(60), idempotencyWindow: Duration = .seconds(86_400),
        rerunActions: Set<String> = ["Heartbeat", "BootNotification"],
        validatesResponses: Bool = ProcessorConfiguration.isDebugBuild, rateLimit: RateLimitSettings? = nil,
        commitRetry: RetryPolicy = RetryPolicy(), spillFilePath: String? = nil,
        spillActions: Set<String> = ProcessorConfiguration.transactionActions
    ) {
        self.unknownChargePoints = unknownChargePoints
        self.heartbeatInterval = heartbeatInterval
        self.bootRetryInterval = bootRetryInterval
        self.idempotencyWindow = idempotencyWindow
        self.rerunActions = rerunActions
        self.validatesResponses = validatesResponses
        self.rateLimit = rateLimit
        self.commitRetry = commitRetry
        self.spillFilePath = spillFilePath
        self.spillActions = spillActions
    }

    /// Whether this is a debug build (the default for `validatesResponses`).
    public static var isDebugBuild: Bool {
        #if DEBUG
            true
        #else
            false
        #endif
    }
}
