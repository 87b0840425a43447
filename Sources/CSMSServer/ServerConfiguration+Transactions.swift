/// How `csms serve` handles charging transactions (docs/transactions.md,
/// docs/configuration.md): the server's side of the processor's `TransactionSettings`.
public struct TransactionServerSettings: Sendable, Equatable {
    /// `transactions.supersedeStale`: whether a start on a connector that still has an active
    /// transaction closes the stale one as `Superseded`; default true.
    public var supersedeStale: Bool
    /// `transactions.clockSkew`: how far ahead of the CSMS clock a station timestamp may be
    /// before it is recorded as an anomaly; default 300 s.
    public var clockSkew: Duration

    /// The defaults.
    public init(supersedeStale: Bool = true, clockSkew: Duration = .seconds(300)) {
        self.supersedeStale = supersedeStale
        self.clockSkew = clockSkew
    }
}

extension SettingKey {
    /// `transactions.supersedeStale`: close a stale active transaction on a new start.
    public static let transactionsSupersedeStale = SettingKey(
        "transactions.supersedeStale", reload: .live, defaultValue: "`true`",
        meaning: """
            Whether a transaction start on a connector that still has an active transaction closes the stale one
            (stop reason `Superseded`, anomaly `superseded`); `false` keeps both and records `concurrent_start`
            (docs/transactions.md).
            """)
    /// `transactions.clockSkew`: seconds a station timestamp may be ahead of the CSMS clock.
    public static let transactionsClockSkew = SettingKey(
        "transactions.clockSkew", reload: .live, defaultValue: "`300`",
        meaning: """
            Seconds a station timestamp (transaction event, meter value) may be ahead of the CSMS clock before
            it is recorded as the anomaly `timestamp_in_future` (0-86400). The message is stored and
            acknowledged either way.
            """)
}
