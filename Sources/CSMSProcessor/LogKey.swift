import Logging

/// The logger metadata keys the processor sets, defined once (design.md, house style).
///
/// Every log line about an inbound message carries the station and version; lines about a
/// CALL or SEND also carry its message id, action and the correlation id that is sent back
/// in CALLERROR `errorDetails`.
public enum LogKey {
    /// The charge point id, e.g. `CP-0001`.
    public static let chargePointId = "ocpp.charge_point_id"
    /// The message id of the CALL, SEND or reply.
    public static let messageId = "ocpp.message_id"
    /// The action of a CALL or SEND (the registry's name, or a shortened unknown one).
    public static let action = "ocpp.action"
    /// The negotiated version, e.g. `2.0.1`.
    public static let version = "ocpp.version"
    /// A fresh id per CALL (also in CALLERROR `errorDetails.correlationId`).
    public static let correlationId = "correlation_id"
    /// The connection's session id (tells two sessions of one station apart).
    public static let sessionId = "ocpp.session_id"
}

extension Logger {
    /// This logger with the station's session metadata (charge point id, version, session).
    func withSession(_ session: StationSession) -> Logger {
        var logger = self
        logger[metadataKey: LogKey.chargePointId] = .string(session.chargePointId.rawValue)
        logger[metadataKey: LogKey.version] = .string(session.version.description)
        logger[metadataKey: LogKey.sessionId] = .string(session.sessionId.uuidString)
        return logger
    }
}

/// Text taken from a station's message, made safe for a log or metric label: at most
/// `limit` characters, control characters replaced.
func logSafe(_ text: String, limit: Int = 40) -> String {
    var out = ""
    for (n, scalar) in text.unicodeScalars.enumerated() {
        if n == limit {
            out += "…"
            break
        }
        out.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
    }
    return out
}
