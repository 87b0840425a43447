public import CSMSCore
public import CSMSExternalAuth
public import CSMSProcessor
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWSCompression
import HummingbirdWebSocket
public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle

/// The CSMS server: the OCPP-J WebSocket endpoint, the operator API and the health
/// endpoints on one HTTP port, as a swift-service-lifecycle `Service`.
///
/// On graceful shutdown it first closes every station connection with 1001 (going away)
/// and waits up to `shutdownGracePeriod` for them to end, then stops the HTTP server.
/// The store's lifecycle belongs to the caller.
public struct CSMSServer: Service, CustomStringConvertible {
    private let configuration: ServerConfiguration
    private let store: any CSMSStore
    private let processor: any InboundMessageHandling
    private let tracker: any OutboundCallTracking
    private let clock: any WallClock
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void
    private let metrics: PrometheusExposition?
    private let externalAuthorizer: WebhookAuthorizer?
    private let liveAuthorizer: LiveAuthorizer?
    /// The external CA signer, whose breaker state `/health/ready` shows.
    private let externalCA: ExternalCASigner?
    private let onTLSListening: @Sendable (Int) async -> Void
    private let securityMetrics: SecurityMetrics
    private let live: LiveSettings
    private let reloader: ConfigurationReloader?

    /// The live station connections (the API's `connected`; the operator commands' way to a station).
    public let registry: ConnectionRegistry
    /// The operator commands (outbound CALLs); the replies tracker unless another was given.
    public let commands: CommandEngine

