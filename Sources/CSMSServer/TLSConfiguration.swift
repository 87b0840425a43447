import Foundation
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The TLS side of the station listener (security profiles 2 and 3).
///
/// - TLS 1.2 and 1.3 only; on TLS 1.2 exactly the four suites OCPP requires
///   (OCPP 2.0.1 Part 2 A00.FR.318, 1.6 security whitepaper §2.3):
///   ECDHE-ECDSA/ECDHE-RSA with AES-128-GCM-SHA256 and AES-256-GCM-SHA384. TLS 1.3 uses
///   BoringSSL's fixed AEAD suites.
/// - Client certificates: requested when `tls.clientCa` is set and then verified against
///   that bundle (chain and validity period) if the station presents one; a station without
///   one can still use profile 2. Whether a station MUST present one is decided per station
///   by `StationAuthenticator` (its profile), so one port serves profiles 2 and 3.
/// - Reload: `ReloadableTLSContext` builds a new `NIOSSLContext` from the files; new
///   connections use the new one, live connections keep theirs (nothing is dropped).
enum StationTLS {
    /// The cipher suites offered on TLS 1.2.
    static let cipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ]

    /// The server TLS configuration read from the files of `settings`.
    static func configuration(_ settings: TLSSettings) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(settings.certificatePath)
        guard !chain.isEmpty else { throw TLSFileError(path: settings.certificatePath, problem: "no certificate") }
        let key = try NIOSSLPrivateKey(file: settings.privateKeyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuiteValues = cipherSuites
        if let caPath = settings.clientCAPath {
            let roots = try NIOSSLCertificate.fromPEMFile(caPath)
            guard !roots.isEmpty else { throw TLSFileError(path: caPath, problem: "no CA certificate") }
            configuration.trustRoots = .certificates(roots)
            configuration.certificateVerification = .optionalVerification
            configuration.sendCANameList = true
        } else {
            configuration.certificateVerification = .none
        }
        return configuration
    }
}

/// A TLS file that holds nothing usable (the message names the file, never its content).
struct TLSFileError: Error, CustomStringConvertible {
    let path: String
    let problem: String
    var description: String { "\(path): \(problem)" }
}

/// The TLS context new connections get; `reload()` swaps it for one built from the files.
final class ReloadableTLSContext: Sendable {
    let settings: TLSSettings
    private let context: Mutex<NIOSSLContext>
    private let fingerprint: Mutex<[String]>

    /// Loads the files; throws when they are missing or unusable.
    init(settings: TLSSettings) throws {
        self.settings = settings
        self.context = Mutex(try NIOSSLContext(configuration: StationTLS.configuration(settings)))
        self.fingerprint = Mutex(Self.fingerprint(settings))
    }

    /// The context for a new connection.
    var current: NIOSSLContext { context.withLock { $0 } }

    /// Rebuilds the context from the files. On failure the current one stays and the error
    /// is thrown (the caller logs it).
    func reload() throws {
        let fresh = try NIOSSLContext(configuration: StationTLS.configuration(settings))
        context.withLock { $0 = fresh }
        fingerprint.withLock { $0 = Self.fingerprint(settings) }
    }

    /// Whether a file's modification time or size changed since the last (re)load.
    var filesChanged: Bool { fingerprint.withLock { $0 } != Self.fingerprint(settings) }

    private static func fingerprint(_ settings: TLSSettings) -> [String] {
        [settings.certificatePath, settings.privateKeyPath, settings.clientCAPath].compactMap { path in
            guard let path else { return nil }
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? -1
            return "\(path)|\(modified)|\(size)"
        }
    }
}

/// Reloads the TLS files every `reloadInterval` when they changed. SIGHUP reloads them too,
/// through `ReloadSignalService` (the process's one SIGHUP handler), which calls `reload`.
struct TLSReloadService: Service, CustomStringConvertible {
    var description: String { "TLSReloadService" }

    let context: ReloadableTLSContext
    let logger: Logger

    func run() async throws {
        guard let interval = context.settings.reloadInterval else {
            try? await gracefulShutdown()  // a service that returns would end the group
            return
        }
        await cancelWhenGracefulShutdown {
            while (try? await Task.sleep(for: interval)) != nil, !Task.isCancelled {
                if context.filesChanged { Self.reload(context, reason: "files changed", logger: logger) }
            }
        }
    }

    /// Reloads `context` from its files, logging the outcome; a failure keeps the current one.
    static func reload(_ context: ReloadableTLSContext, reason: String, logger: Logger) {
        do {
            try context.reload()
            logger.info("TLS certificate reloaded", metadata: ["reason": .string(reason)])
        } catch {
            logger.error(
                "TLS certificate reload failed; keeping the current one",
                metadata: ["reason": .string(reason), "error": "\(error)"])
        }
    }
}

/// The child channel of a station listener: TLS (when `tls` is given) and the refusal
/// rewriter in front of hummingbird-websocket's HTTP/1 + WebSocket upgrade channel.
struct StationListenerChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value

    let base: HTTP1WebSocketUpgradeChannel
    let tls: ReloadableTLSContext?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let context = tls?.current
        return channel.eventLoop.makeCompletedFuture {
            if let context {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
            }
            try channel.pipeline.syncOperations.addHandler(UpgradeRefusalRewriter())
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
