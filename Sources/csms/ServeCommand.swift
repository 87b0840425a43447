import ArgumentParser
import CSMSCore
import CSMSProcessor
import CSMSServer
import Logging
import ServiceLifecycle

/// `csms serve`: runs the server until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the CSMS: the OCPP WebSocket endpoint, the operator API and the health endpoints.",
        discussion: """
            Stations connect to ws://HOST:PORT/ocpp/{chargePointId}. SIGTERM or SIGINT closes every \
            station connection with 1001 (going away) and exits with status 0. SIGHUP reloads the \
            config file (the settings that may change live, docs/configuration.md) and the TLS files.
            """)

    @OptionGroup var settings: SettingOptions

    func run() async throws {
        try await reportingFailures {
            let (configuration, reader) = try await settings.loadWithReader()
            do {
                try configuration.validateForServing()
            } catch {
                throw Failure.configuration("\(error)")
            }
            let live = LiveSettings(configuration)
            let logger = bootstrapLogging(configuration, levelSwitch: live.logLevel)
            // SIGHUP reloads the settings that may change live (docs/configuration.md, "Reload").
            let reloader = ConfigurationReloader(
                sources: settings.reloadSources, baseline: reader, live: live, logger: logger)
            let metrics = Runtime.bootstrapMetrics(configuration.observability, logger: logger)
            let store = try Runtime.openStore(configuration)
            logger.info(
                "starting csms",
                metadata: [
                    "database": .string(configuration.database.description),
                    "security_profile": .stringConvertible(configuration.securityProfile.rawValue),
                    "unknown_charge_points": .string(configuration.unknownChargePoints.rawValue),
                    "processor": .string(Runtime.processorName),
                ])
            // The registry authorizer (and the webhook when configured) answers Authorize.
            let authorizer = LiveAuthorizer(
                settings: configuration.authorization, store: store, activeTransactions: store, logger: logger)
            live.observe { authorizer.apply($0.authorization) }
            let observability = configuration.observability
            // Always there (and its writer running), so that a reload can turn the log on.
            let messageLog = MessageLogRecorder(mode: observability.messageLogMode)
            live.observe { messageLog.mode = $0.observability.messageLogMode }
            var handlerServices = HandlerServices(authorizer: authorizer)
            let externalCA = configuration.makeExternalCASigner(logger: logger)
            if let externalCA { handlerServices.certificateSigner = externalCA }
            let server = CSMSServer(
                configuration: configuration, store: store,
                processor: try Runtime.processor(
                    store: store, configuration: configuration, services: handlerServices, logger: logger,
                    messageLog: messageLog, live: live),
                logger: logger, metrics: metrics.prometheus, reloader: reloader, liveAuthorizer: authorizer,
                externalCA: externalCA)
            // Shutdown runs in reverse order: the server drains first, the writers flush last.
            var services: [any Service] = metrics.services
            services.append(
                MessageLogWriter(
                    recorder: messageLog, store: store, maxAge: observability.messageLogMaxAge,
                    maxPerStation: observability.messageLogMaxPerStation, logger: logger))
            services.append(server)
            var groupConfiguration = ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            // A station that never answers the close handshake must not hold the exit forever.
            groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod + .seconds(10)
            try await ServiceGroup(configuration: groupConfiguration).run()
            await authorizer.shutdown()
            try? await externalCA?.shutdown()
            logger.info("stopped")
        }
    }
}
