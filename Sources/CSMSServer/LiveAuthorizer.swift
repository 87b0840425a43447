public import CSMSCore
public import CSMSExternalAuth
public import Logging
import Synchronization

/// The authorization service of `csms serve`, rebuilt when a configuration reload changes the
/// `authorization.*` settings (docs/configuration.md, "Reload"): the registry authorizer with
/// the current policy, and the webhook authorizer while `authorization.external.url` is set.
///
/// - Only the request timeout changed: the webhook in use takes it (`updateTimeout`).
/// - Any other webhook setting changed (URL, concurrency, breaker, cache, default status):
///   a new webhook authorizer (fresh breaker and cache) serves the requests from then on; the
///   old one is retired, not shut down, so requests in flight finish normally. `shutdown()`
///   closes all of them when the server stops.
/// - The policy changed (`allowNoAuthorization`, `concurrentTransactions`): the next request
///   is decided with it.
///
/// A request takes the authorizer current when it starts (a lock and a copy).
public final class LiveAuthorizer: Authorizer {
    private struct Current {
        var settings: AuthorizationSettings
        var registry: RegistryAuthorizer
        var webhook: WebhookAuthorizer?
    }

    private let store: any CSMSStore
    private let activeTransactions: (any ActiveTransactionCounting)?
    private let logger: Logger
    private let current: Mutex<Current>
    private let retired = Mutex<[WebhookAuthorizer]>([])

    /// The authorizer for `settings` over `store` (and `activeTransactions` for `ConcurrentTx`).
    public init(
        settings: AuthorizationSettings, store: any CSMSStore,
        activeTransactions: (any ActiveTransactionCounting)? = nil, logger: Logger
    ) {
        self.store = store
        self.activeTransactions = activeTransactions
        self.logger = logger
        let made = settings.makeAuthorizer(store: store, activeTransactions: activeTransactions, logger: logger)
        current = Mutex(Current(settings: settings, registry: made.authorizer, webhook: made.webhook))
    }

    /// The webhook authorizer in use, if one is configured (its breaker state is shown in
    /// `/health/ready`).
    public var webhook: WebhookAuthorizer? { current.withLock { $0.webhook } }

    /// The decision of the authorizer current when the request starts.
    public func authorize(_ request: AuthorizationRequest) async -> AuthorizationDecision {
        await current.withLock { $0.registry }.authorize(request)
    }

    /// Makes `settings` current (see the type's documentation); nothing happens when they did
    /// not change.
    public func apply(_ settings: AuthorizationSettings) {
        current.withLock { c in
            guard c.settings != settings else { return }
            var sameExceptTimeout = settings
            sameExceptTimeout.externalTimeout = c.settings.externalTimeout
            if sameExceptTimeout.external == c.settings.external {
                c.webhook?.updateTimeout(settings.externalTimeout)
            } else {
                if let old = c.webhook { retired.withLock { $0.append(old) } }
                c.webhook = settings.external.map { WebhookAuthorizer(configuration: $0, logger: logger) }
                logger.info(
                    "external authorizer replaced",
                    metadata: ["enabled": .stringConvertible(c.webhook != nil)])
            }
            c.registry = RegistryAuthorizer(
                store: store, policy: settings.policy, external: c.webhook, activeTransactions: activeTransactions)
            c.settings = settings
        }
    }

    /// Shuts down the webhook authorizers (the current one and the retired ones).
    public func shutdown() async {
        let all = retired.withLock { $0 } + (webhook.map { [$0] } ?? [])
        for webhook in all { try? await webhook.shutdown() }
    }
}
