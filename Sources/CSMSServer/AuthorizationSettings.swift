public import CSMSCore
public import CSMSExternalAuth
public import Foundation
public import Logging

/// The authorization service's settings (docs/configuration.md, `authorization.*`).
public struct AuthorizationSettings: Sendable, Equatable {
    /// Whether a `NoAuthorization` token is accepted; default `false`.
    public var allowNoAuthorization = false
    /// Whether a token may be used by several transactions at once; default `allow`.
    public var concurrentTransactions = ConcurrentTransactionPolicy.allow
    /// The webhook URL (`http` or `https`); `nil` (default): no external authorization.
    public var externalURL: URL?
    /// How long one webhook request may take; default 2 s.
    public var externalTimeout: Duration = .seconds(2)
    /// Most webhook requests at once; default 32.
    public var externalConcurrency = 32
    /// Consecutive webhook failures that open the circuit breaker; default 5.
    public var breakerThreshold = 5
    /// How long the breaker stays open; default 30 s.
    public var breakerCoolDown: Duration = .seconds(30)
    /// How long a webhook answer is reused; default 300 s.
    public var cacheTTL: Duration = .seconds(300)
    /// The answer when the webhook cannot be asked and nothing is cached; default `Invalid`.
    public var defaultStatus = AuthorizationStatus.invalid

    /// The defaults.
    public init() {}

    /// Whether one token may be in several active transactions.
    public enum ConcurrentTransactionPolicy: String, Sendable, Equatable, CaseIterable {
        /// Concurrent use is allowed.
        case allow
        /// A token with an active transaction elsewhere is answered `ConcurrentTx`.
        case reject
    }

    /// The authorization policy of these settings.
    public var policy: AuthorizationPolicy {
        AuthorizationPolicy(
            allowNoAuthorization: allowNoAuthorization,
            allowConcurrentTransactions: concurrentTransactions == .allow)
    }

    /// The webhook settings, when a URL is configured.
    public var external: ExternalAuthorizerConfiguration? {
        externalURL.map { url in
            ExternalAuthorizerConfiguration(
                url: url, timeout: externalTimeout, concurrencyLimit: externalConcurrency,
                breakerFailureThreshold: breakerThreshold, breakerCoolDown: breakerCoolDown, cacheTTL: cacheTTL,
                defaultStatus: defaultStatus)
        }
    }

    /// The authorization service for the server: the registry authorizer over `store`, with
    /// the webhook authorizer when a URL is configured (shut it down when the server stops)
    /// and `activeTransactions` for the `ConcurrentTx` rule.
    public func makeAuthorizer(
        store: any CSMSStore, activeTransactions: (any ActiveTransactionCounting)? = nil, logger: Logger
    ) -> (authorizer: RegistryAuthorizer, webhook: WebhookAuthorizer?) {
        let webhook = external.map { WebhookAuthorizer(configuration: $0, logger: logger) }
        let authorizer = RegistryAuthorizer(
            store: store, policy: policy, external: webhook, activeTransactions: activeTransactions)
        return (authorizer, webhook)
    }
}

