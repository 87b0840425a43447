import CSMSCore
import CSMSProcessor
import CSMSServer
import Foundation
import Hummingbird
import HummingbirdWSClient
import Logging
import NIOSSL
import ServiceLifecycle

/// A `CSMSServer` with the plain and the TLS listener on port 0, for the security tests.
struct SecureLiveServer {
    let port: Int
    let tlsPort: Int
    let store: TestStore
    let logLines: LogCapture

    /// Starts a server with `configuration` (its `tls` set by the caller), runs `body`,
    /// then shuts the server down gracefully and waits for it.
    static func with(
        _ configuration: ServerConfiguration, store: TestStore = TestStore(),
        _ body: (SecureLiveServer) async throws -> Void
    ) async throws {
        let capture = LogCapture()
        let logger = capture.logger(level: .debug)
        let (ports, portContinuation) = AsyncStream<(String, Int)>.makeStream()
        let server = CSMSServer(
            configuration: configuration, store: store, processor: EchoProcessor(), logger: logger,
            onListening: { portContinuation.yield(("plain", $0)) },
            onTLSListening: { portContinuation.yield(("tls", $0)) })
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // A server that fails to start ends the port stream, so the wait below ends too.
                defer { portContinuation.finish() }
                try await group.run()
            }
            var found: [String: Int] = [:]
            for await (name, port) in ports {
                found[name] = port
                if found.count == (configuration.tls == nil ? 1 : 2) { break }
            }
            guard let port = found["plain"] else { throw RawHTTP.Failure(description: "server did not start") }
            let live = SecureLiveServer(port: port, tlsPort: found["tls"] ?? 0, store: store, logLines: capture)
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

    /// The outcome of one connection attempt with our WebSocket client.
    enum Outcome: Equatable {
        /// The WebSocket opened; the server's close code when it closed it.
        case connected(closeCode: String?)
        /// The attempt failed (TLS handshake refused, HTTP status other than 101, ...).
        case failed(String)

        var isConnected: Bool {
            if case .connected = self { return true }
            return false
        }
    }

    /// Connects to `wss://127.0.0.1:TLSPORT/ocpp/{id}` (or `ws://` with `tls: nil`) trusting
    /// `trustRoot`, presenting `client` when given, runs `body`, returns the outcome.
    func connect(
        _ id: String, tls: TLSConfiguration?, authorization: String? = nil, subprotocol: String = "ocpp2.0.1",
        _ body: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> Void = { _, _ in
        }
    ) async -> Outcome {
        var headers = HTTPFields()
        headers[.secWebSocketProtocol] = subprotocol
        if let authorization { headers[.authorization] = authorization }
        let url = tls == nil ? "ws://127.0.0.1:\(port)/ocpp/\(id)" : "wss://localhost:\(tlsPort)/ocpp/\(id)"
        do {
            let close = try await WebSocketClient.connect(
                url: url, configuration: .init(additionalHeaders: headers), tlsConfiguration: tls,
                logger: Logger(label: "test-station")
            ) { inbound, outbound, _ in
                try await body(inbound, outbound)
            }
            return .connected(closeCode: close.map { "\($0.closeCode)" })
        } catch {
            return .failed("\(error)")
        }
    }

    /// A client TLS configuration trusting `caPath`, presenting `leaf` if given, limited to
    /// `maximumVersion` if given.
    static func clientTLS(
        caPath: String, leaf: TestPKI.Leaf? = nil, maximumVersion: TLSVersion? = nil,
        minimumVersion: TLSVersion = .tlsv1
    ) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
        configuration.certificateVerification = .noHostnameVerification
        configuration.minimumTLSVersion = minimumVersion
        if let maximumVersion { configuration.maximumTLSVersion = maximumVersion }
        if let leaf {
            configuration.certificateChain = try leaf.nioChain()
            configuration.privateKey = try leaf.nioKey()
        }
        return configuration
    }

    /// The password the security tests give their stations.
    static let password = "0123456789abcdef-secret"
    /// Its stored form, computed once: PBKDF2 with 100,000 iterations takes long in a debug
    /// build, and hashing on the test's cooperative threads would starve the servers of
    /// tests running in parallel.
    static let passwordHash = PasswordHash.make(password: password)

    /// `Basic base64(user:password)`.
    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
