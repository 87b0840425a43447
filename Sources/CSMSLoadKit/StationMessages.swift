public import Foundation
public import OCPP
import OCPP16
public import OCPP201

/// The OCPP versions a simulated station can speak.
public enum StationProtocol: String, Sendable, CaseIterable, Codable {
    /// OCPP 1.6J.
    case v16 = "1.6"
    /// OCPP 2.0.1.
    case v201 = "2.0.1"

    /// The WebSocket subprotocol offered in the handshake.
    public var subprotocol: String {
        switch self {
        case .v16: OCPPVersion.v16.subprotocol
        case .v201: OCPPVersion.v201.subprotocol
        }
    }

    /// The protocol of station `index` in a fleet with `mix` (a share of 2.0.1 stations in
    /// [0, 1]; stations are interleaved so that any prefix of the fleet has the same mix).
    public static func of(station index: Int, share201: Double) -> StationProtocol {
        guard share201 > 0 else { return .v16 }
        guard share201 < 1 else { return .v201 }
        let before = (Double(index) * share201).rounded(.down)
        let through = (Double(index + 1) * share201).rounded(.down)
        return through > before ? .v201 : .v16
    }
}

/// A CALL the station is about to send: action and payload, built from the generated types.
public struct OutgoingCall: Sendable {
    /// The action name.
    public var action: String
    /// The request payload.
    public var payload: JSONValue

    /// A request.
    public init(action: String, payload: JSONValue) {
        self.action = action
        self.payload = payload
    }

    /// The CALL frame `[2, id, action, payload]` as UTF-8 bytes.
    public func frame(messageId: String) -> [UInt8] {
        RPCFrame.call(RPCCall(messageId: messageId, action: action, payload: payload)).encoded()
    }
}

/// Builds the requests of one simulated station in its protocol version, from the generated
/// OCPP types (so every request the tool sends is schema-valid by construction).
public struct StationMessages: Sendable {
    /// The station's protocol version.
    public let version: StationProtocol
    /// The id tag / idToken the station presents.
    public let idTag: String

    /// Messages for a station speaking `version`.
    public init(version: StationProtocol, idTag: String = "LOADTAG0001") {
        self.version = version
        self.idTag = idTag
    }

    /// BootNotification (2.0.1 reason PowerUp).
    public func bootNotification(serial: String) -> OutgoingCall {
        switch version {
        case .v16:
            let request = OCPP16.BootNotificationRequest(
                chargePointVendor: "csms-load", chargePointModel: "Simulated",
                chargePointSerialNumber: String(serial.suffix(25)), firmwareVersion: "1.0.0")
            return OutgoingCall(action: "BootNotification", payload: request.encode())
        case .v201:
            let request = OCPP201.BootNotificationRequest(
                chargingStation: ChargingStation(
                    model: "Simulated", vendorName: "csms-load", serialNumber: String(serial.suffix(25)),
                    firmwareVersion: "1.0.0"),
                reason: .powerUp)
            return OutgoingCall(action: "BootNotification", payload: request.encode())
        }
    }

    /// Heartbeat.
    public func heartbeat() -> OutgoingCall {
        switch version {
        case .v16: OutgoingCall(action: "Heartbeat", payload: OCPP16.HeartbeatRequest().encode())
        case .v201: OutgoingCall(action: "Heartbeat", payload: OCPP201.HeartbeatRequest().encode())
        }
    }

    /// StatusNotification of `connector` (1.6: connector id; 2.0.1: EVSE `connector`, connector 1).
    public func statusNotification(connector: Int, charging: Bool, at date: Date) -> OutgoingCall {
        switch version {
        case .v16:
            let request = OCPP16.StatusNotificationRequest(
                connectorId: connector, errorCode: .noError, status: charging ? .charging : .available,
                timestamp: OCPPDateTime(date))
            return OutgoingCall(action: "StatusNotification", payload: request.encode())
        case .v201:
            let request = OCPP201.StatusNotificationRequest(
                timestamp: OCPPDateTime(date), connectorStatus: charging ? .occupied : .available,
                evseId: max(1, connector), connectorId: 1)
            return OutgoingCall(action: "StatusNotification", payload: request.encode())
        }
    }

    /// Authorize of the station's id tag.
    public func authorize() -> OutgoingCall {
        switch version {
        case .v16:
            return OutgoingCall(action: "Authorize", payload: OCPP16.AuthorizeRequest(idTag: idTag).encode())
        case .v201:
            let request = OCPP201.AuthorizeRequest(idToken: IdToken(idToken: idTag, type: .iso14443))
            return OutgoingCall(action: "Authorize", payload: request.encode())
        }
    }