    /// A server for `configuration` over `store`, handing inbound frames to `processor` and
    /// replies to CSMS-initiated CALLs to `tracker` (default: logged as unexpected).
    /// `onListening` is called with the bound port once the server accepts connections.
    /// `externalAuthorizer`'s breaker state is shown in `/health/ready`.
    /// `live` holds the settings a reload changes (default: fixed at `configuration`); `reloader`
    /// (its `live` is then the default) reloads them on SIGHUP (docs/configuration.md, "Reload").
    /// `liveAuthorizer`'s current webhook is the one `/health/ready` shows, when given.
    public init(
        configuration: ServerConfiguration, store: any CSMSStore, processor: any InboundMessageHandling,
        tracker: (any OutboundCallTracking)? = nil, registry: ConnectionRegistry = ConnectionRegistry(),
        clock: any WallClock = SystemWallClock(), logger: Logger, metrics: PrometheusExposition? = nil,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in },
        onTLSListening: @escaping @Sendable (Int) async -> Void = { _ in },
        externalAuthorizer: WebhookAuthorizer? = nil, live: LiveSettings? = nil, reloader: ConfigurationReloader? = nil,
        liveAuthorizer: LiveAuthorizer? = nil, externalCA: ExternalCASigner? = nil
    ) {
        self.externalCA = externalCA
        self.liveAuthorizer = liveAuthorizer
        let live = live ?? reloader?.live ?? LiveSettings(configuration)
        self.live = live
        self.reloader = reloader
        self.metrics = metrics
        self.externalAuthorizer = externalAuthorizer
        self.configuration = configuration
        self.store = store
        self.processor = processor
        let commands = CommandEngine(store: store, liveSettings: live.commands, clock: clock, logger: logger)
        self.commands = commands
        self.tracker = tracker ?? commands
        self.registry = registry
        self.clock = clock
        self.logger = logger
        self.onListening = onListening
        self.onTLSListening = onTLSListening
        securityMetrics = SecurityMetrics()
    }

    /// `CSMSServer(host:port)`, for service-lifecycle log lines (no settings, no secrets).
    public var description: String { "CSMSServer(\(configuration.host):\(configuration.port))" }

    /// Runs until graceful shutdown (or cancellation).
    public func run() async throws {
        if configuration.securityProfile == .none {
            logger.warning("security profile 0: charge points connect without any authentication (development only)")
        }
        if configuration.apiToken == nil {
            logger.warning(
                "no API token configured (--api-token, CSMS_API_TOKEN): only named tokens (csms api-tokens add) open the operator API"
            )
        }
        let endpoint = makeEndpoint()
        let router = apiRouter()
        // The listeners' own event loops, fewer than the cores (`eventLoopThreads`).
        let loops = MultiThreadedEventLoopGroup(
            numberOfThreads: configuration.eventLoopThreadCount(cores: System.coreCount))
        let application = Application(
            router: router, server: webSocketServer(endpoint, tls: nil),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "csms",
                backlog: configuration.listenBacklog),
            onServerRunning: { channel in await listening(on: channel.localAddress?.port ?? configuration.port) },
            eventLoopGroupProvider: .shared(loops), logger: logger)
        var services: [any Service] = [
            SpillReplayService(processor: processor, interval: .seconds(1)),
            CommandTimeoutService(engine: commands, tick: .milliseconds(50)), makeLivenessMonitor(), application,
        ]
        var tlsContext: ReloadableTLSContext?
        if let settings = configuration.tls {
            // Profiles 2 and 3: the same endpoint and API behind TLS on a port of its own.
            let context = try ReloadableTLSContext(settings: settings)
            tlsContext = context
            services.append(
                Application(
                    router: router, server: webSocketServer(endpoint, tls: context),
                    configuration: ApplicationConfiguration(
                        address: .hostname(configuration.host, port: settings.port), serverName: "csms",
                        backlog: configuration.listenBacklog),
                    onServerRunning: { channel in await tlsListening(on: channel.localAddress?.port ?? settings.port) },
                    eventLoopGroupProvider: .shared(loops), logger: logger))
            services.append(TLSReloadService(context: context, logger: logger))
        }
        // One SIGHUP handler for everything that reloads: the configuration, then the TLS files.
        services.append(ReloadSignalService(configuration: reloader, tls: tlsContext, logger: logger))
        services.append(
            CertificateExpiryMonitor(store: store, clock: clock, metrics: securityMetrics, logger: logger))
        services.append(
            CertificateDeliveryService(
                store: store, registry: registry, engine: commands, clock: clock, logger: logger))
        if configuration.bootPolicy.firmwareRules.contains(where: { $0.firmwareUrl != nil }) {
            services.append(
                FirmwareFollowUpService(
                    store: store, registry: registry, engine: commands, policy: configuration.bootPolicy, clock: clock,
                    logger: logger))
        }
        services.append(
            ConnectionDrainer(
                registry: registry, gracePeriod: configuration.shutdownGracePeriod, logger: logger, commands: commands))
        // Graceful shutdown runs in reverse order: the drainer closes the stations first.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        // The listeners have stopped: their loops go too.
        try? await loops.shutdownGracefully()
        if let failure { throw failure }
    }

    private func listening(on port: Int) async {
        logger.info(
            "listening", metadata: ["host": .string(configuration.host), "port": .stringConvertible(port)])
        if let path = configuration.portFile {
            do {
                try Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                logger.error("could not write the port file", metadata: ["path": .string(path), "error": "\(error)"])
            }
        }
        await onListening(port)
    }

    private func tlsListening(on port: Int) async {
        logger.info(
            "listening (TLS)", metadata: ["host": .string(configuration.host), "port": .stringConvertible(port)])
        if let path = configuration.tls?.portFile {
            do {
                try Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                logger.error("could not write the port file", metadata: ["path": .string(path), "error": "\(error)"])
            }
        }
        await onTLSListening(port)
    }

    private func apiRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        let fixedAuthorizer = externalAuthorizer
        let liveAuthorizer = liveAuthorizer
        OperationalRoutes.add(to: router, store: store, externalCA: externalCA) {
            liveAuthorizer?.webhook ?? fixedAuthorizer
        }
        if let metrics { MetricsRoutes(exposition: metrics).add(to: router) }
        let api = router.group("api/v1").add(
            middleware: APITokenMiddleware(token: configuration.apiToken, store: store))
        ChargePointRoutes(store: store, registry: registry, clock: clock).add(to: api)
        DeadLetterRoutes(store: store, processor: processor).add(to: api)
        MessageLogRoutes(store: store).add(to: api)
        StationStatsRoutes(store: store, clock: clock).add(to: api)
        CommandRoutes(store: store, registry: registry, engine: commands).add(to: api)
        ConfigurationRoutes(store: store, registry: registry, engine: commands, clock: clock).add(to: api)
        ReportRoutes(store: store).add(to: api)
        TransactionRoutes(store: store).add(to: api)
        IdTokenRoutes(store: store, clock: clock).add(to: api)
        SecurityRoutes(store: store, clock: clock, configuredProfile: configuration.securityProfile.rawValue).add(
            to: api)
        RemoteStartRoutes(store: store, registry: registry, engine: commands).add(to: api)
        LocalListSyncRoutes(store: store, registry: registry, engine: commands, clock: clock).add(to: api)
        AvailabilityRoutes(store: store).add(to: api)
        SerialBindingRoutes(store: store, clock: clock).add(to: api)
        return router
    }

    private func makeEndpoint() -> OCPPWebSocketEndpoint {
        let authenticator = StationAuthenticator(configuration: configuration, store: store, metrics: securityMetrics)
        live.observe { configuration in
            authenticator.limiter.update(
                burst: configuration.security.authFailureBurst,
                refillSeconds: Double(configuration.security.authFailureRefillSeconds))
        }
        return OCPPWebSocketEndpoint(
            live: live, store: store, processor: processor, tracker: tracker, registry: registry,
            clock: clock, authenticator: authenticator,
            events: SecurityEventLog(store: store, clock: clock, metrics: securityMetrics, logger: logger),
            logger: logger)
    }

    private func webSocketServer(_ endpoint: OCPPWebSocketEndpoint, tls: ReloadableTLSContext?) -> HTTPServerBuilder {
        let size = configuration.webSocket.maxMessageSize
        let webSocket = WebSocketServerConfiguration(
            maxFrameSize: size,
            extensions: configuration.webSocket.compression ? [.perMessageDeflate(maxDecompressedFrameSize: size)] : [],
            autoPing: .disabled,  // LivenessMonitor pings, with a pong timeout
            closeTimeout: .seconds(10),
            validateUTF8: true)
        return HTTPServerBuilder { responder in
            StationListenerChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder,
                    configuration: .init(http1: .init(idleTimeout: .seconds(60)), ws: webSocket)
                ) { head, channel, _ in
                    await endpoint.shouldUpgrade(head, channel: channel)
                },
                tls: tls)
        }
    }
}

