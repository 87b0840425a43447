public import CSMSCore
public import Foundation
public import Logging
public import OCPP

/// One station's live WebSocket session, as the processor sees it.
public struct StationSession: Sendable, Equatable {
    /// The station.
    public let chargePointId: ChargePointID
    /// The negotiated OCPP version.
    public let version: OCPPVersion
    /// The peer's address, for logs.
    public let remoteAddress: String?
    /// Unique per connection, for logs and for telling two sessions of one station apart.
    public let sessionId: UUID
    /// Whether the station authenticated with a verified client certificate (security profile 3).
    public let hasClientCertificate: Bool

    /// A session.
    public init(
        chargePointId: ChargePointID, version: OCPPVersion, remoteAddress: String? = nil, sessionId: UUID = UUID(),
        hasClientCertificate: Bool = false
    ) {
        self.chargePointId = chargePointId
        self.version = version
        self.remoteAddress = remoteAddress
        self.sessionId = sessionId
        self.hasClientCertificate = hasClientCertificate
    }
}

/// What the connection does after the processor has seen one inbound text frame.
public enum InboundResult: Sendable, Equatable {
    /// Write this frame (a CALLRESULT or CALLERROR) back to the station.
    case reply([UInt8])
    /// A CALLRESULT / CALLERROR / CALLRESULTERROR from the station answering one of our
    /// outbound CALLs: hand it to the connection's outbound-call tracker.
    case outboundReply(RPCFrame)
    /// Nothing to send (an ignored frame, or a 2.1 SEND).
    case none
    /// Write this frame back, then close the connection with 1008 (policy violation) and
    /// `reason` (a station flooding past its rate limit).
    case replyAndClose([UInt8], reason: String)
}

/// The message processor's entry point. The server's connection calls it once per inbound
/// text frame, one frame at a time per station, in arrival order (invariant 5), and writes
/// the reply only after `handle` returns (by then the state change is committed, invariant 1).
public protocol InboundMessageHandling: Sendable {
    /// Processes one inbound frame of `session`. Never throws: every failure becomes a
    /// CALLERROR, an ignored frame, or a dead letter. `logger` is the connection's, already
    /// carrying the session's metadata (`LogKey.chargePointId`, `.version`, `.sessionId`):
    /// built once per connection, not per message.
    func handle(_ frame: [UInt8], session: StationSession, logger: Logger) async -> InboundResult

    /// Re-runs a stored dead letter through the pipeline (operator replay; see
    /// `MessageProcessor.replay(_:)`).
    func replay(_ letter: DeadLetter) async -> DeadLetterReplayOutcome

    /// Moves spilled transaction messages into the database once it is reachable; returns
    /// how many (see `MessageProcessor.replaySpilled()`).
    func replaySpilled() async -> Int
}

extension InboundMessageHandling {
    /// A processor without a spill file has nothing to move.
    public func replaySpilled() async -> Int { 0 }
}