    /// 1.6 StartTransaction on `connector`.
    public func startTransaction(connector: Int, meterStart: Int, at date: Date) -> OutgoingCall {
        let request = OCPP16.StartTransactionRequest(
            connectorId: connector, idTag: idTag, meterStart: meterStart, timestamp: OCPPDateTime(date))
        return OutgoingCall(action: "StartTransaction", payload: request.encode())
    }

    /// 1.6 StopTransaction of `transactionId`.
    public func stopTransaction(transactionId: Int, meterStop: Int, at date: Date) -> OutgoingCall {
        let request = OCPP16.StopTransactionRequest(
            meterStop: meterStop, timestamp: OCPPDateTime(date), transactionId: transactionId, idTag: idTag,
            reason: .local)
        return OutgoingCall(action: "StopTransaction", payload: request.encode())
    }

    /// MeterValues of `connector` (1.6: inside `transactionId` when given; 2.0.1: standalone,
    /// EVSE `connector`) with one meter value of five samples: energy register, power and
    /// the three phase currents.
    public func meterValues(connector: Int, transactionId: Int?, energyWh: Int, at date: Date) -> OutgoingCall {
        switch version {
        case .v16:
            typealias Sample = OCPP16.MeterValuesRequest.MeterValue.SampledValue
            let samples: [Sample] = [
                Sample(
                    value: String(energyWh), context: .samplePeriodic, measurand: .energyActiveImportRegister,
                    unit: .wh),
                Sample(value: "11000", context: .samplePeriodic, measurand: .powerActiveImport, unit: .w),
                Sample(value: "16.0", context: .samplePeriodic, measurand: .currentImport, phase: .l1, unit: .a),
                Sample(value: "16.0", context: .samplePeriodic, measurand: .currentImport, phase: .l2, unit: .a),
                Sample(value: "16.0", context: .samplePeriodic, measurand: .currentImport, phase: .l3, unit: .a),
            ]
            let request = OCPP16.MeterValuesRequest(
                connectorId: connector,
                meterValue: [.init(timestamp: OCPPDateTime(date), sampledValue: samples)],
                transactionId: transactionId)
            return OutgoingCall(action: "MeterValues", payload: request.encode())
        case .v201:
            let request = OCPP201.MeterValuesRequest(
                evseId: max(1, connector), meterValue: [meterValue201(energyWh: energyWh, at: date)])
            return OutgoingCall(action: "MeterValues", payload: request.encode())
        }
    }

    /// 2.0.1 TransactionEvent of `transactionId`: Started (with the idToken), Updated (with a
    /// meter value) or Ended (with the final meter value and reason Local).
    public func transactionEvent(
        _ event: TransactionEventEnum, transactionId: String, seqNo: Int, evse: Int, energyWh: Int, at date: Date
    ) -> OutgoingCall {
        let request: OCPP201.TransactionEventRequest
        switch event {
        case .started:
            request = TransactionEventRequest(
                eventType: .started, timestamp: OCPPDateTime(date), triggerReason: .authorized, seqNo: seqNo,
                transactionInfo: Transaction(transactionId: transactionId, chargingState: .charging),
                meterValue: [meterValue201(energyWh: energyWh, at: date, context: .transactionBegin)],
                evse: EVSE(id: evse, connectorId: 1), idToken: IdToken(idToken: idTag, type: .iso14443))
        case .updated:
            request = TransactionEventRequest(
                eventType: .updated, timestamp: OCPPDateTime(date), triggerReason: .meterValuePeriodic, seqNo: seqNo,
                transactionInfo: Transaction(transactionId: transactionId, chargingState: .charging),
                meterValue: [meterValue201(energyWh: energyWh, at: date)])
        case .ended:
            request = TransactionEventRequest(
                eventType: .ended, timestamp: OCPPDateTime(date), triggerReason: .stopAuthorized, seqNo: seqNo,
                transactionInfo: Transaction(transactionId: transactionId, chargingState: .idle, stoppedReason: .local),
                meterValue: [meterValue201(energyWh: energyWh, at: date, context: .transactionEnd)],
                idToken: IdToken(idToken: idTag, type: .iso14443))
        }
        return OutgoingCall(action: "TransactionEvent", payload: request.encode())
    }

    private func meterValue201(
        energyWh: Int, at date: Date, context: ReadingContextEnum = .samplePeriodic
    ) -> OCPP201.MeterValue {
        OCPP201.MeterValue(
            sampledValue: [
                SampledValue(
                    value: Double(energyWh), context: context, measurand: .energyActiveImportRegister,
                    unitOfMeasure: UnitOfMeasure(unit: "Wh")),
                SampledValue(value: 11000, context: context, measurand: .powerActiveImport),
                SampledValue(value: 16, context: context, measurand: .currentImport, phase: .l1),
                SampledValue(value: 16, context: context, measurand: .currentImport, phase: .l2),
                SampledValue(value: 16, context: context, measurand: .currentImport, phase: .l3),
            ],
            timestamp: OCPPDateTime(date))
    }
}
