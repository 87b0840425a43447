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
    public static let transactionsSupersedeStale = SettingKey("transactions.supersedeStale")
    /// `transactions.clockSkew`: seconds a station timestamp may be ahead of the CSMS clock.
    public static let transactionsClockSkew = SettingKey("transactions.clockSkew")
}
