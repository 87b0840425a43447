import CSMSCore
import Foundation
import Logging
import ServiceLifecycle

/// Checks the tracked station certificates every `interval`: sets the gauge
/// `csms.security.certificate_expiry_seconds` to the time left of the soonest-expiring one,
/// and logs a warning for each that expires within `warnBefore` (or has expired).
struct CertificateExpiryMonitor: Service, CustomStringConvertible {
    var description: String { "CertificateExpiryMonitor" }

    let store: any CSMSStore
    let clock: any WallClock
    let metrics: SecurityMetrics
    let logger: Logger
    var interval: Duration = .seconds(3600)
    var warnBefore: TimeInterval = 30 * 86_400

    func run() async throws {
        while !Task.isCancelled {
            await check()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }

    /// One check; returns the certificates that expire within `warnBefore`.
    @discardableResult
    func check() async -> [StationCertificate] {
        let certificates: [StationCertificate]
        do {
            certificates = try await store.stationCertificates(of: nil)
        } catch {
            logger.warning("certificate expiry check failed", metadata: ["error": "\(error)"])
            return []
        }
        let now = clock.now()
        guard let soonest = certificates.first else { return [] }
        metrics.certificateExpiry(secondsLeft: soonest.notAfter.timeIntervalSince(now))
        let expiring = certificates.filter { $0.notAfter.timeIntervalSince(now) < warnBefore }
        for certificate in expiring {
            logger.warning(
                "station certificate expires soon",
                metadata: [
                    "ocpp.charge_point_id": .string(certificate.chargePointId.rawValue),
                    "serial_number": .string(certificate.serialNumber),
                    "not_after": .string(ISO8601DateFormatter().string(from: certificate.notAfter)),
                ])
        }
        return expiring
    }
}
