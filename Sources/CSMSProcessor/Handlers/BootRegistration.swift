import CSMSCore
import Foundation
import OCPP

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
        return writes
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
