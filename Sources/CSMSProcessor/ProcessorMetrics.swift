import CoreMetrics
import Foundation
import Metrics
import OCPP

/// The processor's metrics (swift-metrics), with their names and dimensions in one place.
/// The observability issue extends this; keep label values bounded (no station input).
struct ProcessorMetrics: Sendable {
    /// Counter: every inbound frame; dimensions `version`, `action`, `frame_type`.
    static let messagesReceived = "ocpp.messages.received"
    /// Timer: time from a CALL/SEND entering the pipeline to its answer being ready
    /// (commit included); dimensions `action`, `outcome` (`result`, `replayed`, `error`, `handled`).
    static let handlerDuration = "ocpp.handler.duration"

    /// `action` for frames that carry none (replies, undecodable frames).
    static let noAction = "none"
    /// `frame_type` for a frame that could not be decoded.
    static let invalidFrame = "invalid"

    let factory: any MetricsFactory

    /// Counts one received frame.
    func received(version: OCPPVersion, action: String, frameType: String) {
        Counter(
            label: Self.messagesReceived,
            dimensions: [("version", version.description), ("action", action), ("frame_type", frameType)],
            factory: factory
        ).increment()
    }

    /// Records how long a CALL or SEND took and how it ended.
    func handled(action: String, outcome: String, duration: Duration) {
        Timer(
            label: Self.handlerDuration, dimensions: [("action", action), ("outcome", outcome)], factory: factory
        ).record(duration: duration)
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

    func process(_ call: InboundCall, next: CallChain) async -> CallOutcome {
        metrics.received(
            version: call.session.version, action: call.actionLabel, frameType: call.messageType.metricLabel)
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = await next(call)
        metrics.handled(action: call.actionLabel, outcome: outcome.metricLabel, duration: start.duration(to: clock.now))
        return outcome
    }
}