extension SettingKey {
    /// `authorization.allowNoAuthorization`: accept `NoAuthorization` tokens.
    public static let authorizationAllowNoAuthorization = SettingKey(
        "authorization.allowNoAuthorization", reload: .live, defaultValue: "`false`",
        meaning: """
            Whether a token of type `NoAuthorization` (2.x) is answered `Accepted`; otherwise `Invalid`. See
            docs/authorization.md.
            """)
    /// `authorization.concurrentTransactions`: `allow` or `reject`.
    public static let authorizationConcurrentTransactions = SettingKey(
        "authorization.concurrentTransactions", reload: .live, defaultValue: "`allow`",
        meaning: """
            `reject`: a token already in another active transaction is answered `ConcurrentTx`; `allow`:
            concurrent use is allowed.
            """)
    /// `authorization.external.url`: the webhook URL.
    public static let authorizationExternalURL = SettingKey(
        "authorization.external.url", reload: .live, defaultValue: "none",
        meaning: """
            `http://` or `https://` URL of the external authorization webhook, asked about tokens not in the
            registry and tokens marked `external`. None: no external authorization.
            """)
    /// `authorization.external.timeoutMs`: milliseconds one webhook request may take.
    public static let authorizationExternalTimeout = SettingKey(
        "authorization.external.timeoutMs", reload: .live, defaultValue: "`2000`",
        meaning: """
            Milliseconds one webhook request may take, waiting for a free slot included (10-60000). A handler
            never waits longer.
            """)
    /// `authorization.external.concurrency`: most webhook requests at once.
    public static let authorizationExternalConcurrency = SettingKey(
        "authorization.external.concurrency", reload: .live, defaultValue: "`32`",
        meaning: """
            Most webhook requests in flight at once (1-10000); further ones wait within their timeout.
            """)
    /// `authorization.external.breakerThreshold`: failures that open the breaker.
    public static let authorizationBreakerThreshold = SettingKey(
        "authorization.external.breakerThreshold", reload: .live, defaultValue: "`5`",
        meaning: """
            Consecutive webhook failures that open the circuit breaker (1-1000).
            """)
    /// `authorization.external.breakerCoolDown`: seconds the breaker stays open.
    public static let authorizationBreakerCoolDown = SettingKey(
        "authorization.external.breakerCoolDown", reload: .live, defaultValue: "`30`",
        meaning: """
            Seconds the breaker stays open before one trial request (1-86400).
            """)
    /// `authorization.external.cacheTtl`: seconds a webhook answer is reused.
    public static let authorizationCacheTTL = SettingKey(
        "authorization.external.cacheTtl", reload: .live, defaultValue: "`300`",
        meaning: """
            Seconds a webhook answer is reused without asking (0-604800; 0: always ask). Older answers remain
            the fallback when the webhook fails.
            """)
    /// `authorization.external.defaultStatus`: the answer when the webhook is down.
    public static let authorizationDefaultStatus = SettingKey(
        "authorization.external.defaultStatus", reload: .live, defaultValue: "`Invalid`",
        meaning: """
            The answer when the webhook fails or the breaker is open and no answer is cached: `Accepted`,
            `Blocked` or `Invalid`.
            """)
}

extension ServerConfiguration {
    /// Reads the `authorization.*` settings.
    mutating func readAuthorizationSettings(_ r: SettingReader) throws(ConfigurationError) {
        var a = authorization
        a.allowNoAuthorization = try r.bool(.authorizationAllowNoAuthorization) ?? a.allowNoAuthorization
        a.concurrentTransactions = try r.enumeration(.authorizationConcurrentTransactions) ?? a.concurrentTransactions
        if let text = try r.string(.authorizationExternalURL), !text.isEmpty {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
                ["http", "https"].contains(scheme),
                url.host != nil
            else { throw .invalid(.authorizationExternalURL, "expected an http:// or https:// URL") }
            a.externalURL = url
        }
        if let ms = try r.int(.authorizationExternalTimeout, in: 10...60_000) { a.externalTimeout = .milliseconds(ms) }
        a.externalConcurrency = try r.int(.authorizationExternalConcurrency, in: 1...10_000) ?? a.externalConcurrency
        a.breakerThreshold = try r.int(.authorizationBreakerThreshold, in: 1...1000) ?? a.breakerThreshold
        a.breakerCoolDown = try r.seconds(.authorizationBreakerCoolDown, in: 1...86_400) ?? a.breakerCoolDown
        a.cacheTTL = try r.seconds(.authorizationCacheTTL, in: 0...604_800) ?? a.cacheTTL
        if let text = try r.string(.authorizationDefaultStatus) {
            let allowed = ["Accepted", "Blocked", "Invalid"]
            guard allowed.contains(text) else {
                throw .invalid(.authorizationDefaultStatus, "expected one of \(allowed.joined(separator: ", "))")
            }
            a.defaultStatus = AuthorizationStatus(rawValue: text)
        }
        authorization = a
    }
}
