import CSMSCore
import Foundation
import Logging
import OCPP
import ServiceLifecycle

/// Sends CertificateSigned for certificates the built-in CA issued (after a SignCertificate;
/// OCPP 1.6 security extension, 2.0.1 A02.FR.04 / A03.FR.04) through the command engine.
///
/// Every `interval` it looks at the certificates issued within `window` and sends the chain to
/// each one's station when it is connected and no CertificateSigned for it was recorded since
/// the certificate was issued, or the last ones failed (at most `maxAttempts` in all). The
/// command records are the delivery log, so a restart neither loses nor repeats a delivery.
struct CertificateDeliveryService: Service, CustomStringConvertible {
    var description: String { "CertificateDeliveryService" }

    let store: any CSMSStore
    let registry: ConnectionRegistry
    let engine: CommandEngine
    let clock: any WallClock
    let logger: Logger
    var interval: Duration = .seconds(2)
    var window: TimeInterval = 86_400
    var maxAttempts = 3

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await deliverPending()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One round: sends what is due; returns the number of CALLs submitted.
    @discardableResult
    func deliverPending() async -> Int {
        let now = clock.now()
        let recent: [StationCertificate]
        do {
            recent = try await store.stationCertificates(of: nil).filter {
                $0.issuedAt >= now.addingTimeInterval(-window)
            }
        } catch {
            logger.error("certificates could not be read for delivery", metadata: ["error": "\(error)"])
            return 0
        }
        var submitted = 0
        for certificate in recent {
            guard let connection = registry.connection(for: certificate.chargePointId) else { continue }
            do {
                let sent = try await store.commands(of: certificate.chargePointId, before: nil, limit: 200).filter {
                    $0.action == "CertificateSigned" && $0.createdAt >= certificate.issuedAt
                        && $0.payload["certificateChain"] == .string(certificate.pem)
                }
                let delivered = sent.contains { [.queued, .sent, .answered].contains($0.state) }
                guard !delivered, sent.count < maxAttempts else { continue }
                var payload: JSONObject = ["certificateChain": .string(certificate.pem)]
                if connection.session.version.family != .v16 {
                    payload["certificateType"] = .string(certificate.certificateType)
                }
                _ = try await engine.submit(action: "CertificateSigned", payload: .object(payload), on: connection)
                submitted += 1
                connection.logger.info(
                    "CertificateSigned submitted", metadata: ["certificate_serial": .string(certificate.serialNumber)])
            } catch {
                connection.logger.warning(
                    "CertificateSigned could not be submitted", metadata: ["error": .string("\(error)")])
            }
        }
        return submitted
    }
}
