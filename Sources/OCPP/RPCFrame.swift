/// One OCPP-J RPC message (OCPP-J 1.6 §4; OCPP 2.0.1 / 2.1 Part 4 §4): a JSON array whose
/// first element is the message type number.
public enum RPCFrame: Sendable, Equatable {
    /// `[2, messageId, action, payload]`: a request.
    case call(RPCCall)
    /// `[3, messageId, payload]`: the answer to a CALL.
    case callResult(RPCCallResult)
    /// `[4, messageId, errorCode, errorDescription, errorDetails]`: a failed CALL.
    case callError(RPCCallError)
    /// 2.1 only: `[5, messageId, errorCode, errorDescription, errorDetails]`, the answer to a
    /// CALLRESULT that could not be processed.
    case callResultError(RPCCallError)
    /// 2.1 only: `[6, messageId, action, payload]`, a request that gets no answer.
    case send(RPCCall)

    /// The message type numbers.
    public enum MessageType: Int, Sendable, CaseIterable {
        /// CALL.
        case call = 2
        /// CALLRESULT.
        case callResult = 3
        /// CALLERROR.
        case callError = 4
        /// CALLRESULTERROR (2.1).
        case callResultError = 5
        /// SEND (2.1).
        case send = 6

        /// Whether `family` defines this message type.
        public func isDefined(in family: OCPPVersion.Family) -> Bool {
            switch self {
            case .call, .callResult, .callError: true
            case .callResultError, .send: family == .v21
            }
        }
    }

    /// The message type of this frame.
    public var messageType: MessageType {
        switch self {
        case .call: .call
        case .callResult: .callResult
        case .callError: .callError
        case .callResultError: .callResultError
        case .send: .send
        }
    }

    /// The message id.
    public var messageId: String {
        switch self {
        case .call(let c), .send(let c): c.messageId
        case .callResult(let r): r.messageId
        case .callError(let e), .callResultError(let e): e.messageId
        }
    }

    /// The longest message id OCPP allows (36 characters, room for a UUID).
    public static let maxMessageIdLength = 36

    /// The message id used in a CALLERROR when the offending frame's id cannot be read.
    public static let unreadableMessageId = "-1"

    /// The JSON array form.
    public var jsonValue: JSONValue {
        switch self {
        case .call(let c): [2, .string(c.messageId), .string(c.action), c.payload]
        case .send(let c): [6, .string(c.messageId), .string(c.action), c.payload]
        case .callResult(let r): [3, .string(r.messageId), r.payload]
        case .callError(let e): [4, .string(e.messageId), .string(e.code.rawValue), .string(e.description), e.details]
        case .callResultError(let e):
            [5, .string(e.messageId), .string(e.code.rawValue), .string(e.description), e.details]
        }
    }

    /// The UTF-8 text to put in a WebSocket text frame.
    public func encoded() -> [UInt8] { jsonValue.serialized() }
}

/// A CALL (or a 2.1 SEND): a request for `action`.
public struct RPCCall: Sendable, Equatable {
    /// The sender's id for this message, unique per sender and connection.
    public var messageId: String
    /// The action name, e.g. `BootNotification`.
    public var action: String
    /// The request payload (a JSON object when valid; validated later against the schema).
    public var payload: JSONValue

    /// A request.
    public init(messageId: String, action: String, payload: JSONValue) {
        self.messageId = messageId
        self.action = action
        self.payload = payload
    }
}

/// A CALLRESULT: the answer to the CALL with the same message id.
public struct RPCCallResult: Sendable, Equatable {
    /// The id of the CALL this answers.
    public var messageId: String
    /// The response payload.
    public var payload: JSONValue

    /// An answer.
    public init(messageId: String, payload: JSONValue) {
        self.messageId = messageId
        self.payload = payload
    }
}

/// A CALLERROR (or 2.1 CALLRESULTERROR), in one type for every version.
///
/// The description is cut to 255 characters and the details default to `{}`, as the
/// OCPP-J specifications require, so an error built here is always sendable.
public struct RPCCallError: Sendable, Equatable {
    /// The id of the CALL (or CALLRESULT) this answers; `"-1"` when that id was unreadable.
    public var messageId: String
    /// The error code.
    public var code: OCPPErrorCode
    /// Human-readable description, at most 255 characters.
    public private(set) var description: String
    /// Additional machine-readable details; a JSON object, `{}` when there are none.
    public var details: JSONValue

    /// An error; `description` is truncated to 255 characters, `details` that are not a
    /// JSON object are wrapped as `{"value": details}`.
    public init(messageId: String, code: OCPPErrorCode, description: String, details: JSONValue = .object(JSONObject()))
    {
        self.messageId = messageId
        self.code = code
        self.description = OCPPErrorCode.truncatedDescription(description)
        if case .object = details {
            self.details = details
        } else {
            self.details = ["value": details]
        }
    }
}