/// Closes every station connection with 1001 when graceful shutdown begins, and waits for
/// them to end (at most the grace period) before the HTTP server is stopped.
struct ConnectionDrainer: Service, CustomStringConvertible {
    var description: String { "ConnectionDrainer" }

    let registry: ConnectionRegistry
    let gracePeriod: Duration
    let logger: Logger
    var commands: CommandEngine?

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: nothing to drain gracefully
        }
        let deadline = ContinuousClock.now.advanced(by: gracePeriod)
        let open = registry.beginDraining()
        if let commands { await commands.awaitCallsAnswered(until: deadline, logger: logger) }
        logger.info("shutting down: closing station connections", metadata: ["connections": "\(open.count)"])
        await withTaskGroup(of: Void.self) { group in
            for connection in open {
                connection.liveness.markClosing(.shutdown)
                group.addTask { await connection.close(code: .goingAway, reason: "server shutting down") }
            }
        }
        while registry.count > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if registry.count > 0 {
            logger.warning(
                "shutdown grace period over; connections still open", metadata: ["connections": "\(registry.count)"])
        }
    }
}

/// Moves spilled transaction messages into the database once it is reachable again: checks
/// every `interval`, and once more when shutdown begins (docs/reliability.md).
struct SpillReplayService: Service, CustomStringConvertible {
    var description: String { "SpillReplayService" }

    let processor: any InboundMessageHandling
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await processor.replaySpilled()
                try? await Task.sleep(for: interval)
            }
        }
        _ = await processor.replaySpilled()
    }
}

extension CSMSServer {
    fileprivate func makeLivenessMonitor() -> LivenessMonitor {
        let live = live
        return LivenessMonitor(
            registry: registry,
            tick: {
                let configuration = live.current
                let silence = configuration.processing.heartbeatInterval * configuration.reliability.heartbeatTolerance
                return LivenessMonitor.tick(
                    pingInterval: configuration.webSocket.pingInterval,
                    pongTimeout: configuration.reliability.pongTimeout, silenceLimit: silence)
            },
            logger: logger)
    }
}
