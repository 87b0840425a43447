import CSMSCore
import Foundation
import Logging
import MetricsTestKit
import OCPP
import Testing

@testable import CSMSExternalAuth

/// The external authorizer against a real HTTP server playing the webhook.
@Suite("Webhook authorizer")
struct WebhookAuthorizerTests {
    let cp = ChargePointID("CP-EXT")!

    func request(_ token: String, type: String? = "ISO14443", evse: Int? = nil) -> AuthorizationRequest {
        AuthorizationRequest(
            chargePointId: cp, token: AuthorizationToken(id: token, type: type), evseId: evse, at: Date())
    }

    /// Runs `body` with an authorizer for `url`, shutting its HTTP client down afterwards.
    func withAuthorizer(
        _ url: URL, timeout: Duration = .seconds(5), concurrency: Int = 8, threshold: Int = 3,
        coolDown: Duration = .seconds(30), ttl: Duration = .zero, defaultStatus: AuthorizationStatus = .invalid,
        clock: ManualClock = ManualClock(), metrics: TestMetrics = TestMetrics(),
        _ body: (WebhookAuthorizer) async throws -> Void
    ) async throws {
        let authorizer = WebhookAuthorizer(
            configuration: ExternalAuthorizerConfiguration(
                url: url, timeout: timeout, concurrencyLimit: concurrency, breakerFailureThreshold: threshold,
                breakerCoolDown: coolDown, cacheTTL: ttl, defaultStatus: defaultStatus),
            logger: Logger(label: "test"), metricsFactory: metrics, now: clock.now)
        do {
            try await body(authorizer)
        } catch {
            try await authorizer.shutdown()
            throw error
        }
        try await authorizer.shutdown()
    }

