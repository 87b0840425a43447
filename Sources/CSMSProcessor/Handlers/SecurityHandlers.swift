import CSMSCore
import Foundation
import OCPP
import OCPP16
import OCPP201
import OCPP21

// SecurityEventNotification and SignCertificate in their three forms (OCPP 1.6 security
// extension §3.x, OCPP 2.0.1 Part 2 A02/A03/A04, 2.1 likewise).

/// The security event a station reported (stored with `source` `station`).
private func stationEvent(type: String, timestamp: OCPPDateTime, techInfo: String?, context: HandlerContext)
    -> StoreWrite
{
    .addSecurityEvent(
        SecurityEvent(
            chargePointId: context.chargePointId, source: .station, type: type, techInfo: techInfo,
            occurredAt: timestamp.date, receivedAt: context.now))
}

/// OCPP 1.6 (security extension) SecurityEventNotification: stores the event.
struct SecurityEventNotificationHandler16: OCPPHandler {
    typealias Action = OCPP16.SecurityEventNotificationAction

    func handle(
        _ request: OCPP16.SecurityEventNotificationRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP16.SecurityEventNotificationResponse> {
        HandlerResult(
            response: OCPP16.SecurityEventNotificationResponse(),
            writes: [
                stationEvent(
                    type: request.type, timestamp: request.timestamp, techInfo: request.techInfo, context: context)
            ])
    }
}

/// OCPP 2.0.1 SecurityEventNotification (A04.FR.01): stores the event.
struct SecurityEventNotificationHandler201: OCPPHandler {
    typealias Action = OCPP201.SecurityEventNotificationAction

    func handle(
        _ request: OCPP201.SecurityEventNotificationRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP201.SecurityEventNotificationResponse> {
        HandlerResult(
            response: OCPP201.SecurityEventNotificationResponse(),
            writes: [
                stationEvent(
                    type: request.type, timestamp: request.timestamp, techInfo: request.techInfo, context: context)
            ])
    }
}

/// OCPP 2.1 SecurityEventNotification: stores the event.
struct SecurityEventNotificationHandler21: OCPPHandler {
    typealias Action = OCPP21.SecurityEventNotificationAction

    func handle(
        _ request: OCPP21.SecurityEventNotificationRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP21.SecurityEventNotificationResponse> {
        HandlerResult(
            response: OCPP21.SecurityEventNotificationResponse(),
            writes: [
                stationEvent(
                    type: request.type, timestamp: request.timestamp, techInfo: request.techInfo, context: context)
            ])
    }
}

/// OCPP 1.6 (security extension) SignCertificate: the CSR is checked and signed by the
/// configured CA (`HandlerServices.certificateSigner`); Accepted when the certificate was
/// issued (its record, with the chain for CertificateSigned, is committed with the answer),
/// Rejected otherwise. Sending CertificateSigned is the command engine's job.
struct SignCertificateHandler16: OCPPHandler {
    typealias Action = OCPP16.SignCertificateAction

    func handle(
        _ request: OCPP16.SignCertificateRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP16.SignCertificateResponse> {
        let decision = await context.services.certificateSigner.sign(
            csr: request.csr, chargePointId: context.chargePointId, certificateType: "ChargePointCertificate",
            now: context.now)
        return HandlerResult(
            response: OCPP16.SignCertificateResponse(status: decision.accepted ? .accepted : .rejected),
            writes: decision.writes)
    }
}

/// OCPP 2.0.1 SignCertificate (A02.FR.02, A03.FR.02): as 1.6; `certificateType` defaults to
/// `ChargingStationCertificate`; a refusal carries the reason in `statusInfo`.
struct SignCertificateHandler201: OCPPHandler {
    typealias Action = OCPP201.SignCertificateAction

    func handle(
        _ request: OCPP201.SignCertificateRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP201.SignCertificateResponse> {
        let type = (request.certificateType ?? .chargingStationCertificate).rawValue
        let decision = await context.services.certificateSigner.sign(
            csr: request.csr, chargePointId: context.chargePointId, certificateType: type, now: context.now)
        return HandlerResult(
            response: OCPP201.SignCertificateResponse(
                status: decision.accepted ? .accepted : .rejected,
                statusInfo: decision.reason.map { OCPP201.StatusInfo(reasonCode: String($0.prefix(20))) }),
            writes: decision.writes)
    }
}

/// OCPP 2.1 SignCertificate: as 2.0.1.
struct SignCertificateHandler21: OCPPHandler {
    typealias Action = OCPP21.SignCertificateAction

    func handle(
        _ request: OCPP21.SignCertificateRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP21.SignCertificateResponse> {
        let type = (request.certificateType ?? .chargingStationCertificate).rawValue
        let decision = await context.services.certificateSigner.sign(
            csr: request.csr, chargePointId: context.chargePointId, certificateType: type, now: context.now)
        return HandlerResult(
            response: OCPP21.SignCertificateResponse(
                status: decision.accepted ? .accepted : .rejected,
                statusInfo: decision.reason.map { OCPP21.StatusInfo(reasonCode: String($0.prefix(20))) }),
            writes: decision.writes)
    }
}

extension ActionRouter {
    /// Registers SecurityEventNotification and SignCertificate for every message set.
    mutating func registerSecurityHandlers() {
        register(SecurityEventNotificationHandler16(), for: .v16)
        register(SignCertificateHandler16(), for: .v16)
        register(SecurityEventNotificationHandler201(), for: .v201)
        register(SignCertificateHandler201(), for: .v201)
        register(SecurityEventNotificationHandler21(), for: .v21)
        register(SignCertificateHandler21(), for: .v21)
    }
}
