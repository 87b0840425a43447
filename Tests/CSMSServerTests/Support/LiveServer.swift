import CSMSCore
import CSMSExternalAuth
import CSMSProcessor
import CSMSServer
import Foundation
import Hummingbird
import HummingbirdWSClient
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// A `CSMSServer` on 127.0.0.1, port 0, running in-process for the length of a test.
struct LiveServer {
    let port: Int
    let store: TestStore
    let processor: EchoProcessor
    let registry: ConnectionRegistry
    let logLines: LogCapture
    /// Starts the server's graceful shutdown (as SIGTERM would).
    let shutdown: @Sendable () async -> Void

    static let apiToken = "test-token-0123456789"

    /// The configuration tests start from: port 0, pings off, a token, fast shutdown.
    static func configuration() -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.apiToken = apiToken
        configuration.webSocket.pingInterval = nil
        configuration.shutdownGracePeriod = .seconds(3)
        configuration.database = .sqlite(path: DatabaseLocation.inMemoryPath)
        return configuration
    }

    /// Starts a server, runs `body`, then shuts the server down gracefully and waits for it.
    /// `realProcessor` swaps the echo double for the production `MessageProcessor` (with the
    /// given configuration) over `store`.
    static func with(
        _ configuration: ServerConfiguration = LiveServer.configuration(), store: TestStore = TestStore(),
        realProcessor: ProcessorConfiguration? = nil, metrics: PrometheusExposition? = nil,
        externalAuthorizer: WebhookAuthorizer? = nil, externalCA: ExternalCASigner? = nil,
        _ body: (LiveServer) async throws -> Void
    ) async throws {
        let capture = LogCapture()
        let logger = capture.logger(level: .debug)
        let processor = EchoProcessor()
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let server = CSMSServer(
            configuration: configuration, store: store,
            processor: realProcessor.map {
                MessageProcessor(
                    store: store, configuration: $0, logger: logger,
                    metricsFactory: metrics?.factory ?? MetricsSystem.factory)
            } ?? processor,
            logger: logger, metrics: metrics,
            onListening: { portContinuation.yield($0) }, externalAuthorizer: externalAuthorizer,
            externalCA: externalCA)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw RawHTTP.Failure(description: "server did not start") }
            let live = LiveServer(
                port: port, store: store, processor: processor, registry: server.registry, logLines: capture,
                shutdown: { await group.triggerGracefulShutdown() })
            do {
                try await body(live)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// `ws://127.0.0.1:PORT/ocpp/{id}`.
    func url(_ id: String) -> String { "ws://127.0.0.1:\(port)/ocpp/\(id)" }

    /// An API request with the test token (or `token`, or none when `token` is "").
    func api(
        _ method: String = "GET", _ path: String, token: String = LiveServer.apiToken, body: String? = nil
    ) async throws -> RawHTTP.Response {
        let headers = token.isEmpty ? [:] : ["Authorization": "Bearer \(token)"]
        return try await RawHTTP.request(port: port, method: method, path: path, headers: headers, body: body)
    }

    /// Connects as a station offering `subprotocols`, runs `body` with the open connection,
    /// and returns the close frame the server sent (if any).
    @discardableResult
    func station(
        _ id: String, subprotocols: [String] = ["ocpp1.6"], maxFrameSize: Int = 1 << 20,
        _ body: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> Void
    ) async throws -> WebSocketCloseFrame? {
        var headers = HTTPFields()
        headers[.secWebSocketProtocol] = subprotocols.joined(separator: ", ")
        return try await WebSocketClient.connect(
            url: url(id), configuration: .init(maxFrameSize: maxFrameSize, additionalHeaders: headers),
            logger: Logger(label: "test-station")
        ) { inbound, outbound, _ in
            try await body(inbound, outbound)
        }
    }
}

/// Collects log lines written by `JSONLogHandler`.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "csms-test") { label in
            JSONLogHandler(label: label, write: { line in self.lines.withLock { $0.append(line) } })
        }
        logger.logLevel = level
        return logger
    }

    var all: [String] { lines.withLock { $0 } }

    /// The lines parsed as JSON objects.
    func objects() -> [[String: Any]] {
        all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
