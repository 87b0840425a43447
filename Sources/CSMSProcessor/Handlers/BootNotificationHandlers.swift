import CSMSCore
import OCPP
import OCPP16
import OCPP201
import OCPP21

// BootNotification in its three forms. The registration decision is `BootRegistration`'s;
// these handlers map the version's fields to `BootInfo` and the decision to the version's
// response. Every field the station reports is stored (`StoreWrite.recordBoot`).

/// OCPP 1.6 BootNotification: stores vendor, model, serial numbers, firmware, ICCID, IMSI
/// and meter type/serial; answers the registration status, the current time and the interval.
struct BootNotificationHandler16: OCPPHandler {
    typealias Action = OCPP16.BootNotificationAction

    func handle(
        _ request: OCPP16.BootNotificationRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP16.BootNotificationResponse> {
        let decision = try await BootRegistration.decide(context: context)
        let info = BootInfo(
            vendor: request.chargePointVendor, model: request.chargePointModel,
            serialNumber: request.chargePointSerialNumber, chargeBoxSerialNumber: request.chargeBoxSerialNumber,
            firmwareVersion: request.firmwareVersion, iccid: request.iccid, imsi: request.imsi,
            meterType: request.meterType, meterSerialNumber: request.meterSerialNumber)
        let status: OCPP16.BootNotificationResponse.Status =
            switch decision.status {
            case .accepted: .accepted
            case .pending: .pending
            case .rejected: .rejected
            }
        return HandlerResult(
            response: OCPP16.BootNotificationResponse(
                status: status, currentTime: OCPPDateTime(context.now), interval: decision.interval),
            writes: decision.writes(id: context.chargePointId, info: info, version: context.version, at: context.now))
    }
}

/// OCPP 2.0 / 2.0.1 BootNotification: stores `chargingStation` (vendor, model, serial
/// number, firmware, modem ICCID/IMSI) and the boot `reason`.
struct BootNotificationHandler201: OCPPHandler {
    typealias Action = OCPP201.BootNotificationAction

    func handle(
        _ request: OCPP201.BootNotificationRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP201.BootNotificationResponse> {
        let decision = try await BootRegistration.decide(context: context)
        let station = request.chargingStation
        let info = BootInfo(
            vendor: station.vendorName, model: station.model, serialNumber: station.serialNumber,
            firmwareVersion: station.firmwareVersion, iccid: station.modem?.iccid, imsi: station.modem?.imsi,
            bootReason: request.reason.rawValue)
        let status: OCPP201.RegistrationStatusEnum =
            switch decision.status {
            case .accepted: .accepted
            case .pending: .pending
            case .rejected: .rejected
            }
        return HandlerResult(
            response: OCPP201.BootNotificationResponse(
                currentTime: OCPPDateTime(context.now), interval: decision.interval, status: status),
            writes: decision.writes(id: context.chargePointId, info: info, version: context.version, at: context.now))
    }
}

/// OCPP 2.1 BootNotification: as in 2.0.1.
struct BootNotificationHandler21: OCPPHandler {
    typealias Action = OCPP21.BootNotificationAction

    func handle(
        _ request: OCPP21.BootNotificationRequest, context: HandlerContext
    ) async throws -> HandlerResult<OCPP21.BootNotificationResponse> {
        let decision = try await BootRegistration.decide(context: context)
        let station = request.chargingStation
        let info = BootInfo(
            vendor: station.vendorName, model: station.model, serialNumber: station.serialNumber,
            firmwareVersion: station.firmwareVersion, iccid: station.modem?.iccid, imsi: station.modem?.imsi,
            bootReason: request.reason.rawValue)
        let status: OCPP21.RegistrationStatusEnum =
            switch decision.status {
            case .accepted: .accepted
            case .pending: .pending
            case .rejected: .rejected
            }
        return HandlerResult(
            response: OCPP21.BootNotificationResponse(
                currentTime: OCPPDateTime(context.now), interval: decision.interval, status: status),
            writes: decision.writes(id: context.chargePointId, info: info, version: context.version, at: context.now))
    }
}
