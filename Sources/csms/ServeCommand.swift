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
            station connection with 1001 (going away) and exits with status 0.
            """)

    @OptionGroup var settings: SettingOptions

    func run() async throws {
        try await reportingFailures {
            let configuration = try await settings.load()
            do {
                try configuration.validateForServing()
            } catch {
                throw Failure.configuration("\(error)")
            }
            let logger = bootstrapLogging(configuration)
            let metrics = Runtime.bootstrapMetrics(configuration.observability, logger: logger)
            let store = try Runtime.openStore(configuration.database)
            logger.info(
                "starting csms",
                metadata: [
                    "database": .string(configuration.database.description),
                    "security_profile": .stringConvertible(configuration.securityProfile.rawValue),
                    "unknown_charge_points": .string(configuration.unknownChargePoints.rawValue),
                    "processor": .string(Runtime.processorName),
                ])
            // The registry authorizer (and the webhook when configured) answers Authorize.
            let authorization = configuration.authorization.makeAuthorizer(
                store: store, activeTransactions: store, logger: logger)
            let observability = configuration.observability
            let messageLog =
                observability.messageLogMode == .off ? nil : MessageLogRecorder(mode: observability.messageLogMode)
            var handlerServices = HandlerServices(authorizer: authorization.authorizer)
            let externalCA = configuration.makeExternalCASigner(logger: logger)
            if let externalCA { handlerServices.certificateSigner = externalCA }
            let server = CSMSServer(
                configuration: configuration, store: store,
                processor: try Runtime.processor(
                    store: store, configuration: configuration, services: handlerServices, logger: logger,
                    messageLog: messageLog),
                logger: logger, metrics: metrics.prometheus, externalAuthorizer: authorization.webhook)
            // Shutdown runs in reverse order: the server drains first, the writers flush last.
            var services: [any Service] = metrics.services
            if let messageLog {
                services.append(
                    MessageLogWriter(
                        recorder: messageLog, store: store, maxAge: observability.messageLogMaxAge,
                        maxPerStation: observability.messageLogMaxPerStation, logger: logger))
            }
            services.append(server)
            var groupConfiguration = ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            // A station that never answers the close handshake must not hold the exit forever.
            groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod + .seconds(10)
            try await ServiceGroup(configuration: groupConfiguration).run()
            try? await authorization.webhook?.shutdown()
            try? await externalCA?.shutdown()
            logger.info("stopped")
        }
    }
}
