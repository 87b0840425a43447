import Foundation

extension ServerConfiguration {
    /// The command engine's settings from this configuration.
    public var commandSettings: CommandEngine.Settings {
        CommandEngine.Settings(
            callTimeout: callTimeout, actionTimeouts: actionTimeouts, queueCapacity: commandQueueSize)
    }

    /// Parses `Action=seconds` entries (`commands.actionTimeouts`); seconds from 1 to 3600.
    static func actionTimeouts(_ entries: [String]) throws(ConfigurationError) -> [String: Duration] {
        var result: [String: Duration] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0.isNumber }),
                let seconds = Int(parts[1]), (1...3600).contains(seconds)
            else {
                throw .invalid(
                    .commandsActionTimeouts, "expected Action=seconds entries (1-3600 s), got '\(entry.prefix(40))'")
            }
            result[parts[0]] = .seconds(seconds)
        }
        return result
    }
}
