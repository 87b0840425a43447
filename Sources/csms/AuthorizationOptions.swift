import ArgumentParser
import CSMSServer
import Configuration

/// The `authorization.*` settings' flags (docs/configuration.md); part of `SettingOptions`,
/// which says why their values are never read here.
struct AuthorizationOptions: ParsableArguments {
    @Option(help: "Accept NoAuthorization tokens: true or false (env CSMS_AUTHORIZATION_ALLOW_NO_AUTHORIZATION).")
    var authorizationAllowNoAuthorization: Bool?

    @Option(help: "Concurrent use of one token: allow or reject (env CSMS_AUTHORIZATION_CONCURRENT_TRANSACTIONS).")
    var authorizationConcurrentTransactions: String?

    @Option(help: "External authorization webhook URL (env CSMS_AUTHORIZATION_EXTERNAL_URL; default none).")
    var authorizationExternalUrl: String?

    @Option(help: "Webhook timeout in milliseconds (env CSMS_AUTHORIZATION_EXTERNAL_TIMEOUT_MS; default 2000).")
    var authorizationExternalTimeoutMs: Int?

    @Option(help: "Most webhook requests at once (env CSMS_AUTHORIZATION_EXTERNAL_CONCURRENCY; default 32).")
    var authorizationExternalConcurrency: Int?

    @Option(
        help: "Webhook failures that open the breaker (env CSMS_AUTHORIZATION_EXTERNAL_BREAKER_THRESHOLD; default 5).")
    var authorizationExternalBreakerThreshold: Int?

    @Option(
        help: "Seconds the breaker stays open (env CSMS_AUTHORIZATION_EXTERNAL_BREAKER_COOL_DOWN; default 30).")
    var authorizationExternalBreakerCoolDown: Int?

    @Option(help: "Seconds a webhook answer is reused (env CSMS_AUTHORIZATION_EXTERNAL_CACHE_TTL; default 300).")
    var authorizationExternalCacheTtl: Int?

    @Option(
        help:
            "Answer when the webhook is down and nothing is cached: Accepted, Blocked or Invalid (env CSMS_AUTHORIZATION_EXTERNAL_DEFAULT_STATUS; default Invalid)."
    )
    var authorizationExternalDefaultStatus: String?
}
