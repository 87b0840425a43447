import NIOCore

/// The HTTP answer to a refused WebSocket opening handshake: status, reason phrase and the
/// extra header lines (e.g. `WWW-Authenticate: Basic realm="OCPP"`).
///
/// hummingbird-websocket 2.8.1 answers every refused upgrade with a bare `400 Bad Request`
/// and has no way to choose another status. OCPP 2.0.1 Part 2 A00.FR.205 (and the 1.6
/// security whitepaper, profile 1) want `401 Unauthorized` when the Basic credentials are
/// wrong, so the endpoint sends this value down the channel as a user outbound event before
/// it refuses, and `UpgradeRefusalRewriter` turns that one 400 into this answer.
struct UpgradeRefusalResponse: Sendable, Equatable {
    /// The status code, e.g. 401.
    var status: Int
    /// The reason phrase, e.g. `Unauthorized`.
    var reason: String
    /// Complete header lines (`Name: value`) without line ends.
    var headerLines: [String]

    /// `401 Unauthorized` with the Basic challenge (RFC 7617 §2).
    static let unauthorized = UpgradeRefusalResponse(
        status: 401, reason: "Unauthorized", headerLines: [#"WWW-Authenticate: Basic realm="OCPP", charset="UTF-8""#])

    /// `403 Forbidden`: the station may not connect this way (security profile too low).
    static let forbidden = UpgradeRefusalResponse(status: 403, reason: "Forbidden", headerLines: [])

    /// `429 Too Many Requests` with `Retry-After` in whole seconds (RFC 6585 §4).
    static func tooManyRequests(retryAfterSeconds: Int) -> UpgradeRefusalResponse {
        UpgradeRefusalResponse(
            status: 429, reason: "Too Many Requests", headerLines: ["Retry-After: \(max(1, retryAfterSeconds))"])
    }

    /// `503 Service Unavailable`: the credentials could not be checked.
    static let unavailable = UpgradeRefusalResponse(status: 503, reason: "Service Unavailable", headerLines: [])
}

/// Rewrites the status line of the one `HTTP/1.1 400` response that follows an
/// `UpgradeRefusalResponse` event; every other byte passes unchanged.
///
/// Sits in the child channel's pipeline right after TLS (or first), so it sees the bytes the
/// HTTP encoder produced. NIO's `HTTPResponseEncoder` writes a response head as one buffer,
/// so the status line is always at the start of one write.
final class UpgradeRefusalRewriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var pending: UpgradeRefusalResponse?

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let refusal = event as? UpgradeRefusalResponse else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        pending = refusal
        promise?.succeed()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let refusal = pending else {
            context.write(data, promise: promise)
            return
        }
        var buffer = unwrapOutboundIn(data)
        guard let rewritten = Self.rewrite(&buffer, as: refusal, allocator: context.channel.allocator) else {
            context.write(data, promise: promise)
            return
        }
        pending = nil
        context.write(wrapOutboundOut(rewritten), promise: promise)
    }

    /// `buffer` with its `HTTP/1.1 400 …` status line replaced by `refusal`'s status line and
    /// header lines; `nil` when `buffer` does not start with a 400 status line.
    static func rewrite(
        _ buffer: inout ByteBuffer, as refusal: UpgradeRefusalResponse, allocator: ByteBufferAllocator
    ) -> ByteBuffer? {
        let view = buffer.readableBytesView
        guard view.starts(with: "HTTP/1.1 400 ".utf8), let lineFeed = view.firstIndex(of: UInt8(ascii: "\n"))
        else { return nil }
        var out = allocator.buffer(capacity: buffer.readableBytes + 128)
        out.writeString("HTTP/1.1 \(refusal.status) \(refusal.reason)\r\n")
        for line in refusal.headerLines { out.writeString(line + "\r\n") }
        buffer.moveReaderIndex(forwardBy: lineFeed - view.startIndex + 1)
        out.writeBuffer(&buffer)
        return out
    }
}
