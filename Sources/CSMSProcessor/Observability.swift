import CSMSCore
import CoreMetrics
import Foundation
public import Logging
import Metrics
import OCPP

// Logging keys and metrics of the processor, each name defined once.

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
    /// This logger with the station's session metadata (charge point id, version, session):
    /// the logger a connection builds once and hands to the processor with every frame.
    public func withSession(_ session: StationSession) -> Logger {
        var logger = self
        logger[metadataKey: LogKey.chargePointId] = .string(session.chargePointId.rawValue)
        logger[metadataKey: LogKey.version] = .string(session.version.description)
        logger[metadataKey: LogKey.sessionId] = .string(session.sessionId.uuidString)
        return logger
    }

    /// This logger with one message's metadata (message id, action and, when set, correlation id).
    func withMessage(id: String, action: String, correlationId: String) -> Logger {
        var logger = self
        logger[metadataKey: LogKey.messageId] = .string(id)
        logger[metadataKey: LogKey.action] = .string(action)
        if !correlationId.isEmpty { logger[metadataKey: LogKey.correlationId] = .string(correlationId) }
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

/// The processor's metrics (swift-metrics), with their names and dimensions in one place.
/// The observability issue extends this; keep label values bounded (no station input).
struct ProcessorMetrics: Sendable {
    /// Counter: every inbound frame; dimensions `version`, `action`, `frame_type`.
    static let messagesReceived = "ocpp.messages.received"
    /// Timer: time from a CALL/SEND entering the pipeline to its answer being ready
    /// (commit included); dimensions `action`, `outcome` (`result`, `replayed`, `error`, `handled`).
    static let handlerDuration = "ocpp.handler.duration"
    /// Counter: messages over their station's rate limit; dimensions `version`, `action`,
    /// `outcome` (`refused`, or `admitted` for transaction messages).
    static let rateLimited = "csms.rate_limit.exceeded"

    /// `action` for frames that carry none (replies, undecodable frames).
    static let noAction = "none"
    /// `frame_type` for a frame that could not be decoded.
    static let invalidFrame = "invalid"

    let factory: any MetricsFactory
    /// The counters and timers made so far (one factory call per label and dimensions).
    let handles = MetricHandles()

    /// Counts one received frame.
    func received(version: OCPPVersion, action: String, frameType: String) {
        handles.counter(
            Self.messagesReceived,
            [("version", version.description), ("action", action), ("frame_type", frameType)],
            factory: factory
        ).increment()
    }

    /// Records how long a CALL or SEND took and how it ended.
    func handled(action: String, outcome: String, duration: Duration) {
        handles.timer(Self.handlerDuration, [("action", action), ("outcome", outcome)], factory: factory)
            .record(duration: duration)
    }

    /// Counter: messages kept as dead letters; dimension `reason`.
    static let deadLetters = "csms.dead_letters"

    /// Counts the dead letters among `writes` (after they were committed).
    func deadLettersStored(_ writes: [StoreWrite]) {
        for case .addDeadLetter(let letter) in writes {
            handles.counter(Self.deadLetters, [("reason", letter.reason)], factory: factory).increment()
        }
    }

    /// Counts one message over its station's rate limit.
    func rateLimited(version: OCPPVersion, action: String, outcome: String) {
        handles.counter(
            Self.rateLimited, [("version", version.description), ("action", action), ("outcome", outcome)],
            factory: factory
        ).increment()
    }
}

extension RPCFrame.MessageType {
    /// The `frame_type` metric dimension.
    var metricLabel: String {
        switch self {
        case .call: "call"
        case .callResult: "call_result"
        case .callError: "call_error"
        case .callResultError: "call_result_error"
        case .send: "send"
        }
    }
}

/// Pipeline step: counts the CALL/SEND and times everything after it.
struct MetricsStep: CallStep {
    let metrics: ProcessorMetrics

    func enter(_ call: inout InboundCall) async -> CallOutcome? {
        metrics.received(
            version: call.session.version, action: call.actionLabel, frameType: call.messageType.metricLabel)
        call.metricsStart = .now
        return nil
    }

    func leave(_ call: InboundCall, _ outcome: CallOutcome) async -> CallOutcome {
        if let start = call.metricsStart {
            metrics.handled(action: call.actionLabel, outcome: outcome.metricLabel, duration: start.duration(to: .now))
        }
        return outcome
    }
}
