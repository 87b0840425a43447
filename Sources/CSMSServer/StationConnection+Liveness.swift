import Foundation
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

extension StationConnection {
    /// Sends a WebSocket ping without waiting for the write (a peer that stopped reading could
    /// hold it back); the answer shows as inbound traffic in `liveness`.
    func sendPing() {
        let outbound = self.outbound
        Task {
            var payload = ByteBuffer()
            payload.writeString("csms-liveness")
            try? await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .ping, data: payload)))
        }
    }

    /// Whether the station shows any sign of life within `timeout` of a ping: inbound traffic
    /// after the ping (its pong, or any frame), or a message being processed.
    func answersPing(within timeout: Duration) async -> Bool {
        let sentAt = ContinuousClock.now
        if liveness.isBusy { return true }
        sendPing()
        let deadline = sentAt.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if liveness.lastInbound > sentAt || liveness.isBusy { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return liveness.lastInbound > sentAt
    }

    /// Ends the connection for `reason`: a close frame with `code` is attempted, then the TCP
    /// connection is closed without waiting for the peer's close (it may be gone).
    func terminate(_ reason: ConnectionCloseReason, code: WebSocketErrorCode, message: String) async {
        liveness.markClosing(reason)
        Task { await self.close(code: code, reason: message) }
        try? await Task.sleep(for: .milliseconds(100))
        guard let channel = liveness.channel else { return }
        try? await channel.close()
    }

    /// Stops this (replaced) connection from processing more messages, closes it with
    /// `code`, and waits (at most `limit`) until the message it is processing, if any, is done,
    /// so that two sessions of one station never process at the same time.
    func retire(code: WebSocketErrorCode, message: String, limit: Duration = .seconds(30)) async {
        liveness.markClosing(.replaced)
        var busy = liveness.retire()
        Task { await self.close(code: code, reason: message) }
        // A peer that is gone never completes the closing handshake: cut it off after a second.
        let channel = liveness.channel
        Task {
            try? await Task.sleep(for: .seconds(1))
            try? await channel?.close()
        }
        let deadline = ContinuousClock.now.advanced(by: limit)
        while busy, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
            busy = liveness.isBusy
        }
    }
}
