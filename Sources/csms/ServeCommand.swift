import ArgumentParser
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
            let store = try Runtime.openStore(configuration.database)
            logger.info(
                "starting csms",
                metadata: [
                    "database": .string(configuration.database.description),
                    "security_profile": .stringConvertible(configuration.securityProfile.rawValue),
                    "unknown_charge_points": .string(configuration.unknownChargePoints.rawValue),
                    "processor": .string(Runtime.processorName),
                ])
            let server = CSMSServer(
                configuration: configuration, store: store,
                processor: try Runtime.processor(store: store, configuration: configuration, logger: logger),
                logger: logger)
            var groupConfiguration = ServiceGroupConfiguration(
                services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            // A station that never answers the close handshake must not hold the exit forever.
            groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod + .seconds(10)
            try await ServiceGroup(configuration: groupConfiguration).run()
            logger.info("stopped")
        }
    }
}
