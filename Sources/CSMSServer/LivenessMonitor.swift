import Logging
import NIOWebSocket
import ServiceLifecycle

/// Pings idle station connections and closes the ones that stopped answering
/// (docs/reliability.md, "Liveness"): a connection with no inbound traffic for
/// `websocket.pingInterval` is pinged; if nothing arrives within `websocket.pongTimeout` it is
/// closed as half-open; a connection silent for longer than the heartbeat interval x
/// `liveness.heartbeatTolerance` is closed for missed heartbeats. Either way the TCP
/// connection is closed without waiting for a close handshake.
struct LivenessMonitor: Service, CustomStringConvertible {
    var description: String { "LivenessMonitor" }

    let registry: ConnectionRegistry
    /// The check interval, asked before every round (it follows the live settings).
    let tick: @Sendable () -> Duration
    let logger: Logger

    /// The check interval for these settings: a fifth of the shortest period, 20 ms to 1 s.
    static func tick(pingInterval: Duration?, pongTimeout: Duration, silenceLimit: Duration) -> Duration {
        let shortest = [pingInterval, pongTimeout, silenceLimit].compactMap { $0 }.min() ?? .seconds(1)
        return min(max(shortest / 5, .milliseconds(20)), .seconds(1))
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await check()
                try? await Task.sleep(for: tick())
            }
        }
    }

    /// One round over every connection.
    func check() async {
        for connection in registry.all {
            switch connection.liveness.evaluate() {
            case .nothing:
                continue
            case .ping:
                connection.sendPing()
            case .close(let reason):
                connection.logger.warning(
                    reason == .halfOpen
                        ? "no answer to the ping; closing the half-open connection"
                        : "station silent for longer than its heartbeat interval allows; marking it offline",
                    metadata: ["reason": .string(reason.rawValue)])
                Task {
                    await connection.terminate(
                        reason, code: .goingAway,
                        message: reason == .halfOpen ? "ping timeout" : "heartbeat missed")
                }
            }
        }
    }
}
