import CoreMetrics
import Metrics

/// The security feature's metrics (swift-metrics), names and dimensions in one place.
/// Label values are bounded (no station input).
struct SecurityMetrics: Sendable {
    /// Counter: refused station handshakes; dimension `reason` (`AuthenticationFailure`).
    static let authenticationFailures = "csms.security.auth_failures"
    /// Counter: security events stored; dimensions `source` (`station`, `csms`).
    static let securityEvents = "csms.security.events"
    /// Gauge: seconds until the soonest tracked station certificate expires (negative when
    /// one has expired); set whenever a certificate is issued and by the expiry check.
    static let certificateExpirySeconds = "csms.security.certificate_expiry_seconds"
    /// Counter: certificates issued by the built-in CA; dimension `outcome` (`issued`, `refused`).
    static let certificatesSigned = "csms.security.certificates_signed"

    let factory: any MetricsFactory

    /// Metrics on the process-wide factory.
    init(factory: any MetricsFactory = MetricsSystem.factory) { self.factory = factory }

    func authenticationFailed(_ failure: AuthenticationFailure) {
        Counter(label: Self.authenticationFailures, dimensions: [("reason", failure.rawValue)], factory: factory)
            .increment()
    }

    func securityEventStored(source: String) {
        Counter(label: Self.securityEvents, dimensions: [("source", source)], factory: factory).increment()
    }

    func certificateExpiry(secondsLeft: Double) {
        Gauge(label: Self.certificateExpirySeconds, factory: factory).record(secondsLeft)
    }

    func certificateSigning(outcome: String) {
        Counter(label: Self.certificatesSigned, dimensions: [("outcome", outcome)], factory: factory).increment()
    }
}
