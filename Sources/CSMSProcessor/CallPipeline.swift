import CSMSCore
import Foundation
import Logging
import OCPP

/// One inbound CALL (or 2.1 SEND) on its way through the pipeline. Steps enrich it (logger
/// metadata, correlation id, decoded request) and pass it on.
struct InboundCall: Sendable {
    /// The station's session.
    let session: StationSession
    /// `.call` or `.send`.
    let messageType: RPCFrame.MessageType
    /// The message id, action and raw payload.
    let call: RPCCall
    /// The frame as received (for dead letters).
    let rawFrame: [UInt8]
    /// The registry's entry for the action; `nil` when the version does not define it.
    let descriptor: ActionDescriptor?
    /// When the processor received the frame.
    let receivedAt: Date
    /// The session's logger (station, version, session id). `logger` adds the message's keys.
    var sessionLogger: Logger
    /// Set by the context step; sent back in CALLERROR details.
    var correlationId: String = ""
    /// The validated request, set by the validation step.
    var request: (any OCPPPayload)? = nil
    /// The dead letter this call replays (`MessageProcessor.replay`), if any: a failure then
    /// counts an attempt on that letter instead of adding a new one, and a success removes it.
    var replayOf: Int64? = nil
    /// Whether a failed commit may put the message into the spill file (not for replays).
    var maySpill = true
    /// Whether the call is a message being moved out of the spill file (it stays there while
    /// the database takes no writes, rather than becoming a dead letter).
    var fromSpill = false

    /// Whether a reply may be sent (a SEND never gets one).
    var expectsReply: Bool { messageType == .call }

    /// The logger with the session's and the message's metadata (message id, action,
    /// correlation id). Built on each use, so that a message that logs nothing pays nothing for
    /// its metadata: check `logs(_:)` first for lines logged on every message.
    var logger: Logger {
        sessionLogger.withMessage(id: call.messageId, action: actionName, correlationId: correlationId)
    }

    /// The action's name for log lines: the registry's, or the station's made log-safe.
    var actionName: String { descriptor?.name ?? logSafe(call.action) }

    /// Whether a line at `level` would be logged.
    func logs(_ level: Logger.Level) -> Bool { sessionLogger.logLevel <= level }

    /// The action name for metrics and logs: the registry's name, or `unknown` for an action
    /// the version does not define (so that station input cannot grow label cardinality).
    var actionLabel: String { descriptor?.name ?? "unknown" }

    /// The write that keeps this message as a dead letter: a new letter, or, when the call
    /// replays one, another failed attempt on it.
    func deadLetterWrite(reason: String, error: String) -> StoreWrite {
        if let replayOf { return .recordDeadLetterAttempt(id: replayOf, error: "\(reason): \(error)") }
        return .addDeadLetter(
            DeadLetter(
                chargePointId: session.chargePointId, protocolVersion: session.version.rawValue,
                rawFrame: String(decoding: rawFrame, as: UTF8.self), reason: reason, error: error,
                receivedAt: receivedAt))
    }
}

/// What the pipeline decided for one CALL: the answer and the state changes that must be
/// committed before the answer leaves (invariant 1).
struct CallOutcome: Sendable {
    /// The answer to send.
    enum Answer: Sendable {
        /// A CALLRESULT with this payload.
        case result(JSONValue)
        /// A CALLERROR.
        case error(RPCCallError)
        /// A CALLRESULT already encoded (to be stored for retries with these exact bytes).
        case encoded([UInt8])
        /// The stored answer to an earlier message with the same id and content.
        case replayed([UInt8])
        /// Nothing (a SEND was handled).
        case none
    }

    /// The answer.
    var answer: Answer
    /// Writes to commit, in order, atomically, before the answer is sent.
    var writes: [StoreWrite]
    /// Set when the connection must be closed (policy violation) after the answer is sent:
    /// the reason, for the close frame and the log.
    var closeConnection: String? = nil
    /// Set when nothing of the message could be stored, not even its dead letter (the spill
    /// replay then keeps the message in the spill file).
    var nothingStored = false
    /// The level of the "answered with CALLERROR" line: `debug` for refusals that are logged
    /// once per episode elsewhere (a rate-limit flood must not flood the log too).
    var errorLogLevel: Logger.Level = .notice

    /// A CALLERROR with no writes.
    static func error(_ code: OCPPErrorCode, _ description: String, messageId: String) -> CallOutcome {
        CallOutcome(
            answer: .error(RPCCallError(messageId: messageId, code: code, description: description)), writes: [])
    }

    /// An InternalError whose message is also kept as a dead letter (committed by the
    /// commit step, which logs if even that fails).
    static func internalFailure(_ call: InboundCall, reason: String, error: String) -> CallOutcome {
        CallOutcome(
            answer: .error(
                RPCCallError(
                    messageId: call.call.messageId, code: .internalError,
                    description: "the message could not be processed (\(reason))")),
            writes: [call.deadLetterWrite(reason: reason, error: error)])
    }

    /// The outcome's label for the `ocpp.handler.duration` metric.
    var metricLabel: String {
        switch answer {
        case .result, .encoded: "result"
        case .replayed: "replayed"
        case .error: "error"
        case .none: "handled"
        }
    }
}

/// One step of the pipeline around the router. A step may answer itself (the registration
/// gate, a replayed answer) or call `next` and look at or change what comes back.
protocol CallStep: Sendable {
    /// Processes `call`, usually by calling `next` with it.
    func process(_ call: InboundCall, next: CallChain) async -> CallOutcome
}

/// The steps after the current one, ending in the router.
struct CallChain: Sendable {
    /// The steps still to run.
    let steps: ArraySlice<any CallStep>
    /// The end of the chain: the router's handler for the action.
    let dispatch: HandlerDispatch

    /// Runs the remaining steps and the handler on `call`.
    func callAsFunction(_ call: InboundCall) async -> CallOutcome {
        guard let step = steps.first else { return await dispatch.dispatch(call) }
        return await step.process(call, next: CallChain(steps: steps.dropFirst(), dispatch: dispatch))
    }
}
