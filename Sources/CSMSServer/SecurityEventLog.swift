import CSMSCore
import Foundation
import Logging

/// Stores the CSMS's own security events (failed authentication, profile mismatch,
/// certificate mismatch, ...) next to the stations' SecurityEventNotifications, and logs
/// them. Never throws: a store failure is logged and the event is kept in the log only.
struct SecurityEventLog: Sendable {
    /// The event type prefix of events the CSMS raises itself.
    static let csmsTypePrefix = "csms."

    let store: any CSMSStore
    let clock: any WallClock
    let metrics: SecurityMetrics
    let logger: Logger

    /// Records `type` (without the `csms.` prefix) for the station. `techInfo` must hold no
    /// secret (it never holds a password or token; see docs/security.md).
    func record(_ type: String, chargePointId: ChargePointID, techInfo: String? = nil, remoteAddress: String?) async {
        let now = clock.now()
        let event = SecurityEvent(
            chargePointId: chargePointId, source: .csms, type: Self.csmsTypePrefix + type,
            techInfo: techInfo.map { String($0.prefix(255)) }, occurredAt: now, receivedAt: now,
            remoteAddress: remoteAddress)
        logger.notice(
            "security event",
            metadata: [
                "security_event": .string(event.type), "ocpp.charge_point_id": .string(chargePointId.rawValue),
            ])
        do {
            try await store.commit([.addSecurityEvent(event)])
            metrics.securityEventStored(source: SecurityEvent.Source.csms.rawValue)
        } catch {
            logger.error("security event not stored", metadata: ["error": "\(error)"])
        }
    }
}
