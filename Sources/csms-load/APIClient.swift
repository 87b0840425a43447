import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP answer of the operator API.
struct APIResponse: Sendable {
    var status: Int
    var body: [UInt8]

    /// The body as a JSON object (nil when it is not one).
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

/// Failures of the API client.
struct APIClientError: Error, CustomStringConvertible {
    var description: String
}

/// One keep-alive HTTP/1.1 connection to the operator API, one request at a time (the
/// `commands` scenario runs one per concurrent client). Reconnects once when the server has
/// closed it.
final class APIConnection: @unchecked Sendable {
    private let group: any EventLoopGroup
    private let host: String
    private let port: Int
    private let token: String?
    private var channel: (any Channel)?
    private var collector: ResponseCollector?

    init(group: any EventLoopGroup, host: String, port: Int, token: String?) {
        self.group = group
        self.host = host
        self.port = port
        self.token = token
    }

    /// Sends one request and waits for the whole answer.
    func request(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> APIResponse {
        do {
            return try await attempt(method, path, body: body)
        } catch {
            channel = nil
            return try await attempt(method, path, body: body)
        }
    }

    func close() async {
        try? await channel?.close()
        channel = nil
    }

    private func attempt(_ method: HTTPMethod, _ path: String, body: String?) async throws -> APIResponse {
        if channel == nil || channel?.isActive != true {
            let collector = ResponseCollector()
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    do {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(collector)
                        return channel.eventLoop.makeSucceededVoidFuture()
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                }
                .connect(host: host, port: port).get()
            self.channel = channel
            self.collector = collector
        }
        guard let channel, let collector else { throw APIClientError(description: "no connection") }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
        } else if method == .POST || method == .PUT {
            headers.add(name: "Content-Length", value: "0")
        }
        let buffer = body.map { channel.allocator.buffer(string: $0) }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let future = channel.eventLoop.flatSubmit { () -> EventLoopFuture<APIResponse> in
            let promise = channel.eventLoop.makePromise(of: APIResponse.self)
            collector.expect(promise)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let buffer { channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            return promise.futureResult
        }
        return try await future.get()
    }
}

/// Collects one response at a time into a promise. Confined to its channel's event loop.
private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private var promise: EventLoopPromise<APIResponse>?
    private var status = 0
    private var body: [UInt8] = []

    func expect(_ promise: EventLoopPromise<APIResponse>) {
        self.promise = promise
        status = 0
        body = []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(var part): body += part.readBytes(length: part.readableBytes) ?? []
        case .end:
            promise?.succeed(APIResponse(status: status, body: body))
            promise = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.fail(APIClientError(description: "connection closed"))
        promise = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise?.fail(error)
        promise = nil
        context.close(promise: nil)
    }
}
