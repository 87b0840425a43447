import CSMSCore
import CSMSProcessor
import CSMSServer
import CSMSStorageSQLite
import Logging
import OCPP

/// How `csms` builds the parts the server runs on from the configuration: the store and the
/// message processor.
enum Runtime {
    /// Opens (and migrates) the database; SQLite creates the file and its folder.
    static func openStore(_ location: DatabaseLocation) throws(Failure) -> any CSMSStore {
        do {
            switch location {
            case .sqlite(let path) where path == DatabaseLocation.inMemoryPath:
                return try SQLiteStore.inMemory()
            case .sqlite(let path):
                return try SQLiteStore(path: path)
            }
        } catch {
            throw .store("cannot open \(location): \(error.message)")
        }
    }

    /// The name of the processor `processor(…)` builds, logged at start (`processor`).
    static let processorName = "CSMSProcessor.MessageProcessor"

    /// The message processor for the server: every message set's registry and the standard
    /// handlers, with the server's registration policy for unknown charge points.
    static func processor(
        store: any CSMSStore, configuration: ServerConfiguration, services: HandlerServices = HandlerServices(),
        logger: Logger
    ) -> any InboundMessageHandling {
        var processorConfiguration = ProcessorConfiguration()
        processorConfiguration.unknownChargePoints =
            switch configuration.unknownChargePoints {
            case .accept: .accept
            case .pending: .pending
            case .reject: .reject
            }
        return MessageProcessor(
            store: store, configuration: processorConfiguration, services: services, logger: logger)
    }
}
