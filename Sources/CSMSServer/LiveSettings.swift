public import CSMSCore
public import CSMSProcessor
public import Logging
public import OCPP
import Synchronization

/// The settings of a running `csms serve` that a configuration reload can change
/// (docs/configuration.md, "Reload"): one immutable `ServerConfiguration` snapshot, swapped
/// as a whole, and the snapshots derived from it for the parts that read their own (the
/// processor, the command engine, the log level).
///
/// Readers take the current snapshot per message, connection or command: a lock and a copy
/// (`LiveValue`), no actor hop. Only keys declared `.live` or `.newConnections`
/// (`SettingKey.reload`) ever differ between snapshots: `ConfigurationReloader` keeps the
/// start value of every `.restart` key.
public final class LiveSettings: Sendable {
    private let server: LiveValue<ServerConfiguration>
    /// The processor's configuration (registration policy, intervals, rate limits, transactions).
    public let processor: LiveValue<ProcessorConfiguration>
    /// The command engine's timeouts and queue size.
    public let commands: LiveValue<CommandEngine.Settings>
    /// The lowest level logged (`logLevel`); `LiveLevelLogHandler`s read it.
    public let logLevel: LogLevelSwitch
    private let observers = Mutex<[@Sendable (ServerConfiguration) -> Void]>([])

    /// Live settings starting at `configuration`.
    public init(_ configuration: ServerConfiguration) {
        server = LiveValue(configuration)
        processor = LiveValue(configuration.processorConfiguration)
        commands = LiveValue(configuration.commandSettings)
        logLevel = LogLevelSwitch(Logger.Level(rawValue: configuration.logLevel) ?? .info)
    }

    /// The current snapshot.
    public var current: ServerConfiguration { server.current }

    /// Makes `configuration` the current snapshot (and the derived ones).
    public func apply(_ configuration: ServerConfiguration) {
        server.update(configuration)
        processor.update(configuration.processorConfiguration)
        commands.update(configuration.commandSettings)
        logLevel.level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        for observer in observers.withLock({ $0 }) { observer(configuration) }
    }

    /// Calls `observer` with every snapshot applied from now on (for parts that hold a setting
    /// of their own, e.g. the message log's mode).
    public func observe(_ observer: @escaping @Sendable (ServerConfiguration) -> Void) {
        observers.withLock { $0.append(observer) }
    }
}

extension ServerConfiguration {
    /// The message processor's configuration: the processing settings, the registration policy
    /// for unknown charge points, the spill file, the transaction settings and the boot policy.
    public var processorConfiguration: ProcessorConfiguration {
        var configuration = processing.processorConfiguration(
            unknownChargePoints: unknownChargePoints, database: database)
        configuration.transactions.supersedeStaleTransactions = transactions.supersedeStale
        configuration.transactions.allowedClockSkew = transactions.clockSkew
        configuration.bootPolicy = bootPolicy
        return configuration
    }
}

/// The process-wide lowest log level, changeable while running (`logLevel` on reload).
public final class LogLevelSwitch: Sendable {
    private let index: Atomic<Int>

    /// A switch at `level`.
    public init(_ level: Logger.Level) {
        index = Atomic(Self.levels.firstIndex(of: level) ?? 2)
    }

    private static let levels = Logger.Level.allCases

    /// The current level.
    public var level: Logger.Level {
        get { Self.levels[index.load(ordering: .relaxed)] }
        set { index.store(Self.levels.firstIndex(of: newValue) ?? 2, ordering: .relaxed) }
    }
}

/// A log handler whose level follows a `LogLevelSwitch` (unless a logger sets its own level):
/// `csms serve` wraps its JSON or text handler in one, so a reload changes the level of every
/// logger at once, the ones created before the reload included.
public struct LiveLevelLogHandler: LogHandler {
    private var base: any LogHandler
    private let levelSwitch: LogLevelSwitch
    private var ownLevel: Logger.Level?

    /// `base`, filtered at the level of `levelSwitch`.
    public init(_ base: any LogHandler, level: LogLevelSwitch) {
        self.base = base
        self.levelSwitch = level
    }

    /// The switch's level, or the level set on this handler.
    public var logLevel: Logger.Level {
        get { ownLevel ?? levelSwitch.level }
        set { ownLevel = newValue }
    }

    /// The base handler's metadata.
    public var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    /// The base handler's metadata provider.
    public var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    /// One metadata value of the base handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    /// Hands `event` to the base handler (the logger has checked the level already).
    public func log(event: LogEvent) {
        base.log(event: event)
    }
}

/// A DataTransfer vendor that a live setting turns on and off (`dataTransfer.echoVendor`): while
/// off it answers `UnknownVendorId`, exactly as if it were not registered.
public struct SwitchableDataTransferVendor: DataTransferVendor {
    private let base: any DataTransferVendor
    private let isEnabled: @Sendable () -> Bool

    /// `base`, answering only while `isEnabled()` says so.
    public init(_ base: any DataTransferVendor, isEnabled: @escaping @Sendable () -> Bool) {
        self.base = base
        self.isEnabled = isEnabled
    }

    /// The base vendor's id.
    public var vendorId: String { base.vendorId }

    /// The base vendor's answer, or `UnknownVendorId` while off.
    public func handle(messageId: String?, data: JSONValue?, context: HandlerContext) async throws -> DataTransferAnswer
    {
        guard isEnabled() else { return DataTransferAnswer(status: .unknownVendorId) }
        return try await base.handle(messageId: messageId, data: data, context: context)
    }
}
