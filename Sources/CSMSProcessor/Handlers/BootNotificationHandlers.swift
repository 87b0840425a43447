import CSMSCore
import Foundation
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
        let info = BootInfo(
            vendor: request.chargePointVendor, model: request.chargePointModel,
            serialNumber: request.chargePointSerialNumber, chargeBoxSerialNumber: request.chargeBoxSerialNumber,
            firmwareVersion: request.firmwareVersion, iccid: request.iccid, imsi: request.imsi,
            meterType: request.meterType, meterSerialNumber: request.meterSerialNumber)
        let decision = try await BootRegistration.decide(context: context, info: info)
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
        let station = request.chargingStation
        let info = BootInfo(
            vendor: station.vendorName, model: station.model, serialNumber: station.serialNumber,
            firmwareVersion: station.firmwareVersion, iccid: station.modem?.iccid, imsi: station.modem?.imsi,
            bootReason: request.reason.rawValue)
        let decision = try await BootRegistration.decide(context: context, info: info)
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
        let station = request.chargingStation
        let info = BootInfo(
            vendor: station.vendorName, model: station.model, serialNumber: station.serialNumber,
            firmwareVersion: station.firmwareVersion, iccid: station.modem?.iccid, imsi: station.modem?.imsi,
            bootReason: request.reason.rawValue)
        let decision = try await BootRegistration.decide(context: context, info: info)
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

/// The registration decision of a BootNotification, shared by the 1.6 and 2.x handlers.
///
/// - A known charge point is `Accepted` unless the operator set `Pending` or `Rejected`
///   (`ChargePoint.registrationStatus`).
/// - An unknown one follows `ProcessorConfiguration.unknownChargePoints`: `accept` registers it
///   and answers `Accepted`; `pending` registers it with the operator setting `Pending` (so
///   it shows up for approval) and answers `Pending`; `reject` answers `Rejected` and stores
///   nothing.
/// - `interval` is the heartbeat interval when accepted, else the boot retry interval
///   (1.6 §4.2 and 2.0.1 B02/B03: the least wait before the next BootNotification).
struct BootRegistration: Equatable {
    /// The answer's status.
    let status: RegistrationStatus
    /// The answer's `interval`, in seconds.
    let interval: Int
    /// Whether a missing charge point record is created.
    let registers: Bool
    /// Whether the new record gets the operator setting `Pending`.
    let marksPending: Bool
    /// Writes of the boot policies (security events, serial binding), committed after the boot
    /// (BootPolicyRegistration.swift).
    var policyWrites: [StoreWrite] = []

    /// The decision for a boot of a station whose record is `existing`.
    static func decide(existing: ChargePoint?, configuration: ProcessorConfiguration) -> BootRegistration {
        let status: RegistrationStatus
        var registers = false
        var marksPending = false
        if let existing {
            status = existing.registrationStatus ?? .accepted
        } else {
            switch configuration.unknownChargePoints {
            case .accept:
                status = .accepted
                registers = true
            case .pending:
                status = .pending
                registers = true
                marksPending = true
            case .reject:
                status = .rejected
            }
        }
        let interval = status == .accepted ? configuration.heartbeatInterval : configuration.bootRetryInterval
        return BootRegistration(
            status: status, interval: interval.wholeSeconds, registers: registers, marksPending: marksPending)
    }

    /// The writes that record the boot of `id` with this decision.
    func writes(id: ChargePointID, info: BootInfo, version: OCPPVersion, at now: Date) -> [StoreWrite] {
        var writes: [StoreWrite] = []
        if marksPending {
            writes.append(.upsertChargePoint(ChargePointUpdate(id: id, registrationStatus: .pending, at: now)))
        }
        writes.append(
            .recordBoot(
                id: id, info: info, status: status, protocolVersion: version.rawValue, at: now, register: registers))
        return writes + policyWrites
    }

    /// Reads the station's record and decides (the common first half of both handlers).
    static func decide(context: HandlerContext) async throws -> BootRegistration {
        let existing = try await context.store.chargePoint(context.chargePointId)
        let decision = decide(existing: existing, configuration: context.configuration)
        context.logger.info(
            "boot notification",
            metadata: [
                "registration": "\(decision.status.rawValue)", "known": "\(existing != nil)",
            ])
        return decision
    }
}
