public import Configuration
import Foundation
import OCPP

/// A setting that is present but unusable, or a combination this build cannot serve.
/// The message names the setting (key, flag and environment variable), never a secret value.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, for the operator.
    public let message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }

    static func invalid(_ key: SettingKey, _ problem: String) -> ConfigurationError {
        ConfigurationError("invalid \(key) (\(key.flag), \(key.environmentVariable)): \(problem)")
    }
}

extension ServerConfiguration {
    /// Reads every setting from `reader`; missing ones keep their defaults.
    ///
    /// Values are checked here (types, ranges, enumerations) so that a typo stops the
    /// program with a message instead of silently falling back to a default.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        self.init()
        let r = SettingReader(reader: reader)
        host = try r.string(.host) ?? host
        guard !host.isEmpty else { throw .invalid(.host, "must not be empty") }
        port = try r.int(.port, in: 0...65_535) ?? port
        portFile = try r.string(.portFile) ?? portFile
        if let url = try r.string(.database) {
            guard let location = DatabaseLocation(url: url) else {
                throw .invalid(.database, "expected sqlite:PATH")
            }
            database = location
        }
        if let profile = try r.int(.securityProfile, in: 0...3) {
            securityProfile = SecurityProfile(rawValue: profile)!
        }
        unknownChargePoints = try r.enumeration(.unknownChargePoints) ?? unknownChargePoints
        apiToken = try r.string(.apiToken, isSecret: true) ?? apiToken
        if let token = apiToken, token.isEmpty { apiToken = nil }
        callTimeout = try r.seconds(.callTimeout, in: 1...3600) ?? callTimeout
        if let entries = try r.stringArray(.commandsActionTimeouts) {
            actionTimeouts = try Self.actionTimeouts(entries)
        }
        commandQueueSize = try r.int(.commandsQueueSize, in: 0...10_000) ?? commandQueueSize
        dataTransferEchoVendor = try r.bool(.dataTransferEchoVendor) ?? dataTransferEchoVendor
        if let names = try r.stringArray(.ocppVersions) {
            var versions = Set<OCPPVersion>()
            for name in names {
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                guard let version = OCPPVersion(subprotocol: trimmed) else {
                    let known = OCPPVersion.allCases.map(\.subprotocol).joined(separator: ", ")
                    throw .invalid(.ocppVersions, "unknown version '\(trimmed.prefix(32))' (known: \(known))")
                }
                versions.insert(version)
            }
            guard !versions.isEmpty else { throw .invalid(.ocppVersions, "at least one version is needed") }
            ocppVersions = versions
        }
        webSocket.maxMessageSize =
            try r.int(.webSocketMaxMessageSize, in: 1024...(64 * 1024 * 1024)) ?? webSocket.maxMessageSize
        if let ping = try r.int(.webSocketPingInterval, in: 0...86_400) {
            webSocket.pingInterval = ping == 0 ? nil : .seconds(ping)
        }
        webSocket.compression = try r.bool(.webSocketCompression) ?? webSocket.compression
        listenBacklog = try r.int(.listenBacklog, in: 1...1_000_000) ?? listenBacklog
        eventLoopThreads = try r.int(.eventLoopThreads, in: 0...1024) ?? eventLoopThreads
        if let micros = try r.int(.storageCommitGatherMicroseconds, in: 0...100_000) {
            commitGatherDelay = .microseconds(micros)
        }
        walWriteBufferBytes = try r.int(.storageWALWriteBufferBytes, in: 0...(64 << 20)) ?? walWriteBufferBytes
        shutdownGracePeriod = try r.seconds(.shutdownGracePeriod, in: 0...3600) ?? shutdownGracePeriod
        logFormat = try r.enumeration(.logFormat) ?? logFormat
        if let level = try r.string(.logLevel) {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(level) else {
                throw .invalid(.logLevel, "expected one of \(levels.joined(separator: ", "))")
            }
            logLevel = level
        }
        processing = try ProcessingSettings(r)
        observability = try ObservabilitySettings(r)
        transactions.supersedeStale = try r.bool(.transactionsSupersedeStale) ?? transactions.supersedeStale
        transactions.clockSkew = try r.seconds(.transactionsClockSkew, in: 0...86_400) ?? transactions.clockSkew
        try readAuthorizationSettings(r)
        try readSecurity(r)
        reliability = try ReliabilitySettings(r)
        try readBootPolicy(r)
    }

    /// Refuses what `csms serve` cannot run: security profiles 2 and 3 need the TLS listener
    /// (`tls.certificate`, `tls.privateKey`), profile 3 also the client CA bundle (`tls.clientCa`).
    public func validateForServing() throws(ConfigurationError) {
        try validateSecurityForServing()
    }
}

/// Typed, checked reads from a `ConfigReader`.
///
/// swift-configuration's optional getters return `nil` for a value that is present but not
/// convertible; these getters tell the two apart (by reading the value as text as well), so
/// that `CSMS_PORT=abc` is an error rather than port 9000.
struct SettingReader {
    let reader: ConfigReader

    func string(_ key: SettingKey, isSecret: Bool = false) throws(ConfigurationError) -> String? {
        if let value = reader.string(forKey: key.configKey, isSecret: isSecret) { return value }
        if reader.int(forKey: key.configKey) != nil || reader.bool(forKey: key.configKey) != nil {
            throw .invalid(key, "expected a string")
        }
        return nil
    }

    func int(_ key: SettingKey, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        let value: Int
        if let number = reader.int(forKey: key.configKey) {
            value = number
        } else if let text = reader.string(forKey: key.configKey) {
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw .invalid(key, "expected an integer")
            }
            value = number
        } else {
            return nil
        }
        guard range.contains(value) else {
            throw .invalid(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    func seconds(_ key: SettingKey, in range: ClosedRange<Int>) throws(ConfigurationError) -> Duration? {
        try int(key, in: range).map { .seconds($0) }
    }

    func double(_ key: SettingKey, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        let value: Double
        if let number = reader.double(forKey: key.configKey) {
            value = number
        } else if let text = reader.string(forKey: key.configKey) {
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite else {
                throw .invalid(key, "expected a number")
            }
            value = number
        } else {
            return nil
        }
        guard range.contains(value) else {
            throw .invalid(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    func bool(_ key: SettingKey) throws(ConfigurationError) -> Bool? {
        if let value = reader.bool(forKey: key.configKey) { return value }
        guard let text = reader.string(forKey: key.configKey) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw .invalid(key, "expected true or false")
        }
    }

    func enumeration<E: RawRepresentable<String> & CaseIterable>(
        _ key: SettingKey
    ) throws(ConfigurationError) -> E? {
        guard let text = try string(key) else { return nil }
        guard let value = E(rawValue: text) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalid(key, "expected one of \(allowed)")
        }
        return value
    }

    func stringArray(_ key: SettingKey) throws(ConfigurationError) -> [String]? {
        if let values = reader.stringArray(forKey: key.configKey) { return values }
        if let text = reader.string(forKey: key.configKey) {
            return text.split(separator: ",").map(String.init)
        }
        return nil
    }
}
