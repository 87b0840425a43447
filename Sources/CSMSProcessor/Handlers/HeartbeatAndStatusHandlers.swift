import CSMSCore
import OCPP
import OCPP16
import OCPP201
import OCPP21

// Heartbeat and StatusNotification in their three forms.

/// OCPP 1.6 Heartbeat: records the station as seen; answers the current time.
struct HeartbeatHandler16: OCPPHandler {
    typealias Action = OCPP16.HeartbeatAction
    /// Its only effects are the returned writes.
    let hasEffectsBeyondWrites = false

    func handle(
        _ request: OCPP16.HeartbeatRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP16.HeartbeatResponse> {
        HandlerResult(
            response: OCPP16.HeartbeatResponse(currentTime: OCPPDateTime(context.now)),
            writes: [.recordSeen(id: context.chargePointId, at: context.now)])
    }
}

/// OCPP 2.0 / 2.0.1 Heartbeat.
struct HeartbeatHandler201: OCPPHandler {
    typealias Action = OCPP201.HeartbeatAction
    /// Its only effects are the returned writes.
    let hasEffectsBeyondWrites = false

    func handle(
        _ request: OCPP201.HeartbeatRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP201.HeartbeatResponse> {
        HandlerResult(
            response: OCPP201.HeartbeatResponse(currentTime: OCPPDateTime(context.now)),
            writes: [.recordSeen(id: context.chargePointId, at: context.now)])
    }
}

/// OCPP 2.1 Heartbeat.
struct HeartbeatHandler21: OCPPHandler {
    typealias Action = OCPP21.HeartbeatAction
    /// Its only effects are the returned writes.
    let hasEffectsBeyondWrites = false

    func handle(
        _ request: OCPP21.HeartbeatRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP21.HeartbeatResponse> {
        HandlerResult(
            response: OCPP21.HeartbeatResponse(currentTime: OCPPDateTime(context.now)),
            writes: [.recordSeen(id: context.chargePointId, at: context.now)])
    }
}

/// OCPP 1.6 StatusNotification: records connector `connectorId` (0 = the whole station) with
/// status, error code, info, vendor id and vendor error code. The station's `timestamp` is
/// optional in 1.6; the receive time stands in when it is absent. The store keeps the
/// history and ignores an older timestamp for the current status.
struct StatusNotificationHandler16: OCPPHandler {
    typealias Action = OCPP16.StatusNotificationAction
    /// Its only effects are the returned writes.
    let hasEffectsBeyondWrites = false

    func handle(
        _ request: OCPP16.StatusNotificationRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP16.StatusNotificationResponse> {
        let status = ConnectorStatus(
            chargePointId: context.chargePointId, connectorId: request.connectorId, status: request.status.rawValue,
            errorCode: request.errorCode.rawValue, info: request.info, vendorId: request.vendorId,
            vendorErrorCode: request.vendorErrorCode, timestamp: request.timestamp?.date ?? context.now,
            receivedAt: context.now)
        return HandlerResult(response: OCPP16.StatusNotificationResponse(), writes: [.recordConnectorStatus(status)])
    }
}

/// OCPP 2.0 / 2.0.1 StatusNotification: records connector `connectorId` of EVSE `evseId`.
struct StatusNotificationHandler201: OCPPHandler {
    typealias Action = OCPP201.StatusNotificationAction
    /// Its only effects are the returned writes.
    let hasEffectsBeyondWrites = false

    func handle(
        _ request: OCPP201.StatusNotificationRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP201.StatusNotificationResponse> {
        let status = ConnectorStatus(
            chargePointId: context.chargePointId, evseId: request.evseId, connectorId: request.connectorId,
            status: request.connectorStatus.rawValue, timestamp: request.timestamp.date, receivedAt: context.now)
        return HandlerResult(response: OCPP201.StatusNotificationResponse(), writes: [.recordConnectorStatus(status)])
    }
}

/// OCPP 2.1 StatusNotification: as in 2.0.1.
struct StatusNotificationHandler21: OCPPHandler {
    typealias Action = OCPP21.StatusNotificationAction
    /// Its only effects are the returned writes.
    let hasEffectsBeyondWrites = false

    func handle(
        _ request: OCPP21.StatusNotificationRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP21.StatusNotificationResponse> {
        let status = ConnectorStatus(
            chargePointId: context.chargePointId, evseId: request.evseId, connectorId: request.connectorId,
            status: request.connectorStatus.rawValue, timestamp: request.timestamp.date, receivedAt: context.now)
        return HandlerResult(response: OCPP21.StatusNotificationResponse(), writes: [.recordConnectorStatus(status)])
    }
}
