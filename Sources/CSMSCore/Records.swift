public import Foundation

/// The answer already given to a CALL, kept so that a retry with the same message id and
/// the same content gets the same answer without running the handler again (invariant 6).
public struct StoredResponse: Sendable, Equatable {
    /// The station.
    public var chargePointId: ChargePointID
    /// The CALL's message id.
    public var messageId: String
    /// Digest of the CALL's action and payload (hex); a retry with the same id but another
    /// digest is a different message.
    public var requestDigest: String
    /// The complete frame that was sent back (CALLRESULT or CALLERROR), UTF-8 JSON.
    public var response: [UInt8]
    /// When it was stored.
    public var storedAt: Date

    /// A stored answer.
    public init(
        chargePointId: ChargePointID, messageId: String, requestDigest: String, response: [UInt8], storedAt: Date
    ) {
        self.chargePointId = chargePointId
        self.messageId = messageId
        self.requestDigest = requestDigest
        self.response = response
        self.storedAt = storedAt
    }
}

/// An inbound message that could not be processed, kept for inspection and replay
/// (invariant 7).
public struct DeadLetter: Codable, Sendable, Equatable {
    /// Store-assigned id; `nil` before it is stored.
    public var id: Int64?
    /// The station.
    public var chargePointId: ChargePointID
    /// The subprotocol of the session, e.g. `ocpp2.0.1`.
    public var protocolVersion: String
    /// The raw frame as received (UTF-8 text).
    public var rawFrame: String
    /// A short machine-readable reason, e.g. `handler_error`.
    public var reason: String
    /// The error as text (never containing secrets).
    public var error: String
    /// When it was received.
    public var receivedAt: Date
    /// How many times processing was attempted.
    public var attempts: Int

    /// A dead letter.
    public init(
        id: Int64? = nil, chargePointId: ChargePointID, protocolVersion: String, rawFrame: String, reason: String,
        error: String, receivedAt: Date, attempts: Int = 1
    ) {
        self.id = id
        self.chargePointId = chargePointId
        self.protocolVersion = protocolVersion
        self.rawFrame = rawFrame
        self.reason = reason
        self.error = error
        self.receivedAt = receivedAt
        self.attempts = attempts
    }
}
