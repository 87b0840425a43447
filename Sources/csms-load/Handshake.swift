import CSMSLoadKit
import Foundation
import NIOCore
import NIOSSL
import NIOWebSocket

/// Where and how the stations connect.
struct TargetConfiguration: Sendable {
    /// Host name or address of the server.
    var host: String
    /// Port.
    var port: Int
    /// The path before the station id, with a trailing slash (`/ocpp/`).
    var pathPrefix: String
    /// Station ids are `PREFIX-000001`, ...
    var idPrefix: String
    /// HTTP Basic password (user = station id), security profile 1/2.
    var password: String?
    /// TLS context (wss), trusting the given CA.
    var tls: NIOSSLContext?
    /// Loopback source addresses, used round-robin (each has its own ephemeral ports).
    var sourceAddresses: [SocketAddress]
    /// How long a CALL may stay unanswered.
    var timeoutNanoseconds: UInt64
    /// Whether answers must be real OCPP answers (Accepted boot, a transactionId); off for
    /// the echo server, which answers `{}` to everything.
    var checkAnswers = true

    /// The server name for SNI and certificate checks.
    var tlsHostname: String? { host.first?.isNumber == true ? nil : host }

    /// The id of station `index`.
    func stationId(_ index: Int) -> String {
        idPrefix + "-" + String(repeating: "0", count: max(0, 6 - String(index).count)) + String(index)
    }

    /// The local address station `index` binds to (nil: the kernel's choice).
    func sourceAddress(for index: Int) -> SocketAddress? {
        sourceAddresses.isEmpty ? nil : sourceAddresses[index % sourceAddresses.count]
    }

    /// The opening handshake of `station` (RFC 6455 §4.1, OCPP-J §3: the subprotocol names the
    /// OCPP version; Basic authentication for security profiles 1 and 2).
    func handshake(for station: Station) -> String {
        var key = [UInt8](repeating: 0, count: 16)
        for index in key.indices { key[index] = UInt8.random(in: 0...255) }
        return WebSocketHandshake.request(
            host: host, port: port, path: pathPrefix + station.id, subprotocol: station.version.subprotocol, key: key,
            basicAuth: password.map { (station.id, $0) })
    }
}

/// Sends the WebSocket opening handshake, reads the answer, and on `101 Switching Protocols`
/// with the offered subprotocol puts the frame codec and the station in its place.
final class HandshakeHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let station: Station
    private let request: String
    private var received: ByteBuffer?
    private var done = false

    init(station: Station, request: String) {
        self.station = station
        self.request = request
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done { fail(context, "closed during the handshake") }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done { fail(context, "handshake error (\(LoopDriver.describe(error)))") }
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        var incoming = unwrapInboundIn(data)
        if received == nil {
            received = incoming
        } else {
            received!.writeBuffer(&incoming)
        }
        guard var buffer = received else { return }
        let view = buffer.readableBytesView
        guard let end = Self.endOfHead(view) else {
            if view.count > 16_384 { fail(context, "handshake answer too long") }
            return
        }
        let head = String(decoding: view.prefix(end), as: UTF8.self)
        buffer.moveReaderIndex(forwardBy: end + 4)
        if let refusal = WebSocketHandshake.refusal(head: head, subprotocol: station.version.subprotocol) {
            fail(context, refusal)
            return
        }
        done = true
        do {
            let pipeline = context.pipeline.syncOperations
            // In this order (head to tail): the station's writes pass the encoder.
            typealias Position = ChannelPipeline.SynchronousOperations.Position
            let decoder = ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20))
            let encoder = WebSocketFrameEncoder()
            try pipeline.addHandler(decoder, position: Position.after(self))
            try pipeline.addHandler(encoder, position: Position.after(decoder))
            try pipeline.addHandler(station, position: Position.after(encoder))
        } catch {
            fail(context, "pipeline")
            return
        }
        if buffer.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(buffer)) }
        received = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func fail(_ context: ChannelHandlerContext, _ reason: String) {
        done = true
        station.driver.stationFailed(station, reason: reason)
        context.close(promise: nil)
    }

    /// The offset of `\r\n\r\n` in `bytes`, if there.
    static func endOfHead(_ bytes: ByteBufferView) -> Int? {
        var index = bytes.startIndex
        let end = bytes.endIndex
        while index + 3 < end {
            if bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
                return index - bytes.startIndex
            }
            index += 1
        }
        return nil
    }
}
