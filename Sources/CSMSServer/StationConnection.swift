import CSMSCore
public import CSMSProcessor
public import Foundation
import HummingbirdWebSocket
public import Logging
import NIOCore
public import NIOWebSocket
public import OCPP

/// One charge point's live WebSocket session: what the registry lists, and the way to send
/// to or close that station.
///
/// Inbound frames are read by `serve(inbound:)` one at a time, in arrival order, and each is
/// handed to the processor only after the previous one's answer has been written
/// (invariant 5; the processor commits before it returns, invariant 1).
public final class StationConnection: Sendable {
    /// The station, its negotiated version and this session's id.
    public let session: StationSession
    /// When the WebSocket was opened.
    public let connectedAt: Date
    /// A logger with the session's metadata.
    public let logger: Logger

    let outbound: WebSocketOutboundWriter
    private let processor: any InboundMessageHandling
    private let tracker: any OutboundCallTracking
    private let maxMessageSize: Int
    /// Inbound traffic, processing state and close reason (docs/reliability.md, "Liveness").
    let liveness: ConnectionLiveness

    init(
        session: StationSession, connectedAt: Date, outbound: WebSocketOutboundWriter,
        processor: any InboundMessageHandling, tracker: any OutboundCallTracking, maxMessageSize: Int, logger: Logger,
        liveness: ConnectionLiveness = .disabled()
    ) {
        self.liveness = liveness
        self.session = session
        self.connectedAt = connectedAt
        self.outbound = outbound
        self.processor = processor
        self.tracker = tracker
        self.maxMessageSize = maxMessageSize
        self.logger = logger.withSession(session)
    }

    /// Sends one text frame (a CALL, CALLRESULT or CALLERROR) to the station. The bytes go into
    /// the frame as they are (our serializer writes UTF-8), without a `String` in between.
    public func send(_ frame: [UInt8]) async throws {
        try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: frame))))
    }

    /// Starts the closing handshake with `code`; errors (an already closed channel) are ignored.
    public func close(code: WebSocketErrorCode, reason: String) async {
        do {
            try await outbound.close(code, reason: reason)
        } catch {
            logger.debug("close failed", metadata: ["error": "\(error)"])
        }
    }

    /// The priority of processing a station's message: below the tasks that accept
    /// connections and upgrade them to WebSocket (and the operator API), which inherit the
    /// server's. In a boot storm the single accept loop otherwise waited behind thousands of
    /// queued messages: 10,000 stations connecting at once on one core had 1-15 % of their
    /// connects wait 7-8 s in the kernel's accept queue, all Accepted after 10-12 s; at `.low`
    /// 5.5-7.2 s, steady throughput unchanged (docs/benchmarks.md, session 5).
    static let messagePriority = TaskPriority.low

    /// Reads messages until the station closes the connection.
    ///
    /// Throws what the WebSocket layer throws for a broken frame or an over-size message, so
    /// that the layer closes the connection with the matching code (1009 for size).
    func serve(inbound: WebSocketInboundStream) async throws {
        for try await message in inbound.messages(maxSize: maxMessageSize) {
            switch message {
            case .text(let text):
                // A replaced connection processes nothing more (one live session per station).
                guard liveness.beginProcessing() else { return }
                defer { liveness.endProcessing() }
                // In a task of its own: the pipeline's async frames are allocated on the running
                // task's stack allocator, which keeps its slabs until the task ends. On this
                // connection's long-lived task that was tens of KiB held by every idle station.
                // At `messagePriority`, below the accept loop and the WebSocket upgrades.
                // Detached: the pipeline reads no task-local values, and the connection task's
                // (the HTTP server's) were copied into every message's task.
                let processor = self.processor
                let session = self.session
                let logger = self.logger
                let result = await Task.detached(priority: Self.messagePriority) {
                    await processor.handle(Array(text.utf8), session: session, logger: logger)
                }.value
                switch result {
                case .reply(let frame):
                    try await send(frame)
                case .outboundReply(let reply):
                    await tracker.received(reply, on: session)
                case .none:
                    break
                case .replyAndClose(let frame, let reason):
                    try await send(frame)
                    logger.warning("closing the connection (policy violation)", metadata: ["reason": .string(reason)])
                    liveness.markClosing(.rateLimit)
                    await close(code: .policyViolation, reason: "rate limit exceeded")
                    return
                }
            case .binary:
                // OCPP-J carries JSON text only (2.0.1 Part 4 §4.1.3).
                logger.warning("binary WebSocket message refused; closing")
                liveness.markClosing(.protocolError)
                await close(code: .unacceptableData, reason: "OCPP-J uses text frames")
                return
            }
        }
    }
}

/// Receives the station's answers (CALLRESULT, CALLERROR, 2.1 CALLRESULTERROR) to CALLs the
/// CSMS sent. The operator-command feature supplies the real tracker (one outstanding CALL
/// per connection, timeouts, correlation by message id); until then replies are logged.
public protocol OutboundCallTracking: Sendable {
    /// A reply arrived on `session`.
    func received(_ reply: RPCFrame, on session: StationSession) async
    /// The session ended; calls waiting on it fail.
    func sessionEnded(_ session: StationSession) async
}

/// The tracker used while no outbound CALLs exist: every reply is unexpected and is logged.
public struct UnexpectedReplyLogger: OutboundCallTracking {
    private let logger: Logger

    /// A tracker that logs to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Logs the reply as unexpected (no CALL of ours is outstanding).
    public func received(_ reply: RPCFrame, on session: StationSession) async {
        logger.notice(
            "reply to no outstanding CALL ignored",
            metadata: [
                LogKey.chargePointId: .string(session.chargePointId.rawValue),
                LogKey.messageId: .string(reply.messageId),
            ])
    }

    /// Nothing is waiting.
    public func sessionEnded(_ session: StationSession) async {}
}
