public import CSMSCore
public import Foundation

/// Settings of the external (HTTP webhook) authorizer.
public struct ExternalAuthorizerConfiguration: Sendable, Equatable {
    /// The webhook URL the authorizer POSTs requests to.
    public var url: URL
    /// Longest time one webhook request may take before it counts as failed.
    public var timeout: Duration
    /// Most webhook requests in flight at once; further requests wait for a free slot (within their timeout).
    public var concurrencyLimit: Int
    /// Consecutive failures that open the circuit breaker.
    public var breakerFailureThreshold: Int
    /// Time the breaker stays open before one trial request is let through (half-open).
    public var breakerCoolDown: Duration
    /// How long a webhook answer is reused for the same token (and charge point).
    public var cacheTTL: Duration
    /// Status answered when the webhook cannot be asked and nothing is cached.
    public var defaultStatus: AuthorizationStatus

    /// Creates settings; the defaults match docs/configuration.md.
    public init(
        url: URL,
        timeout: Duration = .seconds(2),
        concurrencyLimit: Int = 32,
        breakerFailureThreshold: Int = 5,
        breakerCoolDown: Duration = .seconds(30),
        cacheTTL: Duration = .seconds(300),
        defaultStatus: AuthorizationStatus = .invalid
    ) {
        self.url = url
        self.timeout = timeout
        self.concurrencyLimit = max(1, concurrencyLimit)
        self.breakerFailureThreshold = max(1, breakerFailureThreshold)
        self.breakerCoolDown = breakerCoolDown
        self.cacheTTL = cacheTTL
        self.defaultStatus = defaultStatus
    }
}
