public import Configuration
import Foundation
import OCPP
import SystemPackage

/// Builds the `ConfigReader` that every `csms` command reads its settings from, with the
/// precedence command line > environment (`CSMS_*`) > config file (JSON) > defaults.
public enum ConfigurationSources {
    /// The environment variable that names the config file when `--config` is not given.
    public static let configFileVariable = "CSMS_CONFIG"

    /// A reader over `commandLine` values (from parsed flags), the `environment` (default:
    /// the process environment), and the
    /// JSON file at `configFile` (or at `$CSMS_CONFIG` when `configFile` is `nil`).
    ///
    /// - Throws: `ConfigurationError` when the config file is missing or not a JSON object.
    public static func reader(
        commandLine: [SettingKey: ConfigValue],
        environment: [String: String]? = nil,
        configFile: String? = nil
    ) async throws(ConfigurationError) -> ConfigReader {
        let environment = environment ?? ProcessInfo.processInfo.environment
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in commandLine { values[key.absoluteKey] = value }
        let secretVariables = Set(SettingKey.secrets.map(\.environmentVariable))
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "command line", values: values),
            EnvironmentVariablesProvider(
                environmentVariables: environment, secretsSpecifier: .specific(secretVariables)
            ).prefixKeys(with: "csms"),
        ]
        let path = configFile ?? environment[configFileVariable].flatMap { $0.isEmpty ? nil : $0 }
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("config file not found or not readable: \(path)")
            }
            try checkKeys(of: data, path: path)
            do {
                let secrets = Set(SettingKey.secrets.map(\.name))
                let file = try await FileProvider<JSONSnapshot>(
                    parsingOptions: .init(secretsSpecifier: .specific(secrets)), filePath: FilePath(path))
                providers.append(file)
            } catch {
                throw ConfigurationError("config file \(path) is not a valid JSON object: \(error)")
            }
        }
        return ConfigReader(providers: providers)
    }

    /// Refuses a config file that is not a JSON object or has a key that is not a setting
    /// (a typo would otherwise be ignored silently).
    private static func checkKeys(of data: Data, path: String) throws(ConfigurationError) {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: [UInt8](data))
        } catch {
            throw ConfigurationError("config file \(path) is not valid JSON: \(error)")
        }
        guard case .object(let root) = document else {
            throw ConfigurationError("config file \(path) must hold a JSON object")
        }
        let known = Set(SettingKey.all.map(\.name))
        var pending: [(prefix: String, object: JSONObject)] = [("", root)]
        while let (prefix, object) = pending.popLast() {
            for (name, value) in object {
                let key = prefix.isEmpty ? name : prefix + "." + name
                if case .object(let nested) = value, !known.contains(key) {
                    pending.append((key, nested))
                } else if !known.contains(key) {
                    throw ConfigurationError("config file \(path): unknown key '\(key.prefix(64))'")
                }
            }
        }
    }
}
