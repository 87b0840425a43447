public import Foundation
public import OCPP

/// A charge point's state as one document: what the station last `reported`, with the time
/// each part was reported and a `version` that increases on every stored change. Later
/// features add `desired` and reconciliation.
public struct ChargePointShadow: Sendable, Equatable {
    /// The station.
    public let chargePointId: ChargePointID
    /// The charge point's `stateVersion`.
    public let version: Int64
    /// The reported state: `boot`, `connectors`, `lastHeartbeat`, `registration`,
    /// `transactions` (the active ones; a connector with one names its `transactionId`).
    public let reported: JSONValue
    /// When each top-level member of `reported` last changed.
    public let timestamps: [String: Date]

    /// Builds the shadow from the stored records.
    public init(chargePoint: ChargePoint, connectors: [ConnectorStatus], activeTransactions: [Transaction] = []) {
        chargePointId = chargePoint.id
        version = chargePoint.stateVersion
        var reported = JSONObject()
        var timestamps: [String: Date] = [:]
        if let boot = chargePoint.boot {
            var b = JSONObject()
            b["vendor"] = .string(boot.vendor)
            b["model"] = .string(boot.model)
            let optional: [(String, String?)] = [
                ("serialNumber", boot.serialNumber), ("chargeBoxSerialNumber", boot.chargeBoxSerialNumber),
                ("firmwareVersion", boot.firmwareVersion), ("iccid", boot.iccid), ("imsi", boot.imsi),
                ("meterType", boot.meterType), ("meterSerialNumber", boot.meterSerialNumber),
                ("bootReason", boot.bootReason),
            ]
            for (key, value) in optional { if let value { b[key] = .string(value) } }
            reported["boot"] = .object(b)
            timestamps["boot"] = chargePoint.lastBootAt
        }
        if let status = chargePoint.bootStatus {
            reported["registration"] = .string(status.rawValue)
            timestamps["registration"] = chargePoint.lastBootAt
        }
        if let seen = chargePoint.lastSeen {
            reported["lastHeartbeat"] = .string(OCPPDateTime(seen).text)
            timestamps["lastHeartbeat"] = seen
        }
        if !connectors.isEmpty {
            reported["connectors"] = .array(
                connectors.map { c in
                    var o = JSONObject()
                    if let evse = c.evseId { o["evseId"] = .number(JSONNumber(evse)) }
                    o["connectorId"] = .number(JSONNumber(c.connectorId))
                    o["status"] = .string(c.status)
                    if let e = c.errorCode { o["errorCode"] = .string(e) }
                    o["timestamp"] = .string(OCPPDateTime(c.timestamp).text)
                    if let t = activeTransactions.first(where: {
                        $0.evseId == c.evseId && $0.connectorId == c.connectorId
                    }) {
                        o["transactionId"] = .string(t.transactionId)
                    }
                    return .object(o)
                })
            timestamps["connectors"] = connectors.map(\.receivedAt).max()
        }
        if !activeTransactions.isEmpty {
            reported["transactions"] = .array(activeTransactions.map(Self.transaction))
            timestamps["transactions"] = activeTransactions.map(\.updatedAt).max()
        }
        self.reported = .object(reported)
        self.timestamps = timestamps
    }

    /// `{"transactionId", "evseId"?, "connectorId"?, "state", "startedAt"}`.
    private static func transaction(_ t: Transaction) -> JSONValue {
        var o = JSONObject()
        o["transactionId"] = .string(t.transactionId)
        if let evse = t.evseId { o["evseId"] = .number(JSONNumber(evse)) }
        if let connector = t.connectorId { o["connectorId"] = .number(JSONNumber(connector)) }
        o["state"] = .string(t.state.rawValue)
        o["startedAt"] = .string(OCPPDateTime(t.startedAt).text)
        return .object(o)
    }
}
