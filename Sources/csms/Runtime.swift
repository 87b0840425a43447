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
        store: any CSMSStore, configuration: ServerConfiguration, logger: Logger
    ) throws(Failure) -> any InboundMessageHandling {
        var processorConfiguration = ProcessorConfiguration()
        processorConfiguration.unknownChargePoints =
            switch configuration.unknownChargePoints {
            case .accept: .accept
            case .pending: .pending
            case .reject: .reject
            }
        var services = HandlerServices()
        if let signer = try certificateSigner(configuration) { services.certificateSigner = signer }
        return MessageProcessor(
            store: store, configuration: processorConfiguration, services: services, logger: logger)
    }
}

extension Runtime {
    /// The built-in CA's signer when `security.caCertificate` and `security.caKey` are set.
    static func certificateSigner(_ configuration: ServerConfiguration) throws(Failure) -> CertificateAuthoritySigner? {
        guard let certificatePath = configuration.security.caCertificatePath,
            let keyPath = configuration.security.caKeyPath
        else { return nil }
        do {
            let authority = try CertificateAuthority(certificatePath: certificatePath, privateKeyPath: keyPath)
            return CertificateAuthoritySigner(
                authority: authority, operatorName: configuration.security.operatorName,
                validityDays: configuration.security.certificateValidityDays)
        } catch {
            throw .configuration("cannot load the CA (\(certificatePath), \(keyPath)): \(error)")
        }
    }
}
