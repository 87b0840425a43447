public import Foundation
public import OCPP

/// Where an operator command is in its life: `queued` behind the station's outstanding CALL,
/// `sent` and waiting for the answer, then one final state.
public enum CommandState: String, Sendable, Equatable, CaseIterable, Codable {
    /// Waiting in the connection's queue (one CALL in flight per connection, invariant 4).
    case queued = "Queued"
    /// The CALL was written to the station; its answer is awaited.
    case sent = "Sent"
    /// The station answered with a CALLRESULT whose payload is schema-valid.
    case answered = "Answered"
    /// The station answered with a CALLERROR, its CALLRESULT broke the schema, the station
    /// disconnected, or the CALL could not be written or recorded.
    case failed = "Failed"
    /// No answer within the call timeout (a later answer is recorded as `late`).
    case timedOut = "TimedOut"
    /// Taken out of the queue before it was sent.
    case cancelled = "Cancelled"

    /// Whether the state is final.
    public var isFinal: Bool { rank == 2 }

    /// Queued 0, Sent 1, final states 2: a store never replaces a record by one of a lower
    /// rank (writes of one command may arrive out of order; the record only moves forward).
    public var rank: Int {
        switch self {
        case .queued: 0
        case .sent: 1
        case .answered, .failed, .timedOut, .cancelled: 2
        }
    }
}

/// One operator command: an outbound CALL with its state, answer or error.
public struct CommandRecord: Sendable, Equatable {
    /// The command id (a UUID string), used by the API.
    public var id: String
    /// The station.
    public var chargePointId: ChargePointID
    /// The OCPP action, e.g. `Reset`.
    public var action: String
    /// The subprotocol of the session the command was made for, e.g. `ocpp1.6`.
    public var protocolVersion: String
    /// The message id of the CALL (unique per command).
    public var messageId: String
    /// The request payload.
    public var payload: JSONValue
    /// Where the command is.
    public var state: CommandState
    /// When it was accepted by the API.
    public var createdAt: Date
    /// When the CALL was written to the station.
    public var sentAt: Date?
    /// When it reached its final state.
    public var completedAt: Date?
    /// The CALLRESULT payload (also when it arrived late, or broke its schema).
    public var response: JSONValue?
    /// Why it failed: `{"code", "message", "details"?}`; for a CALLERROR the code is the OCPP
    /// error code the station sent.
    public var error: JSONValue?
    /// Whether the answer arrived after the timeout.
    public var late: Bool

    /// A new record in state `queued` (the message id is fresh unless given).
    public init(
        id: String = UUID().uuidString, chargePointId: ChargePointID, action: String, protocolVersion: String,
        messageId: String = UUID().uuidString, payload: JSONValue, state: CommandState = .queued, createdAt: Date,
        sentAt: Date? = nil, completedAt: Date? = nil, response: JSONValue? = nil, error: JSONValue? = nil,
        late: Bool = false
    ) {
        self.id = id
        self.chargePointId = chargePointId
        self.action = action
        self.protocolVersion = protocolVersion
        self.messageId = messageId
        self.payload = payload
        self.state = state
        self.createdAt = createdAt
        self.sentAt = sentAt
        self.completedAt = completedAt
        self.response = response
        self.error = error
        self.late = late
    }

    /// An error description `{"code", "message", "details"?}` for `error`.
    public static func errorValue(code: String, message: String, details: JSONValue? = nil) -> JSONValue {
        var object = JSONObject()
        object["code"] = .string(code)
        object["message"] = .string(message)
        if let details { object["details"] = details }
        return .object(object)
    }
}

/// A message a station sent that is kept as it came (NotifyReport, NotifyEvent, DataTransfer,
/// ...): one generic, indexed table of station reports (docs/commands.md).
public struct StationReport: Sendable, Equatable {
    /// Store-assigned id (increasing); `nil` before it is stored.
    public var id: Int64?
    /// The station.
    public var chargePointId: ChargePointID
    /// The action, e.g. `NotifyReport`.
    public var action: String
    /// The subprotocol of the session, e.g. `ocpp2.0.1`.
    public var protocolVersion: String
    /// The CALL's message id.
    public var messageId: String
    /// The `requestId` of the request this report answers, when the message has one.
    public var requestId: Int?
    /// The page number (`seqNo`) of a paged report.
    public var seqNo: Int?
    /// Whether more pages follow (`tbc`, "to be continued"; absent means false).
    public var tbc: Bool
    /// The validated request payload as received.
    public var payload: JSONValue
    /// When it was received.
    public var receivedAt: Date

    /// A report.
    public init(
        id: Int64? = nil, chargePointId: ChargePointID, action: String, protocolVersion: String, messageId: String,
        requestId: Int? = nil, seqNo: Int? = nil, tbc: Bool = false, payload: JSONValue, receivedAt: Date
    ) {
        self.id = id
        self.chargePointId = chargePointId
        self.action = action
        self.protocolVersion = protocolVersion
        self.messageId = messageId
        self.requestId = requestId
        self.seqNo = seqNo
        self.tbc = tbc
        self.payload = payload
        self.receivedAt = receivedAt
    }
}

/// A configuration key's last known value on a station (1.6 configuration key, or a 2.x
/// variable named `Component.Variable`), as read by GetConfiguration / GetVariables or set
/// by ChangeConfiguration / SetVariables.
public struct ConfigurationValue: Sendable, Equatable {
    /// The station.
    public var chargePointId: ChargePointID
    /// The key (1.6) or `Component.Variable` (2.x).
    public var key: String
    /// The value; `nil` when the station reported none.
    public var value: String?
    /// Whether the station reported the key read-only (`nil`: unknown).
    public var readonly: Bool?
    /// When it was learnt.
    public var updatedAt: Date

    /// A value.
    public init(chargePointId: ChargePointID, key: String, value: String?, readonly: Bool? = nil, updatedAt: Date) {
        self.chargePointId = chargePointId
        self.key = key
        self.value = value
        self.readonly = readonly
        self.updatedAt = updatedAt
    }
}

/// The reads of operator commands, station reports and cached configuration (part of
/// `CSMSStore`).
public protocol CommandStoreReading: Sendable {
    /// The command, if stored.
    func command(_ id: String) async throws(StoreError) -> CommandRecord?

    /// The station's commands, newest first (ties: by id descending), created strictly
    /// before `before` when given, at most `limit`.
    func commands(of id: ChargePointID, before: Date?, limit: Int) async throws(StoreError) -> [CommandRecord]

    /// The station's reports, ordered by id, optionally of one action and one request id,
    /// after `after`, at most `limit`.
    func stationReports(
        of id: ChargePointID, action: String?, requestId: Int?, after: Int64?, limit: Int
    ) async throws(StoreError) -> [StationReport]

    /// The station's cached configuration values, ordered by key.
    func configurationValues(of id: ChargePointID) async throws(StoreError) -> [ConfigurationValue]
}
