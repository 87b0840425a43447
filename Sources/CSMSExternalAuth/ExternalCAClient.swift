public import AsyncHTTPClient
public import CSMSCore
public import CoreMetrics
public import Foundation
public import Logging
import NIOCore
import OCPP
import Synchronization

/// Settings of the external CA (`security.externalCa.*`, docs/configuration.md).
public struct ExternalCAConfiguration: Sendable, Equatable {
    /// The URL the CSMS POSTs certificate signing requests to.
    public var url: URL
    /// Longest time one request may take before it counts as failed. Default 10 s.
    public var timeout: Duration
    /// Consecutive failures that open the circuit breaker. Default 5.
    public var breakerFailureThreshold: Int
    /// Time the breaker stays open before one trial request is let through. Default 30 s.
    public var breakerCoolDown: Duration

    /// Settings; the defaults match docs/configuration.md.
    public init(
        url: URL, timeout: Duration = .seconds(10), breakerFailureThreshold: Int = 5,
        breakerCoolDown: Duration = .seconds(30)
    ) {
        self.url = url
        self.timeout = timeout
        self.breakerFailureThreshold = max(1, breakerFailureThreshold)
        self.breakerCoolDown = breakerCoolDown
    }
}

/// Why the external CA gave no certificate chain (logged and stored; never the response body).
public enum ExternalCAFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The breaker is open after repeated failures; the CA was not asked.
    case breakerOpen
    /// No answer within the timeout.
    case timeout
    /// The CA answered with a status other than 2xx.
    case status(Int)
    /// The answer held no PEM certificate.
    case invalidResponse
    /// The connection failed.
    case transport(String)

    /// The failure for logs and security events.
    public var description: String {
        switch self {
        case .breakerOpen: "circuit breaker open"
        case .timeout: "timed out"
        case .status(let code): "HTTP status \(code)"
        case .invalidResponse: "no PEM certificate in the answer"
        case .transport(let error): "request failed: \(error)"
        }
    }
}

/// The HTTP client of an external CA (issue #8): `POST url` with the JSON body
/// `{"chargePointId", "certificateType", "csr"}` (the CSR in PEM). A 2xx answer carries the
/// certificate chain in PEM, leaf first: either as the body itself (any content type) or as
/// `{"certificateChain": "..."}` in a JSON body. Every request has a timeout; consecutive
/// failures open a circuit breaker (`CircuitBreaker`), after which requests fail at once until
/// the cool-down has passed.
public final class ExternalCAClient: Sendable {
    /// The largest answer read (a chain of a few certificates is a few kB).
    public static let maxResponseSize = 256 * 1024

    private let configuration: ExternalCAConfiguration
    private let http: ExternalHTTPClient
    private let logger: Logger
    private let now: @Sendable () -> ContinuousClock.Instant
    private let breaker: MonitoredBreaker

    /// A client for `configuration`, sending with `client` (or its own, closed by `shutdown()`).
    public init(
        configuration: ExternalCAConfiguration, client: HTTPClient? = nil, logger: Logger,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        http = ExternalHTTPClient(given: client, timeout: configuration.timeout)
        self.logger = logger
        self.now = now
        breaker = MonitoredBreaker(
            name: "external CA", failureThreshold: configuration.breakerFailureThreshold,
            coolDown: configuration.breakerCoolDown, gaugeLabel: Self.breakerStateMetric, logger: logger,
            metricsFactory: metricsFactory)
    }

    /// Closes the HTTP client it made (not one it was given). Call once, when done.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The breaker state's name (`closed`, `open`, `half_open`).
    public var breakerState: String { breaker.stateName }

    /// Metric: the breaker state (gauge: 0 closed, 1 half-open, 2 open).
    public static let breakerStateMetric = "csms_external_ca_breaker_state"

    /// Asks the CA to sign `csr` for `chargePointId`; the PEM chain, or why there is none.
    public func sign(csr: String, chargePointId: ChargePointID, certificateType: String) async -> Result<
        String, ExternalCAFailure
    > {
        guard breaker.allowsCall(at: now()) else { return .failure(.breakerOpen) }
        let result = await ask(csr: csr, chargePointId: chargePointId, certificateType: certificateType)
        let succeeded = if case .success = result { true } else { false }
        breaker.record(success: succeeded, at: now())
        return result
    }

    private func ask(csr: String, chargePointId: ChargePointID, certificateType: String) async -> Result<
        String, ExternalCAFailure
    > {
        let timeout = configuration.timeout
        return await withTaskGroup(of: Result<String, ExternalCAFailure>?.self) { group in
            group.addTask {
                await self.send(csr: csr, chargePointId: chargePointId, certificateType: certificateType)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(.timeout)
        }
    }

    private func send(csr: String, chargePointId: ChargePointID, certificateType: String) async -> Result<
        String, ExternalCAFailure
    > {
        var request = HTTPClientRequest(url: configuration.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/x-pem-file, application/json")
        let body: JSONValue = .object([
            "chargePointId": .string(chargePointId.rawValue), "certificateType": .string(certificateType),
            "csr": .string(csr),
        ])
        request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        do {
            let response = try await self.http.client.execute(request, timeout: TimeAmount(configuration.timeout))
            guard (200..<300).contains(response.status.code) else {
                return .failure(.status(Int(response.status.code)))
            }
            let bytes = Array(buffer: try await response.body.collect(upTo: Self.maxResponseSize))
            guard let chain = Self.chain(from: bytes) else { return .failure(.invalidResponse) }
            return .success(chain)
        } catch {
            if Task.isCancelled { return .failure(.timeout) }
            return .failure(.transport(String(describing: error).prefix(200).description))
        }
    }

    /// The PEM chain in an answer body: the body itself, or its JSON `certificateChain`;
    /// `nil` when neither holds a PEM certificate.
    public static func chain(from body: [UInt8]) -> String? {
        var text = String(decoding: body, as: UTF8.self)
        if case .object(let object)? = try? JSONValue(parsing: body) {
            guard case .string(let chain)? = object["certificateChain"] else { return nil }
            text = chain
        }
        guard text.contains("-----BEGIN CERTIFICATE-----") else { return nil }
        return text
    }
}
