import CSMSCore
import CSMSExternalAuth
import CSMSServer
import CSMSTesting
import Configuration
import Foundation
import Logging
import Testing

@Suite("Configuration: authorization settings")
struct AuthorizationSettingsTests {
    @Test func defaultsHaveNoWebhookAndRejectNothingExtra() async throws {
        let settings = try await loadConfiguration().authorization
        #expect(settings == AuthorizationSettings())
        #expect(settings.external == nil)
        #expect(settings.policy == AuthorizationPolicy())
        #expect(settings.defaultStatus == .invalid)
    }

    @Test func everyKeyIsRead() async throws {
        let file = """
            {"authorization": {"allowNoAuthorization": true, "concurrentTransactions": "reject",
             "external": {"url": "https://auth.example/check", "timeoutMs": 750, "concurrency": 4,
                          "breakerThreshold": 3, "breakerCoolDown": 20, "cacheTtl": 0, "defaultStatus": "Blocked"}}}
            """
        let settings = try await loadConfiguration(file: file).authorization
        #expect(settings.policy == AuthorizationPolicy(allowNoAuthorization: true, allowConcurrentTransactions: false))
        let external = try #require(settings.external)
        #expect(external.url == URL(string: "https://auth.example/check"))
        #expect(external.timeout == .milliseconds(750))
        #expect(external.concurrencyLimit == 4)
        #expect(external.breakerFailureThreshold == 3)
        #expect(external.breakerCoolDown == .seconds(20))
        #expect(external.cacheTTL == .zero)
        #expect(external.defaultStatus == .blocked)
        #expect(SettingKey.authorizationExternalTimeout.environmentVariable == "CSMS_AUTHORIZATION_EXTERNAL_TIMEOUT_MS")
        #expect(SettingKey.authorizationCacheTTL.flag == "--authorization-external-cache-ttl")
    }

    @Test func environmentOverridesAndBadValuesAreErrors() async throws {
        let settings = try await loadConfiguration(environment: [
            "CSMS_AUTHORIZATION_EXTERNAL_URL": "http://127.0.0.1:9/x"
        ])
        .authorization
        #expect(settings.externalURL?.port == 9)
        for (key, value) in [
            ("CSMS_AUTHORIZATION_EXTERNAL_URL", "ftp://x"), ("CSMS_AUTHORIZATION_EXTERNAL_TIMEOUT_MS", "5"),
            ("CSMS_AUTHORIZATION_CONCURRENT_TRANSACTIONS", "sometimes"),
            ("CSMS_AUTHORIZATION_EXTERNAL_DEFAULT_STATUS", "NoCredit"),
            ("CSMS_AUTHORIZATION_ALLOW_NO_AUTHORIZATION", "maybe"),
        ] {
            await #expect(throws: ConfigurationError.self, "\(key)=\(value)") {
                _ = try await loadConfiguration(environment: [key: value])
            }
        }
    }

    @Test func authorizerWithoutWebhookUsesTheRegistry() async throws {
        var settings = AuthorizationSettings()
        settings.allowNoAuthorization = true
        let store = InMemoryStore()
        let made = settings.makeAuthorizer(store: store, logger: Logger(label: "test"))
        #expect(made.webhook == nil)
        let request = AuthorizationRequest(
            chargePointId: ChargePointID("CP")!, token: AuthorizationToken(id: "", type: "NoAuthorization"), at: Date())
        #expect(await made.authorizer.authorize(request).status == .accepted)

        settings.externalURL = URL(string: "http://127.0.0.1:1/none")
        let withWebhook = settings.makeAuthorizer(store: store, logger: Logger(label: "test"))
        let webhook = try #require(withWebhook.webhook)
        #expect(webhook.breakerState == "closed")
        try await webhook.shutdown()
    }

    @Test("/health/ready shows the external authorizer's breaker state")
    func readinessShowsTheBreaker() async throws {
        // Nothing listens on port 1: every webhook call fails; one failure opens the breaker.
        let webhook = WebhookAuthorizer(
            configuration: ExternalAuthorizerConfiguration(
                url: URL(string: "http://127.0.0.1:1/authorize")!, timeout: .seconds(5), breakerFailureThreshold: 1),
            logger: Logger(label: "test"))
        try await LiveServer.with(externalAuthorizer: webhook) { server in
            let before = try await server.api("GET", "/health/ready", token: "")
            #expect(before.status == 200)
            #expect(try before.json()["externalAuthorization"] as? String == "closed")
            let request = AuthorizationRequest(
                chargePointId: ChargePointID("CP")!, token: AuthorizationToken(id: "T"), at: Date())
            #expect(await webhook.authorize(request).status == .invalid)
            let after = try await server.api("GET", "/health/ready", token: "")
            #expect(after.status == 200)
            #expect(try after.json()["externalAuthorization"] as? String == "open")
        }
        try await webhook.shutdown()
        try await LiveServer.with { server in
            let ready = try await server.api("GET", "/health/ready", token: "").json()
            #expect(ready["externalAuthorization"] == nil)
        }
    }
}
