/// The logger metadata keys, defined once (design.md, house style).
///
/// Temporary: the message processor's `CSMSProcessor.LogKey` replaces this once it is on main.
enum LogKey {
    /// The charge point id, e.g. `CP-0001`.
    static let chargePointId = "ocpp.charge_point_id"
    /// The message id of a CALL, SEND or reply.
    static let messageId = "ocpp.message_id"
    /// The action of a CALL or SEND.
    static let action = "ocpp.action"
    /// The negotiated version, e.g. `2.0.1`.
    static let version = "ocpp.version"
    /// A fresh id per CALL (also in CALLERROR `errorDetails.correlationId`).
    static let correlationId = "correlation_id"
    /// The connection's session id (tells two sessions of one station apart).
    static let sessionId = "ocpp.session_id"
}
