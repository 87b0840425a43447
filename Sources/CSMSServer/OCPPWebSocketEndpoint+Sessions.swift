import CSMSCore
import Foundation
import Logging
import Metrics
import NIOCore
import NIOWebSocket

/// Admission and end of station sessions (docs/reliability.md): connections per address, one
/// live session per station, availability transitions and connection metrics.
extension OCPPWebSocketEndpoint {
    /// Metric names.
    enum ConnectionMetric {
        /// Gauge: open station connections.
        static let active = "csms.connections.active"
        /// Counter: station connections admitted.
        static let opened = "csms.connections.opened"
        /// Counter: station connections ended; dimension `reason` (`ConnectionCloseReason`).
        static let closed = "csms.connections.closed"
    }

    /// Creates the connection's liveness tracker and puts its byte counter at the front of
    /// the channel's pipeline; `nil` when the channel is already gone.
    func installLiveness(on channel: any Channel) async -> ConnectionLiveness? {
        let heartbeat = configuration.processing.heartbeatInterval
        let tolerance = configuration.reliability.heartbeatTolerance
        let liveness = ConnectionLiveness(
            channel: channel, pingInterval: configuration.webSocket.pingInterval,
            pongTimeout: configuration.reliability.pongTimeout,
            silenceLimit: heartbeat * tolerance)
        do {
            try await channel.pipeline.addHandler(InboundActivityHandler(liveness: liveness), position: .first).get()
        } catch {
            return nil
        }
        return liveness
    }

    /// Admits `connection` or closes it: over the per-address limit (1008), while draining
    /// (1001), or as a duplicate of a live session under `refuse-new` (1008). A duplicate
    /// whose old session does not answer a ping (or any duplicate under `replace-old`)
    /// replaces the old session: the old one is retired (it processes nothing more) before
    /// the new one serves, so the two never process messages at the same time.
    func admit(_ connection: StationConnection) async -> Bool {
        let settings = configuration.reliability
        if let address = connection.session.remoteAddress {
            guard registry.acquireAddress(address, limit: settings.connectionsPerIP) else {
                connection.logger.warning(
                    "too many connections from this address; refused",
                    metadata: [
                        "security_event": "connection_limit", "limit": .stringConvertible(settings.connectionsPerIP),
                    ])
                await connection.close(code: .policyViolation, reason: "too many connections from this address")
                return false
            }
        }
        var expected: StationConnection?
        for _ in 0..<3 {
            switch registry.register(connection, replacing: expected) {
            case .draining:
                releaseAddress(of: connection)
                await connection.close(code: .goingAway, reason: "server shutting down")
                return false
            case .registered(let replaced):
                var transitions: [StoreWrite] = []
                if let replaced {
                    replaced.logger.notice("replaced by a new connection of the same charge point")
                    await replaced.retire(code: .normalClosure, message: "replaced by a new connection")
                    if replaced.liveness.claimOfflineRecord() { transitions.append(offline(replaced, .replaced)) }
                }
                transitions.append(
                    .recordAvailability(
                        AvailabilityEvent(
                            chargePointId: connection.session.chargePointId, at: clock.now(), state: .connected,
                            sessionId: connection.session.sessionId)))
                await record(transitions, connection)
                Counter(label: ConnectionMetric.opened).increment()
                Gauge(label: ConnectionMetric.active).record(registry.count)
                return true
            case .occupied(let old):
                let oldAnswers: Bool
                switch settings.duplicatePolicy {
                case .replaceOld: oldAnswers = false
                case .refuseNew: oldAnswers = await old.answersPing(within: settings.duplicatePingTimeout)
                }
                connection.logger.warning(
                    "second connection for a charge point with a live session",
                    metadata: [
                        "security_event": "duplicate_connection",
                        "policy": .string(settings.duplicatePolicy.rawValue),
                        "outcome": .string(oldAnswers ? "refused_new" : "replaced_old"),
                        "old_session_id": .string(old.session.sessionId.uuidString),
                    ])
                await events.record(
                    "duplicate_connection", chargePointId: connection.session.chargePointId,
                    techInfo: oldAnswers
                        ? "refused: the connection from \(old.session.remoteAddress ?? "unknown") answers"
                        : "replaced the connection from \(old.session.remoteAddress ?? "unknown")",
                    remoteAddress: connection.session.remoteAddress)
                if oldAnswers {
                    releaseAddress(of: connection)
                    await connection.close(
                        code: .policyViolation, reason: "another connection of this charge point is active")
                    return false
                }
                expected = old
            }
        }
        releaseAddress(of: connection)
        await connection.close(code: .policyViolation, reason: "another connection of this charge point is active")
        return false
    }

    /// Books the end of an admitted connection: its reason, metrics and the address count.
    func ended(_ connection: StationConnection, failed: Bool) async {
        let reason = connection.liveness.closeReason ?? (failed ? .protocolError : .closedByStation)
        if connection.liveness.claimOfflineRecord() { await record([offline(connection, reason)], connection) }
        // A flooding disconnect (reason .rateLimit) is stored as `csms.flooding` by the
        // processor's rate-limit step, with the rate and burst that were exceeded.
        releaseAddress(of: connection)  // before unregistering: whoever sees the count drop may reconnect
        registry.unregister(connection)
        Counter(label: ConnectionMetric.closed, dimensions: [("reason", reason.rawValue)]).increment()
        Gauge(label: ConnectionMetric.active).record(registry.count)
        connection.logger.info("station offline", metadata: ["reason": .string(reason.rawValue)])
    }

    private func offline(_ connection: StationConnection, _ reason: ConnectionCloseReason) -> StoreWrite {
        .recordAvailability(
            AvailabilityEvent(
                chargePointId: connection.session.chargePointId, at: clock.now(), state: .offline,
                reason: reason.rawValue, sessionId: connection.session.sessionId))
    }

    /// Stores availability transitions; a failure is logged (the history is diagnostic and
    /// never holds a connection up).
    private func record(_ writes: [StoreWrite], _ connection: StationConnection) async {
        do {
            try await store.commit(writes)
        } catch {
            connection.logger.warning("availability transition not stored", metadata: ["error": "\(error)"])
        }
    }

    private func releaseAddress(of connection: StationConnection) {
        if let address = connection.session.remoteAddress { registry.releaseAddress(address) }
    }
}
