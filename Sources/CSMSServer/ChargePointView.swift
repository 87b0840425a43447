import CSMSCore
import Foundation
import OCPP

/// The operator API's JSON representations of charge points (docs/api.md). Members are
/// always present (`null` when unknown), except the optional members of a connector.
enum ChargePointView {
    /// A list item: everything of the detail except the connectors.
    static func summary(_ chargePoint: ChargePoint, live: StationConnection?) -> JSONValue {
        .object(members(chargePoint, live: live))
    }

    /// The detail, with the current status of every connector (and the id of the active
    /// transaction on it, when there is one).
    static func detail(
        _ chargePoint: ChargePoint, connectors: [ConnectorStatus], live: StationConnection?,
        activeTransactions: [Transaction] = []
    ) -> JSONValue {
        var object = members(chargePoint, live: live)
        object["connectors"] = .array(
            connectors.map { status in
                var o = connector(status).objectValue ?? JSONObject()
                if let t = activeTransactions.first(where: {
                    $0.evseId == status.evseId && $0.connectorId == status.connectorId
                }) {
                    o["transactionId"] = .string(t.transactionId)
                }
                return .object(o)
            })
        return .object(object)
    }

    private static func members(_ chargePoint: ChargePoint, live: StationConnection?) -> JSONObject {
        var o = JSONObject()
        o["id"] = .string(chargePoint.id.rawValue)
        o["connected"] = .bool(live != nil)
        // The live session's subprotocol, else the one of the last session.
        o["protocol"] = text(live?.session.version.subprotocol ?? chargePoint.protocolVersion)
        // The operator's setting (null: decided by the unknown-charge-point policy at boot).
        o["registrationStatus"] = text(chargePoint.registrationStatus?.rawValue)
        // The answer given to the last BootNotification.
        o["bootStatus"] = text(chargePoint.bootStatus?.rawValue)
        o["vendor"] = text(chargePoint.boot?.vendor)
        o["model"] = text(chargePoint.boot?.model)
        o["serialNumber"] = text(chargePoint.boot?.serialNumber)
        o["firmwareVersion"] = text(chargePoint.boot?.firmwareVersion)
        o["lastSeen"] = time(chargePoint.lastSeen)
        o["hasPassword"] = .bool(chargePoint.passwordHash != nil)
        return o
    }

    private static func connector(_ status: ConnectorStatus) -> JSONValue {
        var o = JSONObject()
        if let evse = status.evseId { o["evseId"] = .number(JSONNumber(evse)) }
        o["connectorId"] = .number(JSONNumber(status.connectorId))
        o["status"] = .string(status.status)
        if let errorCode = status.errorCode { o["errorCode"] = .string(errorCode) }
        // The station's timestamp of the status (the receive time when it sent none).
        o["updatedAt"] = .string(OCPPDateTime(status.timestamp).text)
        return .object(o)
    }

    /// `{"chargePointId", "version", "reported", "timestamps"}`.
    static func shadow(_ shadow: ChargePointShadow) -> JSONValue {
        var timestamps = JSONObject()
        for key in shadow.timestamps.keys.sorted() {
            timestamps[key] = .string(OCPPDateTime(shadow.timestamps[key]!).text)
        }
        return [
            "chargePointId": .string(shadow.chargePointId.rawValue),
            "version": .number(JSONNumber(Int(shadow.version))),
            "reported": shadow.reported,
            "timestamps": .object(timestamps),
        ]
    }

    static func text(_ value: String?) -> JSONValue {
        value.map { .string($0) } ?? .null
    }

    static func time(_ date: Date?) -> JSONValue {
        date.map { .string(OCPPDateTime($0).text) } ?? .null
    }
}
