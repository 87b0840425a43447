import CSMSCore
import CSMSProcessor
import CSMSServer
import CSMSStorageSQLite
import Logging
import Metrics
import OCPP
import ServiceLifecycle

/// How `csms` builds the parts the server runs on from the configuration: the store and the
/// message processor.
enum Runtime {
    /// Opens (and migrates) the configured database; SQLite creates the file and its folder.
    /// The `storage.*` settings apply to every command that opens it, not only `serve`: the
    /// group-commit writer waits at most `commitGatherDelay` for more requests
    /// (`storage.commitGatherMicroseconds`) and buffers WAL writes in `walWriteBufferBytes`
    /// (`storage.walWriteBufferBytes`).
    static func openStore(_ settings: ServerConfiguration) throws(Failure) -> any CSMSStore {
        let location = settings.database
        var configuration = storeConfiguration
        configuration.commitGathering.delay = settings.commitGatherDelay
        configuration.walWriteBufferBytes = settings.walWriteBufferBytes
        do {
            switch location {
            case .sqlite(let path) where path == DatabaseLocation.inMemoryPath:
                return try SQLiteStore.inMemory(configuration: configuration)
            case .sqlite(let path):
                return try SQLiteStore(path: path, configuration: configuration)
            }
        } catch {
            throw .store("cannot open \(location): \(error.message)")
        }
    }

    /// The SQLite settings, reporting every group-commit batch to swift-metrics:
    /// `csms.store.commit.duration` (timer), `csms.store.commit.batch_size` (recorder) and
    /// `csms.store.commit.failures` (counter of failed requests); and every WAL checkpoint:
    /// `csms.store.checkpoint.duration` (timer, dimension `kind`: background or tail) and
    /// `csms.store.checkpoint.failures` (counter).
    static var storeConfiguration: SQLiteStoreConfiguration {
        var configuration = SQLiteStoreConfiguration()
        let duration = Metrics.Timer(label: "csms.store.commit.duration")
        let batchSize = Recorder(label: "csms.store.commit.batch_size")
        let failures = Counter(label: "csms.store.commit.failures")
        let queueWait = Metrics.Timer(label: "csms.store.commit.queue_wait")
        configuration.onBatch = { report in
            duration.record(duration: report.duration)
            queueWait.record(duration: report.queueWait)
            batchSize.record(report.requests)
            if report.failedRequests > 0 { failures.increment(by: Int64(report.failedRequests)) }
        }
        let checkpointDurations = Dictionary(
            uniqueKeysWithValues: [WALCheckpointReport.Kind.background, .tail].map { kind in
                (kind, Metrics.Timer(label: "csms.store.checkpoint.duration", dimensions: [("kind", kind.rawValue)]))
            })
        let checkpointFailures = Counter(label: "csms.store.checkpoint.failures")
        configuration.onCheckpoint = { report in
            checkpointDurations[report.kind]?.record(duration: report.duration)
            if report.failureCode != nil { checkpointFailures.increment() }
        }
        return configuration
    }

    /// The name of the processor `processor(…)` builds, logged at start (`processor`).
    static let processorName = "CSMSProcessor.MessageProcessor"

    /// The message processor for the server: every message set's registry and the standard
    /// handlers, with the server's registration policy for unknown charge points; with `live`,
    /// the settings a reload changes are read from it for every message.
    static func processor(
        store: any CSMSStore, configuration: ServerConfiguration, services: HandlerServices = HandlerServices(),
        logger: Logger, messageLog: MessageLogRecorder? = nil, live: LiveSettings? = nil
    ) throws(Failure) -> any InboundMessageHandling {
        let vendors: [any DataTransferVendor]
        if let live {
            // Always registered; answers as an unknown vendor while the live setting is off.
            vendors = [SwitchableDataTransferVendor(EchoDataTransferVendor()) { live.current.dataTransferEchoVendor }]
        } else {
            vendors = configuration.dataTransferEchoVendor ? [EchoDataTransferVendor()] : []
        }
        var services = services
        services.dataTransferVendors = DataTransferVendors(vendors)
        if let signer = try certificateSigner(configuration) { services.certificateSigner = signer }
        return MessageProcessor(
            store: store, configuration: configuration.processorConfiguration,
            services: services, logger: logger,
            messageLog: messageLog, liveConfiguration: live?.processor)
    }

    /// Bootstraps swift-metrics with the configured backends (Prometheus, CloudWatch EMF):
    /// returns the exposition for `/metrics` and the services that must run (the EMF emitter).
    static func bootstrapMetrics(
        _ settings: ObservabilitySettings, logger: Logger
    ) -> (prometheus: PrometheusExposition?, services: [any Service]) {
        var factories: [any MetricsFactory] = []
        var services: [any Service] = []
        let prometheus = settings.prometheus ? PrometheusExposition() : nil
        if let prometheus { factories.append(prometheus.factory) }
        if settings.emfEnabled {
            let emf = EMFMetricsFactory(namespace: settings.emfNamespace)
            factories.append(emf)
            services.append(
                EMFEmitter(
                    factory: emf, interval: settings.emfInterval,
                    destination: settings.emfDestination == "stdout"
                        ? .standardOutput : .file(settings.emfDestination),
                    logger: logger))
        }
        if !factories.isEmpty { MetricsSystem.bootstrap(MultiplexMetricsHandler(factories: factories)) }
        return (prometheus, services)
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
