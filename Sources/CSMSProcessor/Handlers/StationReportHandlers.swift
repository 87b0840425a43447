import CSMSCore
import OCPP
import OCPP201
import OCPP21

// Station-initiated reports and notifications that follow operator commands (issue #6): each
// is validated by the pipeline, kept as it came in the generic `station_reports` store
// (`StoreWrite.addStationReport`, visible at GET /api/v1/charge-points/{id}/reports) and
// answered with the fixed response below, committed before the answer leaves (invariant 1).

/// Stores one station report of `Action` and answers `response`.
///
/// The report's `requestId`, `seqNo` and `tbc` ("to be continued") are read from the payload
/// when present, so that a paged report (NotifyReport, NotifyMonitoringReport,
/// NotifyCustomerInformation, ReportChargingProfiles, NotifyDisplayMessages, NotifyEvent) can
/// be put together by request id and page number.
struct StationReportHandler<Action: OCPPAction>: OCPPHandler {
    /// The answer given to every report.
    let response: Action.Response

    func handle(_ request: Action.Request, context: HandlerContext) async throws -> HandlerResult<Action.Response> {
        HandlerResult(response: response, writes: [.addStationReport(Self.report(request.encode(), context: context))])
    }

    /// The report to store for `payload`.
    static func report(_ payload: JSONValue, context: HandlerContext) -> StationReport {
        StationReport(
            chargePointId: context.chargePointId, action: Action.name, protocolVersion: context.version.subprotocol,
            messageId: context.messageId, requestId: payload["requestId"]?.integer, seqNo: payload["seqNo"]?.integer,
            tbc: payload["tbc"] == .bool(true), payload: payload, receivedAt: context.now)
    }
}

extension JSONValue {
    /// The value as an `Int` when it is an integral number.
    var integer: Int? {
        guard case .number(let number) = self else { return nil }
        return number.integralValue
    }
}

extension ActionRouter {
    /// Registers the station reports of OCPP 2.0 / 2.0.1.
    ///
    /// Answers: every response is empty except NotifyEVChargingNeeds, answered `Rejected`
    /// (this CSMS computes no charging schedules, so none will follow: 2.0.1 Part 2 use case
    /// K15, status `Rejected`), and NotifyEVChargingSchedule, answered `Accepted` (the CSMS
    /// sets no limits the EV's schedule could break; use case K16).
    mutating func registerStationReports201() {
        register(StationReportHandler<OCPP201.NotifyReportAction>(response: .init()), for: .v201)
        register(StationReportHandler<OCPP201.NotifyEventAction>(response: .init()), for: .v201)
        register(StationReportHandler<OCPP201.NotifyMonitoringReportAction>(response: .init()), for: .v201)
        register(StationReportHandler<OCPP201.NotifyCustomerInformationAction>(response: .init()), for: .v201)
        register(StationReportHandler<OCPP201.NotifyDisplayMessagesAction>(response: .init()), for: .v201)
        register(StationReportHandler<OCPP201.ReservationStatusUpdateAction>(response: .init()), for: .v201)
        register(StationReportHandler<OCPP201.ReportChargingProfilesAction>(response: .init()), for: .v201)
        register(StationReportHandler<OCPP201.NotifyChargingLimitAction>(response: .init()), for: .v201)
        register(StationReportHandler<OCPP201.ClearedChargingLimitAction>(response: .init()), for: .v201)
        register(
            StationReportHandler<OCPP201.NotifyEVChargingNeedsAction>(response: .init(status: .rejected)), for: .v201)
        register(
            StationReportHandler<OCPP201.NotifyEVChargingScheduleAction>(response: .init(status: .accepted)),
            for: .v201)
    }

    /// Registers the station reports of OCPP 2.1 (the same answers as 2.0.1).
    mutating func registerStationReports21() {
        register(StationReportHandler<OCPP21.NotifyReportAction>(response: .init()), for: .v21)
        register(StationReportHandler<OCPP21.NotifyEventAction>(response: .init()), for: .v21)
        register(StationReportHandler<OCPP21.NotifyMonitoringReportAction>(response: .init()), for: .v21)
        register(StationReportHandler<OCPP21.NotifyCustomerInformationAction>(response: .init()), for: .v21)
        register(StationReportHandler<OCPP21.NotifyDisplayMessagesAction>(response: .init()), for: .v21)
        register(StationReportHandler<OCPP21.ReservationStatusUpdateAction>(response: .init()), for: .v21)
        register(StationReportHandler<OCPP21.ReportChargingProfilesAction>(response: .init()), for: .v21)
        register(StationReportHandler<OCPP21.NotifyChargingLimitAction>(response: .init()), for: .v21)
        register(StationReportHandler<OCPP21.ClearedChargingLimitAction>(response: .init()), for: .v21)
        register(
            StationReportHandler<OCPP21.NotifyEVChargingNeedsAction>(response: .init(status: .rejected)), for: .v21)
        register(
            StationReportHandler<OCPP21.NotifyEVChargingScheduleAction>(response: .init(status: .accepted)), for: .v21)
    }
}
