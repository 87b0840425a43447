import NIOCore
import Synchronization

/// Why a station connection ended (availability history, metric `csms.connections.closed{reason}`).
public enum ConnectionCloseReason: String, Sendable, Equatable, CaseIterable {
    /// The station closed the WebSocket or the TCP connection.
    case closedByStation = "closed_by_station"
    /// A newer connection of the same station took over (`sessions.duplicatePolicy`).
    case replaced
    /// A ping stayed unanswered (no inbound traffic) for `websocket.pongTimeout`.
    case halfOpen = "half_open"
    /// Silent for longer than the heartbeat interval times `liveness.heartbeatTolerance`.
    case missedHeartbeats = "missed_heartbeats"
    /// The server shut down (close 1001).
    case shutdown
    /// The station kept flooding (close 1008).
    case rateLimit = "rate_limit"
    /// A protocol error (binary frame, over-size message, broken frame).
    case protocolError = "protocol_error"
}

/// The liveness rules for one connection, as a pure state machine driven with explicit times
/// (docs/reliability.md, "Liveness"): a connection with no inbound traffic for `pingInterval`
/// is pinged; when nothing at all arrives within `pongTimeout` after the ping it is half-open;
/// a connection silent for longer than `silenceLimit` (heartbeat interval x tolerance) missed
/// its heartbeats. Inbound traffic is any byte received: frames and pongs alike.
struct LivenessState: Sendable, Equatable {
    /// What the monitor does for the connection now.
    enum Action: Sendable, Equatable {
        case nothing
        case ping
        case close(ConnectionCloseReason)
    }

    let pingInterval: Duration?
    let pongTimeout: Duration
    let silenceLimit: Duration?
    private(set) var lastInbound: ContinuousClock.Instant
    private(set) var pingSentAt: ContinuousClock.Instant?

    init(
        pingInterval: Duration?, pongTimeout: Duration, silenceLimit: Duration?, start: ContinuousClock.Instant
    ) {
        self.pingInterval = pingInterval
        self.pongTimeout = pongTimeout
        self.silenceLimit = silenceLimit
        self.lastInbound = start
    }

    /// Something arrived at `now`.
    mutating func inbound(at now: ContinuousClock.Instant) {
        if now > lastInbound { lastInbound = now }
        pingSentAt = nil
    }

    /// The action due at `now`; `busy` (a message is being processed) counts as alive.
    mutating func evaluate(now: ContinuousClock.Instant, busy: Bool) -> Action {
        if busy {
            inbound(at: now)
            return .nothing
        }
        if let silenceLimit, now - lastInbound > silenceLimit { return .close(.missedHeartbeats) }
        guard let pingInterval else { return .nothing }
        if let pingSentAt {
            return now - pingSentAt >= pongTimeout ? .close(.halfOpen) : .nothing
        }
        guard now - lastInbound >= pingInterval else { return .nothing }
        pingSentAt = now
        return .ping
    }

    /// The latest moment a silent connection is closed, from its last inbound traffic.
    var detectionBound: Duration? {
        let halfOpen = pingInterval.map { $0 + pongTimeout }
        switch (halfOpen, silenceLimit) {
        case (let a?, let b?): return min(a, b)
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (nil, nil): return nil
        }
    }
}

/// Liveness bookkeeping of one connection, shared between its channel (inbound bytes), its
/// serve loop (processing) and the `LivenessMonitor`.
final class ConnectionLiveness: Sendable {
    private struct State {
        var machine: LivenessState
        var busy = false
        var retired = false
        var closeReason: ConnectionCloseReason?
        var offlineRecorded = false
    }

    private let state: Mutex<State>
    /// The TCP channel, closed directly when the peer is gone (a close handshake would wait).
    let channel: (any Channel)?

    init(channel: (any Channel)?, pingInterval: Duration?, pongTimeout: Duration, silenceLimit: Duration?) {
        self.channel = channel
        state = Mutex(
            State(
                machine: LivenessState(
                    pingInterval: pingInterval, pongTimeout: pongTimeout, silenceLimit: silenceLimit, start: .now)))
    }

    /// A tracker that never pings nor times out (connections made without a channel, in tests).
    static func disabled() -> ConnectionLiveness {
        ConnectionLiveness(channel: nil, pingInterval: nil, pongTimeout: .seconds(10), silenceLimit: nil)
    }

    /// Bytes arrived.
    func noteInbound() {
        let now = ContinuousClock.now
        state.withLock { $0.machine.inbound(at: now) }
    }

    /// When bytes last arrived.
    var lastInbound: ContinuousClock.Instant { state.withLock { $0.machine.lastInbound } }

    /// The monitor's action for now.
    func evaluate(now: ContinuousClock.Instant = .now) -> LivenessState.Action {
        state.withLock { s in s.retired ? .nothing : s.machine.evaluate(now: now, busy: s.busy) }
    }

    /// Marks a message as being processed; `false` when the connection was retired (replaced),
    /// so that the message is not processed.
    func beginProcessing() -> Bool {
        state.withLock { s in
            guard !s.retired else { return false }
            s.busy = true
            return true
        }
    }

    /// The message is done.
    func endProcessing() {
        state.withLock { $0.busy = false }
    }

    /// Stops processing further messages; returns whether one is in progress now.
    func retire() -> Bool {
        state.withLock { s in
            s.retired = true
            return s.busy
        }
    }

    /// Whether a message is being processed.
    var isBusy: Bool { state.withLock { $0.busy } }

    /// Records why the connection is being closed; the first reason wins.
    func markClosing(_ reason: ConnectionCloseReason) {
        state.withLock { s in
            if s.closeReason == nil { s.closeReason = reason }
        }
    }

    /// `true` for the first caller only: the one that records the offline transition.
    func claimOfflineRecord() -> Bool {
        state.withLock { s in
            defer { s.offlineRecorded = true }
            return !s.offlineRecorded
        }
    }

    /// The reason given by whoever closed the connection, if any.
    var closeReason: ConnectionCloseReason? { state.withLock { $0.closeReason } }
}

/// Notes every inbound read of a station's channel in its `ConnectionLiveness`. Added at the
/// front of the pipeline, it sees raw bytes: data frames, pongs and close frames alike.
final class InboundActivityHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let liveness: ConnectionLiveness

    init(liveness: ConnectionLiveness) { self.liveness = liveness }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        liveness.noteInbound()
        context.fireChannelRead(data)
    }
}
