import CSMSCore
import Foundation
import Logging
import OCPP

/// One inbound CALL (or 2.1 SEND) on its way through the pipeline. Steps enrich it (logger
/// metadata, correlation id, decoded request) and pass it on.
///
/// What arrived is kept in one shared object (`Arrival`), and only what the steps change is
/// stored inline: the async frames that hold a copy of the call (every step's, the chain's)
/// then hold a reference to what arrived instead of all of it (`CallStep`).
struct InboundCall: Sendable {
    /// What the station sent, set once when the frame arrived.
    final class Arrival: Sendable {
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
        /// The session's logger (station, version, session id).
        let sessionLogger: Logger

        init(
            session: StationSession, messageType: RPCFrame.MessageType, call: RPCCall, rawFrame: [UInt8],
            descriptor: ActionDescriptor?, receivedAt: Date, sessionLogger: Logger
        ) {
            self.session = session
            self.messageType = messageType
            self.call = call
            self.rawFrame = rawFrame
            self.descriptor = descriptor
            self.receivedAt = receivedAt
            self.sessionLogger = sessionLogger
        }
    }

    /// What arrived.
    let arrival: Arrival
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
    /// When the metrics step let the call in (the handler duration is measured from there).
    var metricsStart: ContinuousClock.Instant? = nil
    /// The request digest, set by the idempotency step when the answer is to be stored.
    var requestDigest: String? = nil
    /// Whether the stored answer is looked up inside the commit (set with `requestDigest`).
    var answerCheckedAtCommit = false

    init(_ arrival: Arrival) { self.arrival = arrival }

    /// The station's session.
    var session: StationSession { arrival.session }
    /// `.call` or `.send`.
    var messageType: RPCFrame.MessageType { arrival.messageType }
    /// The message id, action and raw payload.
    var call: RPCCall { arrival.call }
    /// The frame as received (for dead letters).
    var rawFrame: [UInt8] { arrival.rawFrame }
    /// The registry's entry for the action; `nil` when the version does not define it.
    var descriptor: ActionDescriptor? { arrival.descriptor }
    /// When the processor received the frame.
    var receivedAt: Date { arrival.receivedAt }
    /// The session's logger (station, version, session id). `logger` adds the message's keys.
    var sessionLogger: Logger { arrival.sessionLogger }

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

/// One step of the pipeline around the router.
///
/// `enter` runs on the way in, outermost step first: it may enrich the call, or answer
/// itself (the registration gate, a replayed answer), which skips the steps inside it and the
/// handler. `leave` runs on the way out, innermost step first, for every step whose `enter`
/// let the call through, with the outcome of everything inside it.
///
/// The steps run one after the other, not nested in each other: only one step's async frame
/// is allocated at a time, on the message's task (about 5 KiB of the pipeline's frames live at
/// once for a StatusNotification, against 29 KiB nested; docs/benchmarks.md, session 12).
protocol CallStep: Sendable {
    /// On the way in: enriches `call`, and returns an answer to stop there or `nil` to go on.
    func enter(_ call: inout InboundCall) async -> CallOutcome?
    /// On the way out: looks at or changes the outcome of the steps inside and the handler.
    func leave(_ call: InboundCall, _ outcome: CallOutcome) async -> CallOutcome
}

extension CallStep {
    /// Lets the call through unchanged.
    func enter(_ call: inout InboundCall) async -> CallOutcome? { nil }
    /// Passes the outcome on unchanged.
    func leave(_ call: InboundCall, _ outcome: CallOutcome) async -> CallOutcome { outcome }
}

/// The pipeline: the steps around the router's handler (`CallStep`).
struct CallChain: Sendable {
    /// The steps, outermost first.
    let steps: [any CallStep]
    /// The end of the chain: the router's handler for the action.
    let dispatch: HandlerDispatch

    /// Runs the steps and the handler on `call`.
    func callAsFunction(_ call: InboundCall) async -> CallOutcome {
        var call = call
        var entered = 0
        var answer: CallOutcome? = nil
        while entered < steps.count {
            answer = await steps[entered].enter(&call)
            if answer != nil { break }
            entered += 1
        }
        var outcome: CallOutcome
        if let answer {
            outcome = answer
        } else {
            outcome = await dispatch.dispatch(call)
        }
        while entered > 0 {
            entered -= 1
            outcome = await steps[entered].leave(call, outcome)
        }
        return outcome
    }
}
