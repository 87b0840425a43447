public import AsyncHTTPClient
public import CSMSCore
public import CoreMetrics
import Foundation
public import Logging
import NIOCore
import OCPP
import Synchronization

/// The external authorizer: asks an HTTP webhook (`POST url`, docs/authorization.md) about a
/// token, with a per-request timeout, a concurrency limit, a circuit breaker and a result
/// cache.
///
/// - A cached answer younger than `cacheTTL` is used without asking.
/// - Otherwise the webhook is asked unless the breaker is open. A request that does not
///   finish (including waiting for a free slot under the concurrency limit) within
///   `timeout`, a connection failure, a non-2xx status or an unreadable body is a failure:
///   it counts for the breaker, and the answer falls back to the last cached answer for the
///   token at this charge point (however old), then to `defaultStatus`.
/// - It never throws and never takes longer than `timeout` (plus scheduling).
public final class WebhookAuthorizer: Authorizer {
    /// How one authorization was answered (metric dimension `outcome`).
    public enum Outcome: String, Sendable, CaseIterable {
        /// The webhook answered.
        case webhook
        /// A fresh cached answer was used.
        case cached
        /// The webhook failed or the breaker was open; a stale cached answer was used.
        case fallbackCached = "fallback_cached"
        /// The webhook failed or the breaker was open; the default status was answered.
        case fallbackDefault = "fallback_default"
    }

    private let configuration: ExternalAuthorizerConfiguration
    private let requestTimeout: Mutex<Duration>
    private let http: ExternalHTTPClient
    private let logger: Logger
    private let now: @Sendable () -> ContinuousClock.Instant
    private let breaker: MonitoredBreaker
    private let limiter: ConcurrencyLimiter
    private let cache: DecisionCache
    private let outcomes: [Outcome: Counter]

    /// An authorizer for `configuration`, sending with `client`; without one it makes its
    /// own (as many connections as the concurrency limit, no redirects, no connection retries
    /// so that a refused connection fails at once), which `shutdown()` closes. `now` is the
    /// clock of the breaker and the cache (tests move it).
    public init(
        configuration: ExternalAuthorizerConfiguration, client: HTTPClient? = nil, logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.configuration = configuration
        requestTimeout = Mutex(configuration.timeout)
        http = ExternalHTTPClient(
            given: client, timeout: configuration.timeout, connectionsPerHost: configuration.concurrencyLimit)
        self.logger = logger
        self.now = now
        breaker = MonitoredBreaker(
            name: "external authorization", failureThreshold: configuration.breakerFailureThreshold,
            coolDown: configuration.breakerCoolDown, gaugeLabel: Self.breakerStateMetric, logger: logger,
            metricsFactory: metricsFactory)
        limiter = ConcurrencyLimiter(limit: configuration.concurrencyLimit)
        cache = DecisionCache(ttl: configuration.cacheTTL)
        outcomes = Dictionary(
            uniqueKeysWithValues: Outcome.allCases.map { outcome in
                (
                    outcome,
                    Counter(
                        label: Self.requestsMetric, dimensions: [("outcome", outcome.rawValue)],
                        factory: metricsFactory)
                )
            })
    }

    /// Metric: authorizations by `outcome` (counter).
    public static let requestsMetric = "csms_external_authorizations_total"
    /// Metric: the breaker state (gauge: 0 closed, 1 half-open, 2 open).
    public static let breakerStateMetric = "csms_external_authorization_breaker_state"

    /// Closes the HTTP client it made (not one it was given). Call once, when done.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The breaker state's name (`closed`, `open`, `half_open`), for `/health/ready` details.
    public var breakerState: String { breaker.stateName }

    /// The decision for `request` (see the type's documentation for the fallbacks).
    public func authorize(_ request: AuthorizationRequest) async -> AuthorizationDecision {
        let key = DecisionCache.Key(request)
        let start = now()
        if let fresh = cache.fresh(key, at: start) {
            outcomes[.cached]?.increment()
            return fresh
        }
        let allowed = breaker.allowsCall(at: start)
        guard allowed else { return fallback(key, reason: "circuit breaker open", level: .debug) }
        switch await ask(request) {
        case .success(let decision):
            breaker.record(success: true, at: now())
            cache.store(decision, for: key, at: now())
            outcomes[.webhook]?.increment()
            return decision
        case .failure(let failure):
            breaker.record(success: false, at: now())
            return fallback(key, reason: failure.description, level: .warning)
        }
    }

    private func fallback(_ key: DecisionCache.Key, reason: String, level: Logger.Level) -> AuthorizationDecision {
        logger.log(
            level: level, "external authorization unavailable, answering the fallback",
            metadata: ["reason": .string(reason), "ocpp.charge_point_id": .string(key.chargePointId)])
        if let stale = cache.any(key) {
            outcomes[.fallbackCached]?.increment()
            return stale
        }
        outcomes[.fallbackDefault]?.increment()
        return AuthorizationDecision(status: configuration.defaultStatus)
    }

    /// How long one request may take (the waiting for a slot included); starts at the
    /// configuration's `timeout`.
    public var timeout: Duration { requestTimeout.withLock { $0 } }

    /// Changes the request timeout for the requests that start from now on (configuration
    /// reload); the client's connect timeout stays the one it was made with.
    public func updateTimeout(_ timeout: Duration) {
        requestTimeout.withLock { $0 = timeout }
    }

    /// Asks the webhook, giving up at the timeout (the waiting for a slot included).
    private func ask(_ request: AuthorizationRequest) async -> Result<AuthorizationDecision, WebhookFailure> {
        let timeout = self.timeout
        return await withTaskGroup(of: Result<AuthorizationDecision, WebhookFailure>?.self) { group in
            group.addTask { await self.send(request, timeout: timeout) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(.timeout)
        }
    }

    private func send(_ request: AuthorizationRequest, timeout: Duration) async -> Result<
        AuthorizationDecision, WebhookFailure
    > {
        do {
            try await limiter.acquire()
        } catch {
            return .failure(.timeout)
        }
        defer { limiter.release() }
        var post = HTTPClientRequest(url: configuration.url.absoluteString)
        post.method = .POST
        post.headers.add(name: "Content-Type", value: "application/json")
        post.headers.add(name: "Accept", value: "application/json")
        post.body = .bytes(ByteBuffer(bytes: WebhookMessages.requestBody(request)))
        do {
            let response = try await self.http.client.execute(post, timeout: TimeAmount(timeout))
            guard (200..<300).contains(response.status.code) else {
                return .failure(.status(Int(response.status.code)))
            }
            let body = try await response.body.collect(upTo: WebhookMessages.maxResponseSize)
            guard let decision = WebhookMessages.decision(from: Array(buffer: body)) else {
                return .failure(.invalidResponse)
            }
            return .success(decision)
        } catch {
            if Task.isCancelled { return .failure(.timeout) }
            return .failure(.transport(String(describing: error).prefix(200).description))
        }
    }
}

/// Why a webhook call failed (logged; never contains the response body).
enum WebhookFailure: Error, Equatable, CustomStringConvertible {
    case timeout
    case status(Int)
    case invalidResponse
    case transport(String)

    var description: String {
        switch self {
        case .timeout: "timed out"
        case .status(let code): "HTTP status \(code)"
        case .invalidResponse: "invalid response body"
        case .transport(let error): "request failed: \(error)"
        }
    }
}