    @Test func acceptAnswerIsReturnedAndRequestCarriesTheToken() async throws {
        let webhook = FakeWebhook()
        webhook.mode = .answer(
            "Accepted",
            extra: [
                "expiryDate": "2030-01-02T03:04:05.000Z", "groupIdToken": ["idToken": "FLEET", "type": "Central"],
                "language": "nl", "personalMessage": "Welkom",
            ])
        try await webhook.run { url in
            try await withAuthorizer(url) { authorizer in
                let decision = await authorizer.authorize(request("04A1B2", evse: 2))
                #expect(decision.status == .accepted)
                #expect(decision.expiryDate == OCPPDateTime(rfc3339: "2030-01-02T03:04:05.000Z")?.date)
                #expect(decision.groupToken == AuthorizationToken(id: "FLEET", type: "Central"))
                #expect(decision.language == "nl" && decision.personalMessage == "Welkom")
                #expect(
                    webhook.bodies
                        == [["chargePointId": "CP-EXT", "idToken": "04A1B2", "type": "ISO14443", "evseId": 2]])
                #expect(authorizer.breakerState == "closed")
            }
        }
    }

    @Test func rejectAnswerIsReturned() async throws {
        let webhook = FakeWebhook()
        webhook.mode = .answer("Blocked", extra: ["groupIdToken": "G"])
        try await webhook.run { url in
            try await withAuthorizer(url) { authorizer in
                let decision = await authorizer.authorize(request("TAG", type: nil))
                #expect(decision == AuthorizationDecision(status: .blocked, groupToken: AuthorizationToken(id: "G")))
                #expect(webhook.bodies.first?["type"] == .null)
            }
        }
    }

    @Test func freshAnswerIsCachedWithinTheTTL() async throws {
        let webhook = FakeWebhook()
        let clock = ManualClock()
        let metrics = TestMetrics()
        try await webhook.run { url in
            try await withAuthorizer(url, ttl: .seconds(60), clock: clock, metrics: metrics) { authorizer in
                #expect(await authorizer.authorize(request("A")).status == .accepted)
                webhook.mode = .answer("Blocked")
                #expect(await authorizer.authorize(request("A")).status == .accepted)  // from the cache
                #expect(webhook.requestCount == 1)
                clock.advance(.seconds(61))
                #expect(await authorizer.authorize(request("A")).status == .blocked)
                #expect(webhook.requestCount == 2)
                let cached = try metrics.expectCounter(WebhookAuthorizer.requestsMetric, [("outcome", "cached")])
                #expect(cached.totalValue == 1)
            }
        }
    }

    @Test func slowWebhookTimesOutAndFallsBackToTheDefault() async throws {
        let webhook = FakeWebhook()
        try await webhook.run { url in
            try await withAuthorizer(url, timeout: .seconds(2), defaultStatus: .blocked) { authorizer in
                // A first answer opens the connection (so the slow request below does not time out while
                // connecting); on a loaded machine the first connect may itself exceed the timeout, so a few
                // tries are allowed.
                var warm = AuthorizationStatus.invalid
                for attempt in 0..<5 where warm != .accepted {
                    warm = await authorizer.authorize(request("WARM\(attempt)")).status
                }
                #expect(warm == .accepted)
                webhook.mode = .answer("Accepted", delay: .seconds(15))
                let start = ContinuousClock.now
                let decision = await authorizer.authorize(request("SLOW"))
                let elapsed = ContinuousClock.now - start
                #expect(decision.status == .blocked)
                #expect(elapsed < .seconds(10), "answered after \(elapsed), not at the timeout")
            }
        }
    }

    @Test func refusedConnectionFallsBackToCachedThenDefault() async throws {
        let webhook = FakeWebhook()
        let metrics = TestMetrics()
        var port = 0
        // Learn a port, answer once (cached), then stop the server: the port refuses connections.
        try await webhook.run { url in
            port = url.port ?? 0
        }
        let downURL = URL(string: "http://127.0.0.1:\(port)/authorize")!
        try await withAuthorizer(downURL, threshold: 10, metrics: metrics) { authorizer in
            #expect(await authorizer.authorize(request("NEVER-SEEN")).status == .invalid)
            let fallbacks = try metrics.expectCounter(
                WebhookAuthorizer.requestsMetric, [("outcome", "fallback_default")])
            #expect(fallbacks.totalValue == 1)
        }
        // With an answer cached first, the same failure answers the cached decision.
        let second = FakeWebhook()
        try await second.run { url in
            try await withAuthorizer(url, threshold: 10) { authorizer in
                #expect(await authorizer.authorize(request("KNOWN")).status == .accepted)
                second.mode = .failure(503)
                #expect(await authorizer.authorize(request("KNOWN")).status == .accepted)
                #expect(await authorizer.authorize(request("OTHER")).status == .invalid)
                second.mode = .garbage
                #expect(await authorizer.authorize(request("OTHER")).status == .invalid)
                #expect(second.requestCount == 4)
            }
        }
    }

    @Test func flappingWebhookOpensAndClosesTheBreaker() async throws {
        let webhook = FakeWebhook()
        let clock = ManualClock()
        let metrics = TestMetrics()
        try await webhook.run { url in
            try await withAuthorizer(url, threshold: 2, coolDown: .seconds(10), clock: clock, metrics: metrics) {
                authorizer in
                let gauge = try metrics.expectGauge(WebhookAuthorizer.breakerStateMetric)
                #expect(await authorizer.authorize(request("A")).status == .accepted)
                webhook.mode = .failure(500)
                #expect(await authorizer.authorize(request("A")).status == .accepted)  // stale cache
                #expect(authorizer.breakerState == "closed")
                #expect(await authorizer.authorize(request("A")).status == .accepted)
                #expect(authorizer.breakerState == "open")
                #expect(gauge.lastValue == 2)
                #expect(webhook.requestCount == 3)

                // Open: the webhook is not asked, even though it is back.
                webhook.mode = .answer("Blocked")
                #expect(await authorizer.authorize(request("A")).status == .accepted)
                #expect(await authorizer.authorize(request("B")).status == .invalid)
                #expect(webhook.requestCount == 3)

                // After the cool-down one trial goes through; its success closes the breaker.
                clock.advance(.seconds(10))
                #expect(await authorizer.authorize(request("A")).status == .blocked)
                #expect(authorizer.breakerState == "closed")
                #expect(gauge.lastValue == 0)
                #expect(webhook.requestCount == 4)

                // Failing again: open after two failures; a failed trial opens it again.
                webhook.mode = .failure(502)
                _ = await authorizer.authorize(request("A"))
                _ = await authorizer.authorize(request("A"))
                #expect(authorizer.breakerState == "open")
                clock.advance(.seconds(10))
                #expect(await authorizer.authorize(request("A")).status == .blocked)  // trial fails: cached
                #expect(authorizer.breakerState == "open")
                #expect(webhook.requestCount == 7)
                _ = await authorizer.authorize(request("A"))
                #expect(webhook.requestCount == 7)
            }
        }
    }

    @Test func concurrencyLimitIsNeverExceeded() async throws {
        let webhook = FakeWebhook()
        webhook.mode = .answer("Accepted", delay: .milliseconds(50))
        try await webhook.run { url in
            try await withAuthorizer(url, timeout: .seconds(20), concurrency: 4) { authorizer in
                let statuses = await withTaskGroup(of: AuthorizationStatus.self) { group in
                    for n in 0..<40 {
                        group.addTask { await authorizer.authorize(request("TOKEN-\(n)")).status }
                    }
                    return await group.reduce(into: [AuthorizationStatus]()) { $0.append($1) }
                }
                #expect(statuses.count == 40 && statuses.allSatisfy { $0 == .accepted })
                #expect(webhook.requestCount == 40)
                #expect(webhook.peakConcurrency <= 4)
                #expect(webhook.peakConcurrency >= 2)
            }
        }
    }

    @Test func answerBodiesAreCheckedStrictly() {
        func decision(_ text: String) -> AuthorizationDecision? { WebhookMessages.decision(from: Array(text.utf8)) }
        #expect(decision(#"{"status":"Accepted"}"#) == AuthorizationDecision(status: .accepted))
        #expect(decision(#"{"status":"Maybe"}"#) == nil)
        #expect(decision(#"{"status":1}"#) == nil)
        #expect(decision(#"["Accepted"]"#) == nil)
        #expect(decision(#"{"status":"Accepted","expiryDate":"tomorrow"}"#) == nil)
        #expect(decision(#"{"status":"Accepted","expiryDate":5}"#) == nil)
        #expect(decision(#"{"status":"Accepted","groupIdToken":{"type":"Central"}}"#) == nil)
        #expect(decision(#"{"status":"Accepted","groupIdToken":7}"#) == nil)
        #expect(decision(#"{"status":"Expired","expiryDate":null,"groupIdToken":null,"extra":1}"#)?.status == .expired)
    }

    @Test func cacheEvictsExpiredThenOldestWhenFull() {
        let cache = DecisionCache(ttl: .seconds(10), capacity: 2)
        let start = ContinuousClock.now
        func key(_ token: String) -> DecisionCache.Key { DecisionCache.Key(request(token)) }
        cache.store(AuthorizationDecision(status: .accepted), for: key("A"), at: start)
        cache.store(AuthorizationDecision(status: .blocked), for: key("B"), at: start.advanced(by: .seconds(5)))
        cache.store(AuthorizationDecision(status: .expired), for: key("C"), at: start.advanced(by: .seconds(6)))
        #expect(cache.count == 2)
        #expect(cache.any(key("A")) == nil)  // the oldest went
        cache.store(AuthorizationDecision(status: .invalid), for: key("D"), at: start.advanced(by: .seconds(30)))
        #expect(cache.count == 1)  // both others had expired
        #expect(cache.fresh(key("D"), at: start.advanced(by: .seconds(39)))?.status == .invalid)
        #expect(cache.fresh(key("D"), at: start.advanced(by: .seconds(40))) == nil)
        #expect(cache.any(key("D"))?.status == .invalid)
    }

    @Test func limiterWaiterIsReleasedByCancellation() async throws {
        let limiter = ConcurrencyLimiter(limit: 1)
        try await limiter.acquire()
        let waiter = Task { try await limiter.acquire() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        limiter.release()
        try await limiter.acquire()  // the slot is free again: the cancelled waiter did not take it
        limiter.release()
    }
}
